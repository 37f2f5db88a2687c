import type { AuditEntry, AuditLog } from '../../app/ports/audit.js';
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

/** The AuditLog port on `db`. */
export function pgAudit(db: Queryable): AuditLog {
  return { record: (entry) => audit(db, entry) };
}
