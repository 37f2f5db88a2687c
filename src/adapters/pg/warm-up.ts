import type pg from 'pg';
import type { ForecastReads } from '../../app/evaluate.js';
import type { Queryable } from './db.js';
import { HistoryCache } from './history-cache.js';
import { ROLLUP_BUCKET_MS, rollupBuckets } from './history-rollups.js';
import { historyBuckets } from './history.js';
import { pgPointReads } from './points.js';
import { pgRoadmapStates } from './state.js';

/** The connections a boot warm-up opened and primed, and those that failed. */
export interface WarmedConnections {
  opened: number;
  errors: Error[];
}

/**
 * Opens `count` connections of `pool` at once (not one after another: each costs a round trip
 * or three and a key derivation) and runs `prime` on each, on that connection alone, so that
 * every new PostgreSQL backend has loaded the catalog entries the statements touch before a
 * user's status runs there. The reads given to `prime` are those of a status (state, snapshot,
 * forecast histories as the store reads them: from the rollups unless `rollups` is false),
 * uncached. The connections then go back to the pool idle; with the pool's `min` at `count`
 * they stay open (see createPool).
 */
export async function warmConnections(
  pool: pg.Pool,
  count: number,
  prime: (reads: ForecastReads) => Promise<void>,
  options: { rollups?: boolean } = {},
): Promise<WarmedConnections> {
  const rollups = options.rollups ?? true;
  const clients = await Promise.allSettled(Array.from({ length: count }, () => pool.connect()));
  const errors: Error[] = [];
  await Promise.all(
    clients.map(async (outcome) => {
      if (outcome.status === 'rejected') {
        errors.push(outcome.reason as Error);
        return;
      }
      const client = outcome.value;
      try {
        await prime({ store: readsOn(client, rollups) });
      } catch (error) {
        errors.push(error as Error);
      } finally {
        client.release();
      }
    }),
  );
  return { opened: clients.filter((c) => c.status === 'fulfilled').length, errors };
}

/**
 * A status's reads on one client, the forecast histories through a cache of their own
 * (empty). A status runs some of its statements at once, each on a pooled connection of its
 * own; on one client they take turns (pg deprecates queueing them in the client).
 */
function readsOn(pooled: pg.PoolClient, rollups: boolean): ForecastReads['store'] {
  let last: Promise<unknown> = Promise.resolve();
  const client = {
    query: ((...args: Parameters<Queryable['query']>) => {
      const run = last.then(() => pooled.query(...args));
      last = run.catch(() => undefined);
      return run;
    }) as Queryable['query'],
  };
  const histories = new HistoryCache();
  return {
    state: pgRoadmapStates(client),
    points: {
      snapshot: pgPointReads(client).snapshot,
      forecastHistories: (roadmapId, metrics, windowMs, bucketMs, now) =>
        histories.read(roadmapId, metrics, windowMs, bucketMs, now, async (names, since, until) =>
          rollups && bucketMs === ROLLUP_BUCKET_MS
            ? (await rollupBuckets(client, roadmapId, names, since, until)).buckets
            : historyBuckets(client, roadmapId, names, since, bucketMs, until),
        ),
    },
  };
}
