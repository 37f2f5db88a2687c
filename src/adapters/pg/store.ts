import type pg from 'pg';
import { pipeline } from 'node:stream/promises';
import { Readable } from 'node:stream';
import copyStreams from 'pg-copy-streams';
import type { WindowAggregate } from '../../core/condition/evaluate.js';
import type {
  MetricPoint,
  RoadmapState,
  Snapshot,
  WindowNeed,
} from '../../core/evaluate/report.js';
import type { HistoryPoint } from '../../core/forecast/fit.js';
import { HistoryCache, type HistoryCacheOptions } from './history-cache.js';
import { retryTransient } from './retry.js';
import { windowKey } from '../../core/evaluate/report.js';
import { VALUE_LIMIT } from '../../core/units.js';

/** One metric point to write. `source` separates feeds (manual, api, sql, csv…). */
export interface PointInput {
  roadmapId: string;
  metric: string;
  value: number;
  at: Date;
  source: string;
}

/** Who did something, where: every mutation is audited with it. */
export interface Actor {
  platform: 'cli' | 'slack' | 'discord' | 'api' | 'system';
  id: string;
  channel?: string;
}

export interface AuditEntry {
  actor: Actor;
  roadmapId?: string;
  action: string;
  details?: Record<string, unknown>;
  at: Date;
}

type Queryable = Pick<pg.PoolClient, 'query'>;

/**
 * A stored value as every read sees it: saturated at ±VALUE_LIMIT, the bound ingest enforces.
 * Rows stored before the bound existed (migration 0007 leaves them) may hold up to ±1.8e308,
 * and PostgreSQL's float8 avg or sum of two of them overflows and fails the whole query (so
 * status, forecasts and digests of the roadmap). Saturated, every aggregate stays finite, min
 * and max still point at the extreme, and NaN or ±Infinity (never accepted, but possible in
 * old rows) read as the bound too; it costs two comparisons a row.
 */
const VALUE = `least(greatest(value, '${-VALUE_LIMIT}'::float8), '${VALUE_LIMIT}'::float8)`;

/** Runs `work` in one transaction on a pooled client: committed if it returns, rolled back if it throws. */
export async function inTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** Writes one audit row; callers run it in the transaction of the change it records. */
export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor, platform, channel, roadmap_id, action, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.at,
      entry.actor.id,
      entry.actor.platform,
      entry.actor.channel ?? null,
      entry.roadmapId ?? null,
      entry.action,
      entry.details ?? {},
    ],
  );
}

/**
 * Every query the bot makes against its own database, parameterized. Mutations run in one
 * transaction together with their audit row, so a mutation is never left unaudited.
 */
export class PgStore {
  /** Forecast histories, cached per process (see HistoryCache). */
  readonly histories: HistoryCache;

  constructor(
    readonly pool: pg.Pool,
    options: { histories?: HistoryCacheOptions } = {},
  ) {
    this.histories = new HistoryCache(options.histories);
  }

  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    return inTransaction(this.pool, work);
  }

  /**
   * Writes points idempotently on (roadmap, metric, time, source): re-sending a point with the
   * same value changes nothing; a new value for the same key replaces the old one. Repeated keys
   * in `points`: the last one wins.
   *
   * Rows are written in key order, the same order as the import's upsert, so that concurrent
   * writers of overlapping keys lock them in one order and cannot deadlock each other; a
   * deadlock or serialization failure that still happens (the import's COPY, which writes in
   * file order) reruns the whole transaction, audit row included, a few times.
   */
  async recordPoints(
    points: PointInput[],
    entry: Omit<AuditEntry, 'details'> & { details?: Record<string, unknown> },
  ): Promise<number> {
    if (points.length === 0) return 0;
    // Before and after: a status reading meanwhile must not cache the buckets from before.
    this.histories.written(points);
    const written = await retryTransient(() =>
      this.transaction(async (client) => {
        // `n` numbers the points as given, so the last of repeated keys wins (ON CONFLICT
        // cannot update one row twice in a statement).
        const result = await client.query(
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
            entry.at,
          ],
        );
        await audit(client, {
          ...entry,
          details: { points: points.length, written: result.rowCount ?? 0, ...entry.details },
        });
        return result.rowCount ?? 0;
      }),
    );
    this.histories.written(points);
    return written;
  }

  /**
   * Bulk load, all rows or none, streaming: rows are sent as `points` yields them, so the
   * caller's parsing runs alongside PostgreSQL's COPY, and no list of them is kept. First COPY
   * straight into metric_points (what psql \copy does), which holds when every row is new: a
   * backfill or a new period. A key already stored, written meanwhile, or repeated stops it
   * with a unique violation; then a savepoint undoes it and `points` is read again, through a
   * temporary table and one upsert, the last of repeated keys winning. An error thrown by
   * `points` (say, a bad line) rolls everything back and is rethrown.
   */
  async importPoints(
    points: readonly PointInput[] | (() => Iterable<PointInput>),
    entry: Omit<AuditEntry, 'details'> & { details?: Record<string, unknown> },
  ): Promise<number> {
    const pass = typeof points === 'function' ? points : () => points;
    this.histories.clear();
    // A deadlock with a concurrent writer (COPY writes in file order, not key order) or a
    // serialization failure reruns the whole import: `points` can be read again.
    const written = await retryTransient(() =>
      this.transaction(async (client) => {
        let stored: number | undefined;
        let sent = 0;
        await client.query('SAVEPOINT import_fast');
        try {
          const copy = client.query(
            copyStreams.from(
              'COPY metric_points (roadmap_id, metric, at, source, value, recorded_at) FROM STDIN',
            ),
          );
          await pipeline(Readable.from(copyLines(pass(), entry.at)), copy);
          stored = sent = copy.rowCount ?? 0;
          await client.query('RELEASE SAVEPOINT import_fast');
        } catch (error) {
          if ((error as { code?: string }).code !== '23505') throw error;
          await client.query('ROLLBACK TO SAVEPOINT import_fast');
        }
        if (stored === undefined) {
          // `n` numbers the rows as sent, so the last of repeated keys can win. Key order, as
          // recordPoints writes: concurrent upserts then lock overlapping rows in one order.
          await client.query(
            `CREATE TEMP TABLE import_points (n bigint GENERATED ALWAYS AS IDENTITY, roadmap_id text, metric text, at timestamptz, source text, value float8) ON COMMIT DROP`,
          );
          const copy = client.query(
            copyStreams.from(
              'COPY import_points (roadmap_id, metric, at, source, value) FROM STDIN',
            ),
          );
          await pipeline(Readable.from(copyLines(pass())), copy);
          sent = copy.rowCount ?? 0;
          const result = await client.query(
            `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
               SELECT DISTINCT ON (roadmap_id, metric, at, source) roadmap_id, metric, at, source, value, $1
                 FROM import_points ORDER BY roadmap_id, metric, at, source, n DESC
               ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
                 SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
                 WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
            [entry.at],
          );
          stored = result.rowCount ?? 0;
        }
        await audit(client, {
          ...entry,
          details: { points: sent, written: stored, ...entry.details },
        });
        return stored;
      }),
    );
    this.histories.clear();
    return written;
  }

  /**
   * The newest point of each metric and the aggregates of each window, as of `now`. Windows
   * that need no statistics (`change`, `last`) read their first and last points only.
   */
  async snapshot(
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
      this.pool.query<{ name: string; value: number; at: Date }>(
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
        : this.pool.query<WindowRow>(
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

  /**
   * Stage, gate ticks, targets met and failing collectors, as they stood at `now` (history
   * makes `--now` replays exact), in one statement: a status waits on this before it knows
   * which windows to read.
   */
  async state(roadmapId: string, firstStageId: string, now: Date): Promise<RoadmapState> {
    type Row = {
      stage: { id: string; since: string } | null;
      gates: { gate_id: string; passed: boolean; actor: string; at: string }[];
      targets: { target_id: string; met_at: string }[];
      collectors: { metric: string; failing_since: string; last_error: string }[];
    };
    const { rows } = await this.pool.query<Row>(
      `WITH stage AS (
         SELECT to_stage AS id, at AS since FROM stage_transitions
          WHERE roadmap_id = $1 AND at <= $3 ORDER BY at DESC, id DESC LIMIT 1)
       SELECT (SELECT row_to_json(stage) FROM stage) AS stage,
              (SELECT coalesce(json_agg(g), '[]') FROM (
                 SELECT DISTINCT ON (gate_id) gate_id, passed, actor, at FROM gate_checks
                  WHERE roadmap_id = $1 AND stage_id = coalesce((SELECT id FROM stage), $2) AND at <= $3
                  ORDER BY gate_id, at DESC, id DESC) g) AS gates,
              (SELECT coalesce(json_agg(t), '[]') FROM (
                 SELECT target_id, met_at FROM target_met WHERE roadmap_id = $1 AND met_at <= $3) t) AS targets,
              (SELECT coalesce(json_agg(c), '[]') FROM (
                 SELECT metric, failing_since, last_error FROM collector_state
                  WHERE roadmap_id = $1 AND failing_since IS NOT NULL AND failing_since <= $3) c) AS collectors`,
      [roadmapId, firstStageId, now],
    );
    const row = rows[0] as Row;
    // JSON carries times as ISO text (microseconds, which Date truncates to milliseconds as pg does).
    return {
      collectorFailures: new Map(
        row.collectors.map((r) => [
          r.metric,
          { since: new Date(r.failing_since), error: r.last_error },
        ]),
      ),
      ...(row.stage ? { stage: { id: row.stage.id, since: new Date(row.stage.since) } } : {}),
      gateChecks: new Map(
        row.gates.map((r) => [r.gate_id, { passed: r.passed, actor: r.actor, at: new Date(r.at) }]),
      ),
      triggers: new Map(),
      targetsMet: new Map(row.targets.map((r) => [r.target_id, new Date(r.met_at)])),
    };
  }

  async moveStage(
    roadmapId: string,
    from: string,
    to: string,
    forced: boolean,
    entry: AuditEntry,
  ): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO stage_transitions (roadmap_id, from_stage, to_stage, at, actor, forced) VALUES ($1, $2, $3, $4, $5, $6)`,
        [roadmapId, from, to, entry.at, `${entry.actor.platform}:${entry.actor.id}`, forced],
      );
      await audit(client, entry);
    });
  }

  async tickGate(
    roadmapId: string,
    stageId: string,
    gateId: string,
    passed: boolean,
    entry: AuditEntry,
  ): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO gate_checks (roadmap_id, stage_id, gate_id, passed, actor, at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [roadmapId, stageId, gateId, passed, `${entry.actor.platform}:${entry.actor.id}`, entry.at],
      );
      await audit(client, entry);
    });
  }

  /** Remembers the first time a target held; later calls keep the first date. */
  async markTargetsMet(
    roadmapId: string,
    met: { targetId: string; at: Date }[],
    db: Queryable = this.pool,
  ): Promise<void> {
    if (met.length === 0) return;
    await db.query(
      `INSERT INTO target_met (roadmap_id, target_id, met_at)
       SELECT $1, t, a FROM unnest($2::text[], $3::timestamptz[]) AS x(t, a)
       ON CONFLICT (roadmap_id, target_id) DO NOTHING`,
      [roadmapId, met.map((m) => m.targetId), met.map((m) => m.at)],
    );
  }

  /** A metric's history in `buckets` averaged buckets over (now - span, now]. */
  async history(
    roadmapId: string,
    metric: string,
    spanMs: number,
    buckets: number,
    now: Date,
  ): Promise<{ at: Date; value: number }[]> {
    const bucketMs = Math.max(1000, Math.ceil(spanMs / buckets));
    const rows = await this.pool.query<{ bucket: Date; value: number }>(
      `SELECT date_bin($3 * interval '1 millisecond', at, $4::timestamptz) AS bucket, avg(${VALUE}) AS value
         FROM metric_points
        WHERE roadmap_id = $1 AND metric = $2 AND at > $4::timestamptz - $5 * interval '1 millisecond' AND at <= $4
        GROUP BY 1 ORDER BY 1`,
      [roadmapId, metric, bucketMs, now, spanMs],
    );
    return rows.rows.map((r) => ({ at: r.bucket, value: r.value }));
  }

  /**
   * Each metric's history over (now - window, now] in buckets of `bucketMs`, averaged and
   * stamped at the bucket's centre (capped at now), for forecasting and charts; read through
   * the process's HistoryCache, so mostly only the newest minutes are read. The points
   * returned are shared: do not mutate them.
   */
  forecastHistories(
    roadmapId: string,
    metrics: string[],
    windowMs: number,
    bucketMs: number,
    now: Date,
  ): Promise<Map<string, readonly HistoryPoint[]>> {
    return this.histories.read(
      roadmapId,
      metrics,
      windowMs,
      bucketMs,
      now,
      async (names, since, until) => {
        const { rows } = await this.pool.query<{ metric: string; start: Date; v: number }>(
          `SELECT metric, date_bin($4 * interval '1 millisecond', at, TIMESTAMPTZ 'epoch') AS start, avg(${VALUE}) AS v
           FROM metric_points
          WHERE roadmap_id = $1 AND metric = ANY($2::text[]) AND at >= $3 AND at <= $5
          GROUP BY 1, 2 ORDER BY 1, 2`,
          [roadmapId, names, new Date(since), bucketMs, until],
        );
        const byMetric = new Map<string, { start: number; v: number }[]>();
        for (const r of rows) {
          let list = byMetric.get(r.metric);
          if (!list) byMetric.set(r.metric, (list = []));
          list.push({ start: r.start.getTime(), v: r.v });
        }
        return byMetric;
      },
    );
  }

  /** The value each metric had at each instant (newest point at or before it). */
  async valuesAt(
    roadmapId: string,
    metrics: string[],
    instants: Date[],
  ): Promise<Map<string, (number | undefined)[]>> {
    const rows = await this.pool.query<{ name: string; i: number; value: number }>(
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

  /** The roadmap a chat channel is bound to, if any. */
  async channelRoadmap(platform: string, channel: string): Promise<string | undefined> {
    const rows = await this.pool.query<{ roadmap_id: string }>(
      `SELECT roadmap_id FROM channel_bindings WHERE platform = $1 AND channel_id = $2`,
      [platform, channel],
    );
    return rows.rows[0]?.roadmap_id;
  }

  /** Roadmaps some channel of the platform follows (`use`), for the Slack App Home. */
  async boundRoadmaps(platform: string): Promise<string[]> {
    const rows = await this.pool.query<{ roadmap_id: string }>(
      `SELECT DISTINCT roadmap_id FROM channel_bindings WHERE platform = $1 ORDER BY roadmap_id`,
      [platform],
    );
    return rows.rows.map((r) => r.roadmap_id);
  }

  async bindChannel(
    platform: string,
    channel: string,
    roadmapId: string,
    entry: AuditEntry,
  ): Promise<void> {
    await this.transaction(async (client) => {
      await client.query(
        `INSERT INTO channel_bindings (platform, channel_id, roadmap_id, bound_by, bound_at) VALUES ($1, $2, $3, $4, $5)
         ON CONFLICT (platform, channel_id) DO UPDATE SET roadmap_id = EXCLUDED.roadmap_id, bound_by = EXCLUDED.bound_by, bound_at = EXCLUDED.bound_at`,
        [platform, channel, roadmapId, `${entry.actor.platform}:${entry.actor.id}`, entry.at],
      );
      await audit(client, entry);
    });
  }
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
