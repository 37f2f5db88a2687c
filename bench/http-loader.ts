import http from 'node:http';

/**
 * A small closed-loop load generator for the HTTP load bench: `concurrency` workers, each
 * sending its next request when the previous one is done, until `maxRequests` have been
 * issued or `maxMs` has passed, whichever comes first. Every request carries its own timeout,
 * so a level always ends by itself. Loopback only: refuses any other host.
 */

export interface Outcome {
  ok: boolean;
  /** Time until the request completed or failed (a timeout counts at the moment it fired). */
  ms: number;
  /**
   * With `from: 'sent'`: how long the request waited in the loader before it was written to
   * its socket (its `ms` starts then). A burst of new connections from one process queues.
   */
  queuedMs?: number;
  /** Why it failed: `HTTP 500`, `timeout`, `ECONNRESET`, … */
  error?: string;
  /** Slash commands: time from sending until the answer reached response_url. */
  answerMs?: number;
  /** When it was issued, ms after the level started (set by closedLoop). */
  startMs?: number;
  /** One of the first `concurrency` requests, all sent at once as the level starts (set by closedLoop). */
  firstWave?: boolean;
}

export interface LoopResult {
  outcomes: Outcome[];
  /** From the first request to the last completion. */
  wallMs: number;
}

export interface LoopOptions {
  concurrency: number;
  maxRequests: number;
  maxMs: number;
  run: (seq: number) => Promise<Outcome>;
}

export async function closedLoop(opts: LoopOptions): Promise<LoopResult> {
  const outcomes: Outcome[] = [];
  const started = performance.now();
  const deadline = started + opts.maxMs;
  let issued = 0;
  const worker = async (): Promise<void> => {
    while (issued < opts.maxRequests && performance.now() < deadline) {
      const seq = issued++;
      const startMs = performance.now() - started;
      const firstWave = seq < opts.concurrency;
      try {
        outcomes.push({ ...(await opts.run(seq)), startMs, firstWave });
      } catch (error) {
        outcomes.push({
          ok: false,
          ms: Number.NaN,
          error: `loader: ${(error as Error).message}`,
          startMs,
          firstWave,
        });
      }
    }
  };
  await Promise.all(Array.from({ length: opts.concurrency }, worker));
  return { outcomes, wallMs: performance.now() - started };
}

export interface HttpAnswer {
  status: number;
  body: string;
  ms: number;
  /** With `from: 'sent'`: from the call until the request was written to its socket. */
  queuedMs?: number;
}

const LOOPBACK = new Set(['127.0.0.1', '[::1]', 'localhost']);

/**
 * One request on `agent`; rejects with `timeout` after `timeoutMs` (the socket is destroyed).
 * `ms` counts from the call (default), or with `from: 'sent'` from the moment the whole
 * request was handed to the kernel (its 'finish'): what the server's peer would time, without
 * the loader's own queue of connections and writes in a burst (reported as `queuedMs`).
 */
export function request(
  agent: http.Agent,
  url: URL,
  init: {
    method: string;
    headers: Record<string, string | number>;
    body?: string | Buffer;
    timeoutMs: number;
    from?: 'call' | 'sent';
  },
): Promise<HttpAnswer> {
  if (!LOOPBACK.has(url.hostname))
    return Promise.reject(new Error(`refusing to load ${url.host}: loopback only`));
  return new Promise((resolve, reject) => {
    const called = performance.now();
    let started = called;
    const req = http.request(url, { method: init.method, headers: init.headers, agent }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        clearTimeout(timer);
        resolve({
          status: res.statusCode ?? 0,
          body: Buffer.concat(chunks).toString('utf8'),
          ms: performance.now() - started,
          ...(init.from === 'sent' ? { queuedMs: started - called } : {}),
        });
      });
      res.on('error', fail);
    });
    if (init.from === 'sent') req.once('finish', () => (started = performance.now()));
    function fail(error: Error & { code?: string }): void {
      clearTimeout(timer);
      reject(
        Object.assign(new Error(error.code ?? error.message), { ms: performance.now() - started }),
      );
    }
    const timer = setTimeout(
      () => req.destroy(Object.assign(new Error('timeout'), { code: 'timeout' })),
      init.timeoutMs,
    );
    req.on('error', fail);
    req.end(init.body);
  });
}

/** Elapsed time carried by a rejection of request(). */
export const elapsedOf = (error: unknown): number => (error as { ms?: number }).ms ?? Number.NaN;

export interface Percentiles {
  count: number;
  p50: number;
  p90: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentiles of the finite values (NaN fields when there are none). */
export function percentiles(values: number[]): Percentiles {
  const xs = values.filter(Number.isFinite).sort((a, b) => a - b);
  const at = (p: number): number =>
    xs.length === 0
      ? Number.NaN
      : (xs[Math.min(xs.length - 1, Math.max(0, Math.ceil((p / 100) * xs.length) - 1))] as number);
  return {
    count: xs.length,
    p50: at(50),
    p90: at(90),
    p99: at(99),
    max: at(100),
    mean: xs.length === 0 ? Number.NaN : xs.reduce((a, b) => a + b, 0) / xs.length,
  };
}
