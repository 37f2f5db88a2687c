/** Who did something, where: every mutation is audited with it. */
export interface Actor {
  platform: 'cli' | 'slack' | 'discord' | 'api' | 'system';
  id: string;
  channel?: string;
}

/** One audit row: who did what to which roadmap, and when. */
export interface AuditEntry {
  actor: Actor;
  roadmapId?: string;
  action: string;
  details?: Record<string, unknown>;
  at: Date;
}

/** An audit row as read back (the web page's history). */
export interface AuditRecord extends AuditEntry {
  id: number;
}

/** The audit log; written in the transaction of the change it records, so none goes unaudited. */
export interface AuditLog {
  record(entry: AuditEntry): Promise<void>;
  /**
   * A roadmap's entries newest first, at or before `until` when given: `limit` of them after
   * skipping `offset` (pages of the web view's history).
   */
  list(
    roadmapId: string,
    opts: { until?: Date; limit: number; offset?: number },
  ): Promise<AuditRecord[]>;
}

/** `platform:id`, how the tables that name who did something (stage moves, gate ticks) store an actor. */
export const actorName = (actor: Actor): string => `${actor.platform}:${actor.id}`;
