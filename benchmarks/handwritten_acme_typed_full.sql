-- The Acme policy (policies/acme.policy) by hand for DuckDB over *typed* tables, with the
-- engine's whole output contract: handwritten_acme_full.sql (the full-contract baseline,
-- docs/performance.md session 18) reading the columns bench_sql.typed_tables writes, as
-- handwritten_acme_typed.sql reads them: the leads' numbers DOUBLE, `is_customer` BOOLEAN,
-- `created` and the activities' `at` TIMESTAMPTZ, `minutes` DOUBLE, used as they are, no
-- casts. A typed cell can hold no unreadable value but a non-finite double, so the data
-- errors are the text columns' (enums, type, previous stage), a missing `at`, and NaN or
-- infinity in a number. Written in DuckDB's own idiom, as the text-column one is: ASCII
-- trimming, unordered float sums, the hits concatenated as text. On the benchmark's typed
-- leads its rows equal the engine's, column for column (bench_sql.py compares them).
WITH l AS (
  SELECT id, nullif(lower(trim(stage)), '') AS previous_stage,
         lower(trim(email)) AS email, lower(trim(seniority)) AS seniority,
         company_size, lower(trim(industry)) AS industry,
         budget, timeline_days,
         nullif(lower(trim(sales_status)), '') AS sales_status,
         coalesce(is_customer, false) AS is_customer,
         -- the first field, in declaration order, that holds text its type cannot read
         CASE WHEN trim(seniority) <> '' AND lower(trim(seniority)) NOT IN ('ic', 'manager', 'director', 'vp', 'cxo') THEN 'seniority'
              WHEN NOT isfinite(company_size) THEN 'company_size'
              WHEN trim(industry) <> '' AND lower(trim(industry)) NOT IN ('saas', 'fintech', 'healthcare', 'retail', 'other') THEN 'industry'
              WHEN NOT isfinite(budget) THEN 'budget'
              WHEN NOT isfinite(timeline_days) THEN 'timeline_days'
              WHEN trim(sales_status) <> '' AND lower(trim(sales_status)) NOT IN ('open', 'accepted', 'rejected', 'disqualified') THEN 'sales_status'
         END AS field_error
  FROM leads
), a AS (
  SELECT lead_id, "at" AS seq, lower(trim(type)) AS type, lower(trim(path)) AS path, lower(trim(form)) AS form,
         minutes,
         epoch_us($as_of::TIMESTAMPTZ) - epoch_us("at") AS age,
         CASE WHEN coalesce(trim(type), '') = '' THEN 'type'
              WHEN lower(trim(type)) NOT IN ('page_view', 'form_submit', 'email_click', 'webinar', 'unsubscribe', 'chat') THEN NULL
              WHEN "at" IS NULL THEN lower(trim(type)) || '.at'
              WHEN lower(trim(type)) = 'webinar' AND NOT isfinite(minutes) THEN 'webinar.minutes'
         END AS error
  FROM activities
), m AS (  -- each rule's match (an activity after as_of, age < 0, is checked but never counted)
  SELECT lead_id, seq, error, age, age // (30 * 86400000000) AS halvings,
         age >= 0 AND type = 'page_view' AND starts_with(path, '/blog') AND age <= 90 * 86400000000 AS blog,
         age >= 0 AND type = 'page_view' AND path = '/pricing' AND age <= 30 * 86400000000 AS pricing,
         age >= 0 AND type = 'form_submit' AND form = 'ebook' AS ebook,
         age >= 0 AND type = 'webinar' AND minutes >= 20 AS webinar,
         age >= 0 AND type = 'form_submit' AND form = 'demo' AS demo,
         age >= 0 AND type = 'unsubscribe' AS unsub,
         age >= 0 AND type = 'form_submit' AND form = 'demo' AND age <= 14 * 86400000000 AS demo_14,
         age >= 0 AND age <= 30 * 86400000000
           AND type IN ('page_view', 'form_submit', 'email_click', 'webinar', 'unsubscribe', 'chat') AS any_30
  FROM a
), e AS (
  SELECT lead_id,
    least(50, sum(CASE WHEN blog THEN 5 * pow(0.5, halvings) ELSE 0 END)) AS blog, count(*) FILTER (WHERE blog) AS blog_n,
    least(60, sum(CASE WHEN pricing THEN 20 * pow(0.5, halvings) ELSE 0 END)) AS pricing, count(*) FILTER (WHERE pricing) AS pricing_n,
    sum(CASE WHEN ebook THEN 15 * pow(0.5, halvings) ELSE 0 END) AS ebook, count(*) FILTER (WHERE ebook) AS ebook_n,
    sum(CASE WHEN webinar THEN 30 * pow(0.5, halvings) ELSE 0 END) AS webinar, count(*) FILTER (WHERE webinar) AS webinar_n,
    least(100, sum(CASE WHEN demo THEN 100 * pow(0.5, halvings) ELSE 0 END)) AS demo, count(*) FILTER (WHERE demo) AS demo_n,
    greatest(-50, sum(CASE WHEN unsub THEN -50 * pow(0.5, halvings) ELSE 0 END)) AS unsub, count(*) FILTER (WHERE unsub) AS unsub_n,
    count(*) FILTER (WHERE demo_14) AS demo_14, count(*) FILTER (WHERE any_30) AS any_30,
    arg_min(error, seq) FILTER (WHERE error IS NOT NULL) AS act_error
  FROM m GROUP BY lead_id
), s AS (
  SELECT l.*, coalesce(blog, 0) AS blog, coalesce(pricing, 0) AS pricing, coalesce(ebook, 0) AS ebook,
         coalesce(webinar, 0) AS webinar, coalesce(demo, 0) AS demo, coalesce(unsub, 0) AS unsub,
         blog_n, pricing_n, ebook_n, webinar_n, demo_n, unsub_n, act_error,
         coalesce(budget >= 10000, false) AS f_budget, coalesce(seniority IN ('director', 'vp', 'cxo'), false) AS f_maker,
         coalesce(seniority = 'manager', false) AS f_influencer, coalesce(industry IN ('saas', 'fintech'), false) AS f_industry,
         coalesce(company_size >= 200, false) AS f_size, coalesce(timeline_days <= 90, false) AS f_timeline,
         coalesce(ends_with(email, '@gmail.com') OR ends_with(email, '@yahoo.com'), false) AS f_free,
         coalesce(demo_14, 0) AS demo_14, coalesce(any_30, 0) AS any_30
  FROM l LEFT JOIN e ON e.lead_id = l.id
), t AS (
  SELECT *, blog + pricing + ebook + webinar + demo + unsub AS engagement,
         f_budget::INT + f_maker::INT + f_industry::INT + f_timeline::INT >= 3 AS f_bant
  FROM s
), fit AS (
  SELECT *, 25 * f_budget::INT + 25 * f_maker::INT + 10 * f_influencer::INT + 20 * f_industry::INT
            + 15 * f_size::INT + 15 * f_timeline::INT - 30 * f_free::INT + 10 * f_bant::INT AS fit
  FROM t
), q AS (  -- the qualified stage (0 lead, 1 mql, 2 sql), the previous one, disqualification
  SELECT *,
         CASE WHEN engagement >= 60 AND fit >= 40 AND (demo_14 > 0 OR sales_status = 'accepted') THEN 2
              WHEN engagement >= 60 AND fit >= 40 THEN 1 ELSE 0 END AS qualified,
         CASE previous_stage WHEN 'lead' THEN 0 WHEN 'mql' THEN 1 WHEN 'sql' THEN 2 END AS previous_index,
         CASE WHEN ends_with(email, '@rival.example') THEN 'Competitor' WHEN is_customer THEN 'Already a customer'
              WHEN sales_status = 'disqualified' THEN 'Ruled out by sales' END AS disqualified_by,
         CASE WHEN previous_stage NOT IN ('lead', 'mql', 'sql', 'disqualified') THEN 'previous_stage' END AS stage_error
  FROM fit
), d AS (  -- sticky stages: "Went quiet" (sql -> mql), then "Engagement faded" (mql -> lead)
  SELECT *,
         CASE WHEN previous_index = 2 AND qualified < 2 AND any_30 = 0
                   AND sales_status IS DISTINCT FROM 'accepted'  -- `!=` holds for a missing status
              THEN greatest(1, qualified) ELSE previous_index END AS after_quiet
  FROM q
), f AS (
  SELECT *,
         CASE WHEN after_quiet = 1 AND qualified < 1 AND engagement < 30 THEN 0 ELSE after_quiet END AS held,
         coalesce(field_error, act_error, stage_error) AS error_field
  FROM d
), o AS (
  SELECT *,
         CASE WHEN disqualified_by IS NOT NULL THEN 3 WHEN previous_index > qualified THEN held ELSE qualified END AS now,
         CASE WHEN previous_stage = 'disqualified' THEN 3 ELSE previous_index END AS was
  FROM f
)
SELECT id,
       CASE WHEN error_field IS NULL THEN ['lead', 'mql', 'sql', 'disqualified'][1 + now] END AS stage,
       CASE WHEN error_field IS NULL THEN previous_stage END AS previous_stage,
       CASE WHEN error_field IS NOT NULL THEN NULL WHEN previous_stage IS NULL THEN 'new' WHEN now = was THEN 'unchanged'
            WHEN now = 3 THEN 'disqualified' WHEN was = 3 THEN 'requalified' WHEN now > was THEN 'promoted' ELSE 'demoted' END AS change,
       CASE WHEN error_field IS NULL THEN engagement END AS engagement,
       CASE WHEN error_field IS NULL THEN fit::DOUBLE END AS fit,
       CASE WHEN error_field IS NOT NULL THEN NULL WHEN fit >= 70 THEN 'A' WHEN fit >= 45 THEN 'B' WHEN fit >= 20 THEN 'C' ELSE 'D' END AS grade,
       CASE WHEN error_field IS NOT NULL THEN NULL WHEN disqualified_by IS NOT NULL THEN 'disqualified'
            WHEN NOT coalesce(previous_index > qualified, false) THEN 'qualified' WHEN held = previous_index THEN 'held' ELSE 'demoted' END AS reason_kind,
       CASE WHEN error_field IS NOT NULL THEN NULL WHEN disqualified_by IS NOT NULL THEN disqualified_by
            WHEN NOT coalesce(previous_index > qualified, false) THEN NULL WHEN held <> after_quiet THEN 'Engagement faded'
            WHEN after_quiet <> previous_index THEN 'Went quiet' END AS reason_rule,
       CASE WHEN error_field IS NULL THEN '[' || concat_ws(', ',
         CASE WHEN blog <> 0 THEN '{"section": "engagement", "rule": "Read a blog post", "points": ' || blog || ', "count": ' || blog_n || '}' END,
         CASE WHEN pricing <> 0 THEN '{"section": "engagement", "rule": "Visited pricing", "points": ' || pricing || ', "count": ' || pricing_n || '}' END,
         CASE WHEN ebook <> 0 THEN '{"section": "engagement", "rule": "Downloaded an e-book", "points": ' || ebook || ', "count": ' || ebook_n || '}' END,
         CASE WHEN webinar <> 0 THEN '{"section": "engagement", "rule": "Attended a webinar", "points": ' || webinar || ', "count": ' || webinar_n || '}' END,
         CASE WHEN demo <> 0 THEN '{"section": "engagement", "rule": "Requested a demo", "points": ' || demo || ', "count": ' || demo_n || '}' END,
         CASE WHEN unsub <> 0 THEN '{"section": "engagement", "rule": "Unsubscribed", "points": ' || unsub || ', "count": ' || unsub_n || '}' END,
         CASE WHEN f_budget THEN '{"section": "fit", "group": "budget", "rule": "Budget of $10k or more", "points": 25.0}' END,
         CASE WHEN f_maker THEN '{"section": "fit", "group": "authority", "rule": "Decision maker", "points": 25.0}' END,
         CASE WHEN f_influencer THEN '{"section": "fit", "group": "authority", "rule": "Influencer", "points": 10.0}' END,
         CASE WHEN f_industry THEN '{"section": "fit", "group": "need", "rule": "Target industry", "points": 20.0}' END,
         CASE WHEN f_size THEN '{"section": "fit", "group": "need", "rule": "Mid-market or larger", "points": 15.0}' END,
         CASE WHEN f_timeline THEN '{"section": "fit", "group": "timeline", "rule": "Buying this quarter", "points": 15.0}' END,
         CASE WHEN f_free THEN '{"section": "fit", "group": null, "rule": "Free email address", "points": -30.0}' END,
         CASE WHEN f_bant THEN '{"section": "fit", "group": null, "rule": "Three of four BANT signals", "points": 10.0}' END
       ) || ']' END AS hits,
       CASE WHEN error_field = 'type' THEN json_object('field', 'type', 'message', 'an activity has no text `type`')
            WHEN error_field = 'previous_stage' THEN json_object('field', 'previous_stage', 'message', 'the previous stage is not a stage of this policy')
            WHEN error_field LIKE '%.at' THEN json_object('field', error_field, 'message',
                 'activity `' || split_part(error_field, '.', 1) || '` time: missing or not an ISO 8601 date or timestamp')
            WHEN error_field LIKE '%.%' THEN json_object('field', error_field, 'message', 'activity `' || split_part(error_field, '.', 1)
                 || '` property `' || split_part(error_field, '.', 2) || '`: cannot be read as its declared type')
            WHEN error_field IS NOT NULL THEN json_object('field', error_field, 'message',
                 'field `' || error_field || '`: cannot be read as its declared type')
       END AS error
FROM o ORDER BY id
