-- Silver orders: typed, validated against silver users, one row per order_id, always.
-- Same shape as silver users: every bronze row classified once in orders_staged, the valid ones
-- merged, the others kept in orders_rejected with the reason.
--
-- One row per key: among a batch's valid lines of one order_id the newest order_ts wins, on a tie
-- the later line. Lines identical to the winner collapse into it; the others are refused as
-- 'duplicate key, superseded by line N'. Across batches the newer order_ts wins, on a tie the newer
-- batch (a status update); a winner older than the row Silver holds is refused as such.

DROP TABLE IF EXISTS ${silver_db}.orders_staged;

CREATE TABLE ${silver_db}.orders_staged (
  source_file string, source_line bigint, order_id string, user_id string, order_ts string, amount string,
  status string, reject_reason string
)
LOCATION 's3://${silver_bucket}/orders_staged/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.orders (
  order_id bigint, user_id bigint, order_ts timestamp, amount decimal(10, 2), status string
)
PARTITIONED BY (month(order_ts))
LOCATION 's3://${silver_bucket}/orders/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

DROP TABLE IF EXISTS ${silver_db}.orders_rejected;

CREATE TABLE ${silver_db}.orders_rejected (
  source_file string, source_line bigint, order_id string, user_id string, order_ts string, amount string,
  status string, reject_reason string
)
LOCATION 's3://${silver_bucket}/orders_rejected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

INSERT INTO ${silver_db}.orders_staged
WITH checked AS (
  SELECT
    o."$path" AS source_file, try_cast(o.source_line AS bigint) AS source_line,
    o.order_id, o.user_id, o.order_ts, o.amount, o.status,
    try_cast(o.order_id AS bigint) AS key, try_cast(o.order_ts AS timestamp) AS version,
    CASE
      WHEN try_cast(o.order_id AS bigint) IS NULL THEN 'order_id missing or not a number'
      WHEN try_cast(o.amount AS decimal(10, 2)) IS NULL THEN 'amount missing or not a decimal'
      WHEN try_cast(o.amount AS decimal(10, 2)) < 0 THEN 'amount negative'
      WHEN try_cast(o.order_ts AS timestamp) IS NULL THEN 'order_ts missing or malformed'
      WHEN o.status IS NULL OR o.status NOT IN ('placed', 'shipped', 'completed', 'cancelled') THEN 'status unknown'
      WHEN u.user_id IS NULL THEN 'user_id unknown'
    END AS invalid,
    -- The typed values Silver would hold, as one string: equal means an identical duplicate.
    concat_ws(chr(31),
      CAST(try_cast(o.user_id AS bigint) AS varchar), CAST(try_cast(o.order_ts AS timestamp) AS varchar),
      CAST(try_cast(o.amount AS decimal(10, 2)) AS varchar), o.status
    ) AS fingerprint
  FROM ${bronze_db}.orders_csv o
  LEFT JOIN (SELECT DISTINCT user_id FROM ${silver_db}.users) u ON u.user_id = try_cast(o.user_id AS bigint)
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
  r.source_file, r.source_line, r.order_id, r.user_id, r.order_ts, r.amount, r.status,
  CASE
    WHEN r.invalid IS NOT NULL THEN r.invalid
    WHEN r.fingerprint <> r.winner_fingerprint
      THEN concat('duplicate key, superseded by line ', CAST(r.winner_line AS varchar))
    WHEN s.order_ts > r.version THEN 'older than the row silver holds (a newer order_ts)'
  END
FROM ranked r
LEFT JOIN (
  SELECT order_id, max(order_ts) AS order_ts FROM ${silver_db}.orders GROUP BY order_id
) s ON s.order_id = r.key;

MERGE INTO ${silver_db}.orders t
USING (
  SELECT order_id, user_id, order_ts, amount, status
  FROM (
    SELECT
      CAST(order_id AS bigint) AS order_id, CAST(user_id AS bigint) AS user_id,
      CAST(order_ts AS timestamp) AS order_ts, CAST(amount AS decimal(10, 2)) AS amount, status,
      row_number() OVER (PARTITION BY CAST(order_id AS bigint) ORDER BY source_line DESC) AS rn
    FROM ${silver_db}.orders_staged
    WHERE reject_reason IS NULL
  )
  WHERE rn = 1
) s
ON t.order_id = s.order_id
WHEN MATCHED AND (
  t.user_id IS DISTINCT FROM s.user_id OR t.order_ts IS DISTINCT FROM s.order_ts
  OR t.amount IS DISTINCT FROM s.amount OR t.status IS DISTINCT FROM s.status
) THEN UPDATE SET user_id = s.user_id, order_ts = s.order_ts, amount = s.amount, status = s.status
WHEN NOT MATCHED THEN INSERT (order_id, user_id, order_ts, amount, status)
  VALUES (s.order_id, s.user_id, s.order_ts, s.amount, s.status);

INSERT INTO ${silver_db}.orders_rejected
SELECT * FROM ${silver_db}.orders_staged WHERE reject_reason IS NOT NULL;
