-- Bronze: the landed lines as they arrived, every column a string (OpenCSVSerde), plus the line
-- of the file each row comes from (landing appends it; lines that do not fit the header never
-- get here, they are in the landing report). Rebuilt every run: it is only a view of the folder.

DROP TABLE IF EXISTS ${bronze_db}.users_csv;

CREATE EXTERNAL TABLE ${bronze_db}.users_csv (
  user_id string, email string, full_name string, ssn string, country string, signup_ts string, updated_at string,
  source_line string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
LOCATION 's3://${bronze_bucket}/raw/users/'
TBLPROPERTIES ('skip.header.line.count' = '1');

DROP TABLE IF EXISTS ${bronze_db}.orders_csv;

CREATE EXTERNAL TABLE ${bronze_db}.orders_csv (
  order_id string, user_id string, order_ts string, amount string, status string, source_line string
)
ROW FORMAT SERDE 'org.apache.hadoop.hive.serde2.OpenCSVSerde'
WITH SERDEPROPERTIES ('separatorChar' = ',', 'quoteChar' = '"')
LOCATION 's3://${bronze_bucket}/raw/orders/'
TBLPROPERTIES ('skip.header.line.count' = '1');
