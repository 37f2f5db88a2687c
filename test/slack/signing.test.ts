import type { AddressInfo } from 'node:net';
import { type App, isValidSlackRequest } from '@slack/bolt';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { pgReplays } from '../../src/adapters/pg/replay.js';
import { RoadmapRegistry } from '../../src/app/registry.js';
import { ACTION_ID_PREFIX } from '../../src/adapters/slack/blocks.js';
import {
  FastifyReceiver,
  NOT_RECORDED,
  SIGNATURE_WINDOW_MS,
  verifySignature,
} from '../../src/adapters/slack/receiver.js';
import type { AppDeps } from '../../src/app/context.js';
import type { ReplayMemory } from '../../src/app/ports/replays.js';
import { createLogger } from '../../src/logger.js';
import { slackSignature } from '../fakes/slack.js';
import { roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, countRows, SECRET, SlackHarness } from './harness.js';

const db = useTestDatabase();

/** Slack's published signing example (docs: "Verifying requests from Slack"); see PLATFORMS.md. */
const PUBLISHED = {
  secret: '8f742231b10e8888abcd99yyyzzz85a5',
  timestamp: '1531420618',
  body: 'token=xyzz0WbapA4vBCDEFasx0q6G&team_id=T1DC2JH3J&team_domain=testteamnow&channel_id=G8PSS9T3V&channel_name=foobar&user_id=U2CERLKJA&user_name=roadrunner&command=%2Fwebhook-collect&text=&response_url=https%3A%2F%2Fhooks.slack.com%2Fcommands%2FT1DC2JH3J%2F397700885554%2F96rGlfmibIGlgcZRskXaIFfN&trigger_id=398738663015.47445629121.803a0bc887a14d10d2c447fce8b6703c',
  signature: 'v0=a2114d57b48eac39b9ad189dd8316235a7b4a8d21a10bd27519666489c69b503',
};
const publishedNow = Number(PUBLISHED.timestamp) * 1000;

describe('verifySignature', () => {
  it("accepts Slack's published example", () => {
    expect(
      verifySignature(
        PUBLISHED.secret,
        { signature: PUBLISHED.signature, timestamp: PUBLISHED.timestamp },
        PUBLISHED.body,
        publishedNow,
      ),
    ).toEqual({ ok: true });
  });

  it.each([
    [
      'a changed body',
      { body: PUBLISHED.body.replace('roadrunner', 'coyote') },
      /signature mismatch/,
    ],
    ['another secret', { secret: '8f742231b10e8888abcd99yyyzzz85a6' }, /signature mismatch/],
    [
      'a truncated signature',
      { signature: PUBLISHED.signature.slice(0, -2) },
      /signature mismatch/,
    ],
    [
      'an unknown version',
      { signature: PUBLISHED.signature.replace('v0=', 'v1=') },
      /unknown signature version/,
    ],
    ['no signature', { signature: '' }, /missing/],
    ['no timestamp', { timestamp: '' }, /missing/],
    ['a timestamp that is not a number', { timestamp: 'yesterday' }, /not a number/],
    [
      'a timestamp 5 minutes and 1 second old',
      { now: publishedNow + SIGNATURE_WINDOW_MS + 1000 },
      /stale/,
    ],
    [
      'a timestamp 5 minutes and 1 second ahead',
      { now: publishedNow - SIGNATURE_WINDOW_MS - 1000 },
      /ahead/,
    ],
  ])('refuses %s', (_what, change: Partial<typeof PUBLISHED> & { now?: number }, reason) => {
    const c = { ...PUBLISHED, ...change };
    const verdict = verifySignature(
      c.secret,
      { signature: c.signature, timestamp: c.timestamp },
      c.body,
      change.now ?? publishedNow,
    );
    expect(verdict.ok).toBe(false);
    expect(verdict.ok ? '' : verdict.reason).toMatch(reason);
  });

  // Issue 16: our own comparison (timingSafeEqual) replaced Bolt's verifier (tsscmp); it must
  // say what Bolt says wherever Bolt has a rule (Bolt has none for timestamps ahead).
  it("agrees with Bolt's verifier on any request, signature or tampering", () => {
    const tampers = [
      'none',
      'body',
      'secret',
      'version',
      'truncate',
      'case',
      'upper hex',
      'garbage',
    ] as const;
    fc.assert(
      fc.property(
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.string({ maxLength: 300 }),
        fc.integer({ min: -400, max: 400 }),
        fc.constantFrom(...tampers),
        (secret, body, ageSec, tamper) => {
          const now = publishedNow;
          const timestamp = Math.floor(now / 1000) - ageSec;
          let signature = slackSignature(secret, body, timestamp)['x-slack-signature'] as string;
          let signedBody = body;
          if (tamper === 'body') signedBody = `${body}x`;
          if (tamper === 'secret')
            signature = slackSignature(`${secret}x`, body, timestamp)[
              'x-slack-signature'
            ] as string;
          if (tamper === 'version') signature = signature.replace('v0=', 'v1=');
          if (tamper === 'truncate') signature = signature.slice(0, -1);
          if (tamper === 'case') signature = signature.toUpperCase();
          if (tamper === 'upper hex') signature = `v0=${signature.slice(3).toUpperCase()}`;
          if (tamper === 'garbage') signature = `v0=${'zz'.repeat(32)}`;
          const ours = verifySignature(
            secret,
            { signature, timestamp: String(timestamp) },
            signedBody,
            now,
          );
          const bolt = isValidSlackRequest({
            signingSecret: secret,
            body: signedBody,
            headers: { 'x-slack-signature': signature, 'x-slack-request-timestamp': timestamp },
            nowMilliseconds: now,
          });
          if (timestamp * 1000 > now + SIGNATURE_WINDOW_MS) expect(ours.ok).toBe(false);
          else expect(ours.ok).toBe(bolt);
        },
      ),
      { numRuns: 500 },
    );
  });

  it('accepts the edges of the window: just under 5 minutes old or ahead', () => {
    for (const now of [
      publishedNow + SIGNATURE_WINDOW_MS - 1000,
      publishedNow - SIGNATURE_WINDOW_MS + 1000,
    ]) {
      expect(
        verifySignature(
          PUBLISHED.secret,
          { signature: PUBLISHED.signature, timestamp: PUBLISHED.timestamp },
          PUBLISHED.body,
          now,
        ),
      ).toEqual({ ok: true });
    }
  });
});

describe("POST /slack/events with Slack's published example", () => {
  let slack: SlackHarness;
  beforeAll(async () => {
    slack = await SlackHarness.start({
      pool: db.pool,
      clock: new TestClock(new Date(publishedNow)),
      signingSecret: PUBLISHED.secret,
    });
  });
  afterAll(() => slack?.close());

  const post = (body: string, signature: string) =>
    fetch(`${slack.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-signature': signature,
        'x-slack-request-timestamp': PUBLISHED.timestamp,
      },
      body,
    });

  it('passes signature checking (404: this app has no /webhook-collect command), and one changed byte is refused', async () => {
    expect((await post(PUBLISHED.body, PUBLISHED.signature)).status).toBe(404);
    expect(
      (await post(PUBLISHED.body.replace('text=', 'text=x'), PUBLISHED.signature)).status,
    ).toBe(401);
  });
});

describe('refused requests change nothing', () => {
  const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
  let slack: SlackHarness;
  beforeAll(async () => {
    slack = await SlackHarness.start({ pool: db.pool, clock });
  });
  afterAll(() => slack?.close());

  const snapshot = async () => ({
    points: await countRows(db.pool, 'metric_points'),
    audit: await countRows(db.pool, 'audit_log'),
    answers: slack.fake.responses.length,
  });

  it.each([
    ['a bad signature', { headers: { 'x-slack-signature': `v0=${'0'.repeat(64)}` } }],
    [
      'a stale timestamp (5 minutes 1 second old)',
      { timestampSec: Math.floor(clock.now().getTime() / 1000) - 301 },
    ],
    [
      'a timestamp from the future (5 minutes 1 second ahead)',
      { timestampSec: Math.floor(clock.now().getTime() / 1000) + 301 },
    ],
    [
      'no signature headers',
      { headers: { 'x-slack-signature': '', 'x-slack-request-timestamp': '' } },
    ],
  ])('%s: 401, no command runs, nothing is answered or written', async (_what, options) => {
    const before = await snapshot();
    const { body } = slack.commandBody('record active_users 420', ADMIN);
    const res = await slack.send(body, 'application/x-www-form-urlencoded', options);
    expect(res.status).toBe(401);
    expect(await snapshot()).toEqual(before);
  });

  it('a signature made with another secret is refused and says which variable to check in the log', async () => {
    const { body } = slack.commandBody('status');
    const res = await fetch(`${slack.baseUrl}/slack/events`, {
      method: 'POST',
      headers: {
        'content-type': 'application/x-www-form-urlencoded',
        'x-slack-request-timestamp': String(slack.nowSec),
        'x-slack-signature': `v0=${'ab'.repeat(32)}`,
      },
      body,
    });
    expect(res.status).toBe(401);
    expect(slack.logs).toContain('SLACK_SIGNING_SECRET');
  });

  it('the same request correctly signed and 4 minutes old runs', async () => {
    const { body, responseId } = slack.commandBody('record active_users 420', ADMIN);
    const before = await countRows(db.pool, 'metric_points');
    const res = await slack.send(body, 'application/x-www-form-urlencoded', {
      timestampSec: slack.nowSec - 240,
    });
    expect(res.status).toBe(200);
    await slack.responded(responseId);
    expect(await countRows(db.pool, 'metric_points')).toBe(before + 1);
  });

  it("answers Slack's url_verification challenge (signed) and its unsigned ssl_check, running nothing", async () => {
    const challenge = await slack.send(
      JSON.stringify({ token: 't', challenge: 'c-123', type: 'url_verification' }),
      'application/json',
    );
    expect(challenge.status).toBe(200);
    expect(await challenge.json()).toEqual({ challenge: 'c-123' });
    const unsigned = await fetch(`${slack.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ type: 'url_verification', challenge: 'x' }),
    });
    expect(unsigned.status).toBe(401);
    const ssl = await fetch(`${slack.baseUrl}/slack/events`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: 'ssl_check=1&token=x',
    });
    expect(ssl.status).toBe(200);
  });

  it('leaves the rest of the HTTP server as it was', async () => {
    expect((await fetch(`${slack.baseUrl}/healthz`)).status).toBe(200);
  });
});

describe('replayed requests (issue 12): remembered by every replica, run once', () => {
  const clock = new TestClock(new Date('2026-03-03T10:00:00Z'));
  let slack: SlackHarness;
  let replica: SlackHarness;
  beforeAll(async () => {
    slack = await SlackHarness.start({ pool: db.pool, clock });
    // Another replica: its own Bolt app, HTTP server and connections, the same database.
    replica = await SlackHarness.start({ pool: db.pool, clock });
  });
  afterAll(async () => {
    await slack?.close();
    await replica?.close();
  });

  const FORM = 'application/x-www-form-urlencoded';
  const state = async () => ({
    transitions: await countRows(db.pool, 'stage_transitions'),
    points: await countRows(db.pool, 'metric_points'),
    audit: await countRows(db.pool, 'audit_log'),
  });

  it.each([
    ['check no-secrets', 'audit'],
    ['record active_users 420', 'points'],
    ['advance force', 'transitions'],
  ] as const)(
    '"%s" sent three times (the same signed bytes) runs once; the replays get 401',
    async (line, grows) => {
      const { body, responseId } = slack.commandBody(line, ADMIN);
      const timestampSec = slack.nowSec;
      const before = await state();
      const first = await slack.send(body, FORM, { timestampSec });
      expect(first.status).toBe(200);
      await slack.responded(responseId);
      const replays = [
        await slack.send(body, FORM, { timestampSec }),
        await slack.send(body, FORM, { timestampSec }),
      ];
      expect(replays.map((r) => r.status)).toEqual([401, 401]);
      expect(await replays[0]?.json()).toEqual({ error: 'request_already_received' });
      const after = await state();
      expect(after[grows]).toBe(before[grows] + 1);
      expect(after.audit).toBe(before.audit + 1);
      expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
    },
  );

  // Issue 16: the acknowledgement goes out before the shared memory answers, so another
  // replica acknowledges a replay like any request (it cannot know yet), then runs nothing.
  it('the same request sent to another replica on the same database is acknowledged there and not run', async () => {
    const { body, responseId } = slack.commandBody('advance force', ADMIN);
    const timestampSec = slack.nowSec;
    const before = await state();
    expect((await slack.send(body, FORM, { timestampSec })).status).toBe(200);
    await slack.responded(responseId);
    const there = await replica.send(body, FORM, { timestampSec });
    expect(there.status).toBe(200);
    await replica.slack.idle();
    expect(await state()).toEqual({
      ...before,
      transitions: before.transitions + 1,
      audit: before.audit + 1,
    });
    expect(replica.logs).toMatch(/already received .*taken by another replica.*not run again/);
    expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
    // Taken there now too: the same request again is refused at once by either replica.
    expect((await replica.send(body, FORM, { timestampSec })).status).toBe(401);
    expect((await slack.send(body, FORM, { timestampSec })).status).toBe(401);
  });

  it('a button click replayed runs once', async () => {
    const responseId = `click-${Math.random().toString(36).slice(2)}`;
    const payload = {
      type: 'block_actions',
      user: { id: ADMIN, team_id: 'T0FAKE' },
      team: { id: 'T0FAKE' },
      channel: { id: 'C0MAIN' },
      response_url: slack.fake.responseUrl(responseId),
      actions: [
        {
          type: 'button',
          action_id: `${ACTION_ID_PREFIX}0`,
          block_id: 'b',
          text: { type: 'plain_text', text: 'Record' },
          value: 'record response_time_p95 1.2s',
          action_ts: '1',
        },
      ],
    };
    const body = new URLSearchParams({ payload: JSON.stringify(payload) }).toString();
    const timestampSec = slack.nowSec;
    const before = await state();
    expect((await slack.send(body, FORM, { timestampSec })).status).toBe(200);
    await slack.responded(responseId);
    expect((await slack.send(body, FORM, { timestampSec })).status).toBe(401);
    // Another replica acknowledges it (issue 16: before the shared memory answers) and runs nothing.
    expect((await replica.send(body, FORM, { timestampSec })).status).toBe(200);
    await replica.slack.idle();
    expect(await state()).toEqual({
      ...before,
      points: before.points + 1,
      audit: before.audit + 1,
    });
    expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
  });

  describe("Slack's own retries of an event already taken", () => {
    const homeOpened = (eventId: string) =>
      JSON.stringify({
        type: 'event_callback',
        team_id: 'T0FAKE',
        api_app_id: 'A0FAKE',
        event_id: eventId,
        event_time: 1772532000,
        event: { type: 'app_home_opened', user: ADMIN, channel: 'D0HOME', tab: 'home' },
        authorizations: [
          { enterprise_id: null, team_id: 'T0FAKE', user_id: 'U0BOT', is_bot: true },
        ],
      });
    const publishes = () =>
      slack.fake.callsTo('views.publish').length + replica.fake.callsTo('views.publish').length;

    it('are acknowledged (200, X-Slack-No-Retry) and not run again, with the same or a fresh signature', async () => {
      const body = homeOpened(`Ev${Math.random().toString(36).slice(2)}`);
      const timestampSec = slack.nowSec;
      const before = publishes();
      expect((await slack.send(body, 'application/json', { timestampSec })).status).toBe(200);
      await vi.waitFor(() => expect(publishes()).toBe(before + 1), { timeout: 10_000 });
      const retry = { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' };
      const same = await slack.send(body, 'application/json', { timestampSec, headers: retry });
      expect(same.status).toBe(200);
      expect(same.headers.get('x-slack-no-retry')).toBe('1');
      // Slack signs a retry when it sends it: a later timestamp, the same event_id.
      const fresh = await replica.send(body, 'application/json', {
        timestampSec: timestampSec + 60,
        headers: { ...retry, 'x-slack-retry-num': '2' },
      });
      expect(fresh.status).toBe(200);
      expect(fresh.headers.get('x-slack-no-retry')).toBe('1');
      // Both retries were answered before anything ran.
      expect(publishes()).toBe(before + 1);
    });
  });
});

describe('acknowledged before the replay memory answers (issue 16), run once it has', () => {
  const clock = new TestClock(new Date('2026-03-03T13:00:00Z'));
  const FORM = 'application/x-www-form-urlencoded';
  /** The shared memory of every replica below: held, failing, or answering as the database does. */
  let hold: Promise<void> | undefined;
  let release: () => void = () => undefined;
  let failing = false;
  const memory = (real: ReplayMemory): ReplayMemory => {
    const gate = async () => {
      if (hold) await hold;
      if (failing) throw new Error('connection terminated unexpectedly');
    };
    return {
      ...real,
      firstSeenSlack: async (keys, at) => (await gate(), real.firstSeenSlack(keys, at)),
      firstSeenSlackMany: async (requests) => (await gate(), real.firstSeenSlackMany(requests)),
    };
  };
  const held = () => {
    hold = new Promise((resolve) => (release = resolve));
    return () => {
      hold = undefined;
      release();
    };
  };
  let slack: SlackHarness;
  let replica: SlackHarness;
  beforeAll(async () => {
    const withMemory = (deps: AppDeps): AppDeps => ({
      ...deps,
      store: { ...deps.store, replays: memory(deps.store.replays) },
    });
    slack = await SlackHarness.start({ pool: db.pool, clock, deps: withMemory });
    replica = await SlackHarness.start({ pool: db.pool, clock, deps: withMemory });
  });
  afterAll(async () => {
    await slack?.close();
    await replica?.close();
  });
  // Each record is audited once: the audit log counts how often a command ran.
  const ran = () => countRows(db.pool, 'audit_log');

  it('/roadmap is answered 200 while the database is still remembering it; nothing runs until it has', async () => {
    const open = held();
    const { body, responseId } = slack.commandBody('record active_users 421', ADMIN);
    const before = await ran();
    expect((await slack.send(body, FORM)).status).toBe(200);
    // Acknowledged, and still not run: the shared memory has not answered.
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(slack.fake.respondedTo(responseId)).toHaveLength(0);
    expect(await ran()).toBe(before);
    open();
    expect((await slack.responded(responseId)).body.text).toMatch(/active_users|Recorded/i);
    expect(await ran()).toBe(before + 1);
  });

  it('the same request again before the database answered is refused at once by this replica; it runs once', async () => {
    const open = held();
    const { body, responseId } = slack.commandBody('record active_users 422', ADMIN);
    const timestampSec = slack.nowSec;
    const before = await ran();
    expect((await slack.send(body, FORM, { timestampSec })).status).toBe(200);
    const again = await slack.send(body, FORM, { timestampSec });
    expect(again.status).toBe(401);
    expect(await again.json()).toEqual({ error: 'request_already_received' });
    open();
    await slack.slack.idle();
    expect(await ran()).toBe(before + 1);
    expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
  });

  it('the same request on two replicas at once: both acknowledge it, one runs it', async () => {
    const open = held();
    const { body, responseId } = slack.commandBody('record active_users 423', ADMIN);
    const timestampSec = slack.nowSec;
    const before = await ran();
    const statuses = await Promise.all([
      slack.send(body, FORM, { timestampSec }),
      replica.send(body, FORM, { timestampSec }),
    ]);
    expect(statuses.map((r) => r.status)).toEqual([200, 200]);
    open();
    await Promise.all([slack.slack.idle(), replica.slack.idle()]);
    expect(await ran()).toBe(before + 1);
    expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
    expect(`${slack.logs}\n${replica.logs}`).toMatch(/taken by another replica/);
  });

  it('a retry acknowledged at once asks Slack for no more, and runs only if the first delivery did not', async () => {
    const { body, responseId } = slack.commandBody('record active_users 424', ADMIN);
    const timestampSec = slack.nowSec;
    const before = await ran();
    // The first delivery reached the other replica (Slack timed out waiting for it).
    expect((await replica.send(body, FORM, { timestampSec })).status).toBe(200);
    await replica.slack.idle();
    const retry = await slack.send(body, FORM, {
      timestampSec,
      headers: { 'x-slack-retry-num': '1', 'x-slack-retry-reason': 'http_timeout' },
    });
    expect(retry.status).toBe(200);
    expect(retry.headers.get('x-slack-no-retry')).toBe('1');
    await slack.slack.idle();
    expect(await ran()).toBe(before + 1);
    expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
    expect(slack.logs).toMatch(/acknowledged retry 1 \(http_timeout\) of a request already taken/);
  });

  it('when the database cannot remember it, nothing runs and the person is told on response_url', async () => {
    failing = true;
    try {
      const { body, responseId } = slack.commandBody('record active_users 425', ADMIN);
      const before = await ran();
      expect((await slack.send(body, FORM)).status).toBe(200);
      expect((await slack.responded(responseId)).body).toMatchObject({
        response_type: 'ephemeral',
        text: NOT_RECORDED,
      });
      await slack.slack.idle();
      expect(await ran()).toBe(before);
      expect(slack.fake.respondedTo(responseId)).toHaveLength(1);
      expect(slack.logs).toMatch(/could not be remembered in the database, so it was not run/);
    } finally {
      failing = false;
    }
  });
});

describe('a request that fails before it is acknowledged', () => {
  it("is forgotten, so that Slack's retry of it runs", async () => {
    const logger = createLogger('silent');
    const http = createHttpServer({
      store: { ping: async () => undefined },
      registry: new RoadmapRegistry(roadmapsFolder('oviya')),
      logger,
      started: () => true,
    });
    const replays = pgReplays(db.pool);
    const now = Date.parse('2026-03-03T11:00:00Z');
    const receiver = new FastifyReceiver({
      http,
      signingSecret: SECRET,
      now: () => now,
      replays: () => replays,
      logger,
    });
    let calls = 0;
    receiver.init({
      processEvent: async (event: { ack: () => Promise<void> }) => {
        calls += 1;
        if (calls === 1) throw new Error('secret internals: pool exhausted at 10.0.0.7');
        await event.ack();
      },
    } as unknown as App);
    await http.listen({ port: 0, host: '127.0.0.1' });
    const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}/slack/events`;
    const body = new URLSearchParams({
      command: '/roadmap',
      text: 'status',
      user_id: ADMIN,
      team_id: 'T0FAKE',
      channel_id: 'C0MAIN',
    }).toString();
    const send = async (headers: Record<string, string> = {}) => {
      const res = await fetch(url, {
        method: 'POST',
        headers: {
          'content-type': 'application/x-www-form-urlencoded',
          ...slackSignature(SECRET, body, Math.floor(now / 1000)),
          ...headers,
        },
        body,
      });
      return { statusCode: res.status, body: await res.text() };
    };
    const failed = await send();
    expect(failed.statusCode).toBe(500);
    expect(failed.body).not.toMatch(/secret internals|10\.0\.0\.7/);
    expect((await send({ 'x-slack-retry-num': '1' })).statusCode).toBe(200);
    expect(calls).toBe(2);
    // Taken now: the same request again is a replay.
    expect((await send()).statusCode).toBe(401);
    expect(calls).toBe(2);
    await http.close();
  });
});

describe('signed but malformed bodies (issue 12): 400 with what was expected, nothing run', () => {
  const clock = new TestClock(new Date('2026-03-03T12:00:00Z'));
  let slack: SlackHarness;
  beforeAll(async () => {
    slack = await SlackHarness.start({ pool: db.pool, clock });
  });
  afterAll(() => slack?.close());

  const JSON_TYPE = 'application/json';
  const FORM = 'application/x-www-form-urlencoded';
  const form = (fields: Record<string, string>) => new URLSearchParams(fields).toString();
  const payload = (value: unknown) => form({ payload: JSON.stringify(value) });
  const command = { command: '/roadmap', text: 'record active_users 999', user_id: ADMIN };

  it.each([
    ['JSON null', 'null', JSON_TYPE, /expected a JSON object .*got null/],
    ['a JSON array', '[]', JSON_TYPE, /expected a JSON object .*got an array/],
    ['a JSON string', '"x"', JSON_TYPE, /expected a JSON object .*got a string/],
    ['a JSON number', '123', JSON_TYPE, /expected a JSON object .*got a number/],
    ['an object without a type', '{}', JSON_TYPE, /^type: expected url_verification/],
    ['an unknown type', '{"type":"hello"}', JSON_TYPE, /^type: expected/],
    ['an empty JSON body', '', JSON_TYPE, /expected a JSON body/],
    ['text that is not JSON', 'not json', JSON_TYPE, /expected a JSON body/],
    [
      'an event callback without its event',
      '{"type":"event_callback","event_id":"Ev1"}',
      JSON_TYPE,
      /^event: /,
    ],
    [
      'an event whose user is null',
      JSON.stringify({
        type: 'event_callback',
        event_id: 'Ev2',
        event: { type: 'app_home_opened', user: null },
      }),
      JSON_TYPE,
      /^event\.user: /,
    ],
    [
      'a url_verification without its challenge',
      '{"type":"url_verification"}',
      JSON_TYPE,
      /^challenge: /,
    ],
    [
      'a payload= field that is not JSON',
      form({ payload: '{not json' }),
      FORM,
      /^payload: expected JSON/,
    ],
    ['a payload that is JSON null', payload(null), FORM, /^payload: expected a JSON object/],
    [
      'a payload without a user',
      payload({ type: 'block_actions', actions: [] }),
      FORM,
      /^payload\.user: /,
    ],
    [
      'block_actions whose actions are not a list',
      payload({ type: 'block_actions', user: { id: ADMIN }, actions: 'advance force' }),
      FORM,
      /^payload\.actions: /,
    ],
    [
      'a button action without its text',
      payload({
        type: 'block_actions',
        user: { id: ADMIN },
        actions: [{ type: 'button', action_id: `${ACTION_ID_PREFIX}0`, value: 'advance force' }],
      }),
      FORM,
      /^payload\.actions\.0\.text: /,
    ],
    [
      'a view_submission without its view',
      payload({ type: 'view_submission', user: { id: ADMIN } }),
      FORM,
      /^payload\.view: /,
    ],
    [
      'form fields that are neither a command nor a payload',
      form({ text: 'advance force' }),
      FORM,
      /^expected a slash command/,
    ],
    ['a command without team_id and channel_id', form(command), FORM, /^team_id: .*; channel_id: /],
    [
      'a command given twice',
      `${form({ ...command, team_id: 'T', channel_id: 'C' })}&command=%2Fother`,
      FORM,
      /^command: /,
    ],
  ])('%s', async (_what, body, contentType, message) => {
    const before = {
      points: await countRows(db.pool, 'metric_points'),
      audit: await countRows(db.pool, 'audit_log'),
      answers: slack.fake.responses.length,
    };
    const res = await slack.send(body, contentType);
    expect(res.status).toBe(400);
    const answer = (await res.json()) as { error: string; message: string };
    expect(answer.error).toBe('invalid_body');
    expect(answer.message).toMatch(message);
    expect(answer.message).not.toMatch(/TypeError|Cannot read|properties of|\bat \S+ \(/);
    expect({
      points: await countRows(db.pool, 'metric_points'),
      audit: await countRows(db.pool, 'audit_log'),
      answers: slack.fake.responses.length,
    }).toEqual(before);
  });

  it('a body over 1 MiB: 413, nothing read past the limit, nothing run', async () => {
    const answers = slack.fake.responses.length;
    const big = form({ ...command, team_id: 'T', channel_id: 'C', text: 'x'.repeat(1_048_577) });
    const res = await slack.send(big, FORM);
    expect(res.status).toBe(413);
    expect(await res.json()).toEqual({
      error: 'bad_request',
      message: 'Request body is too large',
    });
    expect(slack.fake.responses.length).toBe(answers);
  });
});
