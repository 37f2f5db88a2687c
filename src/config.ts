import os from 'node:os';
import path from 'node:path';
import cron from 'node-cron';
import { z } from 'zod';
import type { WebSettings } from './app/web.js';
import { parseDurationLiteral } from './core/condition/parse.js';

/**
 * Every environment variable the bot reads, validated in one place (`.env.example` lists
 * them). Takes `env` as an argument so tests pass their own.
 */
/** `4h`, `30m` → milliseconds. */
const duration = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((text, ctx) => {
      const ms = parseDurationLiteral(text);
      if (ms === undefined || ms <= 0) {
        ctx.addIssue({
          code: 'custom',
          message: `expected a duration such as 30m or 4h, got "${text}"`,
        });
        return z.NEVER;
      }
      return ms;
    });

/** `U1,U2, U3` → ['U1','U2','U3']. */
const idList = z
  .string()
  .default('')
  .transform((text) =>
    text
      .split(',')
      .map((id) => id.trim())
      .filter(Boolean),
  );

const schema = z.object({
  DATABASE_URL: z.string().url('expected a postgres:// connection URL').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  ROADMAPS_DIR: z.string().min(1).default('roadmaps'),
  PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  /** Chat commands run at once per process; the rest wait their turn (already acknowledged). */
  COMMAND_CONCURRENCY: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(1)
    .max(100)
    .default(4),
  ROADMAP_ACTOR: z.string().min(1).optional(),
  /**
   * The boot warm-up (src/app/warm-up.ts): connections opened and primed before the bot is
   * ready, and kept open when idle (0: none); how long start-up waits for it at most.
   */
  WARM_UP_CONNECTIONS: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(0)
    .max(100)
    .default(4),
  WARM_UP_TIMEOUT: duration('10s'),
  /**
   * The acknowledgement warm-up (src/adapters/http/ack-warm-up.ts): bursts of refused requests
   * per chat route, and requests at once in each, sent to itself before the bot listens (0: none).
   */
  WARM_UP_BURSTS: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(0)
    .max(50)
    .default(5),
  WARM_UP_BURST_SIZE: z.coerce
    .number({ error: 'expected a whole number' })
    .int()
    .min(1)
    .max(1000)
    .default(200),

  // The scheduler: evaluation and digest checks, alert repeats, the outbox.
  EVALUATE_CRON: z
    .string()
    .refine((e) => cron.validate(e), 'expected a cron expression such as "* * * * *"')
    .default('* * * * *'),
  /** Under a steady stream of writes, evaluations of one roadmap start at least this far apart. */
  EVALUATE_ON_WRITE_SPACING: duration('250ms'),
  ALERT_REPEAT_INTERVAL: duration('4h'),
  DELIVERY_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(100).default(8),
  // The push API.
  API_MAX_POINTS: z.coerce.number().int().min(1).default(10_000),
  API_MAX_BODY_BYTES: z.coerce
    .number()
    .int()
    .min(1024)
    .default(5 * 1024 * 1024),
  API_RATE_LIMIT: z.coerce.number().int().min(1).default(120),
  /** Collectors: statement timeout of SQL sources, request timeout of Prometheus sources. */
  COLLECTOR_TIMEOUT: duration('10s'),

  /**
   * End-to-end tests only: the bot's clock starts at CLOCK_START and runs CLOCK_RATE times
   * faster than real time, so a simulated day of digests takes minutes. Unset in production.
   */
  CLOCK_START: z.iso.datetime({ offset: true }).optional(),
  CLOCK_RATE: z.coerce.number().positive().max(100_000).default(1),
  /** The real moment the simulated clock reads CLOCK_START (default: process start); replicas share it. */
  CLOCK_ORIGIN: z.iso.datetime({ offset: true }).optional(),

  /** Names this process in the outbox's claims and in logs (default host:pid). */
  REPLICA_ID: z.string().min(1).default(`${os.hostname()}:${process.pid}`),

  // Slack: HTTP mode needs the bot token and signing secret; Socket Mode adds the app token.
  SLACK_BOT_TOKEN: z.string().startsWith('xoxb-', 'expected a bot token (xoxb-…)').optional(),
  SLACK_SIGNING_SECRET: z.string().min(1).optional(),
  SLACK_APP_TOKEN: z
    .string()
    .startsWith('xapp-', 'expected an app-level token (xapp-…)')
    .optional(),
  /** Web API base URL, for other Slack hosts and for tests (ends with /api/). */
  SLACK_API_URL: z.string().url().optional(),
  SLACK_ADMIN_USER_IDS: idList,

  // Discord: HTTP interactions need the application id and public key; posting needs the token.
  DISCORD_TOKEN: z.string().min(1).optional(),
  DISCORD_APPLICATION_ID: z.string().regex(/^\d+$/, 'expected a numeric application id').optional(),
  DISCORD_PUBLIC_KEY: z
    .string()
    .regex(/^[0-9a-fA-F]{64}$/, 'expected the 64-hex-character public key')
    .optional(),
  /** REST base URL (without /v10), for tests. */
  DISCORD_API_URL: z.string().url().optional(),
  DISCORD_ADMIN_ROLE_IDS: idList,
  DISCORD_ADMIN_USER_IDS: idList,
  /** Role mentioned in the content of critical alerts (mentions inside embeds notify nobody). */
  DISCORD_ALERT_ROLE_ID: z.string().regex(/^\d+$/).optional(),
  /** `true` to also connect to the gateway (one connection per bot; for teams without a public URL). */
  DISCORD_GATEWAY: z
    .enum(['true', 'false'])
    .default('false')
    .transform((v) => v === 'true'),

  // The web view (README "Web view"): off unless WEB_SECRET or WEB_ACCESS is set.
  /** off | links (signed, expiring links; the default with WEB_SECRET) | public (anyone). */
  WEB_ACCESS: z
    .enum(['off', 'links', 'public'], { error: 'expected off, links or public' })
    .optional(),
  /** Signs the links to the pages (HMAC-SHA256). */
  WEB_SECRET: z
    .string()
    .min(32, 'expected at least 32 characters, such as the output of `openssl rand -hex 32`')
    .optional(),
  /** The address people open the bot at: the base of the links it hands out. */
  PUBLIC_URL: z
    .string()
    .refine((text) => {
      try {
        const url = new URL(text);
        return /^https?:$/.test(url.protocol) && url.search === '' && url.hash === '';
      } catch {
        return false;
      }
    }, 'expected the http(s) address people open the bot at, such as https://roadmap.example.com (no query or #fragment)')
    .optional(),
  /** How often a roadmap open in a browser is evaluated again for live updates. */
  WEB_LIVE_INTERVAL: duration('5s').refine(
    (ms) => ms >= 1000,
    'expected at least 1s (every open page is re-evaluated this often)',
  ),
});

/** Who may open the pages: WEB_ACCESS, else `links` when WEB_SECRET is set, else off. */
export function webSettings(
  config: Pick<Config, 'WEB_ACCESS' | 'WEB_SECRET' | 'PUBLIC_URL'>,
): WebSettings {
  const access = config.WEB_ACCESS ?? (config.WEB_SECRET ? 'links' : 'off');
  return {
    access,
    ...(config.WEB_SECRET ? { secret: config.WEB_SECRET } : {}),
    ...(config.PUBLIC_URL ? { publicUrl: config.PUBLIC_URL } : {}),
  };
}

export type Config = z.output<typeof schema> & { dataDir: string; roadmapsDir: string };

/** The process clock: real time, or the simulated time of CLOCK_START/CLOCK_RATE. */
export function clockOf(
  config: Pick<Config, 'CLOCK_START' | 'CLOCK_RATE' | 'CLOCK_ORIGIN'>,
  realNow: () => number = Date.now,
): () => Date {
  if (config.CLOCK_START === undefined && config.CLOCK_RATE === 1) return () => new Date(realNow());
  const origin = config.CLOCK_ORIGIN ? Date.parse(config.CLOCK_ORIGIN) : realNow();
  const start = config.CLOCK_START ? Date.parse(config.CLOCK_START) : origin;
  return () => new Date(start + (realNow() - origin) * config.CLOCK_RATE);
}

/** Reads the configuration, or throws one error listing every bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings (`PORT=` in a .env file) mean "not set", not 0 or "".
  const cleaned = Object.fromEntries(
    Object.entries(env).filter(([, v]) => v !== undefined && v !== ''),
  );
  const parsed = schema
    .superRefine((c, ctx) => {
      if (c.WEB_ACCESS === 'links' && !c.WEB_SECRET)
        ctx.addIssue({
          code: 'custom',
          path: ['WEB_SECRET'],
          message:
            'WEB_ACCESS=links needs WEB_SECRET to sign the links: set it to at least 32 random characters (`openssl rand -hex 32`), or set WEB_ACCESS=public or off',
        });
    })
    .safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return {
    ...parsed.data,
    dataDir: path.resolve(cwd, parsed.data.DATA_DIR),
    roadmapsDir: path.resolve(cwd, parsed.data.ROADMAPS_DIR),
  };
}
