import { parse as parseQuery } from 'node:querystring';
import {
  type App,
  type Receiver,
  type ReceiverEvent,
  ReceiverMultipleAckError,
  verifySlackRequest,
} from '@slack/bolt';
import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import type { ReplayMemory } from '../../app/ports/replays.js';
import { parseSlackRequest, requestKeys } from './requests.js';

/** Slack's replay window: requests signed longer ago than this are refused. */
export const SIGNATURE_WINDOW_MS = 5 * 60_000;

export type SignatureVerdict = { ok: true } | { ok: false; reason: string };

/**
 * Checks Slack's `v0` request signature (HMAC-SHA256 of `v0:<timestamp>:<raw body>`) with
 * Bolt's own verifier, in constant time. Bolt only refuses timestamps older than five
 * minutes; we also refuse ones more than five minutes ahead, so the window holds both ways.
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
  try {
    verifySlackRequest({
      signingSecret,
      body: rawBody,
      headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': seconds },
      nowMilliseconds: nowMs,
    });
    return { ok: true };
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
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
  logger: Logger;
}

type Outcome = { acked: true; response: unknown } | { acked: false; error?: unknown };

/**
 * A Bolt receiver mounted on the bot's own fastify server, so Slack shares its port with the
 * health checks and the push API. It answers as soon as a listener calls ack() and lets the
 * listener go on (Bolt's processBeforeResponse: false); signatures are checked on the raw body
 * before anything is parsed or run.
 */
export class FastifyReceiver implements Receiver {
  private app: App | undefined;
  private readonly inflight = new Set<Promise<void>>();
  private readonly logger: Logger;

  constructor(private readonly options: FastifyReceiverOptions) {
    this.logger = options.logger;
    const path = options.path ?? '/slack/events';
    // An encapsulated plugin: its catch-all raw-body parser does not change how the rest of the
    // server parses JSON. It must be registered before the server starts listening.
    try {
      void options.http.register(async (scope) => {
        scope.removeAllContentTypeParsers();
        scope.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) =>
          done(null, body),
        );
        // Whatever fails unexpectedly is logged here and answered without its message, which
        // could name internals; fastify's own 4xx (a body over the limit) keep theirs.
        scope.setErrorHandler((error: FastifyError, request, reply) => {
          const status = error.statusCode ?? 500;
          if (status >= 400 && status < 500)
            return reply.code(status).send({ error: 'bad_request', message: error.message });
          this.logger.error({ err: error, url: request.url }, 'slack: handling a request failed');
          return reply.code(500).send({ error: 'internal_error' });
        });
        scope.post(path, (request, reply) => this.handle(request, reply));
      });
    } catch (error) {
      throw new Error(
        `Slack: cannot mount POST ${path} on an HTTP server that is already listening; create the Slack adapter before listen() (${(error as Error).message})`,
      );
    }
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
  }

  private async handle(request: FastifyRequest, reply: FastifyReply): Promise<FastifyReply> {
    const raw = Buffer.isBuffer(request.body) ? request.body.toString('utf8') : '';
    const contentType = String(request.headers['content-type'] ?? '');
    const isForm = contentType.startsWith('application/x-www-form-urlencoded');

    // Slack's SSL check is unsigned; like Bolt, answer it and run nothing.
    if (isForm && parseQuery(raw).ssl_check === '1') return reply.code(200).send();

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
      this.logger.warn(
        `slack: refused a request to ${request.url}: ${verdict.reason} (a mismatch means SLACK_SIGNING_SECRET is not this app's signing secret)`,
      );
      return reply.code(401).send({ error: 'invalid_signature' });
    }

    // Signed but not a shape Slack sends: refused before Bolt, which would throw on it.
    const parsed = parseSlackRequest(raw, isForm);
    if (!parsed.ok) {
      this.logger.warn(`slack: refused a signed request to ${request.url}: ${parsed.error}`);
      return reply.code(400).send({ error: 'invalid_body', message: parsed.error });
    }
    const slackRequest = parsed.request;
    if (slackRequest.kind === 'url_verification')
      return reply.code(200).send({ challenge: slackRequest.challenge });
    if (slackRequest.kind === 'app_rate_limited') {
      this.logger.warn('slack: Slack is holding back events for this app (app_rate_limited)');
      return reply.code(200).send();
    }
    if (!this.app) return reply.code(503).send();

    const retryNum = Number(header(request, 'x-slack-retry-num'));
    const retryReason = header(request, 'x-slack-retry-reason');
    const isRetry = Number.isInteger(retryNum);
    // Remembered before anything runs, in the database every replica shares: the same signed
    // request (or the same event) a second time, here or elsewhere, runs nothing.
    const keys = requestKeys(header(request, 'x-slack-request-timestamp') ?? '', raw, slackRequest);
    if (!(await this.options.replays().firstSeenSlack(keys, new Date(this.options.now())))) {
      if (isRetry) {
        // Slack retries what it thinks was not acknowledged in 3 s; the first delivery was
        // taken, so acknowledge and ask for no more retries.
        this.logger.info(
          `slack: acknowledged retry ${retryNum} (${retryReason ?? 'no reason given'}) of a request already taken; not run again`,
        );
        return reply.code(200).header('x-slack-no-retry', '1').send();
      }
      this.logger.warn(
        `slack: refused a request to ${request.url} already received (a replay within the signature window)`,
      );
      return reply.code(401).send({ error: 'request_already_received' });
    }
    const body = slackRequest.body;

    let acked = false;
    let resolveAck: (outcome: Outcome) => void = () => undefined;
    const ackOutcome = new Promise<Outcome>((resolve) => (resolveAck = resolve));
    const event: ReceiverEvent = {
      body,
      ...(isRetry ? { retryNum } : {}),
      ...(retryReason ? { retryReason } : {}),
      ack: async (response?: unknown) => {
        if (acked) throw new ReceiverMultipleAckError();
        acked = true;
        resolveAck({ acked: true, response });
      },
    };
    // Never rejects: the error is the value, handled once below.
    const processed = this.app.processEvent(event).then(
      () => undefined,
      (error: unknown) => error,
    );
    const tracked = processed.then((error) => {
      if (error !== undefined && acked)
        this.logger.error({ err: error }, 'slack: a listener failed after acknowledging');
    });
    this.inflight.add(tracked);
    void tracked.finally(() => this.inflight.delete(tracked));

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
      await this.options
        .replays()
        .forgetSlack(keys)
        .catch((error: unknown) => {
          this.logger.warn({ err: error }, 'slack: could not forget a failed request');
        });
      return reply.code(500).send({ error: 'internal_error' });
    }
    // No listener took it (an action or event this app does not handle); Bolt answers 404 too.
    return reply.code(404).send();
  }
}

function header(request: FastifyRequest, name: string): string | undefined {
  const value = request.headers[name];
  return typeof value === 'string' ? value : undefined;
}

function sendAck(reply: FastifyReply, response: unknown): FastifyReply {
  if (response === undefined || response === '') return reply.code(200).send();
  if (typeof response === 'string')
    return reply.code(200).type('text/plain; charset=utf-8').send(response);
  return reply.code(200).send(response);
}
