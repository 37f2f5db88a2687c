/**
 * What the storage tells the app as it happens (PostgreSQL LISTEN/NOTIFY in
 * src/adapters/pg/listen.ts): writes of points and messages queued, from this replica or any
 * other. Signals are hints: one may be lost while the connection is down, so the minute tick
 * stays as the fallback and `listening` is called again once it is back, to catch up.
 */
export interface WriteSignals {
  /** Points of these roadmaps were written and committed; 'all': of any roadmap. */
  pointsWritten(roadmapIds: readonly string[] | 'all'): void;
  /** A message was queued in the outbox and committed. */
  outboxQueued(): void;
  /** The signals flow (again): whatever was written while they did not is to be caught up. */
  listening(): void;
  /** They stopped (the connection dropped); reconnection is under way. */
  lost(error?: Error): void;
}
