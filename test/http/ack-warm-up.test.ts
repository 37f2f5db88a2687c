import { Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  asMeant,
  describeBursts,
  isOwnWarmUp,
  sendWarmUpBursts,
  warmAcknowledgements,
  WARM_UP_HEADER,
  warmUpMark,
  type WarmUpRequest,
} from '../../src/adapters/http/ack-warm-up.js';
import { createHttpServer, openLoopbackTwin } from '../../src/adapters/http/server.js';
import { createDiscord, type Discord } from '../../src/adapters/discord/interactions.js';
import { publicKeyFromHex, verifyInteraction } from '../../src/adapters/discord/verify.js';
import { createSlack, type SlackAdapter } from '../../src/adapters/slack/app.js';
import { verifySignature } from '../../src/adapters/slack/receiver.js';
import type { AppDeps } from '../../src/app/context.js';
import { readConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { keyPair } from '../discord/harness.js';

/**
 * The acknowledgement warm-up (src/adapters/http/ack-warm-up.ts) against the real routes: the
 * bot's server with Slack (HTTP mode) and Discord mounted, its database, its logger.
 */

const db = useTestDatabase();
const SECRET = 'warm-up-test-signing-secret';
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
const keys = keyPair();
const logLines: { level: number; msg: string; verdict?: string }[] = [];
let arrivals = 0;
let http: ReturnType<typeof createHttpServer>;
let slack: SlackAdapter;
let discord: Discord;
let routes: (() => WarmUpRequest)[];

const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const warnings = () => logLines.filter((l) => l.level >= 40).map((l) => l.msg);

beforeAll(async () => {
  const logger = createLogger(
    'debug',
    new Writable({
      write(chunk: Buffer, _encoding, done) {
        for (const line of chunk.toString().split('\n').filter(Boolean))
          logLines.push(JSON.parse(line));
        done();
      },
    }),
  );
  const base = await appWith(db.pool, roadmapsFolder('oviya'), clock);
  const deps: AppDeps = {
    ...base,
    admission: { busy: () => false, arrived: () => void arrivals++ },
  };
  const config = readConfig({
    SLACK_BOT_TOKEN: 'xoxb-test-token',
    SLACK_SIGNING_SECRET: SECRET,
    SLACK_API_URL: 'http://127.0.0.1:9/api/',
    DISCORD_TOKEN: 'fake-bot-token',
    DISCORD_APPLICATION_ID: '100000000000000001',
    DISCORD_PUBLIC_KEY: keys.publicKeyHex,
    DISCORD_API_URL: 'http://127.0.0.1:9',
  });
  http = createHttpServer({
    store: deps.store,
    registry: deps.registry,
    logger,
    started: () => true,
  });
  slack = createSlack({ config, deps, logger, http, signatureClock: clock.now });
  discord = createDiscord({ config, deps, logger, http, clock: clock.now });
  routes = [slack.warmUpRequest, discord.warmUpRequest].filter(
    (make): make is () => WarmUpRequest => make !== undefined,
  );
});

afterAll(async () => {
  await http?.close();
});

describe('the warm-up requests', () => {
  it('are made for each chat route the bot serves', () => {
    expect(routes.map((make) => make().path)).toEqual(['/slack/events', '/discord/interactions']);
  });

  it('pass every check but the signature itself, so the whole check runs and refuses them', async () => {
    const now = clock.now();
    const fromSlack = slack.warmUpRequest?.() as WarmUpRequest;
    expect(
      verifySignature(
        SECRET,
        {
          signature: fromSlack.headers['x-slack-signature'],
          timestamp: fromSlack.headers['x-slack-request-timestamp'],
        },
        fromSlack.body,
        now.getTime(),
      ),
    ).toEqual({ ok: false, reason: 'signature mismatch' });

    const fromDiscord = discord.warmUpRequest?.() as WarmUpRequest;
    const headers = {
      signature: fromDiscord.headers['x-signature-ed25519'],
      timestamp: fromDiscord.headers['x-signature-timestamp'],
    };
    const body = Buffer.from(fromDiscord.body);
    expect(await verifyInteraction(publicKeyFromHex(keys.publicKeyHex), headers, body, now)).toBe(
      'bad-signature',
    );
    // Its timestamp is now: were its key the application's, it would pass.
    expect(Number(headers.timestamp) * 1000).toBe(Math.floor(now.getTime() / 1000) * 1000);
    expect(JSON.parse(fromDiscord.body)).toMatchObject({ type: 2, data: { name: 'roadmap' } });
  });
});

describe('warmAcknowledgements', () => {
  it('sends bursts through a twin of the server before it listens: all refused, nothing kept, nothing logged as a warning', async () => {
    const before = {
      discord: await count('seen_interactions'),
      slack: await count('seen_slack_requests'),
      audit: await count('audit_log'),
    };
    logLines.length = 0;
    const options = { bursts: 3, size: 25, timeoutMs: 10_000 };
    const result = await warmAcknowledgements(() => openLoopbackTwin(http), routes, options);

    expect(result).toMatchObject({ requests: 150, refused: 150, unexpected: {}, skipped: 0 });
    expect(asMeant(result)).toBe(true);
    expect(http.server.listening).toBe(false);
    expect(arrivals).toBe(0); // no request reached the admission: none passed the check
    expect(await count('seen_interactions')).toBe(before.discord);
    expect(await count('seen_slack_requests')).toBe(before.slack);
    expect(await count('audit_log')).toBe(before.audit);
    expect(warnings()).toEqual([]);
    // Discord's refusals are logged at debug, with the signature's verdict.
    expect(logLines.filter((l) => l.verdict === 'bad-signature')).toHaveLength(75);
    expect(describeBursts(result, options)).toMatch(
      /^150 requests in bursts of 25, 150 refused at the signature check as meant in \d+ ms$/,
    );
  });

  it('closes the twin: its port takes no more connections', async () => {
    let origin: URL | undefined;
    await warmAcknowledgements(
      async () => {
        const twin = await openLoopbackTwin(http);
        origin = twin.origin;
        return twin;
      },
      routes,
      { bursts: 1, size: 1, timeoutMs: 10_000 },
    );
    await expect(fetch(new URL('/healthz', origin))).rejects.toThrow();
  });
});

describe('the twin', () => {
  it("serves the server's own routes, fastify's and the raw ones", async () => {
    const twin = await openLoopbackTwin(http);
    try {
      expect((await fetch(new URL('/healthz', twin.origin))).status).toBe(200);
      const refused = await fetch(new URL('/discord/interactions', twin.origin), {
        method: 'POST',
        body: '{}',
      });
      expect(refused.status).toBe(401);
    } finally {
      await twin.close();
    }
  });
});

describe('the mark', () => {
  it("keeps the refusal of the bot's own requests out of the warnings, and only with this process's token", async () => {
    const twin = await openLoopbackTwin(http);
    try {
      const one = slack.warmUpRequest?.() as WarmUpRequest;
      const send = (extra: Record<string, string>) =>
        fetch(new URL(one.path, twin.origin), {
          method: 'POST',
          headers: { ...one.headers, ...extra },
          body: one.body,
        });
      logLines.length = 0;
      expect((await send(warmUpMark())).status).toBe(401);
      expect(warnings()).toEqual([]);
      expect((await send({ [WARM_UP_HEADER]: 'f'.repeat(32) })).status).toBe(401);
      expect((await send({})).status).toBe(401);
      expect(warnings()).toHaveLength(2);
      expect(warnings()[0]).toMatch(
        /slack: refused a request to \/slack\/events: signature mismatch/,
      );
    } finally {
      await twin.close();
    }
  });

  it('is recognised only when it is exactly the token', () => {
    const [header, token] = Object.entries(warmUpMark())[0] as [string, string];
    expect(isOwnWarmUp({ [header]: token })).toBe(true);
    expect(isOwnWarmUp({ [header]: token.toUpperCase() })).toBe(false);
    expect(isOwnWarmUp({ [header]: `${token}0` })).toBe(false);
    expect(isOwnWarmUp({ [header]: [token] as unknown as string })).toBe(false);
    expect(isOwnWarmUp({})).toBe(false);
  });
});

describe('sendWarmUpBursts', () => {
  it('reports answers other than 401 by status, and bursts the time left no room for', async () => {
    const twin = await openLoopbackTwin(http);
    try {
      let now = 0;
      const notRefused = (): WarmUpRequest => ({ path: '/nowhere', headers: {}, body: '' });
      const result = await sendWarmUpBursts(
        twin.origin,
        [notRefused, routes[1] as () => WarmUpRequest],
        {
          bursts: 3,
          size: 4,
          timeoutMs: 1_000,
          // Each look at the clock is 300 ms later: the last three bursts would start too late.
          elapsed: () => (now += 300) - 300,
        },
      );
      expect(result).toMatchObject({
        requests: 12,
        refused: 4,
        unexpected: { 404: 8 },
        skipped: 3,
      });
      expect(asMeant(result)).toBe(false);
      // Still false with every sent request refused, while bursts were skipped.
      expect(asMeant({ ...result, unexpected: {}, refused: 12 })).toBe(false);
      expect(asMeant({ ...result, unexpected: {}, refused: 12, skipped: 0 })).toBe(true);
      expect(describeBursts(result, { bursts: 3, size: 4, timeoutMs: 1_000 })).toMatch(
        /^12 requests in bursts of 4, 4 refused at the signature check as meant; unexpected: 8 × 404; 3 bursts skipped \(WARM_UP_TIMEOUT\) in \d+ ms$/,
      );
    } finally {
      await twin.close();
    }
  });

  it('counts a request that cannot connect as unexpected, and goes on', async () => {
    const result = await sendWarmUpBursts(new URL('http://127.0.0.1:9'), routes, {
      bursts: 1,
      size: 2,
      timeoutMs: 5_000,
    });
    expect(result.requests).toBe(4);
    expect(result.refused).toBe(0);
    expect(Object.values(result.unexpected).reduce((a, b) => a + b, 0)).toBe(4);
  });
});
