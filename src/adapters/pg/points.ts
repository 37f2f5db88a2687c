import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type { PointInput, PointReads } from '../../app/ports/points.js';
import type { WindowAggregate } from '../../core/condition/evaluate.js';
import type { MetricPoint, Snapshot, WindowNeed } from '../../core/evaluate/report.js';
import { windowKey } from '../../core/evaluate/report.js';
import type { Queryable } from './db.js';
import { history } from './history.js';
import { VALUE } from './value.js';

/**
 * Upserts points on (roadmap, metric, time, source), in key order: concurrent writers of
 * overlapping keys then lock them in one order and cannot deadlock each other. A point with
 * the value already stored changes nothing; of repeated keys in `points` the last one wins.
 * Returns how many rows were new or changed.
 */
export async function upsertPoints(
  db: Queryable,
  points: readonly PointInput[],
  recordedAt: Date,
): Promise<number> {
  // `n` numbers the points as given, so the last of repeated keys wins (ON CONFLICT cannot
  // update one row twice in a statement).
  const result = await db.query(
    `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT DISTINCT ON (roadmap_id, metric, at, source) roadmap_id, metric, at, source, value, $6::timestamptz
         FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::float8[])
              WITH ORDINALITY AS p(roadmap_id, metric, at, source, value, n)
        ORDER BY roadmap_id, metric, at, source, n DESC
       ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
         SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
         WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
    [
      points.map((p) => p.roadmapId),
      points.map((p) => p.metric),
      points.map((p) => p.at),
      points.map((p) => p.source),
      points.map((p) => p.value),
      recordedAt,
    ],
  );
  return result.rowCount ?? 0;
}

/**
 * Bulk load on `client` (in the caller's transaction), streaming: rows are sent as `pass()`
 * yields them, so the caller's parsing runs alongside PostgreSQL's COPY, and no list of them
 * is kept. First COPY straight into metric_points (what psql \copy does), which holds when
 * every row is new: a backfill or a new period. A key already stored, written meanwhile, or
 * repeated stops it with a unique violation; then a savepoint undoes it and `pass()` is read
 * again, through a temporary table and one upsert, the last of repeated keys winning.
 * Returns how many rows were sent and how many were new or changed.
 */
export async function copyPoints(
  client: pg.ClientBase,
  pass: () => Iterable<PointInput>,
  recordedAt: Date,
): Promise<{ sent: number; stored: number }> {
  await client.query('SAVEPOINT import_fast');
  try {
    const copy = client.query(
      copyStreams.from(
        'COPY metric_points (roadmap_id, metric, at, source, value, recorded_at) FROM STDIN',
      ),
    );
    await pipeline(Readable.from(copyLines(pass(), recordedAt)), copy);
    await client.query('RELEASE SAVEPOINT import_fast');
    return { sent: copy.rowCount ?? 0, stored: copy.rowCount ?? 0 };
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await client.query('ROLLBACK TO SAVEPOINT import_fast');
  }
  // `n` numbers the rows as sent, so the last of repeated keys can win. Key order, as
  // upsertPoints writes: concurrent upserts then lock overlapping rows in one order.
  await client.query(
    `CREATE TEMP TABLE import_points (n bigint GENERATED ALWAYS AS IDENTITY, roadmap_id text, metric text, at timestamptz, source text, value float8) ON COMMIT DROP`,
  );
  const copy = client.query(
    copyStreams.from('COPY import_points (roadmap_id, metric, at, source, value) FROM STDIN'),
  );
  await pipeline(Readable.from(copyLines(pass())), copy);
  const result = await client.query(
    `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT DISTINCT ON (roadmap_id, metric, at, source) roadmap_id, metric, at, source, value, $1
         FROM import_points ORDER BY roadmap_id, metric, at, source, n DESC
       ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
         SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
         WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
    [recordedAt],
  );
  return { sent: copy.rowCount ?? 0, stored: result.rowCount ?? 0 };
}

/**
 * The newest point of each metric and the aggregates of each window, as of `now`. Windows
 * that need no statistics (`change`, `last`) read their first and last points only. Two
 * statements, sent together (on a pool they run at once).
 */
export async function snapshot(
  db: Queryable,
  roadmapId: string,
  metrics: string[],
  windows: WindowNeed[],
  now: Date,
): Promise<Snapshot> {
  const latest = new Map<string, MetricPoint>();
  const aggregates = new Map<string, WindowAggregate>();
  type WindowRow = { metric: string; ms: number; stats: boolean } & Record<
    'count' | 'avg' | 'min' | 'max' | 'sum' | 'first' | 'last',
    number | null
  >;
  const [latestRows, windowRows] = await Promise.all([
    db.query<{ name: string; value: number; at: Date }>(
      `SELECT m.name, p.value, p.at
         FROM unnest($2::text[]) AS m(name)
         CROSS JOIN LATERAL (
           SELECT ${VALUE} AS value, at FROM metric_points
            WHERE roadmap_id = $1 AND metric = m.name AND at <= $3
            ORDER BY at DESC, recorded_at DESC LIMIT 1) p`,
      [roadmapId, metrics, now],
    ),
    windows.length === 0
      ? Promise.resolve({ rows: [] as WindowRow[] })
      : db.query<WindowRow>(
          // `w.stats` only refers to the outer row, so PostgreSQL checks it once per window
          // (a one-time filter) and skips the scan of windows that need no statistics.
          `SELECT w.metric, w.ms, w.stats, a.count, a.avg, a.min, a.max, a.sum,
                  (SELECT ${VALUE} FROM metric_points WHERE roadmap_id = $1 AND metric = w.metric AND at > $4::timestamptz - w.ms * interval '1 millisecond' AND at <= $4 ORDER BY at ASC LIMIT 1) AS first,
                  (SELECT ${VALUE} FROM metric_points WHERE roadmap_id = $1 AND metric = w.metric AND at <= $4 ORDER BY at DESC LIMIT 1) AS last
             FROM unnest($2::text[], $3::float8[], $5::bool[]) AS w(metric, ms, stats)
             CROSS JOIN LATERAL (
               SELECT count(*)::int AS count, avg(${VALUE}) AS avg, min(${VALUE}) AS min, max(${VALUE}) AS max, sum(${VALUE}) AS sum
                 FROM metric_points
                WHERE w.stats AND roadmap_id = $1 AND metric = w.metric
                  AND at > $4::timestamptz - w.ms * interval '1 millisecond' AND at <= $4) a`,
          [
            roadmapId,
            windows.map((w) => w.metric),
            windows.map((w) => w.windowMs),
            now,
            windows.map((w) => w.stats),
          ],
        ),
  ]);
  for (const row of latestRows.rows) latest.set(row.name, { value: row.value, at: row.at });
  for (const { metric, ms, stats, ...agg } of windowRows.rows) {
    const kept = Object.entries(agg).filter(
      ([name, v]) => v !== null && (stats || name === 'first' || name === 'last'),
    );
    aggregates.set(windowKey(metric, Number(ms)), Object.fromEntries(kept) as WindowAggregate);
  }
  return { latest, windows: aggregates };
}

/** The value each metric had at each instant (newest point at or before it). */
export async function valuesAt(
  db: Queryable,
  roadmapId: string,
  metrics: string[],
  instants: Date[],
): Promise<Map<string, (number | undefined)[]>> {
  const rows = await db.query<{ name: string; i: number; value: number }>(
    `SELECT m.name, t.i, p.value
       FROM unnest($2::text[]) AS m(name)
       CROSS JOIN unnest($3::timestamptz[]) WITH ORDINALITY AS t(at, i)
       CROSS JOIN LATERAL (
         SELECT ${VALUE} AS value FROM metric_points WHERE roadmap_id = $1 AND metric = m.name AND at <= t.at
          ORDER BY at DESC, recorded_at DESC LIMIT 1) p`,
    [roadmapId, metrics, instants],
  );
  const result = new Map(
    metrics.map((m) => [m, instants.map((): number | undefined => undefined)]),
  );
  for (const row of rows.rows) {
    const values = result.get(row.name);
    if (values) values[Number(row.i) - 1] = row.value;
  }
  return result;
}

/**
 * COPY text format lines; values are validated, so only the format's own escapes matter.
 * With `recordedAt`, a sixth column holding it.
 */
function* copyLines(points: Iterable<PointInput>, recordedAt?: Date): Generator<string> {
  // Few distinct roadmaps, metrics and sources: escape each once.
  const escaped = new Map<string, string>();
  const escape = (text: string): string => {
    let e = escaped.get(text);
    if (e === undefined) {
      e = text.replace(
        /[\\\t\n\r]/g,
        (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string,
      );
      escaped.set(text, e);
    }
    return e;
  };
  const tail = recordedAt ? `\t${recordedAt.toISOString()}\n` : '\n';
  const iso = isoFormatter();
  let chunk = '';
  let n = 0;
  for (const p of points) {
    chunk += `${escape(p.roadmapId)}\t${escape(p.metric)}\t${iso(p.at)}\t${escape(p.source)}\t${p.value}${tail}`;
    // Batch lines into ~64 KB chunks: one stream write per line is far slower.
    if (++n % 1000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));

/**
 * Date#toISOString, ~4x faster for many times on few days (it costs ~1 µs a call): the day
 * part is formatted once per day, the time of day by table lookups.
 */
function isoFormatter(): (date: Date) => string {
  const DAY_MS = 86_400_000;
  let day = Number.NaN;
  let dayText = '';
  return (date) => {
    const ms = date.getTime();
    const d = Math.floor(ms / DAY_MS);
    if (d !== day) {
      if (!Number.isFinite(d) || d < 0 || d >= 2_932_897) return date.toISOString(); // outside years 1970-9999
      day = d;
      dayText = new Date(d * DAY_MS).toISOString().slice(0, 11);
    }
    let t = ms - d * DAY_MS;
    const milli = t % 1000;
    t = (t - milli) / 1000;
    const sec = t % 60;
    t = (t - sec) / 60;
    const min = t % 60;
    const hour = (t - min) / 60;
    return `${dayText}${TWO_DIGITS[hour]}:${TWO_DIGITS[min]}:${TWO_DIGITS[sec]}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
  };
}

/** The reads of points on `db` (the pool, or a transaction's client). */
export function pgPointReads(db: Queryable): PointReads {
  return {
    snapshot: (roadmapId, metrics, windows, now) => snapshot(db, roadmapId, metrics, windows, now),
    valuesAt: (roadmapId, metrics, instants) => valuesAt(db, roadmapId, metrics, instants),
    history: (roadmapId, metric, spanMs, buckets, now) =>
      history(db, roadmapId, metric, spanMs, buckets, now),
  };
}
