import type { Actor, AuditEntry, AuditLog, AuditRecord } from '../../app/ports/audit.js';
import type { Queryable } from './db.js';

/** Writes one audit row; callers run it in the transaction of the change it records. */
export async function audit(db: Queryable, entry: AuditEntry): Promise<void> {
  await db.query(
    `INSERT INTO audit_log (at, actor, platform, channel, roadmap_id, action, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      entry.at,
      entry.actor.id,
      entry.actor.platform,
      entry.actor.channel ?? null,
      entry.roadmapId ?? null,
      entry.action,
      entry.details ?? {},
    ],
  );
}

/** A roadmap's audit rows newest first (index audit_log_roadmap: roadmap_id, at DESC). */
export async function auditRows(
  db: Queryable,
  roadmapId: string,
  opts: { until?: Date; limit: number; offset?: number },
): Promise<AuditRecord[]> {
  const { rows } = await db.query<{
    id: string;
    at: Date;
    actor: string;
    platform: Actor['platform'];
    channel: string | null;
    action: string;
    details: Record<string, unknown> | null;
  }>(
    `SELECT id, at, actor, platform, channel, action, details FROM audit_log
      WHERE roadmap_id = $1 AND ($2::timestamptz IS NULL OR at <= $2)
      ORDER BY at DESC, id DESC LIMIT $3 OFFSET $4`,
    [roadmapId, opts.until ?? null, opts.limit, opts.offset ?? 0],
  );
  return rows.map((r) => ({
    id: Number(r.id),
    at: r.at,
    actor: {
      platform: r.platform,
      id: r.actor,
      ...(r.channel !== null ? { channel: r.channel } : {}),
    },
    roadmapId,
    action: r.action,
    ...(r.details ? { details: r.details } : {}),
  }));
}

/** The AuditLog port on `db`. */
export function pgAudit(db: Queryable): AuditLog {
  return {
    record: (entry) => audit(db, entry),
    list: (roadmapId, opts) => auditRows(db, roadmapId, opts),
  };
}
