import { randomBytes, sign as edSign } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import type { FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createDiscord, type Discord } from '../../src/adapters/discord/interactions.js';
import { registerApi } from '../../src/adapters/http/api.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { pgSqlCollector } from '../../src/adapters/pg/sql-collector.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import { createSlack, type SlackAdapter } from '../../src/adapters/slack/app.js';
import { runDueCollectors } from '../../src/app/collectors/run.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { readConfig } from '../../src/config.js';
import { createLogger, redactUrl } from '../../src/logger.js';
import { APP_ID, CHANNEL, keyPair, PEOPLE, slash } from '../discord/harness.js';
import { FakeDiscord } from '../fakes/discord.js';
import { FakeSlack, slackSignature } from '../fakes/slack.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { anyText, PROPERTY_TIMEOUT_MS, runs } from './support.js';

/*
 * Secrets never appear in logs (issue 8, "Hostile input"): with every logger at `trace`,
 * whatever requests arrive and whatever fails, the captured log output contains none of the
 * push API token, the database passwords, the Slack signing secret and bot token, the
 * Discord bot token — nor the wrong tokens clients sent (they may be someone's real one).
 */

vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
const marker = () => randomBytes(9).toString('hex');

const SLACK_SECRET = `slack-signing-${marker()}`;
const SLACK_BOT_TOKEN = `xoxb-${marker()}`;
const DISCORD_TOKEN = `discord-bot-${marker()}`;
const DB_PASSWORD = `pg-Pw-${marker()}`;
const PROM_PASSWORD = `prom-Pw-${marker()}`;

/** A trace-level logger (the app's own createLogger, redaction included) writing into memory. */
function capture(): { logger: Logger; text: () => string } {
  const chunks: string[] = [];
  const logger = createLogger(
    'trace',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        chunks.push(chunk.toString());
        done();
      },
    }),
  );
  return { logger, text: () => chunks.join('') };
}

function expectNone(log: string, secrets: Record<string, string>): void {
  for (const [name, secret] of Object.entries(secrets)) {
    expect(log.includes(secret), `${name} (${secret}) appears in the log`).toBe(false);
    expect(
      log.includes(encodeURIComponent(secret)),
      `${name} (URL-encoded) appears in the log`,
    ).toBe(false);
  }
}

// ---------------------------------------------------------------------------------------
// The push API
// ---------------------------------------------------------------------------------------

describe('the push API logs no token', () => {
  const log = capture();
  let app: AppDeps;
  let http: FastifyInstance;
  let base: string;
  let token: string;

  beforeAll(async () => {
    app = await appWith(db.pool, roadmapsFolder('oviya'), clock);
    http = createHttpServer({
      store: app.store,
      registry: app.registry,
      logger: log.logger,
      started: () => true,
    });
    registerApi(http, app, { maxPoints: 20, maxBodyBytes: 8 * 1024, rateLimitPerMinute: 5 });
    await http.listen({ port: 0, host: '127.0.0.1' });
    const address = http.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
    token = (await pgTokens(db.pool).create('secret-feed', ['oviya'], 'test', clock.now())).token;
  });

  afterAll(async () => {
    await http.close();
  });

  it('whatever the token, header, path and body (bad tokens, rate limits, failures)', async () => {
    const wrongToken = fc.oneof(
      fc.stringMatching(/^[A-Za-z0-9_-]{24,40}$/).map((t) => `rbt_${t}`),
      fc
        .nat()
        .map(
          (i) =>
            `${token.slice(0, -1 - (i % 4))}${'XYZW'[i % 4]}${token.slice(token.length - (i % 4))}`,
        ),
      fc.constant(`${token}x`),
      fc.constant(token.toUpperCase()),
    );
    const request = fc.record({
      auth: fc.oneof(
        {
          arbitrary: fc.constant({
            header: () => `Bearer ${token}`,
            wrong: undefined as string | undefined,
          }),
          weight: 3,
        },
        {
          arbitrary: wrongToken.map((w) => ({
            header: () => `Bearer ${w}`,
            wrong: w as string | undefined,
          })),
          weight: 3,
        },
        {
          arbitrary: fc.constantFrom('Basic', 'bearer', 'Token').map((scheme) => ({
            header: () => `${scheme} ${token}`,
            wrong: undefined as string | undefined,
          })),
          weight: 1,
        },
        {
          arbitrary: fc.constant({
            header: () => `Bearer ${token} ${token}`,
            wrong: undefined as string | undefined,
          }),
          weight: 1,
        },
      ),
      target: fc.constantFrom(
        'POST /api/v1/metrics',
        'GET /api/v1/roadmaps/oviya/status',
        'GET /api/v1/roadmaps/nope/status',
        'GET /api/v1/openapi.json',
        'GET /readyz',
        'POST /api/v1/nope',
      ),
      body: fc.oneof(
        fc.constant('{"points":[{"roadmap":"oviya","metric":"active_users","value":1}]}'),
        // A time PostgreSQL cannot store makes the API fail and log the error (see api.test.ts).
        fc.constant(
          '{"points":[{"roadmap":"oviya","metric":"active_users","value":1,"at":"-010000-01-01T00:00:00Z"}]}',
        ),
        fc.constant('roadmap,metric,value\noviya,active_users,1\n'),
        anyText(100),
        fc.constant('x'.repeat(9 * 1024)),
      ),
      type: fc.constantFrom('application/json', 'text/csv', 'application/xml'),
    });
    // The failure path, once for sure: a time PostgreSQL cannot store fails the request and
    // the error is logged (see api.test.ts in this folder).
    const failing = await fetch(`${base}/api/v1/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: '{"points":[{"roadmap":"oviya","metric":"active_users","value":1,"at":"-010000-01-01T00:00:00Z"}]}',
    });
    if (failing.status === 500) expect(log.text()).toMatch(/api request failed/);
    const sentWrong: string[] = [];
    await fc.assert(
      fc.asyncProperty(request, async ({ auth, target, body, type }) => {
        clock.advance(20_000); // now and then a fresh rate-limit window, now and then a 429
        const [method, url] = target.split(' ') as [string, string];
        if (auth.wrong) sentWrong.push(auth.wrong);
        const response = await fetch(`${base}${url}`, {
          method,
          headers: {
            authorization: auth.header(),
            'content-type': type,
            'x-request-id': `req-${marker()}`,
          },
          ...(method === 'POST' ? { body } : {}),
        });
        await response.arrayBuffer();
        expectNone(log.text(), {
          'the API token': token,
          ...Object.fromEntries(sentWrong.map((w, i) => [`wrong token ${i}`, w])),
        });
      }),
      runs(60),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Slack: signatures, commands, failing Web API calls
// ---------------------------------------------------------------------------------------

describe('the Slack adapter logs neither the signing secret nor the bot token', () => {
  const log = capture();
  let fake: FakeSlack;
  let slack: SlackAdapter;
  let http: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    const deps = await appWith(db.pool, roadmapsFolder('oviya'), clock);
    http = createHttpServer({
      store: deps.store,
      registry: deps.registry,
      logger: log.logger,
      started: () => true,
    });
    slack = createSlack({
      config: {
        SLACK_BOT_TOKEN,
        SLACK_SIGNING_SECRET: SLACK_SECRET,
        SLACK_APP_TOKEN: undefined,
        SLACK_API_URL: fake.apiUrl,
        SLACK_ADMIN_USER_IDS: ['U0ADMIN'],
      },
      deps,
      logger: log.logger,
      http,
      clientOptions: { retryConfig: { retries: 0 }, timeout: 2000 },
    });
    await http.listen({ port: 0, host: '127.0.0.1' });
    await slack.start();
    const address = http.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });

  afterAll(async () => {
    await slack.stop();
    await http.close();
    await fake.close();
  });

  it('whatever is sent to /slack/events, signed or not, and whatever Slack answers', async () => {
    const commandText = fc.oneof(
      fc.constantFrom(
        'status',
        'help',
        'record active_users 5',
        'use oviya',
        'subscribe alerts',
        'gates',
        'ack nope',
        'status --now -010000-01-01',
      ),
      anyText(30),
    );
    const form = (text: string, user: string) =>
      new URLSearchParams({
        token: 'legacy',
        team_id: 'T0FAKE',
        channel_id: 'C0MAIN',
        user_id: user,
        user_name: user,
        command: '/roadmap',
        text,
        api_app_id: 'A0FAKE',
        response_url: fake.responseUrl(),
        trigger_id: '1.2.3',
      }).toString();
    const request = fc.record({
      kind: fc.constantFrom(
        'valid',
        'valid',
        'valid',
        'unsigned',
        'wrong-secret',
        'stale',
        'future',
        'tampered',
        'garbage-signature',
      ),
      payload: fc.oneof(
        fc.tuple(commandText, fc.constantFrom('U0ADMIN', 'U0READER')).map(([text, user]) => ({
          body: form(text, user),
          type: 'application/x-www-form-urlencoded',
        })),
        fc.constant({
          body: JSON.stringify({ type: 'url_verification', challenge: 'c' }),
          type: 'application/json',
        }),
        fc.constant({
          body: JSON.stringify({
            type: 'event_callback',
            team_id: 'T0FAKE',
            api_app_id: 'A0FAKE',
            event: { type: 'app_home_opened', user: 'U0READER', tab: 'home' },
            event_id: 'Ev1',
            event_time: 1,
          }),
          type: 'application/json',
        }),
        fc.constant({
          body: `payload=${encodeURIComponent(JSON.stringify({ type: 'block_actions', user: { id: 'U0ADMIN' }, actions: [{ action_id: 'x', value: 'ack nope' }], channel: { id: 'C0MAIN' }, message: { ts: '1.1' }, response_url: 'http://127.0.0.1:1/nowhere' }))}`,
          type: 'application/x-www-form-urlencoded',
        }),
        anyText(80).map((body) => ({ body, type: 'application/json' })),
        fc.constant({ body: 'ssl_check=1', type: 'application/x-www-form-urlencoded' }),
      ),
      // Slack's Web API failing the calls a request leads to (views.publish, chat.update…).
      failing: fc.constantFrom<'none' | 500 | 'invalid_auth'>('none', 500, 'invalid_auth'),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ kind, payload, failing }) => {
        if (failing !== 'none')
          for (const method of [
            'views.publish',
            'chat.update',
            'chat.postMessage',
            'chat.postEphemeral',
          ])
            fake.fail(method, failing === 500 ? { status: 500 } : { error: 'invalid_auth' }, 3);
        const now = Math.floor(clock.now().getTime() / 1000);
        const timestamp = kind === 'stale' ? now - 600 : kind === 'future' ? now + 600 : now;
        const signed = slackSignature(
          kind === 'wrong-secret' ? `${SLACK_SECRET}-not` : SLACK_SECRET,
          kind === 'tampered' ? `${payload.body}&x=1` : payload.body,
          timestamp,
        );
        const headers: Record<string, string> = { 'content-type': payload.type };
        if (kind !== 'unsigned') Object.assign(headers, signed);
        if (kind === 'garbage-signature') headers['x-slack-signature'] = `v0=${marker()}`;
        const response = await fetch(`${base}/slack/events`, {
          method: 'POST',
          headers,
          body: payload.body,
        });
        await response.arrayBuffer();
        fake.reset();
        expectNone(log.text(), {
          'the Slack signing secret': SLACK_SECRET,
          'the Slack bot token': SLACK_BOT_TOKEN,
        });
      }),
      runs(40),
    );
    await slack.stop(); // listeners still answering after their ack log when they finish
    expectNone(log.text(), {
      'the Slack signing secret': SLACK_SECRET,
      'the Slack bot token': SLACK_BOT_TOKEN,
    });
    expect(log.text()).toMatch(/refused a request/);
  });
});

// ---------------------------------------------------------------------------------------
// Discord: signatures, interactions, failing REST calls
// ---------------------------------------------------------------------------------------

interface SignedDiscord {
  fake: FakeDiscord;
  discord: Discord;
  /** The interactions endpoint of the bot's HTTP server. */
  url: string;
  /** Signs like Discord: Ed25519 over timestamp + raw body. */
  sign: (raw: string, timestamp: string) => string;
  close(): Promise<void>;
}

/**
 * The bot's HTTP server with the Discord adapter, logging to `logger`, against a fresh fake
 * Discord; answers are deferred at once, so every command is finished through the REST API.
 */
async function signedDiscord(
  logger: Logger,
  extra: Record<string, string> = {},
): Promise<SignedDiscord> {
  const fake = await FakeDiscord.start({ token: DISCORD_TOKEN, applicationId: APP_ID });
  const keys = keyPair();
  const config = readConfig({
    DISCORD_TOKEN,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_PUBLIC_KEY: keys.publicKeyHex,
    DISCORD_API_URL: fake.url,
    ...extra,
  });
  const deps = await appWith(db.pool, roadmapsFolder('oviya'), clock);
  const http = createHttpServer({
    store: deps.store,
    registry: deps.registry,
    logger,
    started: () => true,
  });
  const discord = createDiscord({
    config,
    deps,
    logger,
    http,
    clock: clock.now,
    deferAfterMs: 0,
    rest: { retries: 0, timeout: 2000 },
  });
  await discord.start();
  await http.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(http.server.address() as { port: number }).port}/discord/interactions`;
  const sign = (raw: string, timestamp: string) =>
    edSign(null, Buffer.from(timestamp + raw), keys.privateKey).toString('hex');
  return {
    fake,
    discord,
    url,
    sign,
    async close() {
      await discord.stop();
      await http.close();
      await fake.close();
    },
  };
}

describe('the Discord adapter logs no bot token', () => {
  const log = capture();
  let bot: SignedDiscord;
  let fake: FakeDiscord;
  let discord: Discord;
  let url: string;
  let sign: (raw: string, timestamp: string) => string;

  beforeAll(async () => {
    bot = await signedDiscord(log.logger, { DISCORD_ADMIN_USER_IDS: PEOPLE.owner.id });
    ({ fake, discord, url, sign } = bot);
  });

  afterAll(() => bot.close());

  it('whatever is sent to /discord/interactions, signed or not, and whatever Discord answers', async () => {
    const interaction = fc.oneof(
      fc
        .tuple(
          fc.constantFrom('status', 'help', 'gates', 'alerts', 'metrics'),
          fc.constantFrom(PEOPLE.alice, PEOPLE.rita),
        )
        .map(([sub, who]) => JSON.stringify(slash(sub, {}, who, CHANNEL))),
      fc
        .tuple(
          fc.constantFrom('record', 'check', 'ack'),
          fc.constantFrom(PEOPLE.owner, PEOPLE.rita),
        )
        .map(([sub, who]) =>
          JSON.stringify(
            slash(
              sub,
              sub === 'record'
                ? { metric: 'active_users', value: '5' }
                : { gate: 'no-secrets', alert: 'nope' },
              who,
              CHANNEL,
            ),
          ),
        ),
      anyText(60),
      fc.constant(
        JSON.stringify({ type: 1, id: '1', application_id: APP_ID, token: 'ping', version: 1 }),
      ),
    );
    const request = fc.record({
      kind: fc.constantFrom(
        'valid',
        'valid',
        'valid',
        'unsigned',
        'bad-signature',
        'stale',
        'other-body',
      ),
      raw: interaction,
      failing: fc.constantFrom<'none' | 401 | 500>('none', 401, 500),
    });
    await fc.assert(
      fc.asyncProperty(request, async ({ kind, raw, failing }) => {
        if (failing !== 'none') {
          for (const route of [
            'PATCH /webhooks/:app/:token/messages/@original',
            'POST /webhooks/:app/:token',
            'POST /interactions/:id/:token/callback',
          ]) {
            fake.failNext(route, 1, { status: failing, message: 'nope' });
          }
        }
        const now = Math.floor(clock.now().getTime() / 1000);
        const timestamp = String(kind === 'stale' ? now - 3600 : now);
        const headers: Record<string, string> = {
          'content-type': 'application/json',
          'x-signature-timestamp': timestamp,
        };
        if (kind !== 'unsigned')
          headers['x-signature-ed25519'] =
            kind === 'bad-signature'
              ? 'ab'.repeat(64)
              : sign(kind === 'other-body' ? `${raw} ` : raw, timestamp);
        const response = await fetch(url, { method: 'POST', headers, body: raw });
        await response.arrayBuffer();
        await discord.idle();
        expectNone(log.text(), { 'the Discord bot token': DISCORD_TOKEN });
      }),
      runs(30),
    );
    // Posting alerts: a failing channel post.
    fake.failNext('POST /channels/:channel/messages', 1, {
      status: 401,
      message: '401: Unauthorized',
    });
    await discord.sink
      .post(CHANNEL, { title: 't', tone: 'info', sections: [], fallback: 't' })
      .catch((error: unknown) => log.logger.warn({ err: error }, 'delivery failed'));
    expectNone(log.text(), { 'the Discord bot token': DISCORD_TOKEN });
    expect(log.text()).toMatch(/refused an interaction request/);
  });
});

describe('the Discord adapter logs no interaction token', () => {
  const log = capture();
  let bot: SignedDiscord;
  let fake: FakeDiscord;
  let discord: Discord;
  let url: string;
  let sign: (raw: string, timestamp: string) => string;

  beforeAll(async () => {
    bot = await signedDiscord(log.logger);
    ({ fake, discord, url, sign } = bot);
  });

  afterAll(() => bot.close());

  // BUG (src/logger.ts redact paths; logged from src/adapters/discord/interactions.ts
  // "discord: finishing an interaction failed" and handler.ts "discord: … failed"): when
  // finishing a deferred answer fails, the @discordjs/rest error is logged whole, and its
  // `url` is https://discord.com/api/v10/webhooks/<application>/<interaction token>/…: the
  // interaction token, which lets anyone post as the bot in that channel for 15 minutes,
  // lands in the log at error level. Fix: add 'err.url' (and 'err.requestBody', which holds
  // the answer's content) to the redact paths in createLogger, or log a scrubbed
  // { status, code, method, message } instead of the error object.
  it('a deferred answer that fails does not put the interaction token in the log', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('status', 'help', 'gates'),
        fc.constantFrom(401, 404, 500),
        async (sub, status) => {
          fake.failNext('PATCH /webhooks/:app/:token/messages/@original', 1, {
            status,
            message: 'nope',
          });
          const interaction = slash(sub, {}, PEOPLE.rita, CHANNEL);
          const raw = JSON.stringify(interaction);
          const timestamp = String(Math.floor(clock.now().getTime() / 1000));
          const response = await fetch(url, {
            method: 'POST',
            headers: {
              'content-type': 'application/json',
              'x-signature-timestamp': timestamp,
              'x-signature-ed25519': sign(raw, timestamp),
            },
            body: raw,
          });
          await response.arrayBuffer();
          await discord.idle();
          expect(log.text()).toMatch(/finishing an interaction failed|failed/);
          expectNone(log.text(), { 'the interaction token': interaction.token });
        },
      ),
      runs(6),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Collectors and database URLs
// ---------------------------------------------------------------------------------------

/** The test database's URL with another user and password. */
function urlWith(
  user: string,
  password: string,
  overrides: { host?: string; port?: string; database?: string } = {},
): string {
  const url = new URL(db.url);
  url.username = user;
  url.password = password;
  if (overrides.host !== undefined) url.hostname = overrides.host;
  if (overrides.port !== undefined) url.port = overrides.port;
  if (overrides.database !== undefined) url.pathname = `/${overrides.database}`;
  return url.toString();
}

describe('collectors and start-up lines log no database password', () => {
  const role = `rb_prop_${marker()}`;

  beforeAll(async () => {
    await db.pool.query(`CREATE ROLE ${role} LOGIN PASSWORD '${DB_PASSWORD}'`);
    await db.pool.query(
      `GRANT CONNECT ON DATABASE ${(await db.pool.query<{ d: string }>('SELECT current_database() AS d')).rows[0]?.d} TO ${role}`,
    );
  });

  afterAll(async () => {
    await db.pool.query(`DROP OWNED BY ${role}`).catch(() => undefined);
    await db.pool.query(`DROP ROLE IF EXISTS ${role}`).catch(() => undefined);
  });

  function feedsRoadmap(sql: string, promUrlVar = 'PROM_URL'): string {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'roadmaps-secrets-'));
    writeFileSync(
      path.join(dir, 'feeds.yaml'),
      [
        'id: feeds',
        'name: Feeds',
        'metrics:',
        `  from_sql: { unit: count, source: { sql: ${JSON.stringify(sql)}, database: PRODUCT_DATABASE_URL, every: 1m } }`,
        `  from_prometheus: { unit: count, source: { prometheus: "up", url: ${promUrlVar}, every: 1m } }`,
        'stages:',
        '  - { id: s0, name: S0, upgrade: { when: from_sql > 1 or from_prometheus > 1 } }',
        '  - { id: s1, name: S1 }',
      ].join('\n'),
    );
    return dir;
  }

  it('whatever the URL, the query and the failure: not in the log, the stored error, or status', async () => {
    const target = fc.oneof(
      fc.constant(() => urlWith(role, DB_PASSWORD)), // connects: the query's own failure
      fc.constant(() => urlWith(role, `${DB_PASSWORD}-wrong`)),
      fc.constant(() => urlWith(`${role}_nobody`, DB_PASSWORD)),
      fc.constant(() => urlWith(role, DB_PASSWORD, { port: '1' })),
      fc.constant(() => urlWith(role, DB_PASSWORD, { host: 'no-such-host.invalid' })),
      fc.constant(() => urlWith(role, DB_PASSWORD, { database: 'no_such_database' })),
      fc.constant(() => urlWith(role, DB_PASSWORD).replace(/:(\d+)\//, ':notaport/')),
      fc.constant(() => urlWith(role, DB_PASSWORD).replace('@', '@@')),
    );
    const sql = fc.constantFrom(
      'SELECT 1/0',
      "SELECT 'not a number'",
      'SELECT 1, 2',
      'SELECT 1; SELECT 2',
      'CREATE TABLE x (a int)',
      'SELECT pg_sleep(5)',
      'SELECT nope FROM nowhere',
      "SELECT current_setting('is_superuser')",
    );
    await fc.assert(
      fc.asyncProperty(target, sql, async (url, query) => {
        const log = capture();
        const folder = feedsRoadmap(query);
        try {
          const deps = await appWith(db.pool, folder, clock);
          clock.advance(61_000);
          const env = { PRODUCT_DATABASE_URL: url(), PROM_URL: 'http://127.0.0.1:1/' };
          await runDueCollectors(deps, clock.now(), {
            env,
            timeoutMs: 1000,
            logger: log.logger,
            sql: pgSqlCollector(),
          });
          const stored = await db.pool.query<{ last_error: string | null }>(
            `SELECT last_error FROM collector_state WHERE roadmap_id = 'feeds'`,
          );
          const status = await runCommand(
            deps,
            { ...admin, defaultRoadmap: 'feeds' },
            'status --json',
            'cli',
          );
          // What the bot would print at start-up for this URL as DATABASE_URL.
          log.logger.info(`database: DATABASE_URL (${redactUrl(env.PRODUCT_DATABASE_URL)})`);
          expectNone(log.text() + JSON.stringify(stored.rows) + JSON.stringify(status.json), {
            'the database password': DB_PASSWORD,
          });
        } finally {
          rmSync(folder, { recursive: true, force: true });
        }
      }),
      runs(16),
    );
  });

  it('redactUrl hides the password of any URL', () => {
    const password = fc
      .tuple(fc.stringMatching(/^[A-Za-z0-9]{6,12}$/), fc.string({ unit: 'binary', maxLength: 8 }))
      .map(([a, b]) => `Pw${a}${b}`);
    fc.assert(
      fc.property(
        password,
        fc.constantFrom('postgres', 'postgresql', 'http', 'https'),
        fc.constantFrom('user', 'u-1', ''),
        fc.constantFrom('db.example.com:5432', '127.0.0.1', '[::1]:6543'),
        (pw, scheme, user, host) => {
          const url = `${scheme}://${user}:${encodeURIComponent(pw)}@${host}/app?sslmode=require`;
          const out = redactUrl(url);
          expect(out.includes(pw)).toBe(false);
          expect(out.includes(encodeURIComponent(pw))).toBe(false);
        },
      ),
      runs(200),
    );
  });

  // BUG (src/logger.ts, redactUrl): only the URL's userinfo password is replaced. libpq and
  // node-postgres also take the password as a query parameter (`?password=…`, and
  // `sslpassword=…` for the client key), so with DATABASE_URL=postgres://app@db/app?password=s3cret
  // the start-up line "database: DATABASE_URL (…)" logs the password in clear. Fix: in
  // redactUrl, also `for (const key of ['password', 'sslpassword']) if
  // (parsed.searchParams.has(key)) parsed.searchParams.set(key, '***');`.
  it('redactUrl hides a password given as a query parameter', () => {
    fc.assert(
      fc.property(
        fc.stringMatching(/^[A-Za-z0-9]{8,16}$/).map((s) => `Pw${s}`),
        fc.constantFrom('password', 'sslpassword'),
        (pw, key) => {
          const out = redactUrl(
            `postgres://app@db.example.com:5432/app?${key}=${pw}&sslmode=require`,
          );
          expect(out.includes(pw)).toBe(false);
        },
      ),
      runs(20),
    );
  });

  // Found by this folder and fixed meanwhile in 623b715 ("no credentials in collector
  // errors"): with a Prometheus URL holding basic-auth credentials, fetch's message
  // ("Request cannot be constructed from a URL that includes credentials: http://user:pw@…")
  // became the CollectorError, so the password reached the log, collector_state.last_error
  // and status. Kept as a guard.
  it('a Prometheus URL with credentials: the password is not in the log, the stored error, or status', async () => {
    const log = capture();
    const folder = feedsRoadmap('SELECT 1');
    // A collector warns when it starts failing: forget the failures of the property above.
    await db.pool.query(`DELETE FROM collector_state WHERE roadmap_id = 'feeds'`);
    try {
      const deps = await appWith(db.pool, folder, clock);
      clock.advance(61_000);
      const env = {
        PRODUCT_DATABASE_URL: urlWith(role, DB_PASSWORD),
        PROM_URL: `http://metrics:${PROM_PASSWORD}@127.0.0.1:1/`,
      };
      await runDueCollectors(deps, clock.now(), {
        env,
        timeoutMs: 1000,
        logger: log.logger,
        sql: pgSqlCollector(),
      });
      const stored = await db.pool.query(
        `SELECT last_error FROM collector_state WHERE roadmap_id = 'feeds'`,
      );
      const status = await runCommand(
        deps,
        { ...admin, defaultRoadmap: 'feeds' },
        'status --json',
        'cli',
      );
      expect(log.text()).toMatch(/collector fail/);
      expectNone(log.text() + JSON.stringify(stored.rows) + JSON.stringify(status.json), {
        'the Prometheus password': PROM_PASSWORD,
      });
    } finally {
      rmSync(folder, { recursive: true, force: true });
    }
  });
});
