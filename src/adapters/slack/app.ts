import { App } from '@slack/bolt';
import { type RetryOptions, WebClient, type WebClientOptions } from '@slack/web-api';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { AppDeps } from '../../app/context.js';
import type { Sink } from '../../app/sink.js';
import type { Config } from '../../config.js';
import type { WarmUpRequest } from '../http/ack-warm-up.js';
import type { HandlerContext } from './context.js';
import { acknowledgedAtOnce, registerHandlers } from './handlers.js';
import { slackLogger } from './logger.js';
import { FastifyReceiver } from './receiver.js';
import { SlackSink, toDeliveryError } from './sink.js';

export type SlackConfig = Pick<
  Config,
  | 'SLACK_BOT_TOKEN'
  | 'SLACK_SIGNING_SECRET'
  | 'SLACK_APP_TOKEN'
  | 'SLACK_API_URL'
  | 'SLACK_ADMIN_USER_IDS'
>;

export type SlackMode = { mode: 'http' | 'socket' } | { mode: 'off'; reason: string };

/** Path of Slack's requests on the bot's HTTP server (the manifest's request URLs). */
export const SLACK_EVENTS_PATH = '/slack/events';

/**
 * The Web API client's retries for posting: five over about five minutes (429 waits for its
 * Retry-After first). Past that the outbox's own retry takes over from the DeliveryError.
 */
const POSTING_RETRY: RetryOptions = { retries: 5, factor: 3.86 };
const REQUEST_TIMEOUT_MS = 10_000;

/** Which mode the configuration asks for, or why Slack stays off. */
export function slackMode(config: SlackConfig): SlackMode {
  if (!config.SLACK_BOT_TOKEN) return { mode: 'off', reason: 'SLACK_BOT_TOKEN is not set' };
  if (config.SLACK_APP_TOKEN) return { mode: 'socket' };
  if (config.SLACK_SIGNING_SECRET) return { mode: 'http' };
  return {
    mode: 'off',
    reason:
      'SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode) nor SLACK_APP_TOKEN (Socket Mode) is',
  };
}

export interface SlackOptions {
  config: SlackConfig;
  deps: AppDeps;
  logger: Logger;
  /** The bot's HTTP server; HTTP mode mounts POST /slack/events on it, so pass it before it listens. */
  http?: FastifyInstance;
  /** Web API client tuning; tests pass a short retry policy. */
  clientOptions?: Pick<WebClientOptions, 'retryConfig' | 'timeout'>;
  /** The time request signatures are checked against; defaults to the app's clock. */
  signatureClock?: () => Date;
}

export interface SlackAdapter {
  readonly mode: 'http' | 'socket';
  /** Posts alerts and digests; usable before start(). */
  readonly sink: Sink;
  /** Checks the token (auth.test), then takes requests (HTTP) or connects (Socket Mode). */
  start(): Promise<void>;
  /** Stops taking requests and waits for answers still being sent. */
  stop(): Promise<void>;
  /**
   * Resolves once every request taken so far has been remembered and run (or refused), and
   * its answer sent: requests are acknowledged before that (see receiver.ts).
   */
  idle(): Promise<void>;
  /** HTTP mode: a request for the boot's acknowledgement warm-up (src/adapters/http/ack-warm-up.ts). */
  warmUpRequest?: () => WarmUpRequest;
}

/**
 * The Slack adapter: Bolt for slash commands, buttons and the Home tab, the Web API client
 * for posting. Throws when the configuration has Slack off (see slackMode) or HTTP mode has
 * no server to mount on.
 */
export function createSlack(options: SlackOptions): SlackAdapter {
  const { config, deps, logger } = options;
  const selected = slackMode(config);
  if (selected.mode === 'off') throw new Error(`Slack is off: ${selected.reason}`);
  const token = config.SLACK_BOT_TOKEN as string;
  const mode = selected.mode;
  const boltLogger = slackLogger(logger);
  const clientOptions: WebClientOptions = {
    retryConfig: POSTING_RETRY,
    timeout: REQUEST_TIMEOUT_MS,
    ...options.clientOptions,
    logger: boltLogger,
    ...(config.SLACK_API_URL ? { slackApiUrl: config.SLACK_API_URL } : {}),
  };
  const client = new WebClient(token, { ...clientOptions });
  const ctx: HandlerContext = {
    deps,
    admins: new Set(config.SLACK_ADMIN_USER_IDS),
    logger: logger.child({ component: 'slack' }),
  };

  // The route must exist before the server listens, so the receiver is made now; the Bolt app
  // is made in start(), once auth.test has said who the bot is.
  let receiver: FastifyReceiver | undefined;
  if (mode === 'http') {
    if (!options.http)
      throw new Error(
        'Slack HTTP mode needs the HTTP server (pass `http`), or set SLACK_APP_TOKEN for Socket Mode',
      );
    receiver = new FastifyReceiver({
      http: options.http,
      signingSecret: config.SLACK_SIGNING_SECRET as string,
      path: SLACK_EVENTS_PATH,
      now: () => (options.signatureClock ?? deps.clock)().getTime(),
      replays: () => deps.store.replays,
      ackAtOnce: acknowledgedAtOnce,
      arrived: () => deps.admission?.arrived(),
      beforeRun: async () => deps.admission?.quiet?.(),
      logger,
    });
  }
  let app: App | undefined;
  const inflight = new Set<Promise<void>>();

  return {
    mode,
    sink: new SlackSink(client, logger),
    ...(receiver ? { warmUpRequest: receiver.warmUpRequest.bind(receiver) } : {}),
    async start() {
      let identity: { botId: string; botUserId: string; name: string; team: string };
      try {
        const auth = await client.auth.test();
        identity = {
          botId: auth.bot_id ?? '',
          botUserId: auth.user_id ?? '',
          name: auth.user ?? '?',
          team: auth.team ?? '?',
        };
      } catch (error) {
        throw new Error(
          `Slack: checking SLACK_BOT_TOKEN with auth.test failed: ${toDeliveryError(error, 'auth.test').message}`,
        );
      }
      // botId and botUserId given: Bolt makes no auth.test of its own (by default it calls it
      // from the constructor, where a failure is an unhandled rejection).
      const common = {
        token,
        botId: identity.botId,
        botUserId: identity.botUserId,
        logger: boltLogger,
        clientOptions: { ...clientOptions },
        convoStore: false as const,
      };
      app =
        mode === 'socket'
          ? new App({
              ...common,
              appToken: config.SLACK_APP_TOKEN as string,
              socketMode: true,
              // The socket client keeps its own patient retry policy (it reconnects for as long
              // as it takes) unless the caller set one; it mutates these options, so a copy.
              installerOptions: {
                clientOptions: {
                  ...clientOptions,
                  ...(options.clientOptions?.retryConfig ? {} : { retryConfig: undefined }),
                },
              },
            })
          : new App({ ...common, receiver: receiver as FastifyReceiver });
      // Track every event through the listeners, so stop() can wait for answers still being
      // sent in either mode (Bolt's own stop does not wait for them).
      app.use(async ({ next }) => {
        const running = next();
        inflight.add(running);
        try {
          await running;
        } finally {
          inflight.delete(running);
        }
      });
      registerHandlers(app, ctx);
      await app.start();
      const where = mode === 'socket' ? 'Socket Mode' : `HTTP mode at POST ${SLACK_EVENTS_PATH}`;
      logger.info(
        `slack: ${where} as @${identity.name} in ${identity.team}; admins: ${config.SLACK_ADMIN_USER_IDS.length > 0 ? config.SLACK_ADMIN_USER_IDS.join(', ') : 'none (set SLACK_ADMIN_USER_IDS)'}`,
      );
    },
    async stop() {
      if (app) await app.stop();
      else await receiver?.stop();
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
    async idle() {
      await receiver?.idle();
      while (inflight.size > 0) await Promise.allSettled([...inflight]);
    },
  };
}
