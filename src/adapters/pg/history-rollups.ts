import type pg from 'pg';
import { realDelay, type Delay } from '../../app/delay.js';
import type { Queryable } from './db.js';
import type { BucketSeries } from './history-cache.js';
import { VALUE } from './value.js';

/**
 * The rollups' bucket (migration 0011): ten minutes aligned to the epoch, 144 to a UTC day.
 * Forecast histories read in buckets of this size (FORECAST_BUCKET_MS) come from the rollups.
 */
export const ROLLUP_BUCKET_MS = 10 * 60_000;
const DAY_MS = 86_400_000;
const SLOTS = DAY_MS / ROLLUP_BUCKET_MS;

/** One statement, so the rollups, the marks and the points are read in one snapshot. */
const READ = `
WITH stale AS MATERIALIZED (
  SELECT DISTINCT metric, bucket FROM metric_rollups_stale
   WHERE roadmap_id = $1 AND metric = ANY($2::text[]) AND bucket >= $3 AND bucket < $4)
SELECT metric, day AS at, array_send(v) AS day, NULL::float8 AS v
  FROM metric_rollups
 WHERE roadmap_id = $1 AND metric = ANY($2::text[])
   AND day > $3::timestamptz - interval '1 day' AND day < $4
UNION ALL
SELECT s.metric, s.bucket, NULL,
       (SELECT avg(${VALUE} ORDER BY p.at, p.source) FROM metric_points p
         WHERE p.roadmap_id = $1 AND p.metric = s.metric
           AND p.at >= s.bucket AND p.at < s.bucket + interval '10 minutes')
  FROM stale s
UNION ALL
SELECT metric, date_bin('10 minutes', at, TIMESTAMPTZ 'epoch'), NULL, avg(${VALUE} ORDER BY at, source)
  FROM metric_points
 WHERE roadmap_id = $1 AND metric = ANY($2::text[]) AND at >= $4 AND at <= $5
 GROUP BY 1, 2`;

/**
 * historyBuckets (history.ts) for ten-minute buckets, the same rows to the last bit, read
 * mostly from the rollups: complete buckets from them (29 rows per metric for 28 days),
 * except those written since their rollup was computed (marked stale), which are read from
 * the points, as is the bucket still filling. `stale` says how many buckets were read so.
 * `since` must be a bucket start.
 */
export async function rollupBuckets(
  db: Queryable,
  roadmapId: string,
  metrics: string[],
  since: number,
  until: Date,
): Promise<{ buckets: Map<string, BucketSeries>; stale: number }> {
  const untilMs = until.getTime();
  const buckets = new Map<string, BucketSeries>();
  if (since % ROLLUP_BUCKET_MS !== 0)
    throw new RangeError('rollupBuckets: since is not a bucket start');
  if (metrics.length === 0 || untilMs < since) return { buckets, stale: 0 };
  // Buckets before `cut` are complete; the one starting there is still filling.
  const cut = Math.max(since, Math.floor(untilMs / ROLLUP_BUCKET_MS) * ROLLUP_BUCKET_MS);
  const { rows } = await db.query<{
    metric: string;
    at: Date;
    day: Buffer | null;
    v: number | null;
  }>(READ, [roadmapId, metrics, new Date(since), new Date(cut), until]);

  // Dense per metric: bucket i starts at since + i·bucket.
  const count = (cut - since) / ROLLUP_BUCKET_MS + 1;
  const series = new Map<string, { values: Float64Array; present: Uint8Array }>();
  const of = (metric: string) => {
    let s = series.get(metric);
    if (!s)
      series.set(metric, (s = { values: new Float64Array(count), present: new Uint8Array(count) }));
    return s;
  };
  let stale = 0;
  for (const row of rows) {
    if (row.day === null) continue;
    const s = of(row.metric);
    const dayStart = row.at.getTime();
    forEachSlot(row.day, (slot, v) => {
      const start = dayStart + slot * ROLLUP_BUCKET_MS;
      if (start < since || start >= cut) return;
      const i = (start - since) / ROLLUP_BUCKET_MS;
      s.values[i] = v;
      s.present[i] = 1;
    });
  }
  // Then the buckets read from the points: stale ones replace their rollup (or remove it, when
  // no point is left), and the one still filling.
  for (const row of rows) {
    if (row.day !== null) continue;
    const start = row.at.getTime();
    if (start < cut) stale++;
    const s = of(row.metric);
    const i = (start - since) / ROLLUP_BUCKET_MS;
    if (row.v === null) s.present[i] = 0;
    else {
      s.values[i] = row.v;
      s.present[i] = 1;
    }
  }
  // Compacted in place: the buckets with a value, as two columns (no object per bucket).
  for (const [metric, { values, present }] of series) {
    const starts = new Float64Array(count);
    let n = 0;
    for (let i = 0; i < count; i++) {
      if (!present[i]) continue;
      starts[n] = since + i * ROLLUP_BUCKET_MS;
      values[n++] = values[i] as number;
    }
    if (n > 0)
      buckets.set(metric, { starts: starts.subarray(0, n), values: values.subarray(0, n) });
  }
  return { buckets, stale };
}

/**
 * Calls `visit(slot, value)` for each non-null element of a float8[] in PostgreSQL's binary
 * array format (array_send): ndim, flags, element type, then per dimension its length and
 * lower bound, then each element as its byte length (-1 for NULL) and big-endian IEEE bytes.
 * Far cheaper than parsing 144 numbers from text per row.
 */
function forEachSlot(packed: Buffer, visit: (slot: number, v: number) => void): void {
  const view = new DataView(packed.buffer, packed.byteOffset, packed.byteLength);
  if (view.getInt32(0) !== 1) return; // an empty array (the table's CHECK rules it out)
  const length = view.getInt32(12);
  let offset = 20;
  for (let slot = 0; slot < length && slot < SLOTS; slot++) {
    const size = view.getInt32(offset);
    offset += 4;
    if (size < 0) continue;
    visit(slot, view.getFloat64(offset));
    offset += size;
  }
}

/**
 * Recomputes, from the points, the rollups of up to `limit` stale marks, and removes those
 * marks: one statement, so the marks removed are exactly those of writes whose points it read
 * (a write committed meanwhile keeps its mark). One refresher at a time across replicas (an
 * advisory lock, taken before that statement's snapshot, so each refresher sees the last one's
 * work): returns null when another holds it.
 */
export async function refreshRollups(
  pool: pg.Pool,
  limit: number,
): Promise<{ marks: number; buckets: number } | null> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const { rows: lock } = await client.query<{ locked: boolean }>(
      `SELECT pg_try_advisory_xact_lock(hashtext('roadmap-bot:rollups'), 0) AS locked`,
    );
    if (!lock[0]?.locked) {
      await client.query('ROLLBACK');
      return null;
    }
    const { rows } = await client.query<{ marks: number; buckets: number }>(
      `WITH taken AS (
         DELETE FROM metric_rollups_stale
          WHERE ctid = ANY (ARRAY(SELECT ctid FROM metric_rollups_stale LIMIT $1))
         RETURNING roadmap_id, metric, bucket),
       buckets AS (SELECT DISTINCT roadmap_id, metric, bucket FROM taken),
       fresh AS (
         SELECT b.roadmap_id, b.metric, date_bin('1 day', b.bucket, TIMESTAMPTZ 'epoch') AS day,
                extract(epoch FROM b.bucket - date_bin('1 day', b.bucket, TIMESTAMPTZ 'epoch'))::integer / 600 + 1 AS slot,
                (SELECT avg(${VALUE} ORDER BY p.at, p.source) FROM metric_points p
                  WHERE p.roadmap_id = b.roadmap_id AND p.metric = b.metric
                    AND p.at >= b.bucket AND p.at < b.bucket + interval '10 minutes') AS v
           FROM buckets b),
       changed AS (
         SELECT roadmap_id, metric, day, array_agg(slot) AS slots, array_agg(v) AS vals
           FROM fresh GROUP BY 1, 2, 3),
       days AS (
         SELECT c.roadmap_id, c.metric, c.day, roadmap_bot_rollup_day(r.v, c.slots, c.vals) AS v
           FROM changed c
           LEFT JOIN metric_rollups r
             ON r.roadmap_id = c.roadmap_id AND r.metric = c.metric AND r.day = c.day),
       kept AS (
         INSERT INTO metric_rollups (roadmap_id, metric, day, v)
         SELECT roadmap_id, metric, day, v FROM days WHERE cardinality(array_remove(v, NULL)) > 0
         ON CONFLICT (roadmap_id, metric, day) DO UPDATE SET v = EXCLUDED.v),
       emptied AS (
         DELETE FROM metric_rollups r USING days d
          WHERE r.roadmap_id = d.roadmap_id AND r.metric = d.metric AND r.day = d.day
            AND cardinality(array_remove(d.v, NULL)) = 0)
       SELECT (SELECT count(*) FROM taken)::int AS marks, (SELECT count(*) FROM buckets)::int AS buckets`,
      [limit],
    );
    await client.query('COMMIT');
    return rows[0] ?? { marks: 0, buckets: 0 };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

export interface RollupRefresherOptions {
  /**
   * Refresh once writes (and stale reads) have paused this long, so a burst is one refresh
   * (default 1 s).
   */
  delayMs?: number;
  /**
   * Under a steady stream of writes, refresh at the latest this long after the first of them
   * (default 10 s): the stream keeps the machine, and a bucket rewritten every second (points
   * arriving as they happen) is recomputed once per spell, not once a second.
   */
  maxDelayMs?: number;
  /** Marks per transaction (default 2,000: tens of milliseconds of work each). */
  batch?: number;
  /** A refresh failed (it is tried again at the next write or stale read). */
  onError?: (error: Error) => void;
  /** Waits in real time (default: an unref'd setTimeout) and the time they are measured on. */
  delay?: Delay;
  monotonic?: () => number;
}

/**
 * How long a scheduled refresh still waits (ms; 0 or less: now): until `delayMs` after the
 * last request, but no later than `maxDelayMs` after the first one of this spell.
 */
export function refreshWait(
  now: number,
  firstAsked: number,
  lastAsked: number,
  delayMs: number,
  maxDelayMs: number,
): number {
  return Math.min(lastAsked + delayMs, firstAsked + Math.max(delayMs, maxDelayMs)) - now;
}

/**
 * Keeps the rollups current in the background: `schedule()` after a write, or after a read
 * that found stale buckets, refreshes the marks once requests pause (see `refreshWait`), in
 * batches, until none are left (or another replica is at it). Reads are exact either way
 * (stale buckets are read from the points); this only keeps them fast.
 */
export class RollupRefresher {
  private cancelTimer: (() => void) | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = false;
  private firstAsked = 0;
  private lastAsked = 0;
  private readonly delayMs: number;
  private readonly maxDelayMs: number;
  private readonly batch: number;
  private readonly delay: Delay;
  private readonly monotonic: () => number;

  constructor(
    private readonly pool: pg.Pool,
    private readonly options: RollupRefresherOptions = {},
  ) {
    this.delayMs = options.delayMs ?? 1000;
    this.maxDelayMs = options.maxDelayMs ?? 10_000;
    this.batch = options.batch ?? 2000;
    this.delay = options.delay ?? realDelay;
    this.monotonic = options.monotonic ?? (() => performance.now());
  }

  schedule(): void {
    if (this.stopped) return;
    const now = this.monotonic();
    this.lastAsked = now;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.cancelTimer) return; // the timer looks at lastAsked when it fires
    this.firstAsked = now;
    this.arm(this.delayMs);
  }

  private arm(ms: number): void {
    this.cancelTimer = this.delay(ms, () => {
      this.cancelTimer = undefined;
      const wait = refreshWait(
        this.monotonic(),
        this.firstAsked,
        this.lastAsked,
        this.delayMs,
        this.maxDelayMs,
      );
      if (wait > 0) this.arm(wait);
      else void this.run();
    });
  }

  /** A refresh is scheduled or running. */
  get pending(): boolean {
    return this.cancelTimer !== undefined || this.running !== undefined;
  }

  /**
   * Refreshes every stale mark now, in place of one scheduled (another replica may be
   * refreshing: then it stops).
   */
  run(): Promise<void> {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    if (this.running) return this.running;
    this.again = false;
    this.running = (async () => {
      try {
        for (;;) {
          const done = await refreshRollups(this.pool, this.batch);
          if (!done || done.marks < this.batch || this.stopped) break;
        }
      } catch (error) {
        if (!this.stopped) this.options.onError?.(error as Error);
      }
    })().finally(() => {
      this.running = undefined;
      if (this.again) this.schedule();
    });
    return this.running;
  }

  /** Resolves when no refresh is running (one may still be scheduled). */
  async settled(): Promise<void> {
    await this.running;
  }

  /** No more refreshes (shutdown); one running finishes on its own. */
  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }
}
