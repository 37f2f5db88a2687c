/** Retry policy of the outbox: exponential backoff with jitter, never sooner than the platform asked. */
export interface BackoffPolicy {
  baseMs: number;
  maxMs: number;
  /** Share of the delay randomized either way (0.2 = ±20%). */
  jitter: number;
}

export const DEFAULT_BACKOFF: BackoffPolicy = { baseMs: 2_000, maxMs: 15 * 60_000, jitter: 0.2 };

/** Delay before attempt `attempt + 1`; `random` is injected so tests are exact. */
export function backoffDelay(
  attempt: number,
  policy: BackoffPolicy,
  random: () => number,
  retryAfterMs?: number,
): number {
  const exponential = Math.min(policy.maxMs, policy.baseMs * 2 ** Math.max(0, attempt - 1));
  const jittered = exponential * (1 + policy.jitter * (2 * random() - 1));
  return Math.round(Math.max(jittered, retryAfterMs ?? 0));
}
