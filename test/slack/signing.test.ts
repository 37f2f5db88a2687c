import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SIGNATURE_WINDOW_MS, verifySignature } from '../../src/adapters/slack/receiver.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, countRows, SlackHarness } from './harness.js';

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
