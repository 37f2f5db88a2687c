import type { CollectorStates } from '../../app/ports/collectors.js';
import type { Queryable } from './db.js';

/**
 * Takes the run due at `now` for this replica: moves next_run_at forward in one guarded
 * UPDATE, like pg-boss's cron; true for the one replica whose UPDATE matched.
 */
export async function claimCollectorRun(
  db: Queryable,
  roadmapId: string,
  metric: string,
  now: Date,
  nextRunAt: Date,
): Promise<boolean> {
  await db.query(
    `INSERT INTO collector_state (roadmap_id, metric, next_run_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [roadmapId, metric, now],
  );
  const claimed = await db.query(
    `UPDATE collector_state SET next_run_at = $4, last_run_at = $3 WHERE roadmap_id = $1 AND metric = $2 AND next_run_at <= $3`,
    [roadmapId, metric, now, nextRunAt],
  );
  return claimed.rowCount === 1;
}

/** A run succeeded: its time is kept and any failure cleared. */
export async function collectorSucceeded(
  db: Queryable,
  roadmapId: string,
  metric: string,
  now: Date,
): Promise<void> {
  await db.query(
    `UPDATE collector_state SET last_success_at = $3, failing_since = NULL, last_error = NULL WHERE roadmap_id = $1 AND metric = $2`,
    [roadmapId, metric, now],
  );
}

/**
 * Records that a collector is failing: keeps the first failure's time, replaces the message.
 * Creates the row when the collector never ran (a refusal found at start). True when it was
 * not failing before, so the caller warns once rather than on every run.
 */
export async function markCollectorFailing(
  db: Queryable,
  roadmapId: string,
  metric: string,
  now: Date,
  message: string,
): Promise<boolean> {
  const { rows } = await db.query<{ first: boolean }>(
    `WITH before AS (
       SELECT failing_since IS NULL AS first FROM collector_state WHERE roadmap_id = $1 AND metric = $2)
     INSERT INTO collector_state AS c (roadmap_id, metric, next_run_at, failing_since, last_error)
     VALUES ($1, $2, $3, $3, $4)
     ON CONFLICT (roadmap_id, metric) DO UPDATE
       SET failing_since = COALESCE(c.failing_since, EXCLUDED.failing_since), last_error = EXCLUDED.last_error
     RETURNING COALESCE((SELECT first FROM before), true) AS first`,
    [roadmapId, metric, now, message],
  );
  return rows[0]?.first ?? true;
}

/** Clears a failure whose message starts with `prefix` (its cause is known to be gone). */
export async function clearCollectorFailure(
  db: Queryable,
  roadmapId: string,
  metric: string,
  prefix: string,
): Promise<void> {
  await db.query(
    `UPDATE collector_state SET failing_since = NULL, last_error = NULL
      WHERE roadmap_id = $1 AND metric = $2 AND starts_with(last_error, $3)`,
    [roadmapId, metric, prefix],
  );
}

/** The CollectorStates port on `db`. */
export function pgCollectorStates(db: Queryable): CollectorStates {
  return {
    claim: (roadmapId, metric, now, nextRunAt) =>
      claimCollectorRun(db, roadmapId, metric, now, nextRunAt),
    succeeded: (roadmapId, metric, now) => collectorSucceeded(db, roadmapId, metric, now),
    failing: (roadmapId, metric, now, message) =>
      markCollectorFailing(db, roadmapId, metric, now, message),
    clearFailure: (roadmapId, metric, prefix) =>
      clearCollectorFailure(db, roadmapId, metric, prefix),
  };
}
