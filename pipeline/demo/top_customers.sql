-- The best customers per country: a join, an aggregate and a window function over Gold.
SELECT country, full_name, lifetime_value, rank_in_country
FROM (
  SELECT
    u.country, u.full_name, u.lifetime_value,
    rank() OVER (PARTITION BY u.country ORDER BY u.lifetime_value DESC) AS rank_in_country
  FROM ${gold_db}.users u
  WHERE u.order_count > 0
)
WHERE rank_in_country <= 3
ORDER BY country, rank_in_country
