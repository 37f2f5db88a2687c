import { describe, expect, it } from 'vitest';
import { compileCondition } from '../../src/core/condition/compile.js';
import { evaluateCondition } from '../../src/core/condition/evaluate.js';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';
import { anyOf } from '../../src/core/evaluate/tracks.js';
import { evaluateAt, roadmapOf, stateWith, triggerOf } from './ladders-support.js';

/*
 * Tracks (docs/ROADMAP_FORMAT.md, "Tracks: per-component ladders"): current and due step,
 * capacity limits, the track's state, and the `<track>.upgrade` / `<track>.capacity` triggers.
 */

const NOW = new Date('2026-03-01T12:00:00Z');
const MOVED = new Date('2026-02-01T09:00:00Z');
const MB = 1e6;

const roadmap = roadmapOf([
  'id: t',
  'name: T',
  'metrics:',
  '  users: { unit: count }',
  '  paid: { unit: count }',
  '  db_size: { unit: bytes }',
  '  conns: { unit: count }',
  'stages:',
  '  - { id: one, name: One }',
  'tracks:',
  '  - id: database',
  '    name: Database',
  '    steps:',
  '      - { id: free, name: Free, capacity: { db_size: 500MB, conns: 60 } }',
  '      - { id: pro, name: Pro, when: users >= 50, capacity: { db_size: 8GB }, cost: 25 }',
  '      - { id: team, name: Team, when: "users >= 1000 or paid * 2 > 300", cost: 599 }',
  '  - id: cache',
  '    name: Cache',
  '    severity: warning',
  '    steps:',
  '      - { id: none, name: None }',
  '      - { id: redis, name: Redis, when: users >= 500 }',
]);

const QUIET = { users: 10, paid: 1, db_size: 100 * MB, conns: 10 };
const at = (steps: Record<string, string>) =>
  stateWith({
    trackSteps: new Map(
      Object.entries(steps).map(([track, step]) => [track, { step, since: MOVED }]),
    ),
  });

describe('a track: current step, due step, capacity and state', () => {
  type Row = [
    situation: string,
    values: Record<string, number>,
    current: Record<string, string>,
    expected: { current: string; due: string; state: string; capacity: string[] },
  ];
  const rows: Row[] = [
    // Nothing remembered, quiet values: the first step, nothing due, every limit well below.
    ['quiet', QUIET, {}, { current: 'free', due: 'free', state: 'ok', capacity: ['ok', 'ok'] }],
    // 420 MB of 500 MB is 84%, past the 80% approaching share.
    [
      'approaching a limit',
      { ...QUIET, db_size: 420 * MB },
      {},
      {
        current: 'free',
        due: 'free',
        state: 'approaching_capacity',
        capacity: ['approaching', 'ok'],
      },
    ],
    // At the limit exactly: not above it, so approaching, not over.
    [
      'at a limit',
      { ...QUIET, db_size: 500 * MB },
      {},
      {
        current: 'free',
        due: 'free',
        state: 'approaching_capacity',
        capacity: ['approaching', 'ok'],
      },
    ],
    // Above one limit: over capacity.
    [
      'over a limit',
      { ...QUIET, conns: 61 },
      {},
      { current: 'free', due: 'free', state: 'over_capacity', capacity: ['ok', 'over'] },
    ],
    // The next step's `when` holds: that step is due, the track is upgrade_due.
    [
      'next step due',
      { ...QUIET, users: 60 },
      {},
      { current: 'free', due: 'pro', state: 'upgrade_due', capacity: ['ok', 'ok'] },
    ],
    // Due is the LAST step whose `when` holds, skipping steps in between.
    [
      'two steps ahead due',
      { ...QUIET, users: 1200 },
      {},
      { current: 'free', due: 'team', state: 'upgrade_due', capacity: ['ok', 'ok'] },
    ],
    // Over capacity wins over upgrade_due.
    [
      'due and over',
      { ...QUIET, users: 60, db_size: 600 * MB },
      {},
      { current: 'free', due: 'pro', state: 'over_capacity', capacity: ['over', 'ok'] },
    ],
    // upgrade_due wins over approaching_capacity.
    [
      'due and approaching',
      { ...QUIET, users: 60, db_size: 450 * MB },
      {},
      { current: 'free', due: 'pro', state: 'upgrade_due', capacity: ['approaching', 'ok'] },
    ],
    // A capacity metric without data: unknown (after over, due and approaching).
    [
      'capacity without data',
      { users: 10, paid: 1, conns: 10 },
      {},
      { current: 'free', due: 'free', state: 'unknown', capacity: ['unknown', 'ok'] },
    ],
    // ...but a due step still says upgrade_due.
    [
      'capacity without data, step due',
      { users: 60, paid: 1, conns: 10 },
      {},
      { current: 'free', due: 'pro', state: 'upgrade_due', capacity: ['unknown', 'ok'] },
    ],
    // A `when` without data counts as not true: nothing due; the limits decide.
    [
      'when without data',
      { db_size: 100 * MB, conns: 10 },
      {},
      { current: 'free', due: 'free', state: 'ok', capacity: ['ok', 'ok'] },
    ],
    // Moved to pro: its own limits apply (8 GB), and team is due by its second comparison.
    [
      'moved, next due by arithmetic',
      { ...QUIET, users: 100, paid: 151, db_size: 7000 * MB },
      { database: 'pro' },
      { current: 'pro', due: 'team', state: 'upgrade_due', capacity: ['approaching'] },
    ],
    // At the last step, which has no limits: nothing to watch, ok.
    [
      'last step',
      { ...QUIET, users: 5000 },
      { database: 'team' },
      { current: 'team', due: 'team', state: 'ok', capacity: [] },
    ],
    // Moved past the due step (by hand, ahead of the numbers): not upgrade_due.
    [
      'ahead of due',
      QUIET,
      { database: 'team' },
      { current: 'team', due: 'free', state: 'ok', capacity: [] },
    ],
    // A remembered step the file no longer has: back to the first step.
    [
      'step gone from the file',
      QUIET,
      { database: 'gone' },
      { current: 'free', due: 'free', state: 'ok', capacity: ['ok', 'ok'] },
    ],
  ];

  it.each(rows)('%s', (_situation, values, current, expected) => {
    const report = evaluateAt(roadmap, values, NOW, at(current));
    const track = report.tracks.find((t) => t.id === 'database');
    expect({
      current: track?.current.id,
      due: track?.due.id,
      state: track?.state,
      capacity: track?.capacity.map((c) => c.state),
    }).toEqual(expected);
  });

  it('reports the steps with their costs, the limits with values and progress, and since when', () => {
    const report = evaluateAt(roadmap, { ...QUIET, db_size: 420 * MB }, NOW, at({ cache: 'none' }));
    expect(report.tracks).toEqual([
      {
        id: 'database',
        name: 'Database',
        current: { id: 'free', name: 'Free' },
        due: { id: 'free', name: 'Free' },
        steps: [
          { id: 'free', name: 'Free' },
          { id: 'pro', name: 'Pro', cost: 25 },
          { id: 'team', name: 'Team', cost: 599 },
        ],
        state: 'approaching_capacity',
        capacity: [
          {
            metric: 'db_size',
            limit: 500 * MB,
            value: 420 * MB,
            progress: 0.84,
            state: 'approaching',
          },
          { metric: 'conns', limit: 60, value: 10, progress: 0.1667, state: 'ok' },
        ],
      },
      {
        id: 'cache',
        name: 'Cache',
        // Remembered (moved there by someone): since when.
        current: { id: 'none', name: 'None', since: MOVED },
        due: { id: 'none', name: 'None' },
        steps: [
          { id: 'none', name: 'None' },
          { id: 'redis', name: 'Redis' },
        ],
        state: 'ok',
        capacity: [],
      },
    ]);
  });
});

describe("a track's watched triggers", () => {
  it('watches <track>.upgrade as the `or` of the later steps, and <track>.capacity over the limits', () => {
    const report = evaluateAt(roadmap, { ...QUIET, users: 60 }, NOW);
    const ids = report.triggers.map((t) => [t.id, t.kind, t.severity, t.state, t.condition]);
    expect(ids).toEqual([
      // Severity info unless the track sets one.
      [
        'database.upgrade',
        'track',
        'info',
        'firing',
        'users >= 50 or users >= 1000 or paid * 2 > 300',
      ],
      ['database.capacity', 'track', 'warning', 'ok', 'db_size > 500000000 or conns > 60'],
      ['cache.upgrade', 'track', 'warning', 'ok', 'users >= 500'],
    ]);
    // Each comparison reads as written in its step, also after the first condition.
    expect(
      triggerOf(report, 'database.upgrade')?.comparisons.map((c) => [c.metric, c.text, c.value]),
    ).toEqual([
      ['users', 'users >= 50', 60],
      ['users', 'users >= 1000', 60],
      ['paid * 2', 'paid * 2 > 300', 2],
    ]);
  });

  it('watches only the steps after the current one, and nothing past the last step', () => {
    const pro = evaluateAt(roadmap, QUIET, NOW, at({ database: 'pro' }));
    expect(triggerOf(pro, 'database.upgrade')?.condition).toBe('users >= 1000 or paid * 2 > 300');
    expect(triggerOf(pro, 'database.capacity')?.condition).toBe('db_size > 8000000000');
    const last = evaluateAt(roadmap, QUIET, NOW, at({ database: 'team', cache: 'redis' }));
    expect(last.triggers.map((t) => t.id)).toEqual([]);
  });

  type Row = [situation: string, values: Record<string, number>, state: string];
  const capacityRows: Row[] = [
    // Every limit far off.
    ['quiet', QUIET, 'ok'],
    // One limit at 84%: approaching (an `or`: one comparison suffices).
    ['approaching', { ...QUIET, db_size: 420 * MB }, 'approaching'],
    // One limit passed: firing at once (no `for`).
    ['over', { ...QUIET, conns: 70 }, 'firing'],
    // No data for a limit and none passed: unknown, never silently ok.
    ['no data', { users: 10, paid: 1, conns: 10 }, 'unknown'],
  ];
  it.each(capacityRows)('<track>.capacity: %s', (_situation, values, state) => {
    expect(triggerOf(evaluateAt(roadmap, values, NOW), 'database.capacity')?.state).toBe(state);
  });

  it('moves on from the remembered trigger state: a firing upgrade resolves once the team moves', () => {
    const firing: TriggerMemory = {
      state: 'firing',
      since: MOVED,
      activeSince: MOVED,
      firingSince: MOVED,
    };
    const prev = new Map([['database.upgrade', firing]]);
    const stayed = evaluateAt(roadmap, { ...QUIET, users: 60 }, NOW, stateWith({ triggers: prev }));
    expect(triggerOf(stayed, 'database.upgrade')).toMatchObject({
      state: 'firing',
      reason: 'still-firing',
      memory: firing,
    });
    // Moved to pro: the condition is now `team`'s only, which does not hold.
    const moved = evaluateAt(
      roadmap,
      { ...QUIET, users: 60 },
      NOW,
      stateWith({
        triggers: prev,
        trackSteps: new Map([['database', { step: 'pro', since: NOW }]]),
      }),
    );
    expect(triggerOf(moved, 'database.upgrade')).toMatchObject({
      state: 'resolved',
      reason: 'cleared',
      memory: { state: 'resolved', since: NOW },
    });
  });
});

describe('anyOf', () => {
  const metrics = new Map([
    ['a', { unit: 'count' as const, derived: false }],
    ['b', { unit: 'ms' as const, derived: false }],
  ]);
  const compile = (text: string) => {
    const result = compileCondition(text, metrics);
    if (!result.ok) throw new Error(text);
    return result.condition;
  };
  const inputs = {
    value: (name: string) => ({ a: 5, b: 1500 })[name],
    window: () => undefined,
  };

  it('evaluates as the joined text compiled: the same truth and comparisons', () => {
    const parts = ['a > 3 and b < 2s', 'not a >= 10 or b > 1s', '(a + 1) * 2 >= 12'];
    const joined = anyOf(parts.map(compile));
    expect(joined.text).toBe(parts.join(' or '));
    expect(evaluateCondition(joined, inputs, 0.8)).toEqual(
      evaluateCondition(compile(parts.join(' or ')), inputs, 0.8),
    );
    expect(joined.metrics).toEqual(['a', 'b']);
  });
});
