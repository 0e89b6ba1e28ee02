-- Silver users: typed, validated, one row per user_id, always. Every bronze row (one per landed
-- line) is classified once in users_staged: NULL reason = it is in Silver, else the reason it is
-- kept in users_rejected. Re-running changes nothing.
--
-- One row per key: among a batch's valid lines of one user_id the newest updated_at wins, on a tie
-- the later line. Lines identical to the winner (same typed values) collapse into it; the others are
-- refused as 'duplicate key, superseded by line N'. Across batches the newer updated_at wins, on a
-- tie the newer batch; a winner older than the row Silver holds is refused as such.

DROP TABLE IF EXISTS ${silver_db}.users_staged;

CREATE TABLE ${silver_db}.users_staged (
  source_file string, source_line bigint, user_id string, email string, full_name string, ssn string,
  country string, signup_ts string, updated_at string, reject_reason string
)
LOCATION 's3://${silver_bucket}/users_staged/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.users (
  user_id bigint, email string, full_name string, ssn string, country string,
  signup_ts timestamp, updated_at timestamp
)
LOCATION 's3://${silver_bucket}/users/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

DROP TABLE IF EXISTS ${silver_db}.users_rejected;

CREATE TABLE ${silver_db}.users_rejected (
  source_file string, source_line bigint, user_id string, email string, full_name string, ssn string,
  country string, signup_ts string, updated_at string, reject_reason string
)
LOCATION 's3://${silver_bucket}/users_rejected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

INSERT INTO ${silver_db}.users_staged
WITH checked AS (
  SELECT
    "$path" AS source_file, try_cast(source_line AS bigint) AS source_line,
    user_id, email, full_name, ssn, country, signup_ts, updated_at,
    try_cast(user_id AS bigint) AS key, try_cast(updated_at AS timestamp) AS version,
    CASE
      WHEN try_cast(user_id AS bigint) IS NULL THEN 'user_id missing or not a number'
      WHEN email IS NULL OR NOT regexp_like(email, '^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$') THEN 'email malformed'
      WHEN ssn IS NULL OR NOT regexp_like(ssn, '^\d{3}-\d{2}-\d{4}$') THEN 'ssn malformed'
      WHEN try_cast(signup_ts AS timestamp) IS NULL THEN 'signup_ts missing or malformed'
      WHEN try_cast(updated_at AS timestamp) IS NULL THEN 'updated_at missing or malformed'
    END AS invalid,
    -- The typed values Silver would hold, as one string: equal means an identical duplicate.
    concat_ws(chr(31),
      lower(trim(email)), coalesce(trim(full_name), chr(30)), ssn, coalesce(nullif(upper(trim(country)), ''), chr(30)),
      CAST(try_cast(signup_ts AS timestamp) AS varchar), CAST(try_cast(updated_at AS timestamp) AS varchar)
    ) AS fingerprint
  FROM ${bronze_db}.users_csv
),
ranked AS (
  SELECT
    c.*,
    first_value(source_line) OVER (
      PARTITION BY invalid IS NULL, key ORDER BY version DESC, source_line DESC
    ) AS winner_line,
    first_value(fingerprint) OVER (
      PARTITION BY invalid IS NULL, key ORDER BY version DESC, source_line DESC
    ) AS winner_fingerprint
  FROM checked c
)
SELECT
  r.source_file, r.source_line, r.user_id, r.email, r.full_name, r.ssn, r.country, r.signup_ts, r.updated_at,
  CASE
    WHEN r.invalid IS NOT NULL THEN r.invalid
    WHEN r.fingerprint <> r.winner_fingerprint
      THEN concat('duplicate key, superseded by line ', CAST(r.winner_line AS varchar))
    WHEN s.updated_at > r.version THEN 'older than the row silver holds (a newer updated_at)'
  END
FROM ranked r
LEFT JOIN (
  SELECT user_id, max(updated_at) AS updated_at FROM ${silver_db}.users GROUP BY user_id
) s ON s.user_id = r.key;

MERGE INTO ${silver_db}.users t
USING (
  SELECT user_id, email, full_name, ssn, country, signup_ts, updated_at
  FROM (
    SELECT
      CAST(user_id AS bigint) AS user_id, lower(trim(email)) AS email, trim(full_name) AS full_name, ssn,
      nullif(upper(trim(country)), '') AS country, CAST(signup_ts AS timestamp) AS signup_ts,
      CAST(updated_at AS timestamp) AS updated_at,
      row_number() OVER (PARTITION BY CAST(user_id AS bigint) ORDER BY source_line DESC) AS rn
    FROM ${silver_db}.users_staged
    WHERE reject_reason IS NULL
  )
  WHERE rn = 1
) s
ON t.user_id = s.user_id
WHEN MATCHED AND (
  t.email IS DISTINCT FROM s.email OR t.full_name IS DISTINCT FROM s.full_name OR t.ssn IS DISTINCT FROM s.ssn
  OR t.country IS DISTINCT FROM s.country OR t.signup_ts IS DISTINCT FROM s.signup_ts
  OR t.updated_at IS DISTINCT FROM s.updated_at
) THEN UPDATE SET
  email = s.email, full_name = s.full_name, ssn = s.ssn, country = s.country,
  signup_ts = s.signup_ts, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (user_id, email, full_name, ssn, country, signup_ts, updated_at)
  VALUES (s.user_id, s.email, s.full_name, s.ssn, s.country, s.signup_ts, s.updated_at);

INSERT INTO ${silver_db}.users_rejected
SELECT * FROM ${silver_db}.users_staged WHERE reject_reason IS NOT NULL;
