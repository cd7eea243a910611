-- The Acme policy (policies/acme.policy) written by hand for DuckDB over *typed* tables: the
-- baseline of bench_sql.py's typed Parquet runs. As handwritten_acme.sql, but the leads'
-- numbers are DOUBLE, `is_customer` BOOLEAN, and the activities' `at` TIMESTAMPTZ and
-- `minutes` DOUBLE: read as they are, no casts. Its decisions (stage, engagement, fit, grade)
-- equal the engine's on the benchmark's typed leads; bench_sql.py counts them after the runs.
WITH l AS (
  SELECT id, nullif(lower(trim(stage)), '') AS previous_stage,
         lower(trim(email)) AS email, lower(trim(seniority)) AS seniority,
         company_size, lower(trim(industry)) AS industry,
         budget, timeline_days,
         nullif(lower(trim(sales_status)), '') AS sales_status,
         coalesce(is_customer, false) AS is_customer
  FROM leads
), a AS (
  SELECT lead_id, lower(trim(type)) AS type, lower(trim(path)) AS path, lower(trim(form)) AS form,
         minutes,
         epoch_us($as_of::TIMESTAMPTZ) - epoch_us("at") AS age
  FROM activities
), e AS (
  SELECT lead_id,
    least(50, sum(CASE WHEN type = 'page_view' AND starts_with(path, '/blog') AND age <= 90 * 86400000000 THEN 5 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END)) AS blog,
    least(60, sum(CASE WHEN type = 'page_view' AND path = '/pricing' AND age <= 30 * 86400000000 THEN 20 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END)) AS pricing,
    sum(CASE WHEN type = 'form_submit' AND form = 'ebook' THEN 15 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END) AS ebook,
    sum(CASE WHEN type = 'webinar' AND minutes >= 20 THEN 30 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END) AS webinar,
    least(100, sum(CASE WHEN type = 'form_submit' AND form = 'demo' THEN 100 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END)) AS demo,
    greatest(-50, sum(CASE WHEN type = 'unsubscribe' THEN -50 * pow(0.5, age // (30 * 86400000000)) ELSE 0 END)) AS unsub,
    count(*) FILTER (WHERE type = 'form_submit' AND form = 'demo' AND age <= 14 * 86400000000) AS demo_14,
    count(*) FILTER (WHERE age <= 30 * 86400000000
                     AND type IN ('page_view', 'form_submit', 'email_click', 'webinar', 'unsubscribe', 'chat')) AS any_30
  FROM a WHERE age >= 0 GROUP BY lead_id
), s AS (
  SELECT l.*, coalesce(blog, 0) + coalesce(pricing, 0) + coalesce(ebook, 0) + coalesce(webinar, 0)
              + coalesce(demo, 0) + coalesce(unsub, 0) AS engagement,
         (CASE WHEN budget >= 10000 THEN 25 ELSE 0 END) + (CASE WHEN seniority IN ('director', 'vp', 'cxo') THEN 25 ELSE 0 END)
         + (CASE WHEN seniority = 'manager' THEN 10 ELSE 0 END) + (CASE WHEN industry IN ('saas', 'fintech') THEN 20 ELSE 0 END)
         + (CASE WHEN company_size >= 200 THEN 15 ELSE 0 END) + (CASE WHEN timeline_days <= 90 THEN 15 ELSE 0 END)
         + (CASE WHEN ends_with(email, '@gmail.com') OR ends_with(email, '@yahoo.com') THEN -30 ELSE 0 END)
         -- a missing value fails its test: each signal is false, not NULL
         + (CASE WHEN coalesce(budget >= 10000, false)::INT + coalesce(seniority IN ('director', 'vp', 'cxo'), false)::INT
                      + coalesce(industry IN ('saas', 'fintech'), false)::INT + coalesce(timeline_days <= 90, false)::INT >= 3
                 THEN 10 ELSE 0 END) AS fit,
         coalesce(demo_14, 0) AS demo_14, coalesce(any_30, 0) AS any_30
  FROM l LEFT JOIN e ON e.lead_id = l.id
), q AS (  -- the qualified stage (0 lead, 1 mql, 2 sql) and the previous one
  SELECT *,
         CASE WHEN engagement >= 60 AND fit >= 40 AND (demo_14 > 0 OR sales_status = 'accepted') THEN 2
              WHEN engagement >= 60 AND fit >= 40 THEN 1 ELSE 0 END AS qualified,
         CASE previous_stage WHEN 'lead' THEN 0 WHEN 'mql' THEN 1 WHEN 'sql' THEN 2 END AS previous_index,
         coalesce(ends_with(email, '@rival.example'), false) OR is_customer
           OR coalesce(sales_status = 'disqualified', false) AS disqualified
  FROM s
), d AS (  -- sticky stages: "Went quiet" (sql -> mql), then "Engagement faded" (mql -> lead)
  SELECT *,
         CASE WHEN previous_index = 2 AND qualified < 2 AND any_30 = 0
                   AND sales_status IS DISTINCT FROM 'accepted'  -- `!=` holds for a missing status
              THEN greatest(1, qualified) ELSE previous_index END AS after_quiet
  FROM q
), f AS (
  SELECT *,
         CASE WHEN after_quiet = 1 AND qualified < 1 AND engagement < 30 THEN 0 ELSE after_quiet END AS held
  FROM d
)
SELECT id, previous_stage, engagement, fit,
       CASE WHEN fit >= 70 THEN 'A' WHEN fit >= 45 THEN 'B' WHEN fit >= 20 THEN 'C' ELSE 'D' END AS grade,
       CASE WHEN disqualified THEN 'disqualified'
            ELSE ['lead', 'mql', 'sql'][1 + CASE WHEN previous_index > qualified THEN held ELSE qualified END] END AS stage
FROM f ORDER BY id
