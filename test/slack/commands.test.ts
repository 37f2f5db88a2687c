import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { checkBlocks } from '../../src/adapters/slack/limits.js';
import { availableOn, COMMANDS, type ArgType } from '../../src/core/commands/table.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, blocksText, countRows, READER, SlackHarness } from './harness.js';

/**
 * `/roadmap` end to end: a signed request → Bolt → the command layer → Postgres → the payload
 * Slack would show, captured on the fake's response_url.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
let slack: SlackHarness;

const CHANNEL = 'C0MAIN';
/** A second channel, bound to no roadmap. */
const OTHER = 'C0OTHER';

beforeAll(async () => {
  slack = await SlackHarness.start({ pool: db.pool, clock, roadmaps: ['oviya', 'example'] });
});
afterAll(() => slack?.close());

const roadmap = async (text: string, user = ADMIN, channel = CHANNEL) => {
  const payload = await slack.command(text, user, channel);
  // Whatever was asked, what Slack is given stays within Block Kit's limits.
  expect(checkBlocks(payload.blocks)).toEqual([]);
  return { payload, text: blocksText(payload), type: payload.response_type };
};
const lastAudit = async () =>
  (
    await db.pool.query(
      'SELECT actor, platform, channel, action, roadmap_id, details FROM audit_log ORDER BY id DESC LIMIT 1',
    )
  ).rows[0];
const stageOf = async (id: string) =>
  (
    await db.pool.query(
      'SELECT to_stage FROM stage_transitions WHERE roadmap_id = $1 ORDER BY at DESC, id DESC LIMIT 1',
      [id],
    )
  ).rows[0]?.to_stage;

/** A value of each argument type that parses, so a command gets as far as the admin check. */
const SAMPLE: Record<ArgType, string> = {
  text: 'x',
  number: '1',
  time: '2026-03-01',
  yesno: 'yes',
  path: 'x',
};
const chatCommands = COMMANDS.filter((c) => availableOn(c, 'chat'));
const sampleLine = (c: (typeof COMMANDS)[number]) =>
  [
    c.name,
    ...c.args.filter((a) => a.required).map((a) => SAMPLE[a.type]),
    ...(c.options.some((o) => o.name === 'roadmap') ? ['--roadmap', 'oviya'] : []),
  ].join(' ');

describe('/roadmap', () => {
  it('acknowledges at once with an empty 200, then answers on response_url', async () => {
    const { body, responseId } = slack.commandBody('help');
    const res = await slack.send(body, 'application/x-www-form-urlencoded');
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('');
    const answer = await slack.responded(responseId);
    expect(answer.body).toMatchObject({
      response_type: 'ephemeral',
      text: expect.any(String),
      blocks: expect.any(Array),
    });
  });

  it('help lists every command chat may run, and none that only the CLI can', async () => {
    const { text, type } = await roadmap('help', READER);
    expect(type).toBe('ephemeral');
    for (const c of COMMANDS) {
      if (!availableOn(c, 'chat')) expect(text).not.toMatch(new RegExp(`^•\\s+${c.name} `, 'm'));
      else expect(text).toMatch(new RegExp(`^•\\s+${c.name}\\b`, 'm'));
    }
    expect((await roadmap('help record', READER)).text).toMatch(
      /^record <metric> <value>[\s\S]*&lt;metric&gt;: a metric name/,
    );
  });

  it.each([
    ['', /no command given/],
    ['frobnicate', /unknown command "frobnicate"[\s\S]*usage: help \[command\]/],
    // The header is plain text (no escaping); sections are mrkdwn, where < and > are escaped.
    ['record active_users', /missing <value>[\s\S]*usage: record &lt;metric&gt; &lt;value&gt;/],
    ['status --window 7d', /unknown option[\s\S]*usage: status/],
    ['import data.csv', /only available from the command line/],
  ])(
    '"/roadmap %s" answers with what to fix and the usage line, never a stack trace',
    async (line, expected) => {
      const { payload, text, type } = await roadmap(line);
      expect(type).toBe('ephemeral');
      expect(text).toMatch(expected);
      expect(JSON.stringify(payload)).not.toMatch(/\bat [\w.<>]+ \(|node_modules|Error:/);
    },
  );

  it('several roadmaps and an unbound channel: says which to name', async () => {
    expect((await roadmap('status', READER, OTHER)).text).toMatch(
      /several roadmaps are loaded: say which with --roadmap/,
    );
  });

  it.each(chatCommands.filter((c) => c.mutates).map((c) => [sampleLine(c)]))(
    '"%s" from a non-admin is refused politely and writes nothing',
    async (line) => {
      const before = {
        audit: await countRows(db.pool, 'audit_log'),
        points: await countRows(db.pool, 'metric_points'),
      };
      const { text, type } = await roadmap(line, READER);
      expect(type).toBe('ephemeral');
      expect(text).toMatch(/only roadmap admins can run/);
      expect({
        audit: await countRows(db.pool, 'audit_log'),
        points: await countRows(db.pool, 'metric_points'),
      }).toEqual(before);
    },
  );

  it('use <roadmap> binds the channel, audited with the Slack user and channel', async () => {
    const { text } = await roadmap('use oviya');
    expect(text).toMatch(/This channel now follows Oviya/);
    expect(await lastAudit()).toMatchObject({
      actor: ADMIN,
      platform: 'slack',
      channel: CHANNEL,
      action: 'use',
    });
    const binding = await db.pool.query(
      'SELECT roadmap_id, bound_by FROM channel_bindings WHERE platform = $1 AND channel_id = $2',
      ['slack', CHANNEL],
    );
    expect(binding.rows[0]).toEqual({ roadmap_id: 'oviya', bound_by: `slack:${ADMIN}` });
  });

  it('record from an admin writes the point and audits it with the Slack user id', async () => {
    const before = await countRows(db.pool, 'metric_points');
    const { text, type } = await roadmap('record active_users 420');
    expect(type).toBe('ephemeral');
    expect(text).toMatch(/Recorded Active users = 420/);
    expect(await countRows(db.pool, 'metric_points')).toBe(before + 1);
    expect(await lastAudit()).toMatchObject({
      actor: ADMIN,
      platform: 'slack',
      channel: CHANNEL,
      action: 'record',
      roadmap_id: 'oviya',
    });
    // History for the sparklines below.
    for (const [value, at] of [
      [300, '2026-02-23'],
      [330, '2026-02-25'],
      [380, '2026-02-27'],
      [400, '2026-02-28'],
    ] as const) {
      await roadmap(`record active_users ${value} at ${at}`);
    }
    await roadmap('record response_time_p95 1.2s');
  });

  it('status: stage, the upgrade trigger firing with a full bar, gates, budget; ephemeral unless public', async () => {
    const { text, type, payload } = await roadmap('status', READER);
    expect(type).toBe('ephemeral');
    const header = (payload.blocks as { type: string; text?: { text: string } }[])[0];
    expect(header).toMatchObject({
      type: 'header',
      text: {
        type: 'plain_text',
        text: expect.stringMatching(/^:rotating_light: Oviya .* Tier 0 — MVP Launch/),
      },
    });
    expect(text).toMatch(/Upgrade trigger: FIRING/);
    expect(text).toMatch(/:dart: {2}active_users 420 &gt;= 400 {2}`██████████` 105%/);
    expect(text).toMatch(/Gates: \d+ of 8 passed/);
    expect(payload.text).toMatch(/Oviya .*: Tier 0 — MVP Launch, upgrade trigger firing/);
    expect((await roadmap('status public', READER)).type).toBe('in_channel');
  });

  it('status --json shows the stable document in a code block', async () => {
    const { text } = await roadmap('status --json', READER);
    expect(text).toMatch(/```\{\n {2}"roadmap": \{\n {4}"id": "oviya"/);
  });

  it('metrics: latest values with change and sparklines; one metric: its history', async () => {
    const all = await roadmap('metrics', READER);
    expect(all.text).toMatch(/Active users: 420.*`[▁▂▃▄▅▆▇█]{2,}`/);
    expect(all.text).toMatch(/day \+5\.0%/);
    const one = await roadmap('metrics active_users --window 7d', READER);
    expect(one.text).toMatch(/latest: 420/);
    expect(one.text).toMatch(/over 1w: min 300, max 420/);
  });

  it('set <flag>: sets it, audited', async () => {
    expect((await roadmap('set multi_region_needed yes')).text).toMatch(
      /Multi-region needed set to yes/,
    );
    expect(await lastAudit()).toMatchObject({ actor: ADMIN, platform: 'slack', action: 'set' });
    expect((await roadmap('set active_users yes')).text).toMatch(/not a flag/);
  });

  it('gates, check, uncheck', async () => {
    expect((await roadmap('gates', READER)).text).toMatch(
      /:white_large_square: {2}no-secrets: No hardcoded secrets/,
    );
    expect((await roadmap('check no-secrets')).text).toMatch(/Checked no-secrets/);
    expect(await lastAudit()).toMatchObject({ actor: ADMIN, platform: 'slack', action: 'check' });
    expect((await roadmap('gates', READER)).text).toMatch(
      /:ballot_box_with_check: {2}no-secrets: No hardcoded secrets\n\u2003\u2003ticked by slack:U0ADMIN/,
    );
    expect((await roadmap('uncheck no-secrets')).text).toMatch(/Unchecked no-secrets/);
    expect((await roadmap('check latency')).text).toMatch(/checked from metrics/);
  });

  it('advance: refused while gates are open (nothing changes), forced when asked, recorded', async () => {
    const before = await countRows(db.pool, 'audit_log');
    const refused = await roadmap('advance');
    expect(refused.text).toMatch(
      /cannot advance: \d+ of 8 gates of Tier 0 — MVP Launch are not passed/,
    );
    expect(await countRows(db.pool, 'audit_log')).toBe(before);
    const forced = await roadmap('advance force');
    expect(forced.text).toMatch(
      /Advanced Oviya .* from Tier 0 — MVP Launch to Tier 1 — Early Growth/,
    );
    expect(await lastAudit()).toMatchObject({
      actor: ADMIN,
      platform: 'slack',
      action: 'advance',
      details: expect.objectContaining({ forced: true }),
    });
    expect(await stageOf('oviya')).toBe('tier1');
  });

  it.each(chatCommands.map((c) => [c.name]))(
    '"%s" as typed bare answers something a person can act on (no apology, within limits)',
    async (name) => {
      const { text } = await roadmap(name, ADMIN);
      expect(text).not.toMatch(/something went wrong on our side/);
      expect(text.length).toBeGreaterThan(0);
    },
  );

  it('a bug in the command layer answers a short apology and is logged, without details', async () => {
    const broken = await SlackHarness.start({
      pool: db.pool,
      clock,
      deps: (deps) => ({
        ...deps,
        registry: Object.assign(Object.create(deps.registry) as typeof deps.registry, {
          list: () => {
            throw new TypeError('registry exploded');
          },
        }),
      }),
    });
    try {
      const payload = await broken.command('status', READER);
      expect(payload.response_type).toBe('ephemeral');
      expect(blocksText(payload)).toMatch(/Sorry, something went wrong on our side/);
      expect(JSON.stringify(payload)).not.toContain('registry exploded');
      expect(broken.logs).toMatch(/slack: command failed/);
      expect(broken.logs).toContain('registry exploded');
    } finally {
      await broken.close();
    }
  });
});
