import pg from 'pg';
import { SERIES } from './roadmap.js';

const MINUTE_MS = 60_000;

export interface LoadResult {
  rows: number;
  minutes: number;
  from: Date;
  /** Exclusive: the last point is one minute before. */
  to: Date;
  insertMs: number;
  vacuumMs: number;
  tableBytes: number;
}

/**
 * Fills metric_points with one point per minute per metric over [to - minutes, to), generated
 * server-side (INSERT … SELECT … generate_series), one statement per metric in key order so
 * the primary key index is appended to rather than split all over. Then VACUUM ANALYZE (the
 * state of a table autovacuum has caught up with) and a CHECKPOINT, so that neither lands in
 * the middle of a measurement.
 */
export async function loadYear(
  url: string,
  roadmapId: string,
  to: Date,
  minutes: number,
  log: (line: string) => void,
): Promise<LoadResult> {
  const from = new Date(to.getTime() - minutes * MINUTE_MS);
  const client = new pg.Client({
    connectionString: url,
    application_name: 'roadmap-bot bench load',
  });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query('SELECT setseed(0.42)');
    const started = performance.now();
    let rows = 0;
    const sorted = [...SERIES].sort((a, b) => (a.name < b.name ? -1 : 1));
    for (const [i, s] of sorted.entries()) {
      const result = await client.query(
        `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
         SELECT $1, $2, g.at, 'api',
                round(least($8::float8, greatest($7::float8,
                  $3::float8 + ($4::float8 - $3::float8) * g.f + $5::float8 * sin(2 * pi() * g.h) + $6::float8 * (random() - 0.5)))::numeric, 3)::float8,
                g.at
           FROM (SELECT $9::timestamptz + n * interval '1 minute' AS at,
                        n::float8 / $10::int AS f,
                        (n % 1440)::float8 / 1440 AS h
                   FROM generate_series(0, $10::int - 1) AS n) g
          ORDER BY g.at`,
        [roadmapId, s.name, s.start, s.end, s.daily, s.noise, s.min, s.max, from, minutes],
      );
      rows += result.rowCount ?? 0;
      log(
        `  loaded ${s.name} (${i + 1}/${sorted.length}): ${rows.toLocaleString('en-US')} rows, ${((performance.now() - started) / 1000).toFixed(1)} s`,
      );
    }
    const insertMs = performance.now() - started;
    const vacuumStarted = performance.now();
    await client.query('VACUUM (ANALYZE) metric_points');
    await checkpoint(client);
    const vacuumMs = performance.now() - vacuumStarted;
    const size = await client.query<{ bytes: string }>(
      `SELECT pg_total_relation_size('metric_points') AS bytes`,
    );
    return {
      rows,
      minutes,
      from,
      to,
      insertMs,
      vacuumMs,
      tableBytes: Number(size.rows[0]?.bytes ?? 0),
    };
  } finally {
    await client.end();
  }
}

/** CHECKPOINT needs superuser or pg_checkpoint; on a server where we lack it, carry on without. */
export async function checkpoint(client: Pick<pg.Client, 'query'>): Promise<boolean> {
  try {
    await client.query('CHECKPOINT');
    return true;
  } catch {
    return false;
  }
}
