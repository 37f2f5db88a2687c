import type pg from 'pg';

type Queryable = Pick<pg.Pool, 'query'>;

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
