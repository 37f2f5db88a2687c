import { writeFileSync } from 'node:fs';
import path from 'node:path';
import type pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgOutbox } from '../../src/adapters/pg/outbox.js';
import { pgStore } from '../../src/adapters/pg/store.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler } from '../../src/app/scheduler.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

// Triggers of the kinds format "Version 2" adds (`<track>.upgrade`, `<track>.capacity`,
// `budget.<line>`) go through the same engine as upgrades and alerts, with the same lifecycle
// (episodes, ack, snooze, repeat, resolve, exactly once); a to-do that becomes due is
// announced once per subscribed channel.
const db = useTestDatabase();
const MIN = 60_000;
const HOUR = 60 * MIN;
const clock = new TestClock(new Date('2026-05-02T10:00:00Z'));
let app: AppDeps;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
let pools: pg.Pool[] = [];

const run = (line: string) =>
  runCommand(app, { ...admin, defaultRoadmap: 'example-v2' }, line, 'cli');

// A roadmap whose budget line is approaching at half its max (the default share is 0.8).
const HALF = [
  'id: half',
  'name: Half',
  'timezone: UTC',
  'approaching: 0.5',
  'metrics:',
  '  cloud_cost: { unit: usd }',
  'stages:',
  '  - id: only',
  '    name: Only',
  '    budget:',
  '      cloud: { max: 1000, metric: cloud_cost }',
  '',
].join('\n');

beforeAll(async () => {
  const dir = roadmapsFolder('example-v2');
  writeFileSync(path.join(dir, 'half.yaml'), HALF);
  app = await appWith(db.pool, dir, clock);
});

afterAll(async () => {
  await Promise.all(pools.map((p) => p.end()));
  pools = [];
});

beforeEach(async () => {
  await db.pool.query(
    `TRUNCATE metric_points, trigger_states, alert_episodes, subscriptions, deliveries,
       digest_snapshots, audit_log, stage_transitions, gate_checks, target_met, track_moves,
       todo_checks, todo_due, target_lapses RESTART IDENTITY CASCADE`,
  );
});

/** A bot replica: its own pool (its own connections) and worker id, sharing the database. */
function replica(name: string, sink: RecordingSink): Scheduler {
  const pool = createPool(db.url, { max: 4, applicationName: `replica ${name}` });
  pools.push(pool);
  const deps: AppDeps = { ...app, store: pgStore(pool) };
  return new Scheduler(deps, deps.store.outbox, {
    evaluateCron: '* * * * *',
    outboxCron: '* * * * *',
    repeatIntervalMs: 4 * HOUR,
    worker: { worker: name, sinks: new Map([['console', sink]]), random: () => 0.5 },
    logger: silent,
  });
}

/** Both replicas tick at the same instant, racing. */
const race = (...replicas: Scheduler[]) => Promise.all(replicas.map((r) => r.tick(clock.now())));

/** Every outbox row, oldest first. */
const deliveries = async () =>
  (
    await db.pool.query<{ key: string; kind: string; channel: string; status: string }>(
      `SELECT idempotency_key AS key, kind, channel_id AS channel, status FROM deliveries ORDER BY id`,
    )
  ).rows;

/** Every row was sent, once: as many posts and edits as rows, no key twice. */
async function expectSentOnce(sink: RecordingSink) {
  const rows = await deliveries();
  expect(rows.every((r) => r.status === 'sent')).toBe(true);
  expect(new Set(rows.map((r) => r.key)).size).toBe(rows.length);
  expect(sink.posts).toHaveLength(rows.filter((r) => r.kind !== 'update').length);
  expect(sink.updates).toHaveLength(rows.filter((r) => r.kind === 'update').length);
  return rows;
}

describe('v2 triggers through the alert engine', () => {
  it('opens and posts an episode for a track upgrade and a budget line, once', async () => {
    const sink = new RecordingSink('console');
    const scheduler = new Scheduler(app, pgOutbox(db.pool), {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 4 * 60 * MIN,
      worker: { worker: 'w1', sinks: new Map([['console', sink]]), random: () => 0.5 },
      logger: silent,
    });
    expect((await run('subscribe alerts info --channel console:ops')).exitCode).toBe(0);
    // 60 users: the database track's `pro` step (>= 50) is due while `free` is current;
    // ai_api max is 0.25 * 60 = 15, and 40 is over it.
    await run('record active_users 60');
    await run('record ai_api_cost 40');
    clock.advance(MIN);
    await scheduler.tick(clock.now());
    clock.advance(MIN);
    await scheduler.tick(clock.now());

    const { rows } = await db.pool.query<{ trigger_id: string; kind: string }>(
      'SELECT trigger_id, kind FROM alert_episodes ORDER BY trigger_id',
    );
    expect(rows).toEqual([
      { trigger_id: 'budget.ai_api', kind: 'budget' },
      { trigger_id: 'database.upgrade', kind: 'track' },
    ]);
    const fired = sink.titles().filter((t) => t.includes('firing'));
    expect(fired).toHaveLength(2);
  });
});

describe('v2 alert lifecycle across two replicas', () => {
  it('takes database.upgrade, database.capacity and budget.ai_api from firing to resolved, with ack and snooze, exactly once', async () => {
    clock.set('2026-05-02T10:00:00Z');
    const sink = new RecordingSink('console');
    const [a, b] = [replica('A', sink), replica('B', sink)];
    expect((await run('subscribe alerts info --channel console:ops')).exitCode).toBe(0);
    // 60 users: `pro` (>= 50) is due while `free` is current (database.upgrade); 600 MB is over
    // free's 500 MB (database.capacity); ai_api's max is 0.25 * 60 = 15, and 40 is over it.
    await run('record active_users 60');
    await run('record db_size 600MB');
    await run('record ai_api_cost 40');
    const end = Date.parse('2026-05-02T17:00:00Z');
    for (; clock.now().getTime() <= end; clock.advance(30 * MIN)) {
      const hhmm = clock.now().toISOString().slice(11, 16);
      if (hhmm === '10:30') {
        // People settle two of the three: no repeats for them (capacity repeats at 14:00).
        expect((await run('ack database.upgrade')).exitCode).toBe(0);
        expect((await run('snooze budget.ai_api 1d')).exitCode).toBe(0);
      }
      if (hhmm === '15:00') {
        // The track moves to `pro` (as `move database pro` does): its next step `team` needs
        // 1,000 users and its limit is 8 GB, so both track alerts resolve; AI costs fall.
        await app.store.transaction((tx) =>
          tx.state.moveTrack({
            roadmapId: 'example-v2',
            trackId: 'database',
            from: 'free',
            to: 'pro',
            actor: admin.actor,
            at: clock.now(),
          }),
        );
        await run('record ai_api_cost 10');
      }
      await race(a, b);
    }
    // A restart: two fresh replicas find nothing left to say.
    await race(replica('C', sink), replica('D', sink));

    const episodes = await db.pool.query(
      `SELECT trigger_id, kind, fired_at, resolved_at, acknowledged_by, snoozed_by
         FROM alert_episodes ORDER BY trigger_id`,
    );
    const fired = new Date('2026-05-02T10:00:00Z');
    const resolved = new Date('2026-05-02T15:00:00Z');
    const ep = { fired_at: fired, resolved_at: resolved };
    expect(episodes.rows).toEqual([
      {
        trigger_id: 'budget.ai_api',
        kind: 'budget',
        ...ep,
        acknowledged_by: null,
        snoozed_by: 'alice',
      },
      {
        trigger_id: 'database.capacity',
        kind: 'track',
        ...ep,
        acknowledged_by: null,
        snoozed_by: null,
      },
      {
        trigger_id: 'database.upgrade',
        kind: 'track',
        ...ep,
        acknowledged_by: 'alice',
        snoozed_by: null,
      },
    ]);
    await expectSentOnce(sink);
    const perEpisode = await db.pool.query(
      `SELECT e.trigger_id, d.kind, count(*)::int AS n FROM deliveries d
         JOIN alert_episodes e ON e.id = d.episode_id GROUP BY 1, 2 ORDER BY 1, 2`,
    );
    expect(perEpisode.rows).toEqual([
      // Snoozed: no repeat; its first post edited for the snooze and for the resolution.
      { trigger_id: 'budget.ai_api', kind: 'firing', n: 1 },
      { trigger_id: 'budget.ai_api', kind: 'resolved', n: 1 },
      { trigger_id: 'budget.ai_api', kind: 'update', n: 2 },
      // Neither acknowledged nor snoozed: repeat 1 at 14:00, four hours after it fired.
      { trigger_id: 'database.capacity', kind: 'firing', n: 1 },
      { trigger_id: 'database.capacity', kind: 'repeat', n: 1 },
      { trigger_id: 'database.capacity', kind: 'resolved', n: 1 },
      { trigger_id: 'database.capacity', kind: 'update', n: 1 },
      // Acknowledged: no repeat; edited for the acknowledgement and for the resolution.
      { trigger_id: 'database.upgrade', kind: 'firing', n: 1 },
      { trigger_id: 'database.upgrade', kind: 'resolved', n: 1 },
      { trigger_id: 'database.upgrade', kind: 'update', n: 2 },
    ]);
  }, 60_000);

  it('warns once when a budget line reaches the roadmap’s `approaching` share of its max', async () => {
    clock.set('2026-05-02T10:00:00Z');
    const sink = new RecordingSink('console');
    const [a, b] = [replica('A', sink), replica('B', sink)];
    const half = (line: string) =>
      runCommand(app, { ...admin, defaultRoadmap: 'half' }, line, 'cli');
    expect((await half('subscribe alerts info --channel console:fin')).exitCode).toBe(0);
    // 400 of 1,000 is 40%: ok. 600 is 60%, past the roadmap's 50% (the default 80% would
    // not be reached yet): approaching, announced once however often it is evaluated.
    for (const [cost, ticks] of [
      [400, 2],
      [600, 3],
      [700, 2],
      [1100, 2],
    ] as const) {
      await half(`record cloud_cost ${cost}`);
      for (let i = 0; i < ticks; i++) {
        await race(a, b);
        clock.advance(30 * MIN);
      }
    }
    const rows = (await expectSentOnce(sink)).filter((r) => r.channel === 'fin');
    expect(rows.map((r) => [r.kind, r.key.replace(/\d+/g, 'N')])).toEqual([
      ['approaching', 'approaching:half:budget.cloud:N-N-NTN:N:N.NZ:console:fin'],
      ['firing', 'alert:N:fired:console:fin'],
    ]);
    // Posted once each, to that channel.
    expect(sink.posts.filter((p) => p.channel === 'fin')).toHaveLength(2);
  }, 60_000);
});

describe('to-dos that become due', () => {
  it('announces a to-do once per subscribed channel: never again on later ticks, restarts or a racing replica', async () => {
    clock.set('2026-05-02T10:00:00Z');
    const sink = new RecordingSink('console');
    const [a, b] = [replica('A', sink), replica('B', sink)];
    // `read-replica` (when: active_users >= 1500) belongs to the `growth` stage.
    expect((await run('advance --force')).exitCode).toBe(0);
    for (const sub of ['info --channel console:ops', '--channel console:eng'])
      expect((await run(`subscribe alerts ${sub}`)).exitCode).toBe(0);
    // A channel that wants only critical alerts: a to-do counts as info, so it gets none.
    expect((await run('subscribe alerts critical --channel console:pager')).exitCode).toBe(0);

    const users = [1000, 1000, 1600, 1600, 1700, 100, 1800, 1800];
    for (const n of users) {
      await run(`record active_users ${n}`);
      await race(a, b);
      clock.advance(30 * MIN);
    }
    // Restarted replicas, racing at the same instants.
    const [c, d] = [replica('C', sink), replica('D', sink)];
    for (let i = 0; i < 3; i++) {
      await race(c, d);
      clock.advance(30 * MIN);
    }

    await expectSentOnce(sink);
    const announced = (await deliveries()).filter((r) => r.kind === 'todo-due');
    expect(announced.map((r) => r.key)).toEqual([
      'todo-due:example-v2:growth:read-replica:console:ops',
      'todo-due:example-v2:growth:read-replica:console:eng',
    ]);
    const posts = sink.posts.filter((p) => p.message.title.startsWith('To-do due'));
    expect(posts.map((p) => `${p.channel}: ${p.message.title}`)).toEqual([
      'ops: To-do due: Add a read replica',
      'eng: To-do due: Add a read replica',
    ]);
    expect(posts[0]!.message.sections[0]!.lines.map((l) => l.text)).toEqual([
      'active_users 1,600 >= 1,500',
      'due since 2026-05-02 13:00', // 11:00 UTC, in the roadmap's Europe/Berlin
      'When it is done, tick it: check read-replica --roadmap example-v2',
    ]);
    // Latched at the evaluation that first found it due (11:00 UTC), and shown due since then.
    const latch = await db.pool.query(`SELECT stage_id, todo_id, due_at FROM todo_due`);
    expect(latch.rows).toEqual([
      { stage_id: 'growth', todo_id: 'read-replica', due_at: new Date('2026-05-02T11:00:00Z') },
    ]);
    const doc = (await run('status --json')).json as { actions: { id: string; due_at: string }[] };
    expect(doc.actions.find((t) => t.id === 'read-replica')?.due_at).toBe(
      '2026-05-02T11:00:00.000Z',
    );
  }, 60_000);
});
