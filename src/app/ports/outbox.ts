import type { Message } from '../../core/messages/model.js';

/** A claimed delivery, ready to send. */
export interface ClaimedDelivery {
  id: number;
  key: string;
  platform: string;
  channel: string;
  kind: string;
  message: Message;
  attempts: number;
  updateOf?: number;
}

export interface DeliveryRow {
  id: number;
  key: string;
  platform: string;
  channel: string;
  kind: string;
  status: 'pending' | 'sending' | 'sent' | 'failed';
  attempts: number;
  nextAttemptAt: Date;
  lastError?: string;
  createdAt: Date;
  sentAt?: Date;
  messageRef?: string;
}

/**
 * The outbox as its worker and `deliveries` see it: deliveries are claimed under a lease,
 * then settled with the claim as a fence (a worker whose lease ran out settles nothing).
 * Enqueueing is the alert engine's and the digests' (src/app/alerts/ports.ts).
 */
export interface Outbox {
  /**
   * Claims up to `limit` due deliveries: pending ones whose time has come, and sending ones
   * whose worker's lease ran out. Replicas never claim the same one.
   */
  claim(worker: string, now: Date, leaseMs: number, limit: number): Promise<ClaimedDelivery[]>;
  /** Settles a send; false when the claim was lost (lease expired and another worker took it). */
  markSent(id: number, worker: string, now: Date, ref: string | undefined): Promise<boolean>;
  markRetry(id: number, worker: string, nextAttemptAt: Date, error: string): Promise<void>;
  /** Puts a delivery back without counting the attempt (it waits for something else, not for a failure). */
  postpone(id: number, worker: string, nextAttemptAt: Date, why: string): Promise<void>;
  markFailed(id: number, worker: string, error: string): Promise<void>;
  /** The original post an edit applies to. */
  original(id: number): Promise<{ status: DeliveryRow['status']; ref?: string } | undefined>;
  list(opts: { status?: DeliveryRow['status']; limit?: number }): Promise<DeliveryRow[]>;
  /** Gives a failed delivery a fresh set of attempts; false when it is not a failed one. */
  retry(id: number, now: Date): Promise<boolean>;
  depth(): Promise<{ pending: number; failed: number }>;
}
