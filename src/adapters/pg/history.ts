import type { Queryable } from './db.js';
import type { BucketSeries } from './history-cache.js';
import { VALUE } from './value.js';

/** A metric's history in `buckets` averaged buckets over (now - span, now]. */
export async function history(
  db: Queryable,
  roadmapId: string,
  metric: string,
  spanMs: number,
  buckets: number,
  now: Date,
): Promise<{ at: Date; value: number }[]> {
  const bucketMs = Math.max(1000, Math.ceil(spanMs / buckets));
  const rows = await db.query<{ bucket: Date; value: number }>(
    `SELECT date_bin($3 * interval '1 millisecond', at, $4::timestamptz) AS bucket, avg(${VALUE}) AS value
       FROM metric_points
      WHERE roadmap_id = $1 AND metric = $2 AND at > $4::timestamptz - $5 * interval '1 millisecond' AND at <= $4
      GROUP BY 1 ORDER BY 1`,
    [roadmapId, metric, bucketMs, now, spanMs],
  );
  return rows.rows.map((r) => ({ at: r.bucket, value: r.value }));
}

/**
 * Averages of each metric in buckets of `bucketMs` aligned to the epoch, from `since` to
 * `until`, oldest first: what the history cache (history-cache.ts) reads. Each average adds
 * its points in key order, as the rollups (migration 0011, history-rollups.ts) do, so both
 * give the same bits whatever plan PostgreSQL picks.
 */
export async function historyBuckets(
  db: Queryable,
  roadmapId: string,
  metrics: string[],
  since: number,
  bucketMs: number,
  until: Date,
): Promise<Map<string, BucketSeries>> {
  const { rows } = await db.query<{ metric: string; start: Date; v: number }>(
    `SELECT metric, date_bin($4 * interval '1 millisecond', at, TIMESTAMPTZ 'epoch') AS start, avg(${VALUE} ORDER BY at, source) AS v
       FROM metric_points
      WHERE roadmap_id = $1 AND metric = ANY($2::text[]) AND at >= $3 AND at <= $5
      GROUP BY 1, 2 ORDER BY 1, 2`,
    [roadmapId, metrics, new Date(since), bucketMs, until],
  );
  const byMetric = new Map<string, { starts: number[]; values: number[] }>();
  for (const r of rows) {
    let series = byMetric.get(r.metric);
    if (!series) byMetric.set(r.metric, (series = { starts: [], values: [] }));
    series.starts.push(r.start.getTime());
    series.values.push(r.v);
  }
  return byMetric;
}
