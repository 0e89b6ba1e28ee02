-- Silver users: typed, validated, one row per user (the newest update wins).
-- Every bronze row is classified once in users_staged; valid rows are merged into users,
-- the others are kept in users_rejected with the reason. Re-running changes nothing.

CREATE TABLE IF NOT EXISTS ${silver_db}.users_staged (
  source_file string, user_id string, email string, full_name string, ssn string, country string,
  signup_ts string, updated_at string, reject_reason string
)
LOCATION 's3://${silver_bucket}/users_staged/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.users (
  user_id bigint, email string, full_name string, ssn string, country string,
  signup_ts timestamp, updated_at timestamp
)
LOCATION 's3://${silver_bucket}/users/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.users_rejected (
  source_file string, user_id string, email string, full_name string, ssn string, country string,
  signup_ts string, updated_at string, reject_reason string
)
LOCATION 's3://${silver_bucket}/users_rejected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

DELETE FROM ${silver_db}.users_staged;

INSERT INTO ${silver_db}.users_staged
SELECT
  "$path", user_id, email, full_name, ssn, country, signup_ts, updated_at,
  CASE
    WHEN updated_at IS NULL THEN 'line has too few fields'
    WHEN try_cast(user_id AS bigint) IS NULL THEN 'user_id missing or not a number'
    WHEN email IS NULL OR NOT regexp_like(email, '^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$') THEN 'email malformed'
    WHEN ssn IS NULL OR NOT regexp_like(ssn, '^\d{3}-\d{2}-\d{4}$') THEN 'ssn malformed'
    WHEN try_cast(signup_ts AS timestamp) IS NULL THEN 'signup_ts missing or malformed'
    WHEN try_cast(updated_at AS timestamp) IS NULL THEN 'updated_at missing or malformed'
  END
FROM ${bronze_db}.users_csv;

MERGE INTO ${silver_db}.users t
USING (
  SELECT user_id, email, full_name, ssn, country, signup_ts, updated_at
  FROM (
    SELECT
      CAST(user_id AS bigint) AS user_id, lower(trim(email)) AS email, trim(full_name) AS full_name, ssn,
      nullif(upper(trim(country)), '') AS country, CAST(signup_ts AS timestamp) AS signup_ts,
      CAST(updated_at AS timestamp) AS updated_at,
      row_number() OVER (PARTITION BY CAST(user_id AS bigint) ORDER BY CAST(updated_at AS timestamp) DESC) AS rn
    FROM ${silver_db}.users_staged
    WHERE reject_reason IS NULL
  )
  WHERE rn = 1
) s
ON t.user_id = s.user_id
WHEN MATCHED AND s.updated_at > t.updated_at THEN UPDATE SET
  email = s.email, full_name = s.full_name, ssn = s.ssn, country = s.country,
  signup_ts = s.signup_ts, updated_at = s.updated_at
WHEN NOT MATCHED THEN INSERT (user_id, email, full_name, ssn, country, signup_ts, updated_at)
  VALUES (s.user_id, s.email, s.full_name, s.ssn, s.country, s.signup_ts, s.updated_at);

DELETE FROM ${silver_db}.users_rejected;

INSERT INTO ${silver_db}.users_rejected
SELECT * FROM ${silver_db}.users_staged WHERE reject_reason IS NOT NULL;
