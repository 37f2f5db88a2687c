import { randomBytes, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';

/**
 * The acknowledgement path's warm-up. A new process meets its first burst of chat requests
 * (hundreds of new connections at once) with node's socket and HTTP code and the routes' own
 * code not yet compiled by V8's optimizing compiler, which then compiles them during that
 * burst, on the same cores: the first burst after a restart was the slowest of every bench
 * run (issue 16). So before the bot listens it sends itself a few such bursts over loopback,
 * on the real server's request listener (openLoopbackTwin in server.ts). Each request is
 * signed with a key or secret that is not the platform's, so it runs the route up to and
 * including the signature check and is refused there with 401: nothing is run, remembered or
 * sent anywhere, and no key the bot holds is used.
 */
export interface WarmUpRequest {
  path: string;
  headers: Record<string, string>;
  body: string;
}

/** Marks the bot's own warm-up requests, so their refusal is not logged as a warning. */
export const WARM_UP_HEADER = 'x-roadmap-warm-up';
/** New for every process, and never sent beyond loopback. */
const WARM_UP_TOKEN = randomBytes(16).toString('hex');

/** The header that marks a request as this process's own warm-up. */
export const warmUpMark = (): Record<string, string> => ({ [WARM_UP_HEADER]: WARM_UP_TOKEN });

/** Whether a request carries this process's warm-up mark. */
export function isOwnWarmUp(headers: IncomingHttpHeaders): boolean {
  const given = headers[WARM_UP_HEADER];
  if (typeof given !== 'string' || given.length !== WARM_UP_TOKEN.length) return false;
  return timingSafeEqual(Buffer.from(given), Buffer.from(WARM_UP_TOKEN));
}

export interface BurstOptions {
  /** Bursts per route (0: none). */
  bursts: number;
  /** Requests at once in a burst, each on a new connection. */
  size: number;
  /** No burst starts after this long (ms); each request also times out after it. */
  timeoutMs: number;
  /** A monotonic clock in ms. Default: performance.now. */
  elapsed?: () => number;
}

export interface BurstResult {
  requests: number;
  /** Answered 401: refused at the signature check, as meant. */
  refused: number;
  /** Answered anything else, or failed, by status or error message. */
  unexpected: Record<string, number>;
  /** Bursts not sent because the time ran out. */
  skipped: number;
  ms: number;
}

/**
 * Sends `bursts` rounds of `size` requests at once per route to `origin`, a round's routes
 * one after another, each burst on new connections (as a first burst arrives).
 */
export async function sendWarmUpBursts(
  origin: URL,
  requests: (() => WarmUpRequest)[],
  options: BurstOptions,
): Promise<BurstResult> {
  const elapsed = options.elapsed ?? (() => performance.now());
  const started = elapsed();
  const result: BurstResult = { requests: 0, refused: 0, unexpected: {}, skipped: 0, ms: 0 };
  for (let round = 0; round < options.bursts; round++) {
    for (const make of requests) {
      if (elapsed() - started > options.timeoutMs) {
        result.skipped++;
        continue;
      }
      const agent = new http.Agent({
        keepAlive: true,
        maxSockets: options.size,
        maxFreeSockets: options.size,
      });
      const one = make();
      const url = new URL(one.path, origin);
      const headers = {
        ...one.headers,
        ...warmUpMark(),
        'content-length': String(Buffer.byteLength(one.body)),
      };
      const send = { agent, url, headers, body: one.body, timeoutMs: options.timeoutMs };
      const outcomes = await Promise.all(Array.from({ length: options.size }, () => post(send)));
      agent.destroy();
      for (const outcome of outcomes) {
        result.requests++;
        if (outcome === 401) result.refused++;
        else result.unexpected[outcome] = (result.unexpected[outcome] ?? 0) + 1;
      }
    }
  }
  result.ms = elapsed() - started;
  return result;
}

/** The response's status, or what failed. */
function post(send: {
  agent: http.Agent;
  url: URL;
  headers: Record<string, string>;
  body: string;
  timeoutMs: number;
}): Promise<number | string> {
  const { agent, url, headers, body, timeoutMs } = send;
  return new Promise((resolve) => {
    const request = http.request(
      url,
      { method: 'POST', agent, timeout: timeoutMs, headers },
      (response) => {
        response.resume();
        response.on('end', () => resolve(response.statusCode ?? 'no status'));
        response.on('error', (error) => resolve(error.message));
      },
    );
    request.on('timeout', () => request.destroy(new Error(`no answer in ${timeoutMs} ms`)));
    request.on('error', (error) => resolve(error.message));
    request.end(body);
  });
}

/**
 * Runs the bursts through a loopback twin of `app` (openLoopbackTwin), before `app` listens:
 * no outside request is taken meanwhile.
 */
export async function warmAcknowledgements(
  twin: () => Promise<{ origin: URL; close(): Promise<void> }>,
  requests: (() => WarmUpRequest)[],
  options: BurstOptions,
): Promise<BurstResult> {
  const opened = await twin();
  try {
    return await sendWarmUpBursts(opened.origin, requests, options);
  } finally {
    await opened.close();
  }
}

/** Whether the warm-up went as meant: every burst sent, every request refused at the check. */
export const asMeant = (result: BurstResult): boolean =>
  result.skipped === 0 && result.refused === result.requests;

/** One line for the log. */
export function describeBursts(result: BurstResult, options: BurstOptions): string {
  const unexpected = Object.entries(result.unexpected)
    .map(([what, n]) => `${n} × ${what}`)
    .join(', ');
  return [
    `${result.requests} requests in bursts of ${options.size}, ${result.refused} refused at the signature check as meant`,
    unexpected ? `unexpected: ${unexpected}` : '',
    result.skipped ? `${result.skipped} bursts skipped (WARM_UP_TIMEOUT)` : '',
  ]
    .filter(Boolean)
    .join('; ')
    .concat(` in ${Math.round(result.ms)} ms`);
}
