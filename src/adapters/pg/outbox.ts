import type { ClaimedDelivery, DeliveryRow, Outbox } from '../../app/ports/outbox.js';
import type { Message } from '../../core/messages/model.js';
import type { Queryable } from './db.js';

/**
 * The outbox's queries: claim under a lease with SKIP LOCKED, then settle with the claim as a
 * fence. (Enqueueing is in alerts.ts, with the alerts and digests that enqueue.)
 */

/**
 * Claims up to `limit` due rows: pending ones whose time has come, and sending ones whose
 * worker's lease ran out (it died between claiming and settling). Replicas never claim the
 * same row: SKIP LOCKED passes over rows another claim is taking.
 */
export async function claimDeliveries(
  db: Queryable,
  worker: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<ClaimedDelivery[]> {
  const rows = await db.query(
    `UPDATE deliveries d
        SET status = 'sending', claimed_by = $1, lease_until = $2::timestamptz + $3 * interval '1 millisecond', attempts = d.attempts + 1
      WHERE d.id IN (
        SELECT id FROM deliveries
         WHERE (status = 'pending' AND next_attempt_at <= $2) OR (status = 'sending' AND lease_until < $2)
         ORDER BY next_attempt_at, id
         LIMIT $4
         FOR UPDATE SKIP LOCKED)
      RETURNING d.id, d.idempotency_key, d.platform, d.channel_id, d.kind, d.message, d.attempts, d.update_of`,
    [worker, now, leaseMs, limit],
  );
  return rows.rows
    .map((r) => ({
      id: Number(r.id),
      key: r.idempotency_key,
      platform: r.platform,
      channel: r.channel_id,
      kind: r.kind,
      message: r.message as Message,
      attempts: r.attempts,
      ...(r.update_of !== null ? { updateOf: Number(r.update_of) } : {}),
    }))
    .sort((a, b) => a.id - b.id);
}

/** Settles a send; false when the claim was lost (lease expired and another worker took it). */
export async function markSent(
  db: Queryable,
  id: number,
  worker: string,
  now: Date,
  ref: string | undefined,
): Promise<boolean> {
  const rows = await db.query(
    `UPDATE deliveries SET status = 'sent', sent_at = $3, message_ref = $4, lease_until = NULL, last_error = NULL
      WHERE id = $1 AND claimed_by = $2 AND status = 'sending'`,
    [id, worker, now, ref ?? null],
  );
  return rows.rowCount === 1;
}

export async function markRetry(
  db: Queryable,
  id: number,
  worker: string,
  nextAttemptAt: Date,
  error: string,
): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = $3, last_error = $4, lease_until = NULL
      WHERE id = $1 AND claimed_by = $2 AND status = 'sending'`,
    [id, worker, nextAttemptAt, error],
  );
}

/** Puts a row back without counting the attempt (it waits for something else, not for a failure). */
export async function postpone(
  db: Queryable,
  id: number,
  worker: string,
  nextAttemptAt: Date,
  why: string,
): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'pending', next_attempt_at = $3, last_error = $4, lease_until = NULL, attempts = attempts - 1
      WHERE id = $1 AND claimed_by = $2 AND status = 'sending'`,
    [id, worker, nextAttemptAt, why],
  );
}

export async function markFailed(
  db: Queryable,
  id: number,
  worker: string,
  error: string,
): Promise<void> {
  await db.query(
    `UPDATE deliveries SET status = 'failed', last_error = $3, lease_until = NULL WHERE id = $1 AND claimed_by = $2 AND status = 'sending'`,
    [id, worker, error],
  );
}

/** The original post an edit applies to. */
export async function originalOf(
  db: Queryable,
  id: number,
): Promise<{ status: DeliveryRow['status']; ref?: string } | undefined> {
  const rows = await db.query(`SELECT status, message_ref FROM deliveries WHERE id = $1`, [id]);
  const row = rows.rows[0];
  return row
    ? { status: row.status, ...(row.message_ref ? { ref: row.message_ref } : {}) }
    : undefined;
}

export async function listDeliveries(
  db: Queryable,
  opts: { status?: DeliveryRow['status']; limit?: number },
): Promise<DeliveryRow[]> {
  const rows = await db.query(
    `SELECT id, idempotency_key, platform, channel_id, kind, status, attempts, next_attempt_at, last_error, created_at, sent_at, message_ref
       FROM deliveries WHERE ($1::text IS NULL OR status = $1) ORDER BY id DESC LIMIT $2`,
    [opts.status ?? null, opts.limit ?? 20],
  );
  return rows.rows.map((r) => ({
    id: Number(r.id),
    key: r.idempotency_key,
    platform: r.platform,
    channel: r.channel_id,
    kind: r.kind,
    status: r.status,
    attempts: r.attempts,
    nextAttemptAt: r.next_attempt_at,
    ...(r.last_error ? { lastError: r.last_error } : {}),
    createdAt: r.created_at,
    ...(r.sent_at ? { sentAt: r.sent_at } : {}),
    ...(r.message_ref ? { messageRef: r.message_ref } : {}),
  }));
}

/** Gives a failed delivery a fresh set of attempts. */
export async function retryDelivery(db: Queryable, id: number, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE deliveries SET status = 'pending', attempts = 0, next_attempt_at = $2, claimed_by = NULL WHERE id = $1 AND status = 'failed'`,
    [id, now],
  );
  return rows.rowCount === 1;
}

export async function outboxDepth(db: Queryable): Promise<{ pending: number; failed: number }> {
  const rows = await db.query(
    `SELECT count(*) FILTER (WHERE status IN ('pending', 'sending')) AS pending, count(*) FILTER (WHERE status = 'failed') AS failed FROM deliveries`,
  );
  return { pending: Number(rows.rows[0].pending), failed: Number(rows.rows[0].failed) };
}

/** The Outbox port on `db` (the pool, or a transaction's client). */
export function pgOutbox(db: Queryable): Outbox {
  return {
    claim: (worker, now, leaseMs, limit) => claimDeliveries(db, worker, now, leaseMs, limit),
    markSent: (id, worker, now, ref) => markSent(db, id, worker, now, ref),
    markRetry: (id, worker, at, error) => markRetry(db, id, worker, at, error),
    postpone: (id, worker, at, why) => postpone(db, id, worker, at, why),
    markFailed: (id, worker, error) => markFailed(db, id, worker, error),
    original: (id) => originalOf(db, id),
    list: (opts) => listDeliveries(db, opts),
    retry: (id, now) => retryDelivery(db, id, now),
    depth: () => outboxDepth(db),
  };
}
