import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { checkBlocks } from '../../src/adapters/slack/limits.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, blocksText, countRows, READER, SlackHarness } from './harness.js';

/**
 * Socket Mode: with SLACK_APP_TOKEN set the bot opens a WebSocket (apps.connections.open on
 * the fake) instead of taking HTTP requests; envelopes are acknowledged by envelope_id and
 * answered through response_url as in HTTP mode.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
let slack: SlackHarness;

beforeAll(async () => {
  slack = await SlackHarness.start({ pool: db.pool, clock, mode: 'socket' });
});
afterAll(() => slack?.close());

const waitFor = <T>(what: string, find: () => T | undefined): Promise<T> =>
  vi.waitFor(
    () => {
      const found = find();
      if (found === undefined) throw new Error(`${what}: not yet`);
      return found;
    },
    { timeout: 10_000, interval: 20 },
  );

const slashCommand = (text: string, user: string, responseId: string) =>
  slack.commandFields(text, user, 'C0SOCKET', responseId);

describe('Socket Mode', () => {
  it('checks the bot token, then opens the connection with the app-level token', () => {
    expect(slack.slack.mode).toBe('socket');
    expect(slack.fake.callsTo('auth.test')[0]?.token).toBe('xoxb-test-token');
    expect(slack.fake.callsTo('apps.connections.open')[0]?.token).toBe('xapp-test-token');
    expect(slack.fake.openSockets).toBe(1);
  });

  it('does not mount /slack/events on the HTTP server', async () => {
    const res = await fetch(`${slack.baseUrl}/slack/events`, { method: 'POST', body: '{}' });
    expect(res.status).toBe(404);
  });

  it('a slash command envelope is acknowledged by its envelope_id and answered on response_url', async () => {
    const envelope = slack.fake.sendEnvelope(
      'slash_commands',
      slashCommand('status', READER, 'sock-status'),
    );
    const ack = await waitFor('ack', () => slack.fake.acksOf(envelope)[0]);
    expect(ack).toEqual({ envelope_id: envelope, payload: {} });
    const answer = (await slack.responded('sock-status')).body;
    expect(answer.response_type).toBe('ephemeral');
    expect(blocksText(answer)).toMatch(/Oviya .* Tier 0 — MVP Launch/);
    expect(checkBlocks(answer.blocks)).toEqual([]);
  });

  it('an admin mutation over the socket reaches Postgres, audited with the Slack user id', async () => {
    const before = await countRows(db.pool, 'metric_points');
    const envelope = slack.fake.sendEnvelope(
      'slash_commands',
      slashCommand('record active_users 420', ADMIN, 'sock-record'),
    );
    await waitFor('ack', () => slack.fake.acksOf(envelope)[0]);
    expect(blocksText((await slack.responded('sock-record')).body)).toMatch(
      /Recorded Active users = 420/,
    );
    expect(await countRows(db.pool, 'metric_points')).toBe(before + 1);
    const audit = (
      await db.pool.query('SELECT actor, platform, channel FROM audit_log ORDER BY id DESC LIMIT 1')
    ).rows[0];
    expect(audit).toEqual({ actor: ADMIN, platform: 'slack', channel: 'C0SOCKET' });
  });

  it('App Home events arrive as events_api envelopes: acknowledged, then views.publish', async () => {
    const envelope = slack.fake.sendEnvelope('events_api', {
      token: 'legacy-verification-token',
      team_id: 'T0FAKE',
      api_app_id: 'A0FAKE',
      event: {
        type: 'app_home_opened',
        user: READER,
        channel: 'D0HOME',
        tab: 'home',
        event_ts: '1772377200.000100',
      },
      type: 'event_callback',
      event_id: 'Ev0SOCKET',
      event_time: 1772377200,
      authorizations: [
        {
          enterprise_id: null,
          team_id: 'T0FAKE',
          user_id: 'U0BOT',
          is_bot: true,
          is_enterprise_install: false,
        },
      ],
    });
    await waitFor('ack', () => slack.fake.acksOf(envelope)[0]);
    const publish = await waitFor('views.publish', () => slack.fake.callsTo('views.publish')[0]);
    expect(publish.body).toMatchObject({ user_id: READER, view: { type: 'home' } });
  });

  it('stop() closes the socket', async () => {
    await slack.slack.stop();
    await waitFor('socket closed', () => (slack.fake.openSockets === 0 ? true : undefined));
  });
});
