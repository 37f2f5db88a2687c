import type pg from 'pg';
import type { Points } from '../../app/ports/points.js';
import type { Store, StoreTx } from '../../app/ports/store.js';
import { pgAlertStore } from './alerts.js';
import { audit, pgAudit } from './audit.js';
import { pgCollectorStates } from './collector-state.js';
import { ping, withClient, withTransaction, type Queryable } from './db.js';
import { HistoryCache, type HistoryCacheOptions } from './history-cache.js';
import {
  ROLLUP_BUCKET_MS,
  RollupRefresher,
  rollupBuckets,
  type RollupRefresherOptions,
} from './history-rollups.js';
import { historyBuckets } from './history.js';
import { pgOutbox } from './outbox.js';
import { copyPoints, pgPointReads, writePoints } from './points.js';
import { pgReplays } from './replay.js';
import { retryTransient } from './retry.js';
import { pgRoadmapStates } from './state.js';
import { pgChannelBindings, pgSubscriptions } from './subscriptions.js';
import { pgTokens } from './tokens.js';

/**
 * The app's store (src/app/ports/store.ts) on PostgreSQL. The SQL is in this folder's modules,
 * one per concern, each function taking the client it runs on; the ports here only bind those
 * functions to the pool, or to one transaction's client.
 */
export interface PgStore extends Store {
  /** Forecast histories, cached per process (see HistoryCache). */
  readonly histories: HistoryCache;
  /** Keeps the ten-minute rollups current (migration 0011); undefined with `rollups: false`. */
  readonly rollups: RollupRefresher | undefined;
}

export interface PgStoreOptions {
  histories?: HistoryCacheOptions;
  /** The rollups' refresher, or false to read forecast histories from the points only. */
  rollups?: RollupRefresherOptions | false;
}

/** Every port that runs on one client: the pool, or a transaction's. */
export function portsOn(db: Queryable): StoreTx {
  return {
    points: pgPointReads(db),
    state: pgRoadmapStates(db),
    channels: pgChannelBindings(db),
    subscriptions: pgSubscriptions(db),
    outbox: pgOutbox(db),
    tokens: pgTokens(db),
    replays: pgReplays(db),
    audit: pgAudit(db),
    collectors: pgCollectorStates(db),
    alerts: pgAlertStore(db),
  };
}

export function pgStore(pool: pg.Pool, options: PgStoreOptions = {}): PgStore {
  const rollups =
    options.rollups === false ? undefined : new RollupRefresher(pool, options.rollups);
  const histories = new HistoryCache({ ...options.histories, onWrite: () => rollups?.schedule() });
  const ports = portsOn(pool);
  const points: Points = {
    ...ports.points,

    // One statement each (points and audit row: see writePoints), in key order, so concurrent
    // writers of overlapping keys cannot deadlock each other; a deadlock or serialization
    // failure that still happens (the import's COPY writes in file order) reruns it, audit row
    // included, a few times.
    async record(list, entry) {
      if (list.length === 0) return 0;
      // Before and after: a status reading meanwhile must not cache the buckets from before.
      histories.written(list);
      const outcome = await retryTransient(() =>
        withClient(pool, (client) => writePoints(client, list, entry)),
      );
      histories.written(list);
      return 'written' in outcome ? outcome.written : 0;
    },

    async recordForToken(tokenId, list, entry) {
      if (list.length === 0) return { written: 0 };
      histories.written(list);
      const outcome = await retryTransient(() =>
        withClient(pool, (client) => writePoints(client, list, entry, tokenId)),
      );
      histories.written(list);
      return outcome;
    },

    async import(list, entry) {
      const pass = typeof list === 'function' ? list : () => list;
      histories.clear();
      // A deadlock with a concurrent writer (COPY writes in file order, not key order) or a
      // serialization failure reruns the whole import: `pass` can be read again.
      const written = await retryTransient(() =>
        withTransaction(pool, async (client) => {
          const { sent, stored } = await copyPoints(client, pass, entry.at);
          await audit(client, {
            ...entry,
            details: { points: sent, written: stored, ...entry.details },
          });
          return stored;
        }),
      );
      histories.clear();
      return written;
    },

    // Read through the process's HistoryCache, so mostly only the newest minutes are read, and
    // those from the rollups: a first read (after a restart) reads 29 rows a metric for 28 days.
    forecastHistories(roadmapId, metrics, windowMs, bucketMs, now) {
      return histories.read(
        roadmapId,
        metrics,
        windowMs,
        bucketMs,
        now,
        async (names, since, until) => {
          if (!rollups || bucketMs !== ROLLUP_BUCKET_MS)
            return historyBuckets(pool, roadmapId, names, since, bucketMs, until);
          const { buckets, stale } = await rollupBuckets(pool, roadmapId, names, since, until);
          if (stale > 0) rollups.schedule();
          return buckets;
        },
      );
    },
  };
  return {
    ...ports,
    points,
    histories,
    rollups,
    transaction: (work) => withTransaction(pool, (client) => work(portsOn(client))),
    ping: (timeoutMs) => ping(pool, timeoutMs),
  };
}
