import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { completionCandidates } from '../../src/app/completions.js';
import type { AppDeps, Invocation } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import type { StatusJson } from '../../src/core/messages/status-json.js';
import { renderText } from '../../src/core/messages/text.js';
import { autocomplete, PEOPLE, slash, startBot, textOf, type Bot } from '../discord/harness.js';
import { ADMIN, blocksText, READER, SlackHarness } from '../slack/harness.js';
import { admin, appWith, reader, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

/**
 * The v2 commands (issue 14, item 4) through the one command layer on a real Postgres:
 * `budget`, `plan`, `tracks`, `move <track> <step>` and `check`/`uncheck` of to-dos, on the
 * format page's v2 example (roadmaps/example-v2.yaml), then through Slack and Discord.
 */

const db = useTestDatabase();
// Phase 1 (launch) of example-v2, in its second month: the to-do `error-tracking` (by month 1)
// is overdue, the plan `mrr` is before its first point (month 3).
const clock = new TestClock(new Date('2026-02-10T12:00:00Z'));
let app: AppDeps;

const ROADMAP = 'example-v2';
/** A v1 roadmap: no budget lines, plans or tracks (the seeds are being rewritten in v2). */
const PLAIN = `id: plain
name: Plain
timezone: UTC
metrics:
  active_users: { unit: count }
stages:
  - id: one
    name: One
`;
const run = (line: string, who: Invocation = admin) =>
  runCommand(app, { ...who, defaultRoadmap: ROADMAP }, line, who.isAdmin ? 'cli' : 'chat');
const text = async (line: string, who: Invocation = admin) => {
  const reply = await run(line, who);
  return { reply, text: `${reply.message.title}\n${renderText(reply.message)}` };
};
const status = async (extra = '') => (await run(`status --json ${extra}`)).json as StatusJson;
const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const lastAudit = async () =>
  (
    await db.pool.query(
      'SELECT actor, platform, roadmap_id, action, details FROM audit_log ORDER BY id DESC LIMIT 1',
    )
  ).rows[0];

beforeAll(async () => {
  const dir = roadmapsFolder(ROADMAP);
  writeFileSync(path.join(dir, 'plain.yaml'), PLAIN);
  app = await appWith(db.pool, dir, clock);
  // Ten days of data up to now: ai_api_cost climbs $40 a day towards its max of
  // 0.25 × 4,000 users = $1,000, so the forecast gives the line a burn date.
  for (let day = 1; day <= 10; day++) {
    const at = `2026-02-${String(day).padStart(2, '0')}T12:00:00Z`;
    await run(`record ai_api_cost ${500 + 40 * (day - 1)} --at ${at}`);
    await run(`record active_users 4000 --at ${at}`);
    await run(`record infra_cost ${600 + day} --at ${at}`);
  }
  await run('record paid_users 300');
  await run('record db_size 420MB');
});

describe('budget, plan and tracks', () => {
  it('budget: every line of the stage and its totals, with the burn date from the forecast', async () => {
    const { reply, text: shown } = await text('budget');
    expect(reply.exitCode).toBe(0);
    expect(shown).toMatch(/budget/);
    for (const line of ['infra:', 'ai_api:', 'marketing:', 'total/month'])
      expect(shown).toContain(line);
    const eta = (await status()).budget?.lines.find((l) => l.id === 'ai_api')?.over_eta;
    expect(eta).toEqual(expect.any(String));
    // The same burn date as status --json, in the roadmap's timezone.
    expect(shown).toContain(`over by ${(eta as string).slice(0, 10)}`);
  });

  it('plan: expected, actual, delta and state of each plan', async () => {
    const { reply, text: shown } = await text('plan');
    expect(reply.exitCode).toBe(0);
    // paid_users by active_users: 4,000 users expect 400 (360–440); 300 is 25% behind.
    const doc = await status();
    expect(doc.plan.find((p) => p.metric === 'paid_users')).toMatchObject({
      state: 'behind',
      delta_pct: -25,
    });
    expect(shown).toMatch(/paid_users 300 vs 360–440 expected.*behind \(−25%\)/);
    expect(shown).toMatch(/mrr .*before plan/);
  });

  it('tracks: the current and due step of each track, with its capacity', async () => {
    const { reply, text: shown } = await text('tracks');
    expect(reply.exitCode).toBe(0);
    expect(shown).toContain('Database');
    expect(shown).toMatch(/at Free tier, due Team/);
    expect(shown).toMatch(/db_size 420 MB of 500 MB/);
  });

  it('--public posts to the channel; a roadmap without these parts gets a friendly line', async () => {
    expect((await run('tracks --public')).public).toBe(true);
    expect((await run('budget')).public).toBe(false);
    // A v1 roadmap has no budget, tracks or plan: said, not an error.
    for (const line of [
      'budget --roadmap plain',
      'tracks --roadmap plain',
      'plan --roadmap plain',
    ]) {
      const { reply, text: shown } = await text(line);
      expect(reply.exitCode).toBe(0);
      expect(shown).toMatch(/has no (budget|tracks|plan)\. Add/);
    }
    const move = await text('move database pro --roadmap plain');
    expect(move.reply.error?.code).toBe('not_found');
    expect(move.text).toMatch(/has no tracks \(add a `tracks:` list to its file/);
  });
});

describe('move <track> <step>', () => {
  it('moves a track, audited in the same transaction, and replies with the step it is now at', async () => {
    const audits = await count('audit_log');
    const { reply, text: shown } = await text('move database pro');
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toBe('Moved Database from Free tier to Pro');
    expect(shown).toContain('Cost: $25 per month');
    expect(shown).toContain('Capacity: db_size up to 8 GB');
    expect(await count('audit_log')).toBe(audits + 1);
    expect(await lastAudit()).toMatchObject({
      actor: 'alice',
      platform: 'cli',
      roadmap_id: ROADMAP,
      action: 'move',
      details: { track: 'database', from: 'free', to: 'pro', rollback: false },
    });
  });

  it('--now replays tracks as they stood: before the move at Free tier, after it at Pro', async () => {
    clock.advance(86_400_000);
    const before = await text('tracks --now 2026-02-10T11:00:00Z');
    expect(before.text).toMatch(/at Free tier/);
    const after = await text('tracks');
    expect(after.text).toMatch(/at Pro since 2026-02-10/);
    expect((await status('--now 2026-02-10T11:00:00Z')).tracks[0]?.current).toEqual({
      id: 'free',
      since: null,
    });
    expect((await status()).tracks[0]?.current).toEqual({
      id: 'pro',
      since: '2026-02-10T12:00:00.000Z',
    });
  });

  it('refuses moving to the step it is at, writing nothing', async () => {
    const audits = await count('audit_log');
    const { reply, text: shown } = await text('move database pro');
    expect(reply.error?.code).toBe('conflict');
    expect(reply.exitCode).toBe(1);
    expect(shown).toMatch(/Database is already at Pro \(pro\); steps: free, pro, team/);
    expect(await count('audit_log')).toBe(audits);
  });

  it('allows moving backwards, and says it is a rollback', async () => {
    const { reply } = await text('move database free');
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toBe('Moved Database from Pro to Free tier (a rollback)');
    expect(await lastAudit()).toMatchObject({
      action: 'move',
      details: { track: 'database', from: 'pro', to: 'free', rollback: true },
    });
    expect((await status()).tracks[0]?.current.id).toBe('free');
  });

  it('refuses an unknown track or step with the valid ids listed', async () => {
    const audits = await count('audit_log');
    const track = await text('move cache pro');
    expect(track.reply.error?.code).toBe('not_found');
    expect(track.text).toMatch(/track: .* has no track "cache" \(tracks: database\)/);
    const step = await text('move database gold');
    expect(step.reply.error?.code).toBe('not_found');
    expect(step.text).toMatch(/step: Database has no step "gold" \(steps: free, pro, team\)/);
    const usage = await text('move database');
    expect(usage.reply.exitCode).toBe(2);
    expect(usage.text).toMatch(/missing <step>/);
    expect(await count('audit_log')).toBe(audits);
  });

  it('is for admins only from chat: a reader is refused and nothing is written', async () => {
    const [audits, moves] = [await count('audit_log'), await count('track_moves')];
    const { reply, text: shown } = await text('move database team', reader);
    expect(reply.error?.code).toBe('forbidden');
    expect(shown).toMatch(/only roadmap admins can run "move"/);
    expect([await count('audit_log'), await count('track_moves')]).toEqual([audits, moves]);
  });
});

describe('check and uncheck of to-dos', () => {
  const todo = async (extra = '') =>
    (await status(extra)).actions.find((a) => a.id === 'error-tracking');

  it('check ticks a to-do of the current stage: done, with who and when, audited', async () => {
    expect(await todo()).toMatchObject({ state: 'overdue', done_by: null, done_at: null });
    const { reply } = await text('check error-tracking');
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toMatch(/Checked to-do error-tracking: Set up error tracking/);
    expect(await todo()).toMatchObject({
      state: 'done',
      done_by: 'cli:alice',
      done_at: clock.now().toISOString(),
    });
    expect(await lastAudit()).toMatchObject({
      action: 'check',
      details: { stage: 'launch', todo: 'error-tracking' },
    });
  });

  it('checking it again writes nothing and keeps who did it first', async () => {
    const audits = await count('audit_log');
    const first = (await todo())?.done_at;
    clock.advance(60_000);
    const { reply } = await text('check error-tracking');
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toMatch(/error-tracking is already done \(by cli:alice/);
    expect(await count('audit_log')).toBe(audits);
    expect((await todo())?.done_at).toBe(first);
  });

  it('uncheck undoes it (back to overdue), audited; the tick stays in the replay', async () => {
    const tickedAt = (await todo())?.done_at as string;
    clock.advance(60_000);
    const { reply } = await text('uncheck error-tracking');
    expect(reply.exitCode).toBe(0);
    expect(reply.message.title).toMatch(/Unchecked to-do error-tracking/);
    expect(await todo()).toMatchObject({ state: 'overdue', done_by: null, done_at: null });
    expect(await lastAudit()).toMatchObject({
      action: 'uncheck',
      details: { stage: 'launch', todo: 'error-tracking' },
    });
    expect(await todo(`--now ${tickedAt}`)).toMatchObject({ state: 'done', done_at: tickedAt });
  });

  it('refuses an unknown id listing both gates and to-dos, and a metric-checked gate', async () => {
    const unknown = await text('check nope');
    expect(unknown.reply.error?.code).toBe('not_found');
    expect(unknown.text).toMatch(
      /has no gate or to-do "nope" \(gates: p95; to-dos: error-tracking\)/,
    );
    const checked = await text('check p95');
    expect(checked.reply.error?.code).toBe('invalid');
    expect(checked.text).toMatch(/checked from metrics/);
  });

  it('readers may not tick a to-do from chat', async () => {
    const { reply } = await text('check error-tracking', reader);
    expect(reply.error?.code).toBe('forbidden');
  });
});

describe('help and completions follow the table', () => {
  it('help lists the new commands, and explains move', async () => {
    const all = renderText((await run('help')).message);
    for (const usage of [
      'budget [--roadmap <roadmap>] [--now <time>] [--public]',
      'plan [--roadmap <roadmap>] [--now <time>] [--public]',
      'tracks [--roadmap <roadmap>] [--now <time>] [--public]',
      'move <track> <step> [--roadmap <roadmap>]',
      'check <gate> [--roadmap <roadmap>]',
    ])
      expect(all).toContain(usage);
    const one = await text('help move', reader);
    expect(one.text).toContain('(admins only in chat)');
    expect(one.text).toContain('<step>: a step id of that track');
    expect((await text('help check')).text).toContain('<gate>: a gate or to-do id');
  });

  it('completes track ids, the steps of the named track (not the one it is at), and to-dos', async () => {
    const values = async (completion: 'track' | 'step' | 'gate', extra = {}) =>
      (
        await completionCandidates(app, {
          completion,
          mutates: true,
          roadmap: ROADMAP,
          platform: 'cli',
          ...extra,
        })
      ).map((c) => c.value);
    expect(await values('track')).toEqual(['database']);
    // database stands at `free` (moved back above).
    expect(await values('step', { track: 'database' })).toEqual(['pro', 'team']);
    expect(await values('step')).toEqual(['free', 'pro', 'team']);
    const ticks = await values('gate');
    expect(ticks).toContain('error-tracking');
    expect(ticks).not.toContain('p95'); // checked from metrics
  });
});

describe('through Slack', () => {
  let slack: SlackHarness;
  beforeAll(async () => {
    slack = await SlackHarness.start({ pool: db.pool, clock, roadmaps: [ROADMAP] });
  });
  afterAll(() => slack?.close());

  it('tracks and budget answer anyone; move is refused to a reader and runs for an admin', async () => {
    expect(blocksText(await slack.command('tracks', READER))).toMatch(/Database/);
    expect(blocksText(await slack.command('budget', READER))).toMatch(/ai_api/);
    const refused = await slack.command('move database team', READER);
    expect(blocksText(refused)).toMatch(/only roadmap admins can run "move"/);
    const moved = await slack.command('move database team', ADMIN);
    expect(blocksText(moved)).toMatch(/Moved Database from Free tier to Team/);
    expect(await lastAudit()).toMatchObject({ actor: ADMIN, platform: 'slack', action: 'move' });
  });
});

describe('through Discord', () => {
  let bot: Bot;
  beforeAll(async () => {
    bot = await startBot({ pool: db.pool, roadmaps: [ROADMAP], clock });
  });
  afterAll(() => bot?.close());

  it('/roadmap move: an admin moves, a member without the role is refused', async () => {
    const refused = await bot.send(slash('move', { track: 'database', step: 'pro' }, PEOPLE.rita));
    expect(textOf(refused.json.data)).toMatch(/only roadmap admins/);
    const moved = await bot.send(slash('move', { track: 'database', step: 'pro' }, PEOPLE.alice));
    expect(textOf(moved.json.data)).toMatch(/Moved Database from Team to Pro \(a rollback\)/);
    expect(await lastAudit()).toMatchObject({
      actor: PEOPLE.alice.id,
      platform: 'discord',
      action: 'move',
    });
  });

  it('/roadmap plan answers with the plans', async () => {
    const res = await bot.send(slash('plan', {}, PEOPLE.rita));
    expect(textOf(res.json.data)).toMatch(/paid_users/);
  });

  it('autocompletes the track, then its steps, and to-dos for check', async () => {
    const choices = async (sub: string, options: Record<string, string>, focused: string) =>
      (
        (await bot.send(autocomplete(sub, options, focused))).json.data.choices as {
          value: string;
        }[]
      ).map((c) => c.value);
    expect(await choices('move', { track: 'da' }, 'track')).toEqual(['database']);
    expect(await choices('move', { track: 'database', step: '' }, 'step')).toEqual([
      'free',
      'team',
    ]);
    expect(await choices('check', { gate: 'err' }, 'gate')).toEqual(['error-tracking']);
  });
});
