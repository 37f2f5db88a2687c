import { generateKeyPairSync, type KeyObject, sign } from 'node:crypto';
import { API } from '@discordjs/core/http-only';
import type { RESTOptions } from '@discordjs/rest';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppDeps } from '../../app/context.js';
import type { ReplayMemory } from '../../app/ports/replays.js';
import type { Sink } from '../../app/sink.js';
import type { Config } from '../../config.js';
import { ReplayGuard, ReplayRefused } from '../../app/replay-guard.js';
import { type Answer, createInteractionHandler, type InteractionHandler } from './handler.js';
import type { WarmUpRequest } from '../http/ack-warm-up.js';
import { type RawHandler, sendJson, serveRaw } from '../http/raw-routes.js';
import { checkInteraction } from './payload.js';
import { closeRest, createRest, DEFAULT_DISCORD_API, DiscordSink } from './rest.js';
import { publicKeyFromHex, REPLAY_WINDOW_MS, verifyInteraction } from './verify.js';

export const INTERACTIONS_PATH = '/discord/interactions';

/**
 * Commands that finish within this answer in the first response (one message, no
 * "thinking…"); slower ones are deferred (type 5) and edited in. Short, so the first response
 * (the acknowledgement) stays under 100 ms however slow the command (issue 16): a status
 * usually takes 10–40 ms; past that, the deferral and the edit cost one more call. A command
 * that would wait for admission is deferred at once.
 */
export const DEFAULT_DEFER_AFTER_MS = 50;

export interface DiscordOptions {
  config: Config;
  deps: AppDeps;
  logger: Logger;
  /** The bot's fastify server: the interactions route is added to it (before it listens). */
  http?: FastifyInstance;
  /** For the signature's replay window; defaults to the app's clock. */
  clock?: () => Date;
  deferAfterMs?: number;
  /** REST client options (tests shorten retries and timeouts). */
  rest?: Partial<RESTOptions>;
}

export interface Discord {
  sink: Sink;
  /** Connects to the gateway when DISCORD_GATEWAY=true; the HTTP route needs no start. */
  start(): Promise<void>;
  /** Disconnects and waits for deferred answers still being finished. */
  stop(): Promise<void>;
  /** Resolves once every deferred answer in flight has been sent. */
  idle(): Promise<void>;
  /** The shared interaction handler (HTTP and gateway both call it). */
  handle: InteractionHandler;
  /** When the route is served: a request for the boot's acknowledgement warm-up. */
  warmUpRequest?: () => WarmUpRequest;
}

/** A key pair that is not the application's, made once per process, for the warm-up. */
let warmUpKey: KeyObject | undefined;

/**
 * A `/roadmap status` interaction as Discord sends it, signed now with a key that is not the
 * application's: the route reads it and runs the full Ed25519 check, which refuses it
 * (src/adapters/http/ack-warm-up.ts).
 */
export function discordWarmUpRequest(now: Date): WarmUpRequest {
  warmUpKey ??= generateKeyPairSync('ed25519').privateKey;
  const body = JSON.stringify({
    type: 2,
    id: '100000000000000000',
    application_id: '100000000000000000',
    token: 'warm-up',
    version: 1,
    channel_id: '100000000000000000',
    member: { user: { id: '100000000000000000', username: 'warm-up' }, roles: [] },
    data: {
      id: '100000000000000000',
      name: 'roadmap',
      type: 1,
      options: [{ type: 1, name: 'status', options: [] }],
    },
  });
  const timestamp = String(Math.floor(now.getTime() / 1000));
  return {
    path: INTERACTIONS_PATH,
    headers: {
      'content-type': 'application/json',
      'x-signature-ed25519': sign(null, Buffer.from(timestamp + body), warmUpKey).toString('hex'),
      'x-signature-timestamp': timestamp,
    },
    body,
  };
}

/** What the Discord adapter can do with this configuration, for the start-up log. */
export function discordStatus(config: Config): { enabled: boolean; summary: string } {
  const parts: string[] = [];
  if (config.DISCORD_PUBLIC_KEY) parts.push(`interactions at POST ${INTERACTIONS_PATH}`);
  if (config.DISCORD_GATEWAY)
    parts.push(
      config.DISCORD_TOKEN ? 'gateway connection' : 'gateway wanted but DISCORD_TOKEN is not set',
    );
  parts.push(
    config.DISCORD_TOKEN
      ? 'posting to channels'
      : 'no DISCORD_TOKEN: alerts and digests cannot be posted',
  );
  const enabled = Boolean(config.DISCORD_PUBLIC_KEY || config.DISCORD_TOKEN);
  return {
    enabled,
    summary: enabled
      ? `discord: ${parts.join('; ')}`
      : 'discord: not configured (set DISCORD_TOKEN, DISCORD_APPLICATION_ID and DISCORD_PUBLIC_KEY)',
  };
}

interface RouteOptions {
  key: KeyObject;
  /** Interaction ids already accepted, shared by every replica. */
  replays: () => ReplayMemory;
  clock: () => Date;
  handle: InteractionHandler;
  logger: Logger;
  track: (work: () => Promise<void>) => void;
  /** Told of every signed interaction as it arrives (the admission holds commands during a burst). */
  arrived?: () => void;
  /**
   * Resolves once a burst of interactions has been acknowledged (the admission's quiet): the
   * replay memory's statement waits for it, as the commands do (see ReplayGuard's `ready`).
   */
  quiet?: () => Promise<void>;
}

/**
 * `POST /discord/interactions`. The body is kept raw (in this route only) because the
 * signature covers the exact bytes Discord sent; every request is verified before anything
 * is parsed or run.
 *
 * The replay memory does not hold up the first response: an interaction this replica took
 * before is refused at once (401); any other is remembered (here at once, in the database with
 * the rest of its burst) while the handler prepares its answer, and no command runs until the
 * database says it is new. A replay the database catches before the answer is refused (401);
 * one it catches after a deferral finishes nothing.
 */
function mountInteractions(http: FastifyInstance, opts: RouteOptions): void {
  // Remembered here for twice the window: a timestamp up to 5 minutes ahead passes the check
  // until 10 minutes after the interaction was first seen.
  const guard = new ReplayGuard({
    platform: 'discord',
    memory: opts.replays,
    now: () => opts.clock().getTime(),
    keepMs: 2 * REPLAY_WINDOW_MS,
    ...(opts.quiet ? { ready: opts.quiet } : {}),
  });
  const answer: RawHandler = async (request, response, body) => {
    const verdict = await verifyInteraction(
      opts.key,
      {
        signature: request.headers['x-signature-ed25519'],
        timestamp: request.headers['x-signature-timestamp'],
      },
      body,
      opts.clock(),
    );
    if (verdict !== 'ok') {
      // Discord itself sends badly signed requests when the endpoint URL is saved, to check we refuse them.
      opts.logger.debug({ verdict }, 'discord: refused an interaction request');
      return sendJson(response, 401, { error: 'invalid request signature' });
    }
    opts.arrived?.();
    // Signed but not an interaction the handler can read: refused with what was wrong. The
    // id must be a snowflake string, so the replay memory below always sees it.
    const checked = checkInteraction(body.toString('utf8'));
    if (!checked.ok) {
      opts.logger.warn(`discord: refused a signed request: ${checked.error}`);
      return sendJson(response, 400, { error: `invalid interaction: ${checked.error}` });
    }
    const interaction = checked.interaction;
    // A verified request sent again (to this replica or another) within the signature's window.
    const already = () => sendJson(response, 401, { error: 'interaction already received' });
    if (guard.seenHere([interaction.id])) return already();
    const taken = guard.take([interaction.id], opts.clock());
    // Awaited by whatever runs; a failure to remember must not also be an unhandled rejection
    // when the answer needed no command (a PING, a usage error).
    taken.catch(() => undefined);
    let answered: Answer;
    try {
      answered = await opts.handle(interaction, taken);
    } catch (error) {
      if (error instanceof ReplayRefused) return already();
      throw error;
    }
    if (answered.finish) {
      const finish = answered.finish;
      // Webhook calls are valid only once Discord has our response: start after it is sent.
      response.once('close', () => opts.track(finish));
    }
    sendJson(response, 200, answered.response);
  };
  // On node's request event, ahead of fastify (serveRaw): the acknowledgement of a burst.
  serveRaw(http, 'POST', INTERACTIONS_PATH, answer, {
    tooLarge: { error: 'Request body is too large' },
    failed: { error: 'internal error' },
    log: (error) => opts.logger.error({ err: error }, 'discord: handling an interaction failed'),
  });
}

/**
 * The Discord adapter: the interactions endpoint on the bot's HTTP server, the sink that
 * posts alerts and digests, and optionally the gateway connection. Register the route by
 * passing `http` before the server listens.
 */
export function createDiscord(opts: DiscordOptions): Discord {
  const { config, deps, logger } = opts;
  const clock = opts.clock ?? deps.clock;
  const rest = createRest(config, opts.rest);
  const api = new API(rest);
  // Interaction webhooks (deferred answers, follow-ups) are not bound by the application's
  // global rate limit (Discord's interactions docs; their own per-token buckets still apply):
  // through the client's global 50 per second, a burst's deferred answers would queue behind
  // one another for seconds.
  const interactionRest = createRest(config, {
    ...opts.rest,
    globalRequestsPerSecond: Number.MAX_SAFE_INTEGER,
  });
  const interactionApi = new API(interactionRest);
  const inflight = new Set<Promise<void>>();
  const track = (work: () => Promise<void>) => {
    const running: Promise<void> = work()
      .catch((error: unknown) =>
        logger.error({ err: error }, 'discord: finishing an interaction failed'),
      )
      .finally(() => inflight.delete(running));
    inflight.add(running);
  };
  const handle = createInteractionHandler({
    deps,
    api: interactionApi,
    logger,
    admins: { roles: config.DISCORD_ADMIN_ROLE_IDS, users: config.DISCORD_ADMIN_USER_IDS },
    deferAfterMs: opts.deferAfterMs ?? DEFAULT_DEFER_AFTER_MS,
    clock,
  });

  if (opts.http) {
    if (config.DISCORD_PUBLIC_KEY)
      mountInteractions(opts.http, {
        key: publicKeyFromHex(config.DISCORD_PUBLIC_KEY),
        replays: () => deps.store.replays,
        clock,
        handle,
        logger,
        track,
        arrived: () => deps.admission?.arrived(),
        quiet: async () => deps.admission?.quiet?.(),
      });
    else
      logger.warn(
        `discord: DISCORD_PUBLIC_KEY is not set, so POST ${INTERACTIONS_PATH} is not served`,
      );
  }

  const sink = new DiscordSink(api, {
    hasToken: Boolean(config.DISCORD_TOKEN),
    ...(config.DISCORD_ALERT_ROLE_ID ? { alertRoleId: config.DISCORD_ALERT_ROLE_ID } : {}),
  });
  let gateway: { close(): Promise<void> } | undefined;
  const idle = async () => {
    while (inflight.size > 0) await Promise.allSettled([...inflight]);
  };

  const served = Boolean(opts.http && config.DISCORD_PUBLIC_KEY);
  return {
    sink,
    handle,
    idle,
    ...(served ? { warmUpRequest: () => discordWarmUpRequest(clock()) } : {}),
    async start() {
      if (!config.DISCORD_GATEWAY) return;
      if (!config.DISCORD_TOKEN)
        throw new Error('DISCORD_GATEWAY=true needs DISCORD_TOKEN (the bot token) to connect');
      const { connectGateway } = await import('./gateway.js');
      gateway = await connectGateway({
        token: config.DISCORD_TOKEN,
        api: config.DISCORD_API_URL ?? DEFAULT_DISCORD_API,
        rest,
        handle,
        logger,
        track,
      });
    },
    async stop() {
      await gateway?.close();
      gateway = undefined;
      await idle();
      closeRest(rest);
      closeRest(interactionRest);
    },
  };
}
