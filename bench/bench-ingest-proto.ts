import type pg from 'pg';
import { audit } from '../src/adapters/pg/audit.js';
import { withTransaction } from '../src/adapters/pg/db.js';
import type { PointInput, PointsAudit } from '../src/app/ports/points.js';

/**
 * A PROTOTYPE of a change bench/ingest.ts measures for the push API's write path, kept here
 * so its effect can be measured without touching src. It does what the shipped code does
 * (same rows, same audit row), differently.
 */

/**
 * The store's points.record with smaller parameters: the batch's roadmap id and source go as scalars
 * when every point shares them (the API's usual case), and times as epoch milliseconds in a
 * float8[] turned into timestamptz by the server, instead of five text-serialized arrays (pg
 * escapes every element and formats every Date as text; the server parses them back).
 * Same statement otherwise: one transaction (withTransaction) with the upsert and its audit
 * row (the store's audit writer). points.record also drops the store's cached histories, which
 * does not matter here.
 */
export async function recordPointsCompact(
  pool: pg.Pool,
  points: PointInput[],
  entry: PointsAudit,
): Promise<number> {
  if (points.length === 0) return 0;
  const first = points[0] as PointInput;
  const uniform = points.every((p) => p.roadmapId === first.roadmapId && p.source === first.source);
  // In src, a batch of several roadmaps or sources would take the current statement.
  if (!uniform)
    throw new Error('recordPointsCompact: the prototype handles one roadmap and source per batch');
  return withTransaction(pool, async (client) => {
    const result = await client.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT $1, p.metric, to_timestamp(p.ms / 1000.0), $4, p.value, $6
         FROM unnest($2::text[], $3::float8[], $5::float8[]) AS p(metric, ms, value)
       ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
         SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
         WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
      [
        first.roadmapId,
        points.map((p) => p.metric),
        points.map((p) => p.at.getTime()),
        first.source,
        points.map((p) => p.value),
        entry.at,
      ],
    );
    await audit(client, {
      ...entry,
      details: { points: points.length, written: result.rowCount ?? 0, ...entry.details },
    });
    return result.rowCount ?? 0;
  });
}
