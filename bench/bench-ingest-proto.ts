import type pg from 'pg';
import { audit } from '../src/adapters/pg/audit.js';
import { withTransaction } from '../src/adapters/pg/db.js';
import type { PointInput, PointsAudit } from '../src/app/ports/points.js';

/**
 * The push API's write as it was before #16, kept here so that bench/ingest.ts measures the
 * shipped write against it in the same run: four round trips in a transaction (BEGIN, the
 * upsert with five arrays as text, the audit row, COMMIT), where the shipped write sends one
 * statement with binary arrays and a plain INSERT when every key is new. Same rows, same
 * audit row.
 */
export async function recordPointsBefore16(
  pool: pg.Pool,
  points: PointInput[],
  entry: PointsAudit,
): Promise<number> {
  return withTransaction(pool, async (client) => {
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
  });
}
