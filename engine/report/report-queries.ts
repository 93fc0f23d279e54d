/**
 * The report's SQL over the sealed store (report-store.ts), each query for all rules and versions at
 * once (GROUP BY rule_id, rule_version), so building the page is a fixed number of scans however many
 * rules there are. Counts rely on the store's one-row-per-record-id: a journey has one enter and at most
 * one converted record, so count(*) is a count of journeys.
 */

/** Entered and converted journeys per group. */
export const GROUPS_SQL = `
  SELECT rule_id, rule_version, grp,
    count(*) FILTER (kind = 'enter') AS entered,
    count(*) FILTER (kind = 'converted') AS converted
  FROM journey_events GROUP BY ALL`;

/** Each action step: sent, skipped by reason, outcome unknown; ordered by where it first happens. */
export const STEPS_SQL = `
  SELECT rule_id, rule_version, step_id, kind, coalesce(reason, '') AS reason, channel, count(*) AS n, min(seq) AS first_seq
  FROM journey_events WHERE kind IN ('step_sent', 'step_skipped', 'step_outcome_unknown')
  GROUP BY rule_id, rule_version, step_id, kind, reason, channel`;

/** Journeys with at least one tracked click on one of their messages (engagement events carry the journey id). */
export const CLICKED_SQL = `
  SELECT j.rule_id, j.rule_version, j.grp, count(DISTINCT b.journey_id) AS clicked
  FROM behavior_events b JOIN journeys j ON j.journey_id = b.journey_id
  WHERE b.event IN ('email_clicked', 'sms_clicked') GROUP BY ALL`;

/**
 * Treatment journeys per split variant, entered and converted: the enter records' variants (JSON of
 * split id → variant, read as a MAP: a third of json_each's cost) joined to their journey by jn, its row.
 */
export const VARIANTS_SQL = `
  SELECT e.rule_id, e.rule_version, e.v.key AS split_id, e.v.value AS variant, count(*) AS entered, count(j.converted_ms) AS converted
  FROM (SELECT rowid AS jn, rule_id, rule_version, unnest(map_entries(json_transform(variants, '"MAP(VARCHAR, VARCHAR)"'))) AS v
        FROM journey_events WHERE kind = 'enter' AND grp = 'treatment' AND variants <> '{}') e
  JOIN journeys j USING (jn) GROUP BY ALL`;

/** Upper bounds (ms) of the time-to-convert histogram's buckets; the last bucket is everything above. */
export const TIME_TO_CONVERT_BUCKETS: readonly { label: string; upToMs: number }[] = [
  { label: '< 1 h', upToMs: 3_600_000 },
  { label: '1–6 h', upToMs: 6 * 3_600_000 },
  { label: '6–24 h', upToMs: 24 * 3_600_000 },
  { label: '1–2 d', upToMs: 2 * 86_400_000 },
  { label: '2–3 d', upToMs: 3 * 86_400_000 },
  { label: '3–7 d', upToMs: 7 * 86_400_000 },
  { label: '7–14 d', upToMs: 14 * 86_400_000 },
  { label: '≥ 14 d', upToMs: Number.POSITIVE_INFINITY },
];
const bucketCase = `CASE ${TIME_TO_CONVERT_BUCKETS.slice(0, -1).map((b, i) => `WHEN time_to_convert_ms < ${b.upToMs} THEN ${i}`).join(' ')} ELSE ${TIME_TO_CONVERT_BUCKETS.length - 1} END`;

export const TIME_TO_CONVERT_SQL = `
  SELECT rule_id, rule_version, grp, ${bucketCase} AS bucket, count(*) AS n
  FROM journey_events WHERE kind = 'converted' GROUP BY ALL`;

export const TIME_TO_CONVERT_QUANTILES_SQL = `
  SELECT rule_id, rule_version, quantile_disc(time_to_convert_ms, 0.5) AS median_ms, quantile_disc(time_to_convert_ms, 0.9) AS p90_ms
  FROM journey_events WHERE kind = 'converted' GROUP BY ALL`;

/** Hourly buckets for a rule whose entries span at most 3 days (a backtest, a fresh launch), daily above. */
export const OVER_TIME_SQL = `
  WITH spans AS (
    SELECT rule_id, rule_version, CASE WHEN max(at_ms) - min(at_ms) <= 3 * 86400000 THEN 3600000 ELSE 86400000 END AS width
    FROM journey_events WHERE kind = 'enter' GROUP BY ALL)
  SELECT e.rule_id, e.rule_version, s.width, (e.at_ms // s.width) * s.width AS t,
    count(*) FILTER (e.kind = 'enter') AS entries, count(*) FILTER (e.kind = 'converted') AS conversions
  FROM journey_events e JOIN spans s USING (rule_id, rule_version)
  WHERE e.kind IN ('enter', 'converted') GROUP BY ALL ORDER BY t`;

/** How far before entry the behavior that led into it is looked for. */
export const PATH_LOOKBACK_MS = 7 * 86_400_000;
/** Events per path (the anchor, entered or converted, comes on top). */
export const PATH_EVENTS = 3;
export const TOP_PATHS = 10;

/**
 * The last PATH_EVENTS behavior events of the person up to entry (within PATH_LOOKBACK_MS), and the last
 * PATH_EVENTS between entry and conversion: the most common sequences per rule and version.
 */
export const PATHS_SQL = `
  -- Grouped by the journey's integer key jn (not its id and rule strings): the join with the behavior
  -- events is the report's largest; max_by(event, at, n) takes the n latest events as one aggregate
  -- (no window over the join), newest first.
  WITH before_entry AS (
    SELECT j.jn, any_value(j.rule_id) AS rule_id, any_value(j.rule_version) AS rule_version, list_reverse(max_by(b.event, b.at_ms, ${PATH_EVENTS})) AS path
    FROM journeys j JOIN behavior_events b ON b.person_id = j.person_id AND b.at_ms <= j.entered_ms AND b.at_ms > j.entered_ms - ${PATH_LOOKBACK_MS}
    GROUP BY j.jn),
  converted_journeys AS (SELECT jn, person_id, rule_id, rule_version, entered_ms, converted_ms FROM journeys WHERE converted_ms IS NOT NULL),
  to_conversion AS (
    SELECT j.jn, list_reverse(max_by(b.event, b.at_ms, ${PATH_EVENTS})) AS path
    FROM converted_journeys j JOIN behavior_events b ON b.person_id = j.person_id AND b.at_ms > j.entered_ms AND b.at_ms < j.converted_ms
    GROUP BY j.jn),
  sequences AS (
    SELECT 'into_entry' AS direction, rule_id, rule_version, path FROM before_entry
    UNION ALL
    SELECT 'to_conversion', j.rule_id, j.rule_version, coalesce(t.path, [])
    FROM converted_journeys j LEFT JOIN to_conversion t USING (jn)),
  counted AS (SELECT direction, rule_id, rule_version, path, count(*) AS n FROM sequences GROUP BY ALL)
  SELECT * FROM counted
  QUALIFY row_number() OVER (PARTITION BY direction, rule_id, rule_version ORDER BY n DESC, path::VARCHAR) <= ${TOP_PATHS}
  ORDER BY direction, rule_id, rule_version, n DESC, path::VARCHAR`;
