-- Orders and revenue by status, with each status's share of all orders.
SELECT
  status, count(*) AS orders, sum(amount) AS revenue,
  round(100.0 * count(*) / sum(count(*)) OVER (), 1) AS pct_of_orders
FROM ${gold_db}.orders_enriched
GROUP BY status
ORDER BY orders DESC
