-- Silver orders: typed, validated against silver users, one row per order id.
-- Same shape as silver users: classify once, merge the valid rows, keep the rejected ones.

CREATE TABLE IF NOT EXISTS ${silver_db}.orders_staged (
  source_file string, order_id string, user_id string, order_ts string, amount string, status string,
  reject_reason string
)
LOCATION 's3://${silver_bucket}/orders_staged/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.orders (
  order_id bigint, user_id bigint, order_ts timestamp, amount decimal(10, 2), status string
)
PARTITIONED BY (month(order_ts))
LOCATION 's3://${silver_bucket}/orders/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${silver_db}.orders_rejected (
  source_file string, order_id string, user_id string, order_ts string, amount string, status string,
  reject_reason string
)
LOCATION 's3://${silver_bucket}/orders_rejected/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

DELETE FROM ${silver_db}.orders_staged;

INSERT INTO ${silver_db}.orders_staged
SELECT
  o."$path", o.order_id, o.user_id, o.order_ts, o.amount, o.status,
  CASE
    WHEN o.status IS NULL THEN 'line has too few fields'
    WHEN try_cast(o.order_id AS bigint) IS NULL THEN 'order_id missing or not a number'
    WHEN try_cast(o.amount AS decimal(10, 2)) IS NULL THEN 'amount missing or not a decimal'
    WHEN try_cast(o.amount AS decimal(10, 2)) < 0 THEN 'amount negative'
    WHEN try_cast(o.order_ts AS timestamp) IS NULL THEN 'order_ts missing or malformed'
    WHEN o.status NOT IN ('placed', 'shipped', 'completed', 'cancelled') THEN 'status unknown'
    WHEN u.user_id IS NULL THEN 'user_id unknown'
  END
FROM ${bronze_db}.orders_csv o
LEFT JOIN ${silver_db}.users u ON u.user_id = try_cast(o.user_id AS bigint);

MERGE INTO ${silver_db}.orders t
USING (
  SELECT DISTINCT
    CAST(order_id AS bigint) AS order_id, CAST(user_id AS bigint) AS user_id, CAST(order_ts AS timestamp) AS order_ts,
    CAST(amount AS decimal(10, 2)) AS amount, status
  FROM ${silver_db}.orders_staged
  WHERE reject_reason IS NULL
) s
ON t.order_id = s.order_id
WHEN MATCHED AND (t.status <> s.status OR t.amount <> s.amount) THEN UPDATE SET status = s.status, amount = s.amount
WHEN NOT MATCHED THEN INSERT (order_id, user_id, order_ts, amount, status)
  VALUES (s.order_id, s.user_id, s.order_ts, s.amount, s.status);

DELETE FROM ${silver_db}.orders_rejected;

INSERT INTO ${silver_db}.orders_rejected
SELECT * FROM ${silver_db}.orders_staged WHERE reject_reason IS NOT NULL;
