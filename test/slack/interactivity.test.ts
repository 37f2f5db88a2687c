import type { KnownBlock } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { ACTIONS_BLOCK_ID } from '../../src/adapters/slack/blocks.js';
import { checkBlocks, HOME_LIMITS } from '../../src/adapters/slack/limits.js';
import { evaluateAt } from '../../src/app/evaluate.js';
import { alertMessage } from '../../src/core/messages/alerts.js';
import type { Message } from '../../src/core/messages/model.js';
import type { ApiCall } from '../fakes/slack.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, blocksText, countRows, READER, SlackHarness } from './harness.js';

/** Buttons on posted messages and the App Home tab, driven by signed requests as Slack sends them. */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
const CHANNEL = 'C0ALERTS';
let slack: SlackHarness;

beforeAll(async () => {
  slack = await SlackHarness.start({ pool: db.pool, clock, roadmaps: ['oviya', 'example'] });
});
afterAll(() => slack?.close());

/** The Oviya upgrade alert as the alert engine composes it, with its buttons. */
async function upgradeAlert(): Promise<Message> {
  const roadmap = slack.deps.registry.get('oviya');
  if (!roadmap) throw new Error('oviya is not loaded');
  const report = await evaluateAt(slack.deps, roadmap, clock.now());
  const trigger = report.triggers.find((t) => t.id === 'tier0.upgrade');
  if (!trigger) throw new Error('no upgrade trigger');
  return alertMessage({
    kind: 'firing',
    roadmap: { id: roadmap.id, name: roadmap.name, timezone: roadmap.timezone },
    trigger,
    units: new Map(report.metrics.map((m) => [m.name, m.unit])),
    ...(report.next ? { next: report.next } : {}),
  });
}

interface Posted {
  ts: string;
  text: string;
  blocks: KnownBlock[];
}

/** Posts through the adapter's sink and returns the message as Slack holds it. */
async function post(message: Message): Promise<Posted> {
  const { ref } = await slack.slack.sink.post(CHANNEL, message);
  const call = slack.fake.callsTo('chat.postMessage').at(-1) as ApiCall;
  return {
    ts: ref as string,
    text: call.body.text as string,
    blocks: call.body.blocks as KnownBlock[],
  };
}

type ButtonBlock = {
  type: 'actions';
  block_id: string;
  elements: { action_id: string; value: string; text: { text: string } }[];
};

/** Clicks the button labelled `label` on `message` as `user`: the block_actions request Slack sends. */
async function click(
  message: Posted,
  label: RegExp,
  user: string,
): Promise<{ status: number; responseId: string }> {
  const block = message.blocks.find((b) => b.type === 'actions') as unknown as ButtonBlock;
  const button = block.elements.find((e) => label.test(e.text.text));
  if (!button) throw new Error(`no button ${label}`);
  const responseId = `click-${Math.random().toString(36).slice(2)}`;
  const payload = {
    type: 'block_actions',
    user: { id: user, username: user.toLowerCase(), name: user.toLowerCase(), team_id: 'T0FAKE' },
    api_app_id: 'A0FAKE',
    token: 'legacy-verification-token',
    container: {
      type: 'message',
      message_ts: message.ts,
      channel_id: CHANNEL,
      is_ephemeral: false,
    },
    trigger_id: '1.2.3',
    team: { id: 'T0FAKE', domain: 'fake' },
    enterprise: null,
    is_enterprise_install: false,
    channel: { id: CHANNEL, name: 'alerts' },
    message: {
      type: 'message',
      subtype: 'bot_message',
      text: message.text,
      ts: message.ts,
      bot_id: 'B0BOT',
      blocks: message.blocks,
    },
    state: { values: {} },
    response_url: slack.fake.responseUrl(responseId),
    actions: [
      {
        type: 'button',
        action_id: button.action_id,
        block_id: block.block_id,
        text: { type: 'plain_text', text: button.text.text, emoji: true },
        value: button.value,
        action_ts: '1772377200.000000',
      },
    ],
  };
  const res = await slack.send(
    new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
    'application/x-www-form-urlencoded',
  );
  return { status: res.status, responseId };
}

const updates = () => slack.fake.callsTo('chat.update');
const lastAudit = async () =>
  (
    await db.pool.query(
      'SELECT actor, platform, channel, action FROM audit_log ORDER BY id DESC LIMIT 1',
    )
  ).rows[0];

describe('buttons', () => {
  it('an alert is posted with its buttons: each runs a command line, ids unique', async () => {
    await slack.command('record active_users 420 --roadmap oviya');
    const alert = await post(await upgradeAlert());
    const actions = alert.blocks.find((b) => b.type === 'actions') as unknown as ButtonBlock;
    expect(actions.block_id).toBe(ACTIONS_BLOCK_ID);
    expect(actions.elements.map((e) => [e.action_id, e.text.text, e.value])).toEqual([
      ['roadmap_action:0', 'Acknowledge', 'ack tier0.upgrade --roadmap oviya'],
      ['roadmap_action:1', 'Snooze 1 day', 'snooze tier0.upgrade 1d --roadmap oviya'],
      ['roadmap_action:2', 'Snooze 1 week', 'snooze tier0.upgrade 1w --roadmap oviya'],
      ['roadmap_action:3', 'Advance to Tier 1 — Early Growth', 'advance --roadmap oviya'],
    ]);
    expect(checkBlocks(alert.blocks)).toEqual([]);
  });

  it('a non-admin click is refused to them alone; the message and the database stay as they were', async () => {
    const alert = await post(await upgradeAlert());
    const before = { audit: await countRows(db.pool, 'audit_log'), updates: updates().length };
    const { status, responseId } = await click(alert, /^Advance/, READER);
    expect(status).toBe(200);
    const answer = (await slack.responded(responseId)).body;
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(answer)).toMatch(/only roadmap admins can run "advance"/);
    expect({ audit: await countRows(db.pool, 'audit_log'), updates: updates().length }).toEqual(
      before,
    );
  });

  it('an admin click the command refuses (gates still open) is answered to them alone, message unchanged', async () => {
    const alert = await post(await upgradeAlert());
    const before = updates().length;
    const { responseId } = await click(alert, /^Advance/, ADMIN);
    const answer = (await slack.responded(responseId)).body;
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(answer)).toMatch(/cannot advance/);
    expect(updates().length).toBe(before);
  });

  it('an admin click that succeeds runs as them (audited) and updates the message in place: who did what, buttons gone', async () => {
    const alert = await post(await upgradeAlert());
    for (const gate of [
      'no-secrets',
      'pagination',
      'rate-limiting',
      'backend-deployed',
      'health-check',
      'beta-tested',
      'error-logging',
    ]) {
      await slack.command(`check ${gate} --roadmap oviya`);
    }
    await slack.command('record response_time_p95 1.2s --roadmap oviya');
    const before = updates().length;
    const { status, responseId } = await click(alert, /^Advance/, ADMIN);
    expect(status).toBe(200);
    const update = await vi.waitFor(
      () => {
        const found = updates()[before];
        if (!found) throw new Error('no chat.update yet');
        return found;
      },
      { timeout: 10_000, interval: 20 },
    );
    expect(update.token).toBe('xoxb-test-token');
    expect(update.body).toMatchObject({ channel: CHANNEL, ts: alert.ts, text: alert.text });
    const blocks = update.body.blocks as KnownBlock[];
    expect(blocks.some((b) => b.type === 'actions')).toBe(false);
    expect(blocks.slice(0, -1)).toEqual(alert.blocks.filter((b) => b.type !== 'actions'));
    expect(blocksText({ blocks: blocks.slice(-1) })).toMatch(
      /^:white_check_mark: \*Advance to Tier 1 — Early Growth\* by <@U0ADMIN> — Advanced Oviya .* from Tier 0 — MVP Launch to Tier 1 — Early Growth · <!date\^\d+\^\{date_short_pretty\} \{time\}\|2026-03-01T15:00:00\.000Z>$/,
    );
    expect(checkBlocks(blocks)).toEqual([]);
    expect(await lastAudit()).toMatchObject({
      actor: ADMIN,
      platform: 'slack',
      channel: CHANNEL,
      action: 'advance',
    });
    expect(slack.fake.respondedTo(responseId)).toEqual([]);
  });

  it('a read-only button shows its result to the clicker alone and leaves the message as it is', async () => {
    const message: Message = {
      title: 'Weekly check-in',
      tone: 'info',
      sections: [],
      fallback: 'Weekly check-in',
      actions: [{ id: 'status', label: 'Show status', command: 'status --roadmap oviya' }],
    };
    const posted = await post(message);
    const before = updates().length;
    const { responseId } = await click(posted, /^Show status$/, READER);
    const answer = (await slack.responded(responseId)).body;
    expect(answer).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(answer)).toMatch(/Oviya .* Tier 1 — Early Growth/);
    expect(updates().length).toBe(before);
  });

  it('a button this app did not make is not taken (404, as Bolt answers)', async () => {
    const payload = {
      type: 'block_actions',
      user: { id: ADMIN },
      team: { id: 'T0FAKE' },
      actions: [
        {
          type: 'button',
          action_id: 'someone_else',
          block_id: 'b',
          value: 'advance force',
          action_ts: '1',
        },
      ],
      response_url: slack.fake.responseUrl(),
    };
    const res = await slack.send(
      new URLSearchParams({ payload: JSON.stringify(payload) }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(404);
  });
});

describe('App Home', () => {
  const openHome = async (user: string): Promise<ApiCall> => {
    const before = slack.fake.callsTo('views.publish').length;
    const event = {
      token: 'legacy-verification-token',
      team_id: 'T0FAKE',
      api_app_id: 'A0FAKE',
      event: {
        type: 'app_home_opened',
        user,
        channel: 'D0HOME',
        tab: 'home',
        event_ts: '1772377200.000100',
      },
      type: 'event_callback',
      event_id: `Ev${Math.random().toString(36).slice(2)}`,
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
    };
    const res = await slack.send(JSON.stringify(event), 'application/json');
    expect(res.status).toBe(200);
    return vi.waitFor(
      () => {
        const call = slack.fake.callsTo('views.publish')[before];
        if (!call) throw new Error('no views.publish yet');
        return call;
      },
      { timeout: 10_000, interval: 20 },
    );
  };

  it('with no channel bound: every loaded roadmap, within the Home tab limits', async () => {
    await db.pool.query(`DELETE FROM channel_bindings WHERE platform = 'slack'`);
    const call = await openHome(READER);
    expect(call.body.user_id).toBe(READER);
    const view = call.body.view as { type: string; blocks: KnownBlock[] };
    expect(view.type).toBe('home');
    expect(checkBlocks(view.blocks, HOME_LIMITS)).toEqual([]);
    const text = blocksText(view);
    expect(text).toMatch(/Every loaded roadmap/);
    expect(text).toMatch(/Oviya — scaling roadmap/);
    expect(text).toMatch(/Example SaaS — scaling roadmap/);
  });

  it('once a channel follows a roadmap: only the bound ones', async () => {
    await slack.command('use oviya', ADMIN, CHANNEL);
    const text = blocksText((await openHome(READER)).body.view as Record<string, unknown>);
    expect(text).toMatch(/Roadmaps followed by channels in this workspace/);
    expect(text).toMatch(/Oviya — scaling roadmap/);
    expect(text).not.toMatch(/Example SaaS — scaling roadmap/);
  });
});
