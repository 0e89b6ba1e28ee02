-- Gold: what analysts query. Users with their order totals (ssn kept here: Lake Formation
-- decides who sees it), orders joined to users, and revenue per day and country.

CREATE TABLE IF NOT EXISTS ${gold_db}.users (
  user_id bigint, email string, full_name string, ssn string, country string, signup_ts timestamp,
  order_count bigint, lifetime_value decimal(12, 2), last_order_ts timestamp
)
LOCATION 's3://${gold_bucket}/users/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${gold_db}.orders_enriched (
  order_id bigint, order_ts timestamp, order_date date, user_id bigint, email string, country string,
  amount decimal(10, 2), status string
)
LOCATION 's3://${gold_bucket}/orders_enriched/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

CREATE TABLE IF NOT EXISTS ${gold_db}.daily_revenue (
  order_date date, country string, orders bigint, revenue decimal(12, 2)
)
LOCATION 's3://${gold_bucket}/daily_revenue/'
TBLPROPERTIES ('table_type' = 'ICEBERG', 'format' = 'parquet');

MERGE INTO ${gold_db}.users t
USING (
  SELECT
    u.user_id, u.email, u.full_name, u.ssn, coalesce(u.country, 'unknown') AS country, u.signup_ts,
    count(o.order_id) AS order_count,
    CAST(coalesce(sum(o.amount), 0) AS decimal(12, 2)) AS lifetime_value,
    max(o.order_ts) AS last_order_ts
  FROM ${silver_db}.users u
  LEFT JOIN ${silver_db}.orders o ON o.user_id = u.user_id AND o.status <> 'cancelled'
  GROUP BY u.user_id, u.email, u.full_name, u.ssn, u.country, u.signup_ts
) s
ON t.user_id = s.user_id
WHEN MATCHED THEN UPDATE SET
  email = s.email, full_name = s.full_name, ssn = s.ssn, country = s.country, signup_ts = s.signup_ts,
  order_count = s.order_count, lifetime_value = s.lifetime_value, last_order_ts = s.last_order_ts
WHEN NOT MATCHED THEN INSERT (user_id, email, full_name, ssn, country, signup_ts, order_count, lifetime_value, last_order_ts)
  VALUES (s.user_id, s.email, s.full_name, s.ssn, s.country, s.signup_ts, s.order_count, s.lifetime_value, s.last_order_ts);

MERGE INTO ${gold_db}.orders_enriched t
USING (
  SELECT
    o.order_id, o.order_ts, CAST(o.order_ts AS date) AS order_date, o.user_id, u.email,
    coalesce(u.country, 'unknown') AS country, o.amount, o.status
  FROM ${silver_db}.orders o
  JOIN ${silver_db}.users u ON u.user_id = o.user_id
) s
ON t.order_id = s.order_id
WHEN MATCHED THEN UPDATE SET
  order_ts = s.order_ts, order_date = s.order_date, user_id = s.user_id, email = s.email, country = s.country,
  amount = s.amount, status = s.status
WHEN NOT MATCHED THEN INSERT (order_id, order_ts, order_date, user_id, email, country, amount, status)
  VALUES (s.order_id, s.order_ts, s.order_date, s.user_id, s.email, s.country, s.amount, s.status);

-- A day and country whose orders all moved away (an order updated or cancelled) has no row any more.
DELETE FROM ${gold_db}.daily_revenue
WHERE concat(CAST(order_date AS varchar), '|', country) NOT IN (
  SELECT concat(CAST(order_date AS varchar), '|', country) FROM ${gold_db}.orders_enriched WHERE status <> 'cancelled'
);

MERGE INTO ${gold_db}.daily_revenue t
USING (
  SELECT order_date, country, count(*) AS orders, CAST(sum(amount) AS decimal(12, 2)) AS revenue
  FROM ${gold_db}.orders_enriched
  WHERE status <> 'cancelled'
  GROUP BY order_date, country
) s
ON t.order_date = s.order_date AND t.country = s.country
WHEN MATCHED THEN UPDATE SET orders = s.orders, revenue = s.revenue
WHEN NOT MATCHED THEN INSERT (order_date, country, orders, revenue) VALUES (s.order_date, s.country, s.orders, s.revenue);
