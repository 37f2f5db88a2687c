import { WebAPIRateLimitedError } from '@slack/web-api';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { createSlack } from '../../src/adapters/slack/app.js';
import { toDeliveryError } from '../../src/adapters/slack/sink.js';
import { DeliveryError } from '../../src/app/sink.js';
import type { Message } from '../../src/core/messages/model.js';
import { createLogger } from '../../src/logger.js';
import type { Failure } from '../fakes/slack.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { SlackHarness } from './harness.js';

/**
 * Posting alerts and digests: chat.postMessage / chat.update through the Web API client's own
 * retries (FAST_RETRY: 2 retries, no waiting; the fake says Retry-After: 0), and every failure
 * classified for the outbox.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
let slack: SlackHarness;

const MESSAGE: Message = {
  title: 'Oviya: tier0.upgrade 🔥 firing',
  tone: 'alert',
  sections: [
    {
      title: 'active_users >= 400',
      lines: [{ icon: 'met', text: 'active_users 420 >= 400', progress: 1.05 }],
    },
  ],
  fallback: 'Oviya: tier0.upgrade firing',
  actions: [
    {
      id: 'ack',
      label: 'Acknowledge',
      command: 'ack tier0.upgrade --roadmap oviya',
      style: 'primary',
    },
  ],
};

beforeAll(async () => {
  slack = await SlackHarness.start({ pool: db.pool, clock });
});
afterAll(() => slack?.close());
beforeEach(() => slack.fake.reset());

const posts = () => slack.fake.callsTo('chat.postMessage');

describe('SlackSink.post', () => {
  it('posts blocks, fallback text and the bot token; the ref is the ts', async () => {
    const { ref } = await slack.slack.sink.post('C0ALERTS', MESSAGE);
    const [call] = posts();
    expect(call).toMatchObject({
      token: 'xoxb-test-token',
      status: 200,
      body: { channel: 'C0ALERTS', text: 'Oviya: tier0.upgrade firing', unfurl_links: 'false' },
    });
    expect(call?.body.blocks).toEqual(
      expect.arrayContaining([expect.objectContaining({ type: 'actions' })]),
    );
    expect(ref).toMatch(/^\d+\.\d+$/);
  });

  it('a 429 with Retry-After is retried by the client and the message arrives exactly once', async () => {
    slack.fake.fail('chat.postMessage', { status: 429, retryAfter: 0 });
    const { ref } = await slack.slack.sink.post('C0ALERTS', MESSAGE);
    expect(posts().map((c) => c.status)).toEqual([429, 200]);
    expect(posts().filter((c) => c.status === 200)).toHaveLength(1);
    expect(posts()[0]?.body).toEqual(posts()[1]?.body);
    expect(ref).toBeDefined();
  });

  it('a 500 is retried and the message arrives exactly once', async () => {
    slack.fake.fail('chat.postMessage', { status: 500 });
    await slack.slack.sink.post('C0ALERTS', MESSAGE);
    expect(posts().map((c) => c.status)).toEqual([500, 200]);
  });

  // What reaches the outbox once the client has done its own retrying (retries: 2, so 3 tries).
  it.each<
    [
      string,
      Failure,
      number,
      { kind: DeliveryError['kind']; retryAfterMs?: number; message?: RegExp },
    ]
  >([
    [
      '429s past the retries',
      { status: 429, retryAfter: 0 },
      3,
      { kind: 'rate_limited', retryAfterMs: 0 },
    ],
    [
      'a 429 without Retry-After (the client does not retry it)',
      { status: 429 },
      1,
      { kind: 'rate_limited' },
    ],
    ['500s past the retries', { status: 500 }, 3, { kind: 'server', message: /HTTP 500/ }],
    [
      'ok:false channel_not_found',
      { error: 'channel_not_found' },
      1,
      { kind: 'client', message: /channel_not_found \(the channel id is wrong/ },
    ],
    [
      'ok:false not_in_channel',
      { error: 'not_in_channel' },
      1,
      { kind: 'client', message: /invite the bot/ },
    ],
    [
      'ok:false invalid_auth',
      { error: 'invalid_auth' },
      1,
      { kind: 'client', message: /check SLACK_BOT_TOKEN/ },
    ],
    ['ok:false internal_error', { error: 'internal_error' }, 1, { kind: 'server' }],
    ['ok:false ratelimited', { error: 'ratelimited' }, 1, { kind: 'rate_limited' }],
  ])('%s → DeliveryError %j after %i tries', async (_what, failure, tries, expected) => {
    slack.fake.fail('chat.postMessage', failure, 5);
    const error = await slack.slack.sink.post('C0ALERTS', MESSAGE).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DeliveryError);
    const e = error as DeliveryError;
    expect(e.kind).toBe(expected.kind);
    expect(e.retryable).toBe(expected.kind !== 'client');
    if ('retryAfterMs' in expected) expect(e.retryAfterMs).toBe(expected.retryAfterMs);
    if (expected.message) expect(e.message).toMatch(expected.message);
    expect(e.message).toMatch(/^chat\.postMessage: /);
    expect(posts()).toHaveLength(tries);
  });

  it('an unreachable Slack is a network error (retryable)', async () => {
    const logger = createLogger('silent');
    const offline = createSlack({
      config: {
        SLACK_BOT_TOKEN: 'xoxb-x',
        SLACK_SIGNING_SECRET: 's',
        SLACK_API_URL: 'http://127.0.0.1:1/api/',
        SLACK_ADMIN_USER_IDS: [],
      },
      deps: slack.deps,
      logger,
      http: createHttpServer({ ...slack.deps, logger, started: () => true }),
      clientOptions: { retryConfig: { retries: 0 }, timeout: 2000 },
    });
    const error = (await offline.sink
      .post('C0ALERTS', MESSAGE)
      .catch((e: unknown) => e)) as DeliveryError;
    expect(error).toBeInstanceOf(DeliveryError);
    expect(error.kind).toBe('network');
    expect(error.message).toMatch(/could not reach Slack/);
  });
});

describe('SlackSink.update', () => {
  it('edits the message in place with chat.update (channel and ts)', async () => {
    await slack.slack.sink.update?.('C0ALERTS', '1700000000.000100', {
      ...MESSAGE,
      actions: [],
      footer: 'Acknowledged by slack:U0ADMIN',
    });
    const [call] = slack.fake.callsTo('chat.update');
    expect(call?.body).toMatchObject({
      channel: 'C0ALERTS',
      ts: '1700000000.000100',
      text: 'Oviya: tier0.upgrade firing',
    });
    expect(JSON.stringify(call?.body.blocks)).toContain('Acknowledged by slack:U0ADMIN');
  });

  it('a refused edit is a client DeliveryError', async () => {
    slack.fake.fail('chat.update', { error: 'message_not_found' });
    await expect(slack.slack.sink.update?.('C0ALERTS', '1.2', MESSAGE)).rejects.toMatchObject({
      kind: 'client',
      message: /chat\.update: Slack answered message_not_found/,
    });
  });
});

describe('toDeliveryError', () => {
  it('keeps the Retry-After of a rate-limited error the client rejected outright (rejectRateLimitedCalls)', () => {
    expect(toDeliveryError(new WebAPIRateLimitedError(30), 'chat.postMessage')).toMatchObject({
      kind: 'rate_limited',
      retryAfterMs: 30_000,
    });
  });

  it('passes a DeliveryError through and calls anything unknown a client error (not retried)', () => {
    const known = new DeliveryError('server', 'x');
    expect(toDeliveryError(known)).toBe(known);
    expect(toDeliveryError(new TypeError('bug'))).toMatchObject({
      kind: 'client',
      message: 'Slack API call: bug',
    });
  });
});
