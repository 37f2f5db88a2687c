import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { type App, type Receiver, type ReceiverEvent, ReceiverMultipleAckError } from '@slack/bolt';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { ReplayMemory } from '../../app/ports/replays.js';
import { ReplayGuard } from '../../app/replay-guard.js';
import { isOwnWarmUp, type WarmUpRequest } from '../http/ack-warm-up.js';
import { sendJson, sendText, serveRaw } from '../http/raw-routes.js';
import { parseSlackRequest, requestKeys } from './requests.js';

/** Slack's replay window: requests signed longer ago than this are refused. */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks Slack's `v0` request signature (HMAC-SHA256 of `v0:<timestamp>:<raw body>`), in
 * constant time, with the rules of Bolt's verifier (verifySlackRequest): a timestamp older
 * than five minutes is stale, a version other than v0 unknown. We also refuse timestamps more
 * than five minutes ahead, so the window holds both ways. Bolt's own verifier compares with
 * tsscmp, two more HMACs and random bytes per request: a quarter of the acknowledgement's
 * work in a burst (issue 16); timingSafeEqual on the digests is as constant-time.
 */
export function verifySignature(
  signingSecret: string,
  headers: { signature?: string | undefined; timestamp?: string | undefined },
  rawBody: string,
  nowMs: number,
): SignatureVerdict {
  const { signature, timestamp } = headers;
  if (!signature || !timestamp)
    return { ok: false, reason: 'missing X-Slack-Signature or X-Slack-Request-Timestamp' };
  const seconds = Number(timestamp);
  if (!Number.isInteger(seconds))
    return { ok: false, reason: 'X-Slack-Request-Timestamp is not a number' };
  if (seconds * 1000 > nowMs + SIGNATURE_WINDOW_MS)
    return { ok: false, reason: 'X-Slack-Request-Timestamp is more than 5 minutes ahead' };
  if (seconds < Math.floor(nowMs / 1000) - SIGNATURE_WINDOW_MS / 1000)
    return { ok: false, reason: 'X-Slack-Request-Timestamp is more than 5 minutes old: stale' };
  const [version, hash] = signature.split('=');
  if (version !== 'v0') return { ok: false, reason: 'unknown signature version' };
  const expected = createHmac('sha256', signingSecret).update(`v0:${seconds}:${rawBody}`).digest();
  // Slack writes the digest in lowercase hex; anything else cannot match (Bolt compares the
  // strings), and its length is no secret.
  const given = hash && /^[0-9a-f]{64}$/.test(hash) ? Buffer.from(hash, 'hex') : undefined;
  if (!given || !timingSafeEqual(given, expected))
    return { ok: false, reason: 'signature mismatch' };
  return { ok: true };
}

/** A secret that is not the app's, new for every process: the warm-up's requests fail the check. */
const WARM_UP_SECRET = randomBytes(32).toString('hex');

/**
 * A `/roadmap status` as Slack sends it, signed now with a secret that is not the app's: it
 * runs the route up to the signature check, which refuses it (src/adapters/http/ack-warm-up.ts).
 */
export function slackWarmUpRequest(path: string, nowMs: number): WarmUpRequest {
  const body = new URLSearchParams({
    token: 'warm-up',
    team_id: 'T0WARMUP',
    channel_id: 'C0WARMUP',
    user_id: 'U0WARMUP',
    command: '/roadmap',
    text: 'status',
    response_url: 'https://hooks.slack.com/commands/T0WARMUP/1/warm-up',
    trigger_id: '1.1.warm-up',
  }).toString();
  const timestamp = String(Math.floor(nowMs / 1000));
  const hash = createHmac('sha256', WARM_UP_SECRET).update(`v0:${timestamp}:${body}`).digest('hex');
  return {
    path,
    headers: {
      'content-type': 'application/x-www-form-urlencoded',
      'x-slack-request-timestamp': timestamp,
      'x-slack-signature': `v0=${hash}`,
    },
    body,
  };
}

export interface FastifyReceiverOptions {
  http: FastifyInstance;
  signingSecret: string;
  /** Where Slack sends slash commands, interactivity and events (the manifest's URLs). */
  path?: string;
  /** The time signatures are checked against (the app's injected clock). */
  now: () => number;
  /**
   * Requests already accepted, shared by every replica: a replay is refused. Asked for when a
   * request arrives, so mounting the route needs no database yet.
   */
  replays: () => ReplayMemory;
  /**
   * Requests whose listeners acknowledge at once and with nothing (see handlers.ts
   * acknowledgedAtOnce): answered 200 as soon as they are verified, before the replay memory
   * or Bolt see them, and run once the shared memory says they are new. Anything else (and
   * everything when this is absent) waits for the shared memory and for its listener's
   * ack(), as Bolt's own receivers do.
   */
  ackAtOnce?: (body: Record<string, unknown>) => boolean;
  /** Told of every signed request as it arrives (the admission holds commands during a burst). */
  arrived?: () => void;
  /**
   * Awaited after the acknowledgement, before Bolt runs the request: resolves once a burst of
   * requests has been acknowledged (the admission's quiet), so Bolt's work does not delay them.
   * The replay memory's statement waits for it too (see ReplayGuard's `ready`).
   */
  beforeRun?: () => Promise<void>;
  logger: Logger;
}

type Outcome = { acked: true; response: unknown } | { acked: false; error?: unknown };

/** What a request says about being one of Slack's retries (X-Slack-Retry-Num/-Reason). */
interface Retry {
  num?: number;
  reason?: string;
}

/** Said on response_url when a request was acknowledged but could not be remembered. */
export const NOT_RECORDED =
  'Sorry, this request could not be recorded (the database did not answer), so it was not run. Please try again in a moment.';

/**
 * A Bolt receiver mounted on the bot's own HTTP server (createHttpServer), so Slack shares its
 * port with the health checks and the push API; its route is answered ahead of fastify.
 * Signatures are checked on the raw body before anything is parsed or run.
 *
 * The order for what our listeners acknowledge at once (slash commands, our buttons, events):
 * verify, answer 200, remember the request (this replica at once, the database in a batch
 * with the rest of the burst), and only then run it, if the shared memory says it is new. So
 * the acknowledgement waits for neither the database nor the command, and a replay still runs
 * nothing: on this replica it is refused with 401 before the answer; on another one it is
 * acknowledged like any request (that replica cannot know yet) and then not run.
 */
export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly logger: Logger;
  private readonly guard: ReplayGuard;

  constructor(private readonly options: FastifyReceiverOptions) {
    this.logger = options.logger;
    // Remembered here for twice the signature window: a request signed up to 5 minutes ahead
    // can pass the window check until 10 minutes after it was first seen.
    this.guard = new ReplayGuard({
      platform: 'slack',
      memory: options.replays,
      now: options.now,
      keepMs: 2 * SIGNATURE_WINDOW_MS,
      // A burst's statement waits for its acknowledgements, as its commands do.
      ...(options.beforeRun ? { ready: options.beforeRun } : {}),
    });
    // On node's request event, ahead of fastify (serveRaw), as Discord's endpoint: the
    // acknowledgement of a burst skips fastify's routing, hooks and reply pipeline.
    serveRaw(
      options.http,
      'POST',
      options.path ?? '/slack/events',
      (request, response, body) => this.handle(request, response, body.toString('utf8')),
      {
        tooLarge: { error: 'bad_request', message: 'Request body is too large' },
        failed: { error: 'internal_error' },
        log: (error, request) =>
          this.logger.error({ err: error, url: request.url }, 'slack: handling a request failed'),
      },
    );
  }

  /** A request for the acknowledgement warm-up, signed now (see slackWarmUpRequest). */
  warmUpRequest(): WarmUpRequest {
    return slackWarmUpRequest(this.options.path ?? '/slack/events', this.options.now());
  }

  init(app: App): void {
    this.app = app;
  }

  /** The fastify server is started by its owner; nothing to do here. */
  async start(): Promise<void> {}

  /** Waits for listeners still running after their ack (answers being sent to Slack). */
  async stop(): Promise<void> {
    await this.idle();
  }

  async idle(): Promise<void> {
    while (this.inflight.size > 0) await Promise.all([...this.inflight]);
    await this.guard.settled();
  }

  private track(work: Promise<void>): void {
    this.inflight.add(work);
    void work.finally(() => this.inflight.delete(work));
  }

  private async handle(
    request: IncomingMessage,
    reply: ServerResponse,
    raw: string,
  ): Promise<void> {
    const contentType = String(request.headers['content-type'] ?? '');
    const isForm = contentType.startsWith('application/x-www-form-urlencoded');

    // Slack's SSL check is unsigned; like Bolt, answer it and run nothing.
    if (isForm && parseQuery(raw).ssl_check === '1') return sendText(reply, 200);

    const verdict = verifySignature(
      this.options.signingSecret,
      {
        signature: header(request, 'x-slack-signature'),
        timestamp: header(request, 'x-slack-request-timestamp'),
      },
      raw,
      this.options.now(),
    );
    if (!verdict.ok) {
      // The bot's own warm-up (ack-warm-up.ts) is refused here by design.
      if (isOwnWarmUp(request.headers)) return sendJson(reply, 401, { error: 'invalid_signature' });
      this.logger.warn(
        `slack: refused a request to ${request.url}: ${verdict.reason} (a mismatch means SLACK_SIGNING_SECRET is not this app's signing secret)`,
      );
      return sendJson(reply, 401, { error: 'invalid_signature' });
    }
    this.options.arrived?.();

    // Signed but not a shape Slack sends: refused before Bolt, which would throw on it.
    const parsed = parseSlackRequest(raw, isForm);
    if (!parsed.ok) {
      this.logger.warn(`slack: refused a signed request to ${request.url}: ${parsed.error}`);
      return sendJson(reply, 400, { error: 'invalid_body', message: parsed.error });
    }
    const slackRequest = parsed.request;
    if (slackRequest.kind === 'url_verification')
      return sendJson(reply, 200, { challenge: slackRequest.challenge });
    if (slackRequest.kind === 'app_rate_limited') {
      this.logger.warn('slack: Slack is holding back events for this app (app_rate_limited)');
      return sendText(reply, 200);
    }
    const app = this.app;
    if (!app) return sendText(reply, 503);

    const retryNum = Number(header(request, 'x-slack-retry-num'));
    const retryReason = header(request, 'x-slack-retry-reason');
    const retry: Retry = {
      ...(Number.isInteger(retryNum) ? { num: retryNum } : {}),
      ...(retryReason ? { reason: retryReason } : {}),
    };
    const body = slackRequest.body;
    // The same signed request (or the same event) a second time runs nothing: refused here at
    // once when this replica took it; otherwise the shared memory decides before it runs.
    const keys = requestKeys(header(request, 'x-slack-request-timestamp') ?? '', raw, slackRequest);
    if (this.guard.seenHere(keys)) return this.refuseReplay(request, reply, retry);
    const taken = this.guard.take(keys, new Date(this.options.now()));
    const event = (ack: ReceiverEvent['ack']): ReceiverEvent => ({
      body,
      ...(retry.num !== undefined ? { retryNum: retry.num } : {}),
      ...(retry.reason ? { retryReason: retry.reason } : {}),
      ack,
    });

    if (this.options.ackAtOnce?.(body)) {
      this.track(this.runTaken(app, event, taken, request.url ?? '', retry));
      // A retry acknowledged needs no other: whichever delivery runs, it runs once.
      return sendText(reply, 200, '', retry.num !== undefined ? NO_RETRY : {});
    }

    let fresh: boolean;
    try {
      fresh = await taken;
    } catch (error) {
      // Not remembered, and answered 500 below: Slack's retry must not be refused here.
      this.guard.forgetHere(keys);
      throw error;
    }
    if (!fresh) return this.refuseReplay(request, reply, retry);

    let acked = false;
    let resolveAck: (outcome: Outcome) => void = () => undefined;
    const ackOutcome = new Promise<Outcome>((resolve) => (resolveAck = resolve));
    // Never rejects: the error is the value, handled once below.
    const processed = app
      .processEvent(
        event(async (response?: unknown) => {
          if (acked) throw new ReceiverMultipleAckError();
          acked = true;
          resolveAck({ acked: true, response });
        }),
      )
      .then(
        () => undefined,
        (error: unknown) => error,
      );
    this.track(
      processed.then((error) => {
        if (error !== undefined && acked)
          this.logger.error({ err: error }, 'slack: a listener failed after acknowledging');
      }),
    );

    const outcome = await Promise.race([
      ackOutcome,
      processed.then((error): Outcome => ({ acked: false, error })),
    ]);
    if (outcome.acked) return sendAck(reply, outcome.response);
    if (outcome.error !== undefined) {
      this.logger.error(
        { err: outcome.error },
        'slack: handling a request failed before it was acknowledged',
      );
      // Nothing was acknowledged, so Slack may retry it: let the retry run.
      await this.guard.forget(keys, taken).catch((error: unknown) => {
        this.logger.warn({ err: error }, 'slack: could not forget a failed request');
      });
      return sendJson(reply, 500, { error: 'internal_error' });
    }
    // No listener took it (an action or event this app does not handle); Bolt answers 404 too.
    return sendText(reply, 404);
  }

  /** A request this replica or the shared memory has seen: a retry is acknowledged, a replay refused. */
  private refuseReplay(request: IncomingMessage, reply: ServerResponse, retry: Retry): void {
    if (retry.num !== undefined) {
      // Slack retries what it thinks was not acknowledged in 3 s; the first delivery was
      // taken, so acknowledge and ask for no more retries.
      this.logger.info(
        `slack: acknowledged retry ${retry.num} (${retry.reason ?? 'no reason given'}) of a request already taken; not run again`,
      );
      return sendText(reply, 200, '', NO_RETRY);
    }
    this.logger.warn(
      `slack: refused a request to ${request.url} already received (a replay within the signature window)`,
    );
    return sendJson(reply, 401, { error: 'request_already_received' });
  }

  /**
   * After the acknowledgement: runs the request through Bolt once the shared memory has taken
   * it, or says why it did not. Bolt's listeners call ack() as usual; it was answered already.
   */
  private async runTaken(
    app: App,
    event: (ack: ReceiverEvent['ack']) => ReceiverEvent,
    taken: Promise<boolean>,
    url: string,
    retry: Retry,
  ): Promise<void> {
    let fresh: boolean;
    try {
      fresh = await taken;
    } catch (error) {
      this.logger.error(
        { err: error },
        'slack: a request was acknowledged but could not be remembered in the database, so it was not run',
      );
      const ran = event(async () => undefined);
      await this.tellNotRun(ran.body);
      return;
    }
    if (!fresh) {
      if (retry.num !== undefined)
        this.logger.info(
          `slack: acknowledged retry ${retry.num} (${retry.reason ?? 'no reason given'}) of a request already taken; not run again`,
        );
      else
        this.logger.warn(
          `slack: a request to ${url} was already received (a replay within the signature window, taken by another replica): acknowledged, not run again`,
        );
      return;
    }
    try {
      await this.options.beforeRun?.();
      await app.processEvent(
        event(async (response?: unknown) => {
          if (response !== undefined && response !== '')
            this.logger.warn(
              'slack: a listener acknowledged with a response, but this request was acknowledged before it ran; the response is not sent',
            );
        }),
      );
    } catch (error) {
      this.logger.error({ err: error }, 'slack: a listener failed after acknowledging');
    }
  }

  /** Tells the person on response_url that their request was acknowledged but not run. */
  private async tellNotRun(body: Record<string, unknown>): Promise<void> {
    const url = typeof body.response_url === 'string' ? body.response_url : undefined;
    if (!url) return;
    try {
      const res = await fetch(url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          response_type: 'ephemeral',
          replace_original: false,
          text: NOT_RECORDED,
        }),
        signal: AbortSignal.timeout(10_000),
      });
      if (!res.ok) throw new Error(`response_url answered HTTP ${res.status}`);
    } catch (error) {
      this.logger.warn(
        { err: error },
        'slack: could not say on response_url that a request was not run',
      );
    }
  }
}

function header(request: IncomingMessage, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

/** Asks Slack not to retry a request (X-Slack-No-Retry). */
const NO_RETRY = { 'x-slack-no-retry': '1' };

/** What a listener's ack() gave: nothing, a text, or a message (JSON), as Bolt answers it. */
function sendAck(response: ServerResponse, body: unknown): void {
  if (body === undefined || body === '') return sendText(response, 200);
  if (typeof body === 'string')
    return sendText(response, 200, body, { 'content-type': 'text/plain; charset=utf-8' });
  sendJson(response, 200, body);
}
