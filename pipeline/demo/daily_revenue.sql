-- Revenue per day and country, newest first (the query exit check 2 asserts a row of).
SELECT order_date, country, orders, revenue
FROM ${gold_db}.daily_revenue
ORDER BY order_date DESC, country
LIMIT 20
