import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { renderText } from '../../src/core/messages/text.js';
import type { StatusJson } from '../../src/core/messages/status-json.js';
import { admin, appWith, reader, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
let app: AppDeps;

const run = (line: string, who = admin) =>
  runCommand(app, { ...who, defaultRoadmap: 'oviya' }, line, 'cli');
const status = async (extra = '') => (await run(`status --json ${extra}`)).json as StatusJson;
const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('oviya', 'example'), clock);
});

describe('the command layer against a real Postgres', () => {
  it('records by hand and reports the upgrade trigger through status --json (Oviya at 420 users)', async () => {
    expect((await run('record active_users 420')).exitCode).toBe(0);
    const doc = await status();
    expect(doc.roadmap).toEqual({ id: 'oviya', name: expect.any(String) });
    expect(doc.stage.id).toBe('tier0');
    const upgrade = doc.triggers.find((t) => t.id === 'tier0.upgrade');
    expect(upgrade?.state).toBe('firing');
    expect(upgrade?.comparisons[0]).toMatchObject({
      metric: 'active_users',
      op: '>=',
      threshold: 400,
      value: 420,
      state: 'met',
      progress: 1.05,
    });
  });

  it('converts typed units: 2.5s for an ms metric is 2500', async () => {
    await run('record response_time_p95 2.5s');
    const doc = await status();
    const latency = doc.triggers
      .find((t) => t.id === 'tier0.upgrade')
      ?.comparisons.find((c) => c.metric === 'response_time_p95');
    expect(latency).toMatchObject({ value: 2500, threshold: 2000, state: 'met' });
  });

  it('is idempotent on (roadmap, metric, time, source): the same point twice is one row', async () => {
    const before = await count('metric_points');
    await run('record active_users 430 --at 2026-02-01T00:00:00Z');
    await run('record active_users 430 --at 2026-02-01T00:00:00Z');
    expect(await count('metric_points')).toBe(before + 1);
  });

  it('replays the past with --now using only data known then', async () => {
    await run('record active_users 350 --at 2026-01-15');
    // Without latency data then, `users or latency` could only be unknown: record both.
    await run('record response_time_p95 800ms --at 2026-01-15');
    const january = await status('--now 2026-01-20');
    expect(january.triggers.find((t) => t.id === 'tier0.upgrade')?.state).toBe('approaching');
    const now = await status();
    expect(now.triggers.find((t) => t.id === 'tier0.upgrade')?.state).toBe('firing');
  });

  it('refuses bad values with a message naming the field, and writes nothing', async () => {
    const before = await count('metric_points');
    const cases: [string, RegExp, number][] = [
      ['record active_users lots', /value: expected a number/, 1],
      ['record active_users 2s', /duration cannot be compared with a metric in count/, 1],
      ['record nope 1', /no metric "nope"/, 1],
      ['record active_users 1 --at yesterday-ish', /at: expected a date/, 1],
      ['record active_users 1 --at 2099-01-01', /in the future/, 1],
      ['set active_users yes', /not a flag/, 1],
      ['record active_users', /missing <value>/, 2],
      ['status --now someday', /--now: expected a date/, 2],
      ['frobnicate', /unknown command "frobnicate"/, 2],
    ];
    for (const [line, message, exitCode] of cases) {
      const reply = await run(line);
      expect({ line, exitCode: reply.exitCode }).toEqual({ line, exitCode });
      expect(renderText(reply.message)).toMatch(message);
    }
    expect(await count('metric_points')).toBe(before);
  });

  it('checks, unchecks and lists gates; metric-checked gates cannot be ticked', async () => {
    expect((await run('check no-secrets')).exitCode).toBe(0);
    let doc = await status();
    expect(doc.gates.find((g) => g.id === 'no-secrets')?.passed).toBe(true);
    await run('uncheck no-secrets');
    doc = await status();
    expect(doc.gates.find((g) => g.id === 'no-secrets')?.passed).toBe(false);
    const checked = await run('check latency');
    expect(checked.exitCode).toBe(1);
    expect(renderText(checked.message)).toMatch(/checked from metrics/);
    expect(renderText((await run('gates')).message)).toMatch(/gates \d+ of \d+ passed/);
  });

  it('advances only when every gate passes, unless forced, and records the force', async () => {
    const refused = await run('advance');
    expect(refused.exitCode).toBe(1);
    expect(renderText(refused.message)).toMatch(/cannot advance/);
    expect((await status()).stage.id).toBe('tier0');

    clock.advance(60_000);
    expect((await run('advance force')).exitCode).toBe(0);
    const doc = await status();
    expect(doc.stage).toMatchObject({ id: 'tier1', since: clock.now().toISOString() });
    const transition = await db.pool.query(
      'SELECT forced, actor FROM stage_transitions ORDER BY id DESC LIMIT 1',
    );
    expect(transition.rows[0]).toEqual({ forced: true, actor: 'cli:alice' });
    // The stage as it stood before the advance is still replayable.
    expect((await status('--now 2026-03-01T14:00:00Z')).stage.id).toBe('tier0');
  });

  it('sets flags and shows metrics with their history', async () => {
    expect((await run('set multi_region_needed yes')).exitCode).toBe(0);
    const doc = await status();
    expect(doc.metrics.find((m) => m.name === 'multi_region_needed')?.value).toBe(1);
    const metrics = renderText((await run('metrics')).message);
    expect(metrics).toMatch(/multi_region_needed|Multi/i);
    const one = renderText((await run('metrics active_users --window 90d')).message);
    expect(one).toMatch(/latest: 420/);
  });

  it('refuses mutations to non-admins politely and lets them read', async () => {
    const before = await count('audit_log');
    const refused = await run('record active_users 1', reader);
    expect(refused.exitCode).toBe(1);
    expect(renderText(refused.message)).toMatch(/only roadmap admins/);
    expect(await count('audit_log')).toBe(before);
    expect((await run('status', reader)).exitCode).toBe(0);
  });

  it('audits every mutation with who, where and when', async () => {
    const rows = await db.pool.query(
      `SELECT action, actor, platform, roadmap_id FROM audit_log ORDER BY id`,
    );
    const actions = rows.rows.map((r) => r.action);
    expect(actions).toEqual(
      expect.arrayContaining(['record', 'check', 'uncheck', 'advance', 'set']),
    );
    expect(
      rows.rows.every(
        (r) => r.actor === 'alice' && r.platform === 'cli' && r.roadmap_id === 'oviya',
      ),
    ).toBe(true);
  });

  it('needs --roadmap when several are loaded and no channel binding says which', async () => {
    const reply = await runCommand(app, admin, 'status', 'cli');
    expect(reply.exitCode).toBe(2);
    expect(renderText(reply.message)).toMatch(/several roadmaps are loaded.*--roadmap/);
    expect((await runCommand(app, admin, 'status --roadmap example', 'cli')).exitCode).toBe(0);
  });

  it('binds a chat channel to a roadmap with use, so its commands need no --roadmap', async () => {
    const inChannel = {
      actor: { platform: 'slack' as const, id: 'U1', channel: 'C-OVIYA' },
      isAdmin: true,
    };
    expect((await runCommand(app, inChannel, 'status', 'chat')).exitCode).toBe(2);
    expect((await runCommand(app, inChannel, 'use example', 'chat')).exitCode).toBe(0);
    const doc = (await runCommand(app, inChannel, 'status --json', 'chat')).json as StatusJson;
    expect(doc.roadmap.id).toBe('example');
    // From the CLI the channel is named.
    expect(
      (await runCommand(app, admin, 'use oviya --channel slack:C-OVIYA', 'cli')).exitCode,
    ).toBe(0);
    expect(
      ((await runCommand(app, inChannel, 'status --json', 'chat')).json as StatusJson).roadmap.id,
    ).toBe('oviya');
    expect((await runCommand(app, admin, 'use nope --channel slack:C1', 'cli')).exitCode).toBe(1);
    expect((await runCommand(app, admin, 'use oviya', 'cli')).exitCode).toBe(2);
  });

  it('generates help from the command table', async () => {
    const text = renderText((await run('help')).message);
    for (const name of [
      'status',
      'metrics',
      'record',
      'set',
      'gates',
      'check',
      'uncheck',
      'advance',
      'use',
      'import',
      'validate',
      'migrate',
      'help',
    ]) {
      expect(text).toContain(name);
    }
    expect(renderText((await run('help record')).message)).toMatch(/record <metric> <value>/);
  });
});
