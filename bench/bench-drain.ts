import type { ClaimedDelivery, Outbox } from '../src/app/ports/outbox.js';
import { backoffDelay, DEFAULT_BACKOFF } from '../src/core/alerts/backoff.js';
import type { DrainResult, WorkerOptions } from '../src/app/outbox/worker.js';
import { DeliveryError } from '../src/app/sink.js';

/**
 * A PROTOTYPE of the change bench/fanout.ts recommends for src/app/outbox/worker.ts, kept here
 * so its effect can be measured without touching src: drainOutbox with the claimed batch sent
 * `concurrency` channels at a time. Messages to one channel stay in claim order, one after the
 * other (Slack's 1 message/second/channel limit, and an edit must follow its post); distinct
 * channels are independent. Everything else (claim, lease, settle with the claim as a fence,
 * retry with backoff honouring Retry-After, park as failed) is drainOutbox's logic unchanged.
 */
export async function drainOutboxConcurrently(
  store: Outbox,
  now: Date,
  opts: WorkerOptions,
  concurrency: number,
): Promise<DrainResult> {
  const result: DrainResult = { sent: 0, retried: 0, failed: 0 };
  const leaseMs = opts.leaseMs ?? 10 * 60_000;
  const maxAttempts = opts.maxAttempts ?? 8;
  const claimed = await store.claim(opts.worker, now, leaseMs, opts.batch ?? 50);
  const byChannel = new Map<string, ClaimedDelivery[]>();
  for (const d of claimed) {
    const key = `${d.platform}\u0000${d.channel}`;
    const list = byChannel.get(key) ?? [];
    list.push(d);
    byChannel.set(key, list);
  }
  const queues = [...byChannel.values()];
  const lane = async (): Promise<void> => {
    for (let queue = queues.shift(); queue; queue = queues.shift()) {
      for (const d of queue) await sendOne(store, d, now, opts, maxAttempts, result);
    }
  };
  await Promise.all(
    Array.from({ length: Math.max(1, Math.min(concurrency, queues.length)) }, lane),
  );
  return result;
}

function classify(error: unknown): DeliveryError {
  if (error instanceof DeliveryError) return error;
  return new DeliveryError('network', (error as Error)?.message ?? String(error));
}

/** drainOutbox's loop body, for one claimed delivery. */
async function sendOne(
  store: Outbox,
  d: ClaimedDelivery,
  now: Date,
  opts: WorkerOptions,
  maxAttempts: number,
  result: DrainResult,
): Promise<void> {
  const sink = opts.sinks.get(d.platform);
  if (!sink) {
    await store.markFailed(d.id, opts.worker, `no ${d.platform} adapter is configured`);
    result.failed++;
    return;
  }
  try {
    let ref: string | undefined;
    if (d.updateOf !== undefined) {
      const original = await store.original(d.updateOf);
      if (original?.status === 'pending' || original?.status === 'sending') {
        await store.postpone(
          d.id,
          opts.worker,
          new Date(now.getTime() + 5_000),
          'waiting for the original post',
        );
        return;
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
    if (await store.markSent(d.id, opts.worker, now, ref)) result.sent++;
    else opts.logger?.warn({ delivery: d.id, key: d.key }, 'delivery sent after its lease ran out');
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
    } else {
      await store.markFailed(d.id, opts.worker, `${failure.kind}: ${failure.message}`);
      opts.logger?.error(
        { delivery: d.id, key: d.key, attempts: d.attempts },
        `delivery failed for good: ${failure.kind}: ${failure.message}`,
      );
      result.failed++;
    }
  }
}
