/**
 * SQLSTATEs after which PostgreSQL has rolled the transaction back and running it again is the
 * documented remedy: serialization_failure and deadlock_detected.
 */
const TRANSIENT = new Set(['40001', '40P01']);

export function isTransientFailure(error: unknown): boolean {
  return TRANSIENT.has((error as { code?: unknown } | undefined)?.code as string);
}

export interface RetryOptions {
  /** Tries in all, the first included (default 5). */
  attempts?: number;
  /** Upper bound of the first wait; doubled per retry up to maxDelayMs (defaults 10 and 200 ms). */
  baseDelayMs?: number;
  maxDelayMs?: number;
  /** Injected in tests; default setTimeout and Math.random. */
  sleep?: (ms: number) => Promise<void>;
  random?: () => number;
}

const wait = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * Runs `attempt` (a whole transaction: a statement alone cannot be re-run in an aborted one)
 * again after a transient failure, a bounded number of times, with "full jitter" backoff so
 * that the transactions that collided do not collide again in lockstep. Any other error, and
 * the last transient one, is thrown as is.
 */
export async function retryTransient<T>(
  attempt: () => Promise<T>,
  opts: RetryOptions = {},
): Promise<T> {
  const attempts = Math.max(1, opts.attempts ?? 5);
  const base = opts.baseDelayMs ?? 10;
  const max = opts.maxDelayMs ?? 200;
  const sleep = opts.sleep ?? wait;
  const random = opts.random ?? Math.random;
  for (let n = 1; ; n++) {
    try {
      return await attempt();
    } catch (error) {
      if (n >= attempts || !isTransientFailure(error)) throw error;
      await sleep(Math.round(random() * Math.min(max, base * 2 ** (n - 1))));
    }
  }
}
