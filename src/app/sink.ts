import type { Message } from '../core/messages/model.js';

/** Where a message goes: a platform and a channel id on it. */
export interface Destination {
  platform: 'slack' | 'discord' | 'console';
  channel: string;
}

/** A platform's reference to a posted message, so it can be edited later (Slack ts, Discord message id). */
export type MessageRef = string;

/**
 * What every chat platform implements for messages the bot sends on its own (alerts and
 * digests). Failures are thrown as DeliveryError so the outbox knows whether to retry.
 */
export interface Sink {
  readonly platform: Destination['platform'];
  post(channel: string, message: Message): Promise<{ ref?: MessageRef }>;
  /** Edits a posted message in place, where the platform allows. */
  update?(channel: string, ref: MessageRef, message: Message): Promise<void>;
}

/**
 * Why a send failed, in the outbox's terms (like Alertmanager's integration errors): only
 * `rate_limited`, `server` and `network` can succeed later and are retried.
 */
export class DeliveryError extends Error {
  constructor(
    readonly kind: 'rate_limited' | 'server' | 'network' | 'client',
    message: string,
    /** From the platform's Retry-After / retry_after, when it said. */
    readonly retryAfterMs?: number,
  ) {
    super(message);
    this.name = 'DeliveryError';
  }

  get retryable(): boolean {
    return this.kind !== 'client';
  }
}
