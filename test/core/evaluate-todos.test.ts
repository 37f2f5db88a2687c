import { describe, expect, it } from 'vitest';
import type { RoadmapState } from '../../src/core/evaluate/report.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import { evaluateAt, roadmapOf, stateWith } from './ladders-support.js';

/*
 * To-dos (docs/ROADMAP_FORMAT.md, "actions may be objects"): the current stage's actions with
 * an id, open / due (latched) / overdue / done, and what the shell must latch.
 */

const roadmap = roadmapOf([
  'id: t',
  'name: T',
  'start: 2026-01-01',
  'metrics:',
  '  users: { unit: count }',
  'stages:',
  '  - id: one',
  '    name: One',
  '    actions:',
  '      - Plain text action',
  '      - { id: replica, text: Add a replica, when: users >= 1500 }',
  '      - { id: soc2, text: Start SOC 2, by: month 2 }',
  '      - { id: both, text: Both, when: users >= 1500, by: month 2 }',
  '      - { id: manual, text: Manual }',
  '  - id: two',
  '    name: Two',
  '    actions:',
  '      - { id: later, text: Later, when: users >= 1 }',
]);

/** `month 2` from 2026-01-01 (UTC) ends here. */
const MONTH_2_END = new Date('2026-03-01T00:00:00Z');
const BEFORE = new Date('2026-02-15T12:00:00Z');
const LATCHED = new Date('2026-02-10T08:00:00Z');
const TICKED = new Date('2026-02-12T08:00:00Z');

const ticked = (id: string, done = true): Partial<RoadmapState> => ({
  todoChecks: new Map([[id, { done, actor: 'ana', at: TICKED }]]),
});
const latched = (id: string): Partial<RoadmapState> => ({ todosDue: new Map([[id, LATCHED]]) });

describe('to-do states', () => {
  type Row = [
    situation: string,
    id: string,
    users: number | undefined,
    now: Date,
    memory: Partial<RoadmapState>,
    expected: Record<string, unknown>,
  ];
  const rows: Row[] = [
    // Its `when` does not hold and nothing is remembered: open.
    ['when false', 'replica', 100, BEFORE, {}, { state: 'open', newlyDue: false }],
    // Its `when` holds for the first time: due now, and the shell must latch it.
    ['when holds', 'replica', 1500, BEFORE, {}, { state: 'due', dueAt: BEFORE, newlyDue: true }],
    // Latched earlier: due stays though the condition no longer holds, and is not latched again.
    [
      'latched, no longer holds',
      'replica',
      100,
      BEFORE,
      latched('replica'),
      { state: 'due', dueAt: LATCHED, newlyDue: false },
    ],
    // Latched earlier and still holding: the remembered instant, not now.
    [
      'latched, still holds',
      'replica',
      2000,
      BEFORE,
      latched('replica'),
      { state: 'due', dueAt: LATCHED, newlyDue: false },
    ],
    // No data: unknown never latches.
    ['when without data', 'replica', undefined, BEFORE, {}, { state: 'open', newlyDue: false }],
    // Ticked: done, with who and when; a done to-do does not latch.
    [
      'ticked',
      'replica',
      1500,
      BEFORE,
      ticked('replica'),
      { state: 'done', doneBy: 'ana', doneAt: TICKED, newlyDue: false },
    ],
    // Unticked (`uncheck`): as if never ticked.
    [
      'unticked',
      'replica',
      100,
      BEFORE,
      ticked('replica', false),
      { state: 'open', newlyDue: false },
    ],
    // Unticked while its condition holds: latches now.
    [
      'unticked, holds',
      'replica',
      1500,
      BEFORE,
      ticked('replica', false),
      { state: 'due', dueAt: BEFORE, newlyDue: true },
    ],
    // Before the end of its `by` period: open.
    [
      'by not passed',
      'soc2',
      100,
      BEFORE,
      {},
      { state: 'open', by: 'month 2', deadline: MONTH_2_END },
    ],
    // At the end of its `by` period: overdue.
    [
      'by passed',
      'soc2',
      100,
      MONTH_2_END,
      {},
      { state: 'overdue', by: 'month 2', deadline: MONTH_2_END },
    ],
    // Overdue wins over due; the latch is still recorded (and announced once).
    [
      'due and overdue',
      'both',
      1500,
      MONTH_2_END,
      {},
      { state: 'overdue', dueAt: MONTH_2_END, newlyDue: true },
    ],
    // Overdue wins over a remembered latch too.
    [
      'latched and overdue',
      'both',
      100,
      MONTH_2_END,
      latched('both'),
      { state: 'overdue', dueAt: LATCHED, newlyDue: false },
    ],
    // Done wins over overdue.
    [
      'ticked after its deadline',
      'both',
      1500,
      MONTH_2_END,
      ticked('both'),
      { state: 'done', doneBy: 'ana' },
    ],
    // Neither `when` nor `by`: open until ticked.
    ['plain to-do', 'manual', 1500, MONTH_2_END, {}, { state: 'open', newlyDue: false }],
    [
      'plain to-do ticked',
      'manual',
      1500,
      MONTH_2_END,
      ticked('manual'),
      { state: 'done', doneBy: 'ana', doneAt: TICKED },
    ],
  ];

  it.each(rows)('%s', (_situation, id, users, now, memory, expected) => {
    const report = evaluateAt(
      roadmap,
      users === undefined ? {} : { users },
      now,
      stateWith(memory),
    );
    const todo = report.actions.find((a) => a.id === id);
    expect(todo).toMatchObject(expected);
    if (!('dueAt' in expected)) expect(todo?.dueAt).toBeUndefined();
    if (!('doneBy' in expected)) expect(todo?.doneBy).toBeUndefined();
  });
});

describe('which to-dos are listed', () => {
  it("lists the current stage's to-dos only, in file order, and no text-only action", () => {
    const one = evaluateAt(roadmap, { users: 5 }, BEFORE);
    expect(one.actions.map((a) => a.id)).toEqual(['replica', 'soc2', 'both', 'manual']);
    const two = evaluateAt(roadmap, { users: 5 }, BEFORE, stateWith({}, 'two'));
    expect(two.actions.map((a) => [a.id, a.state, a.newlyDue])).toEqual([['later', 'due', true]]);
  });

  it('shows them in status --json with the fields of the format page', () => {
    const report = evaluateAt(
      roadmap,
      { users: 1500 },
      MONTH_2_END,
      stateWith({ ...ticked('manual'), ...latched('replica') }),
    );
    expect(statusJson(report).actions).toEqual([
      {
        id: 'replica',
        text: 'Add a replica',
        state: 'due',
        due_at: LATCHED.toISOString(),
        by: null,
        deadline: null,
        done_by: null,
        done_at: null,
      },
      {
        id: 'soc2',
        text: 'Start SOC 2',
        state: 'overdue',
        due_at: null,
        by: 'month 2',
        deadline: MONTH_2_END.toISOString(),
        done_by: null,
        done_at: null,
      },
      {
        id: 'both',
        text: 'Both',
        state: 'overdue',
        due_at: MONTH_2_END.toISOString(),
        by: 'month 2',
        deadline: MONTH_2_END.toISOString(),
        done_by: null,
        done_at: null,
      },
      {
        id: 'manual',
        text: 'Manual',
        state: 'done',
        due_at: null,
        by: null,
        deadline: null,
        done_by: 'ana',
        done_at: TICKED.toISOString(),
      },
    ]);
  });
});
