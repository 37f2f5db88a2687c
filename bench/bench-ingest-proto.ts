import type pg from 'pg';
import { audit, type AuditEntry, type PgStore, type PointInput } from '../src/adapters/pg/store.js';
import { hashToken } from '../src/adapters/pg/tokens.js';

/**
 * PROTOTYPES of the changes bench/ingest.ts measures for the push API's write path, kept here
 * so their effect can be measured without touching src. Each does what the shipped code does
 * (same rows, same audit row, same answers), differently.
 */

/**
 * PgStore.recordPoints with smaller parameters: the batch's roadmap id and source go as scalars
 * when every point shares them (the API's usual case), and times as epoch milliseconds in a
 * float8[] turned into timestamptz by the server, instead of five text-serialized arrays (pg
 * escapes every element and formats every Date as text; the server parses them back).
 * Same statement otherwise: one transaction (PgStore.transaction) with the upsert and its audit
 * row (the store's audit writer). recordPoints also drops the store's cached histories, which
 * does not matter here.
 */
export async function recordPointsCompact(store: PgStore, points: PointInput[], entry: Omit<AuditEntry, 'details'> & { details?: Record<string, unknown> }): Promise<number> {
  if (points.length === 0) return 0;
  const first = points[0] as PointInput;
  const uniform = points.every((p) => p.roadmapId === first.roadmapId && p.source === first.source);
  // In src, a batch of several roadmaps or sources would take the current statement.
  if (!uniform) throw new Error('recordPointsCompact: the prototype handles one roadmap and source per batch');
  return store.transaction(async (client) => {
    const result = await client.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT $1, p.metric, to_timestamp(p.ms / 1000.0), $4, p.value, $6
         FROM unnest($2::text[], $3::float8[], $5::float8[]) AS p(metric, ms, value)
       ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
         SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
         WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
      [first.roadmapId, points.map((p) => p.metric), points.map((p) => p.at.getTime()), first.source, points.map((p) => p.value), entry.at],
    );
    await audit(client, { ...entry, details: { points: points.length, written: result.rowCount ?? 0, ...entry.details } });
    return result.rowCount ?? 0;
  });
}

/**
 * TokenStore.authenticate + countRequest in one statement (one round trip, one commit instead of
 * two): the token's last_used_at and its minute's request count, or no row for an unknown or
 * revoked token (then nothing is counted, as today).
 */
export async function authenticateAndCount(pool: pg.Pool, token: string, now: Date): Promise<{ id: number; count: number } | undefined> {
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  const rows = await pool.query<{ id: number; count: number }>(
    `WITH t AS (
       UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
       RETURNING id, name, prefix, roadmaps, created_by, created_at),
     c AS (
       INSERT INTO api_rate_windows (token_id, window_start, count) SELECT id, $3, 1 FROM t
       ON CONFLICT (token_id, window_start) DO UPDATE SET count = api_rate_windows.count + 1 RETURNING count)
     SELECT t.id, c.count FROM t CROSS JOIN c`,
    [hashToken(token), now, windowStart],
  );
  const r = rows.rows[0];
  return r ? { id: Number(r.id), count: r.count } : undefined;
}
