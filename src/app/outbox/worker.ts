import type { Logger } from 'pino';
import { backoffDelay, DEFAULT_BACKOFF, type BackoffPolicy } from '../../core/alerts/backoff.js';
import type { Outbox } from '../ports/outbox.js';
import { DeliveryError, type Sink } from '../sink.js';
import type { Telemetry } from '../telemetry.js';

export interface WorkerOptions {
  worker: string;
  sinks: ReadonlyMap<string, Sink>;
  leaseMs?: number;
  maxAttempts?: number;
  batch?: number;
  backoff?: BackoffPolicy;
  random?: () => number;
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>;
  telemetry?: Telemetry;
}

export interface DrainResult {
  sent: number;
  retried: number;
  failed: number;
}

function classify(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError('network', (error as Error)?.message ?? String(error));
}

/**
 * Sends what is due in the outbox once: claim, send through the platform's sink, settle.
 * Retryable failures come back later with backoff (honouring Retry-After); a message that
 * keeps failing is parked as failed after `maxAttempts`, for `roadmap deliveries` to show.
 */
export async function drainOutbox(
  store: Outbox,
  now: Date,
  opts: WorkerOptions,
): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, retried: 0, failed: 0 };
  // Longer than the slowest send (a platform client retrying a 429 for minutes), so a live
  // worker never loses its claim mid-send and a second worker never sends the same row.
  const leaseMs = opts.leaseMs ?? 10 * 60_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const claimed = await store.claim(opts.worker, now, leaseMs, opts.batch ?? 50);
  for (const d of claimed) {
    const sink = opts.sinks.get(d.platform);
    if (!sink) {
      await store.markFailed(d.id, opts.worker, `no ${d.platform} adapter is configured`);
      opts.logger?.error(
        { delivery: d.id, key: d.key },
        `delivery failed: no ${d.platform} adapter is configured`,
      );
      result.failed++;
      opts.telemetry?.delivery(d.platform, 'failed', 1);
      continue;
    }
    try {
      let ref: string | undefined;
      if (d.updateOf !== undefined) {
        const original = await store.original(d.updateOf);
        if (original?.status === 'pending' || original?.status === 'sending') {
          // Edit after the post it edits: wait for it without spending an attempt.
          await store.postpone(
            d.id,
            opts.worker,
            new Date(now.getTime() + 5_000),
            'waiting for the original post',
          );
          continue;
        }
        if (original?.ref && sink.update) {
          await sink.update(d.channel, original.ref, d.message);
          ref = original.ref;
        } else {
          ref = (await sink.post(d.channel, d.message)).ref;
        }
      } else {
        ref = (await sink.post(d.channel, d.message)).ref;
      }
      if (await store.markSent(d.id, opts.worker, now, ref)) {
        result.sent++;
        opts.telemetry?.delivery(d.platform, 'sent', 1);
      } else
        opts.logger?.warn({ delivery: d.id, key: d.key }, 'delivery sent after its lease ran out');
    } catch (error) {
      const failure = classify(error);
      if (failure.retryable && d.attempts < maxAttempts) {
        const delay = backoffDelay(
          d.attempts,
          opts.backoff ?? DEFAULT_BACKOFF,
          opts.random ?? Math.random,
          failure.retryAfterMs,
        );
        await store.markRetry(
          d.id,
          opts.worker,
          new Date(now.getTime() + delay),
          `${failure.kind}: ${failure.message}`,
        );
        opts.logger?.warn(
          { delivery: d.id, key: d.key, attempt: d.attempts, retryInMs: delay },
          `delivery will be retried: ${failure.kind}: ${failure.message}`,
        );
        result.retried++;
        opts.telemetry?.delivery(d.platform, 'retried', 1);
      } else {
        await store.markFailed(d.id, opts.worker, `${failure.kind}: ${failure.message}`);
        opts.logger?.error(
          { delivery: d.id, key: d.key, attempts: d.attempts },
          `delivery failed for good: ${failure.kind}: ${failure.message} (roadmap deliveries retry ${d.id})`,
        );
        result.failed++;
        opts.telemetry?.delivery(d.platform, 'failed', 1);
      }
    }
  }
  return result;
}
