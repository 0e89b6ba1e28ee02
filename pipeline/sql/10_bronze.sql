-- Bronze: the landed CSV files as they are, every column a string (OpenCSVSerde).
-- The folder, not a file, is the table: every load of users.csv lands under raw/users/.

CREATE EXTERNAL TABLE IF NOT EXISTS ${bronze_db}.users_csv (
  user_id string, email string, full_name string, ssn string, country string, signup_ts string, updated_at string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
LOCATION 's3://${bronze_bucket}/raw/users/'
TBLPROPERTIES ('skip.header.line.count' = '1');

CREATE EXTERNAL TABLE IF NOT EXISTS ${bronze_db}.orders_csv (
  order_id string, user_id string, order_ts string, amount string, status string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
LOCATION 's3://${bronze_bucket}/raw/orders/'
TBLPROPERTIES ('skip.header.line.count' = '1');
