import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type { GuardedWrite, PointInput, PointReads, PointsAudit } from '../../app/ports/points.js';
import type { WindowAggregate } from '../../core/condition/evaluate.js';
import type { MetricPoint, Snapshot, WindowNeed } from '../../core/evaluate/report.js';
import { windowKey } from '../../core/evaluate/report.js';
import {
  COPY_BINARY_HEADER,
  COPY_BINARY_TRAILER,
  float8Array,
  PointCopyRows,
  textArray,
  timestamptzArray,
  Utf8Cache,
} from './binary.js';
import type { Queryable } from './db.js';
import { history } from './history.js';
import { VALUE } from './value.js';

/**
 * Key order (roadmap, metric, time, source) within one (roadmap, metric): time, then source.
 * Code-unit order, which is the C collation's for the ASCII ids, names and sources stored.
 */
function compareInSeries(a: PointInput, b: PointInput): number {
  const t = a.at.getTime() - b.at.getTime();
  if (t !== 0) return t;
  return a.source === b.source ? 0 : a.source < b.source ? -1 : 1;
}

/**
 * `points` in key order (stable: repeated keys keep the order given), and whether a key is
 * repeated. By (roadmap, metric) first, a handful of names, then each series sorted by time
 * only when it is not in order already (points sent as they happen are): a sort of the whole
 * batch by all four was about a tenth of the bot's own work for a batch.
 */
export function keyOrder(points: readonly PointInput[]): {
  list: PointInput[];
  repeated: boolean;
} {
  const series = new Map<string, Map<string, PointInput[]>>();
  for (const p of points) {
    let metrics = series.get(p.roadmapId);
    if (!metrics) series.set(p.roadmapId, (metrics = new Map()));
    const one = metrics.get(p.metric);
    if (one) one.push(p);
    else metrics.set(p.metric, [p]);
  }
  const byName = (a: [string, unknown], b: [string, unknown]): number =>
    a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
  const list: PointInput[] = [];
  let repeated = false;
  for (const [, metrics] of [...series].sort(byName)) {
    for (const [, one] of [...metrics].sort(byName)) {
      let sorted = true;
      for (let i = 1; i < one.length && sorted; i++)
        sorted = compareInSeries(one[i - 1] as PointInput, one[i] as PointInput) <= 0;
      if (!sorted) one.sort(compareInSeries);
      for (let i = 0; i < one.length; i++) {
        const p = one[i] as PointInput;
        if (i > 0 && !repeated) repeated = compareInSeries(one[i - 1] as PointInput, p) === 0;
        list.push(p);
      }
    }
  }
  return { list, repeated };
}

/**
 * Both write statements: the token check, the INSERT of the points (`insert`), and the audit
 * row, in one statement, so one round trip and one commit. Without a token ($11 NULL) the check
 * passes. A data-modifying CTE runs once, whether or not it is referenced, and the audit row
 * counts what the INSERT returned; when the check fails neither writes anything.
 */
const guardedWrite = (insert: string): string => `WITH token AS (
    SELECT revoked_at IS NULL AS live, roadmaps FROM api_tokens WHERE id = $11::bigint),
  allowed AS (
    SELECT $11::bigint IS NULL
        OR coalesce((SELECT live AND ('*' = ANY (roadmaps) OR roadmaps @> $12::text[]) FROM token), false) AS ok),
  written AS (${insert}),
  audited AS (
    INSERT INTO audit_log (at, actor, platform, channel, roadmap_id, action, details)
    SELECT $6, $7, $8, $9, $10, $13,
           jsonb_build_object('points', cardinality($5::float8[]), 'written', (SELECT count(*) FROM written)) || $14::jsonb
     WHERE (SELECT ok FROM allowed))
  SELECT (SELECT ok FROM allowed) AS ok, (SELECT count(*) FROM written)::int AS written,
         (SELECT live FROM token) AS live, (SELECT roadmaps FROM token) AS roadmaps`;

const UNNEST = `unnest($1::text[], $2::text[], $3::timestamptz[], $4::text[], $5::float8[])
           WITH ORDINALITY AS p(roadmap_id, metric, at, source, value, n)`;

/**
 * When every key is new (points arriving as they happen): a plain INSERT, about half the
 * server's work of an upsert (no speculative insertion). The points come sorted in key
 * order; `ORDER BY n` keeps that order.
 */
const INSERT_NEW =
  guardedWrite(`INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
    SELECT p.roadmap_id, p.metric, p.at, p.source, p.value, $6 FROM ${UNNEST}
     WHERE (SELECT ok FROM allowed) ORDER BY p.n
    RETURNING 1`);

/**
 * Otherwise the upsert: a point with the value already stored changes nothing; of repeated
 * keys the last one (highest `n`) wins, as ON CONFLICT cannot update one row twice. Key order
 * is the C collation's, as the sort of INSERT_NEW's points and the import's upsert.
 */
const UPSERT =
  guardedWrite(`INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
    SELECT DISTINCT ON (p.roadmap_id COLLATE "C", p.metric COLLATE "C", p.at, p.source COLLATE "C")
           p.roadmap_id, p.metric, p.at, p.source, p.value, $6 FROM ${UNNEST}
     WHERE (SELECT ok FROM allowed)
     ORDER BY p.roadmap_id COLLATE "C", p.metric COLLATE "C", p.at, p.source COLLATE "C", p.n DESC
    ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
      SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
      WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value
    RETURNING 1`);

/**
 * Both as named statements: parsed and planned once per connection rather than for every
 * batch. With the token's statement named too, PostgreSQL's CPU per pushed batch at 4 writers
 * went from 7.4-8.8 ms to 6.2-6.9 ms (bench/ingest.ts). docs/SCALING.md: PgBouncer.
 */
const WRITE = {
  insert: (values: unknown[]) => ({ name: 'roadmap-bot-insert-points', text: INSERT_NEW, values }),
  upsert: (values: unknown[]) => ({ name: 'roadmap-bot-upsert-points', text: UPSERT, values }),
};

/**
 * Writes points idempotently on (roadmap, metric, time, source) with their audit row, in one
 * statement (atomic on its own: no BEGIN/COMMIT round trips), the audit details being
 * `{points, written, ...entry.details}`. Rows are written in key order, so concurrent writers
 * of overlapping keys lock them in one order and cannot deadlock each other.
 *
 * First as a plain INSERT; when a key is already stored (a re-sent batch, or a concurrent
 * writer's) that statement fails as a whole on the unique key, and the upsert writes instead:
 * a point with the value already stored changes nothing, and of repeated keys in `points` the
 * last one wins.
 *
 * With `tokenId`, the same statement first checks that the push API token is still live and
 * may write every point's roadmap; if not, nothing is written and the refusal is returned.
 */
export async function writePoints(
  db: Queryable,
  points: readonly PointInput[],
  entry: PointsAudit,
  tokenId?: number,
): Promise<GuardedWrite> {
  // Repeated keys keep the order given, so the last of them still wins.
  const { list, repeated } = keyOrder(points);
  const utf8 = new Utf8Cache();
  const values = [
    textArray(list, (p) => p.roadmapId, utf8),
    textArray(list, (p) => p.metric, utf8),
    timestamptzArray(list, (p) => p.at),
    textArray(list, (p) => p.source, utf8),
    float8Array(list, (p) => p.value),
    entry.at,
    entry.actor.id,
    entry.actor.platform,
    entry.actor.channel ?? null,
    entry.roadmapId ?? null,
    tokenId ?? null,
    [...new Set(list.map((p) => p.roadmapId))],
    entry.action,
    entry.details ?? {},
  ];
  type Row = { ok: boolean; written: number; live: boolean | null; roadmaps: string[] | null };
  let result: pg.QueryResult<Row>;
  try {
    result = await db.query<Row>(repeated ? WRITE.upsert(values) : WRITE.insert(values));
  } catch (error) {
    if (repeated || (error as { code?: string }).code !== '23505') throw error;
    result = await db.query<Row>(WRITE.upsert(values));
  }
  const row = result.rows[0] as Row;
  if (row.ok) return { written: row.written };
  if (!row.live) return { refused: 'revoked' };
  return { refused: 'forbidden', scope: row.roadmaps ?? [] };
}

/**
 * Bulk load on `client` (in the caller's transaction), streaming: rows are sent as `pass()`
 * yields them, so the caller's parsing runs alongside PostgreSQL's COPY, and no list of them
 * is kept. Binary COPY: the server parses no text (timestamps, floats), which is about a third
 * of a text COPY's work, and Node formats none. First straight into metric_points (what psql
 * \copy does), which holds when every row is new: a backfill or a new period. A key already
 * stored, written meanwhile, or repeated stops it with a unique violation; then a savepoint
 * undoes it and `pass()` is read again, through a temporary table and one upsert, the last of
 * repeated keys winning. Returns how many rows were sent and how many were new or changed.
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
        'COPY metric_points (roadmap_id, metric, at, source, value, recorded_at) FROM STDIN (FORMAT binary)',
      ),
    );
    await pipeline(Readable.from(copyRows(pass(), recordedAt)), copy);
    await client.query('RELEASE SAVEPOINT import_fast');
    return { sent: copy.rowCount ?? 0, stored: copy.rowCount ?? 0 };
  } catch (error) {
    if ((error as { code?: string }).code !== '23505') throw error;
    await client.query('ROLLBACK TO SAVEPOINT import_fast');
  }
  // `n` numbers the rows as sent, so the last of repeated keys can win. Key order (the C
  // collation's), as writePoints writes: concurrent upserts then lock overlapping rows in one order.
  await client.query(
    `CREATE TEMP TABLE import_points (n bigint GENERATED ALWAYS AS IDENTITY, roadmap_id text, metric text, at timestamptz, source text, value float8) ON COMMIT DROP`,
  );
  const copy = client.query(
    copyStreams.from(
      'COPY import_points (roadmap_id, metric, at, source, value) FROM STDIN (FORMAT binary)',
    ),
  );
  await pipeline(Readable.from(copyRows(pass())), copy);
  const result = await client.query(
    `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT DISTINCT ON (roadmap_id COLLATE "C", metric COLLATE "C", at, source COLLATE "C")
              roadmap_id, metric, at, source, value, $1
         FROM import_points
        ORDER BY roadmap_id COLLATE "C", metric COLLATE "C", at, source COLLATE "C", n DESC
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

/** A binary COPY of points, in chunks of about 64 KB; with `recordedAt`, a sixth column holding it. */
function* copyRows(points: Iterable<PointInput>, recordedAt?: Date): Generator<Buffer> {
  yield COPY_BINARY_HEADER;
  const utf8 = new Utf8Cache();
  const rows = new PointCopyRows(recordedAt);
  for (const p of points) {
    const full = rows.add(
      utf8.get(p.roadmapId),
      utf8.get(p.metric),
      p.at,
      utf8.get(p.source),
      p.value,
    );
    if (full) yield full;
  }
  const rest = rows.take();
  if (rest.length > 0) yield rest;
  yield COPY_BINARY_TRAILER;
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
