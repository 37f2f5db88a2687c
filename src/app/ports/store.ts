/**
 * What the app needs from storage, declared by the app; src/adapters/pg implements it, and
 * the composition roots (src/main.ts, src/adapters/cli/main.ts, test/support/app.ts) pass the
 * implementation in through AppDeps.
 *
 * Terminology, used the same way in every port:
 *
 * - **roadmap**: a loaded roadmap file, named by its id.
 * - **point**: one value of one metric at one instant from one source (manual, api, csv,
 *   sql, prometheus); writing the same (roadmap, metric, at, source) again replaces it.
 * - **history**: a metric's points averaged in time buckets (charts, forecasts, digests).
 * - **roadmap state**: the current stage, gate ticks, targets met and failing collectors, as
 *   they stood at an instant.
 * - **binding**: a chat channel following one roadmap (`use`), so its commands need no
 *   `--roadmap`.
 * - **subscription**: a channel asking for a roadmap's daily digest or its alerts.
 * - **delivery**: one message in the outbox: claimed by one worker under a lease, sent, and
 *   settled; its idempotency key makes a second enqueue of the same message a no-op.
 * - **token**: a push API bearer token; only its hash is stored.
 * - **replay memory**: the chat requests already accepted, so a replayed one is refused.
 * - **audit entry**: who did what, where, when; written in the transaction of the change.
 * - **collector state**: when a metric's collector runs next, and since when it is failing.
 * - **alert memory, episode**: the alert engine's (src/app/alerts/ports.ts).
 * - **store**: all of the above, on the connection pool.
 * - **transaction** (a unit of work): `store.transaction(tx => …)`; every method of `tx`
 *   runs on the transaction's one connection, so what the work does is committed together
 *   or not at all.
 */
import type { AlertStore } from '../alerts/ports.js';
import type { AuditLog } from './audit.js';
import type { ChannelBindings, Subscriptions } from './subscriptions.js';
import type { CollectorStates } from './collectors.js';
import type { Outbox } from './outbox.js';
import type { PointReads, Points } from './points.js';
import type { ReplayMemory } from './replays.js';
import type { RoadmapStates } from './state.js';
import type { Tokens } from './tokens.js';

/** The ports as a transaction sees them: each method runs on the transaction's connection. */
export interface StoreTx {
  readonly points: PointReads;
  readonly state: RoadmapStates;
  readonly channels: ChannelBindings;
  readonly subscriptions: Subscriptions;
  readonly outbox: Outbox;
  readonly tokens: Tokens;
  readonly replays: ReplayMemory;
  readonly audit: AuditLog;
  readonly collectors: CollectorStates;
  /** Alert memory, episodes, alert and digest subscriptions, enqueueing (src/app/alerts/ports.ts). */
  readonly alerts: AlertStore;
}

/** The ports on the pool, the writes of points that run their own transactions, and the unit of work. */
export interface Store extends StoreTx {
  readonly points: Points;
  /** Runs `work` in one transaction: committed if it returns, rolled back if it throws. */
  transaction<T>(work: (tx: StoreTx) => Promise<T>): Promise<T>;
  /** Resolves when the database answers within `timeoutMs` (readiness); rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
}

export type { Actor, AuditEntry, AuditLog } from './audit.js';
export type { ChannelBindings, ChannelRef, Subscription, Subscriptions } from './subscriptions.js';
export type { CollectorStates, SqlCollector } from './collectors.js';
export type { ClaimedDelivery, DeliveryRow, Outbox } from './outbox.js';
export type { PointInput, PointReads, Points, PointsAudit } from './points.js';
export type { ReplayMemory } from './replays.js';
export type { GateTick, RoadmapStates, StageMove, TodoTick, TrackMove } from './state.js';
export type { ApiToken, Tokens } from './tokens.js';
