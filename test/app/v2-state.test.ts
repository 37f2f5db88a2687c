import path from 'node:path';
import { mkdtempSync } from 'node:fs';
import os from 'node:os';
import { beforeAll, describe, expect, it } from 'vitest';
import { evaluateAndNotify } from '../../src/app/alerts/engine.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import type { RoadmapState } from '../../src/core/evaluate/report.js';
import type { StatusJson } from '../../src/core/messages/status-json.js';
import { admin, appWith, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { folderAt } from '../support/roadmap-files.js';

/*
 * Format "Version 2", "Memory and replays": a track moved, a to-do latched due and ticked, a
 * kept target lapsing and holding again are each stored with the instant they happened, and
 * `--now` shows exactly what stood then, from the store (`state.at`) up to `status --json`.
 */

const db = useTestDatabase();
const MIN = 60_000;
const ROADMAP = [
  'id: replay',
  'name: Replay',
  'timezone: UTC',
  'start: 2026-01-01',
  'metrics:',
  '  users: { unit: count }',
  '  mrr: { unit: usd }',
  '  cost: { unit: usd }',
  'stages:',
  '  - id: one',
  '    name: One',
  '    actions:',
  '      - { id: replica, text: Add a read replica, when: users >= 100 }',
  '      - { id: backups, text: Set up backups }',
  'tracks:',
  '  - id: database',
  '    name: Database',
  '    steps:',
  '      - { id: free, name: Free }',
  '      - { id: pro, name: Pro, when: users >= 50 }',
  'targets:',
  '  - { id: profitable, when: mrr > cost, keep: true }',
  '',
].join('\n');

// What happened, hour by hour (UTC): data from 09:00 (the target is met), the track moved at
// 10:00, the to-do due at 11:00 (the engine latches it) and ticked at 12:00, the target lapsed
// at 13:00 and held again at 14:00.
const T = (hhmm: string) => new Date(`2026-03-02T${hhmm}:00.000Z`);
const DATA = T('09:00');
const MOVED = T('10:00');
const DUE = T('11:00');
const TICKED = T('12:00');
const LAPSED = T('13:00');
const HELD = T('14:00');

const clock = new TestClock(DATA);
let app: AppDeps;
const run = (line: string) => runCommand(app, { ...admin, defaultRoadmap: 'replay' }, line, 'cli');
const roadmap = () => app.registry.get('replay')!;
const engine = () =>
  evaluateAndNotify(app, roadmap(), clock.now(), { repeatIntervalMs: 4 * 60 * MIN });
const bob = { platform: 'cli' as const, id: 'bob' };

/** How many rows every table of the roadmap's memory and the outbox hold. */
async function memoryRows(): Promise<Record<string, number>> {
  const tables = [
    'track_moves',
    'todo_checks',
    'todo_due',
    'target_lapses',
    'target_met',
    'trigger_states',
    'alert_episodes',
    'deliveries',
  ];
  const counts: Record<string, number> = {};
  for (const table of tables)
    counts[table] = Number(
      (await db.pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]!.n,
    );
  return counts;
}

beforeAll(async () => {
  const dir = folderAt(path.join(mkdtempSync(path.join(os.tmpdir(), 'v2-state-')), 'roadmaps'), {
    'replay.yaml': ROADMAP,
  });
  app = await appWith(db.pool, dir, clock);
  expect((await run('subscribe alerts info --channel console:ops')).exitCode).toBe(0);

  // 09:00: first data; the engine remembers the target met.
  await run('record users 10');
  await run('record mrr 100');
  await run('record cost 50');
  await engine();
  // 10:00: a person moves the database track (the `move` command writes through this port).
  clock.set(MOVED);
  await app.store.transaction((tx) =>
    tx.state.moveTrack({
      roadmapId: 'replay',
      trackId: 'database',
      from: 'free',
      to: 'pro',
      actor: admin.actor,
      at: MOVED,
    }),
  );
  // 11:00: 150 users; the engine latches the to-do due and announces it.
  clock.set(DUE);
  await run('record users 150');
  await engine();
  // 12:00: bob ticks it (as `check replica` will).
  clock.set(TICKED);
  await app.store.transaction((tx) =>
    tx.state.tickTodo({
      roadmapId: 'replay',
      stageId: 'one',
      todoId: 'replica',
      done: true,
      actor: bob,
      at: TICKED,
    }),
  );
  await engine();
  // 13:00: costs pass revenue; the engine remembers the lapse.
  clock.set(LAPSED);
  await run('record cost 200');
  await engine();
  // 14:00: revenue is ahead again; the lapse ends.
  clock.set(HELD);
  await run('record cost 20');
  await engine();
  clock.set(T('15:00'));
});

interface Stood {
  /** The database track's current step and since when (null: never moved). */
  track: { id: string; since: Date | null };
  /** The `replica` to-do. */
  todo: { state: string; dueAt: Date | null; doneBy: string | null; doneAt: Date | null };
  /** The kept target `profitable`, as `status --json` shows it. */
  target: { state: string; lapsedSince: Date | null };
}

const free = { id: 'free', since: null };
const pro = { id: 'pro', since: MOVED };
const open = { state: 'open', dueAt: null, doneBy: null, doneAt: null };
const due = { state: 'due', dueAt: DUE, doneBy: null, doneAt: null };
const done = { state: 'done', dueAt: DUE, doneBy: 'cli:bob', doneAt: TICKED };
const met = { state: 'met', lapsedSince: null };

// Each row: an instant, and what stood then.
const instants: [when: string, at: Date, stood: Stood][] = [
  // Before any data: nothing moved, nothing due, the target not met yet (`status` shows the
  // forecast's word for it: with no data, at risk).
  [
    'before anything',
    T('08:30'),
    { track: free, todo: open, target: { state: 'at_risk', lapsedSince: null } },
  ],
  // Data, the target met; the track not moved yet.
  ['after the data, before the move', T('09:30'), { track: free, todo: open, target: met }],
  // The very instant of the move: it has happened (at or before `now`).
  ['at the move', MOVED, { track: pro, todo: open, target: met }],
  ['after the move, before the to-do is due', T('10:30'), { track: pro, todo: open, target: met }],
  // 150 users at 11:00: the to-do latched due then.
  ['after the to-do became due', T('11:30'), { track: pro, todo: due, target: met }],
  // One millisecond before the tick it is still due; from the tick on, done by bob.
  ['just before the tick', new Date(TICKED.getTime() - 1), { track: pro, todo: due, target: met }],
  ['after the tick', T('12:30'), { track: pro, todo: done, target: met }],
  // Lapsed since 13:00 (the remembered start, not the replayed instant).
  [
    'during the lapse',
    T('13:30'),
    { track: pro, todo: done, target: { state: 'lapsed', lapsedSince: LAPSED } },
  ],
  // At 14:00 it held again: met, no lapse.
  ['when it held again', HELD, { track: pro, todo: done, target: met }],
  ['after everything', T('14:30'), { track: pro, todo: done, target: met }],
];

describe('replays of the v2 memory (track moves, to-do ticks and latches, lapses)', () => {
  it.each(instants)('state.at %s', async (_, at, stood) => {
    const state: RoadmapState = await app.store.state.at('replay', 'one', at);
    const step = state.trackSteps?.get('database');
    expect(step ? { id: step.step, since: step.since } : free).toEqual(stood.track);
    const tick = state.todoChecks?.get('replica');
    expect({
      done: tick?.done === true,
      dueAt: state.todosDue?.get('replica') ?? null,
      doneBy: tick?.done ? tick.actor : null,
      doneAt: tick?.done ? tick.at : null,
    }).toEqual({
      done: stood.todo.state === 'done',
      dueAt: stood.todo.dueAt,
      doneBy: stood.todo.doneBy,
      doneAt: stood.todo.doneAt,
    });
    expect(state.targetsLapsed?.get('profitable') ?? null).toEqual(stood.target.lapsedSince);
  });

  it.each(instants)('status --now %s --json', async (_, at, stood) => {
    const reply = await run(`status --json --now ${at.toISOString()}`);
    expect(reply.exitCode).toBe(0);
    const doc = reply.json as StatusJson;
    const track = doc.tracks.find((t) => t.id === 'database')!;
    expect(track.current).toEqual({
      id: stood.track.id,
      since: stood.track.since?.toISOString() ?? null,
    });
    const todo = doc.actions.find((a) => a.id === 'replica')!;
    const iso = (d: Date | null) => d?.toISOString() ?? null;
    expect({
      state: todo.state,
      due_at: todo.due_at,
      done_by: todo.done_by,
      done_at: todo.done_at,
    }).toEqual({
      state: stood.todo.state,
      due_at: iso(stood.todo.dueAt),
      done_by: stood.todo.doneBy,
      done_at: iso(stood.todo.doneAt),
    });
    const target = doc.targets.find((t) => t.id === 'profitable')!;
    expect({ state: target.state, lapsed_since: target.lapsed_since }).toEqual({
      state: stood.target.state,
      lapsed_since: iso(stood.target.lapsedSince),
    });
  });

  it('announced the to-do once, when it became due', async () => {
    const { rows } = await db.pool.query(
      `SELECT idempotency_key, kind, message->>'title' AS title FROM deliveries ORDER BY id`,
    );
    expect(rows).toEqual([
      {
        idempotency_key: 'todo-due:replay:one:replica:console:ops',
        kind: 'todo-due',
        title: 'To-do due: Add a read replica',
      },
    ]);
  });

  it('keeps one lapse, begun and ended at the instants the engine found them', async () => {
    const { rows } = await db.pool.query(
      `SELECT target_id, lapsed_at, held_again_at FROM target_lapses ORDER BY id`,
    );
    expect(rows).toEqual([{ target_id: 'profitable', lapsed_at: LAPSED, held_again_at: HELD }]);
  });
});

describe('reads never write', () => {
  it('no read path latches, remembers or announces anything, replaying or not', async () => {
    // A situation the engine would act on: `replica` unticked and its latch forgotten while
    // its `when` holds (it would latch and announce it), and costs above revenue (it would
    // open a lapse). Only reads run here.
    await app.store.transaction((tx) =>
      tx.state.tickTodo({
        roadmapId: 'replay',
        stageId: 'one',
        todoId: 'replica',
        done: false,
        actor: bob,
        at: clock.now(),
      }),
    );
    await db.pool.query(`DELETE FROM todo_due`);
    await run('record cost 500');
    const before = await memoryRows();
    const reads = [
      'status',
      'status --json',
      `status --json --now ${T('13:30').toISOString()}`,
      `status --now ${clock.now().toISOString()}`,
      'gates',
      'alerts',
      'forecast',
      'metrics',
      'budget',
      'plan',
      'tracks',
      `tracks --now ${T('10:30').toISOString()}`,
    ];
    for (const line of reads) {
      const reply = await run(line);
      expect(reply.exitCode, `${line}: ${reply.message.title}`).toBe(0);
    }
    // What the reads showed was due (now) is not remembered: the replays saw it, nothing kept it.
    const doc = (await run('status --json')).json as StatusJson;
    expect(doc.actions.find((a) => a.id === 'replica')?.state).toBe('due');
    expect(doc.targets.find((t) => t.id === 'profitable')?.state).toBe('lapsed');
    expect(await memoryRows()).toEqual(before);
    // The engine, which does act on it: the latch and the lapse are remembered.
    await engine();
    const after = await memoryRows();
    expect([after.todo_due, after.target_lapses]).toEqual([1, before.target_lapses! + 1]);
  });
});

describe('the v2 state port', () => {
  const at = (hhmm: string) => new Date(`2026-04-01T${hhmm}:00.000Z`);

  it('keeps the first date a to-do was found due, per stage', async () => {
    const due = (todoId: string, hhmm: string) => ({ todoId, at: at(hhmm) });
    await app.store.state.markTodosDue('p', 'one', [due('a', '10:00'), due('b', '10:00')]);
    // A later finding moves nothing; an earlier one (a replica whose clock is behind) wins.
    await app.store.state.markTodosDue('p', 'one', [due('a', '11:00'), due('b', '09:00')]);
    // The same to-do twice in one call, and the same id in another stage: its own latch.
    await app.store.state.markTodosDue('p', 'two', [due('a', '12:00'), due('a', '11:30')]);
    const one = await app.store.state.at('p', 'one', at('23:00'));
    expect([...(one.todosDue ?? [])]).toEqual([
      ['a', at('10:00')],
      ['b', at('09:00')],
    ]);
    await app.store.state.moveStage({
      roadmapId: 'p',
      from: 'one',
      to: 'two',
      forced: false,
      actor: bob,
      at: at('20:00'),
    });
    const two = await app.store.state.at('p', 'one', at('23:00'));
    expect([...(two.todosDue ?? [])]).toEqual([['a', at('11:30')]]);
  });

  it('opens one lapse at a time and closes only an open one', async () => {
    const lapse = (lapsed: boolean, hhmm: string) => [{ targetId: 'kept', lapsed, at: at(hhmm) }];
    await app.store.state.markTargetsLapsed('p', lapse(false, '09:00')); // none open: nothing
    await app.store.state.markTargetsLapsed('p', lapse(true, '10:00'));
    await app.store.state.markTargetsLapsed('p', lapse(true, '10:30')); // open already: kept
    await app.store.state.markTargetsLapsed('p', lapse(false, '11:00'));
    await app.store.state.markTargetsLapsed('p', [
      { targetId: 'kept', lapsed: true, at: at('12:00') },
      { targetId: 'kept', lapsed: false, at: at('13:00') },
      { targetId: 'kept', lapsed: true, at: at('14:00') },
    ]);
    const { rows } = await db.pool.query(
      `SELECT lapsed_at, held_again_at FROM target_lapses WHERE roadmap_id = 'p' ORDER BY id`,
    );
    expect(rows).toEqual([
      { lapsed_at: at('10:00'), held_again_at: at('11:00') },
      { lapsed_at: at('12:00'), held_again_at: at('13:00') },
      { lapsed_at: at('14:00'), held_again_at: null },
    ]);
    const lapsedAt = async (hhmm: string) =>
      (await app.store.state.at('p', 'one', at(hhmm))).targetsLapsed?.get('kept') ?? null;
    expect(await lapsedAt('09:59')).toBeNull();
    expect(await lapsedAt('10:59')).toEqual(at('10:00'));
    expect(await lapsedAt('11:00')).toBeNull();
    expect(await lapsedAt('12:30')).toEqual(at('12:00'));
    expect(await lapsedAt('13:30')).toBeNull();
    expect(await lapsedAt('15:00')).toEqual(at('14:00'));
  });
});
