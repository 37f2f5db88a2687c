import { describe, expect, it } from 'vitest';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';
import { dataNeeds } from '../../src/core/evaluate/report.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import { shippedRoadmap } from '../support/roadmaps.js';
import { evaluateAt, roadmapOf, stateWith } from './ladders-support.js';

/*
 * Alerts scoped to stages (docs/ROADMAP_FORMAT.md, "Alerts scoped to stages"), and the shipped
 * v2 example's tracks, to-dos and plans in status --json.
 */

const NOW = new Date('2026-03-01T12:00:00Z');
const HOUR = 3_600_000;

const roadmap = roadmapOf([
  'id: t',
  'name: T',
  'metrics:',
  '  p95: { unit: ms }',
  'stages:',
  '  - { id: one, name: One, upgrade: { when: p95 > 10s } }',
  '  - { id: two, name: Two }',
  '  - { id: three, name: Three }',
  'alerts:',
  '  - { id: everywhere, when: p95 > 1s }',
  '  - { id: only-two, when: "avg(p95, 1h) > 500ms", stages: [two] }',
  '  - { id: one-and-three, when: "max(p95, 2h) > 800ms", stages: [one, three] }',
]);

describe('alerts scoped to stages', () => {
  type Row = [situation: string, stage: string, triggers: string[]];
  const rows: Row[] = [
    // The first stage: its upgrade, the unscoped alert, and the alert scoped to one and three.
    ['first stage', 'one', ['one.upgrade', 'everywhere', 'one-and-three']],
    // An alert scoped to two appears only there; one scoped elsewhere is absent.
    ['second stage', 'two', ['everywhere', 'only-two']],
    ['third stage', 'three', ['everywhere', 'one-and-three']],
  ];
  it.each(rows)('%s (%s)', (_situation, stage, triggers) => {
    const report = evaluateAt(roadmap, { p95: 900 }, NOW, stateWith({}, stage));
    expect(report.triggers.map((t) => t.id)).toEqual(triggers);
    expect(statusJson(report).triggers.map((t) => t.id)).toEqual(triggers);
  });

  it('is absent even with remembered state from a stage where it was watched', () => {
    const firing: TriggerMemory = { state: 'firing', since: NOW, firingSince: NOW };
    const report = evaluateAt(
      roadmap,
      { p95: 900 },
      NOW,
      stateWith({ triggers: new Map([['only-two', firing]]) }, 'three'),
    );
    expect(report.triggers.map((t) => t.id)).not.toContain('only-two');
  });

  it('is evaluated as any alert while watched', () => {
    const report = evaluateAt(roadmap, { p95: 900 }, NOW, stateWith({}, 'two'));
    expect(report.triggers.find((t) => t.id === 'only-two')).toMatchObject({
      kind: 'alert',
      severity: 'warning',
      state: 'firing',
    });
  });

  it("reads a scoped alert's windows only in its stages", () => {
    const windows = (stage: number) =>
      dataNeeds(roadmap, roadmap.stages[stage]).windows.map((w) => [w.metric, w.windowMs / HOUR]);
    expect(windows(0)).toEqual([['p95', 2]]);
    expect(windows(1)).toEqual([['p95', 1]]);
    expect(windows(2)).toEqual([['p95', 2]]);
    // Without a stage: every window of every stage.
    expect(dataNeeds(roadmap).windows.map((w) => w.windowMs / HOUR)).toEqual([1, 2]);
  });
});

describe('the shipped v2 example in status --json', () => {
  const example = shippedRoadmap('example-v2');
  /** 2026-05-01 in Berlin: month 5, in `growth`'s planned span. */
  const MAY = new Date('2026-05-01T12:00:00Z');
  const values = {
    active_users: 1200,
    paid_users: 90,
    mrr: 20_000,
    db_size: 420e6,
    response_time_p95: 900,
  };

  it('adds tracks, actions and plan exactly as the format page shows, and track triggers', () => {
    const json = statusJson(evaluateAt(example, values, MAY, stateWith({}, 'growth')));
    expect(json.tracks).toEqual([
      {
        id: 'database',
        name: 'Database',
        current: { id: 'free', since: null },
        // active_users 1200 passes both later steps' `when`: the last one is due.
        due: { id: 'team' },
        steps: [
          { id: 'free', name: 'Free tier', cost: null },
          { id: 'pro', name: 'Pro', cost: 25 },
          { id: 'team', name: 'Team', cost: 599 },
        ],
        state: 'upgrade_due',
        capacity: [
          {
            metric: 'db_size',
            limit: 500_000_000,
            value: 420_000_000,
            progress: 0.84,
            state: 'approaching',
          },
        ],
      },
    ]);
    expect(json.actions).toEqual([
      {
        id: 'read-replica',
        text: 'Add a read replica',
        state: 'open',
        due_at: null,
        by: null,
        deadline: null,
        done_by: null,
        done_at: null,
      },
    ]);
    expect(json.plan.map((p) => [p.metric, p.by, p.state, p.delta_pct, p.scenario])).toEqual([
      ['mrr', null, 'on_plan', -8, null],
      ['paid_users', 'active_users', 'behind', -25, null],
    ]);
    expect(
      json.triggers
        .filter((t) => t.kind === 'track')
        .map((t) => [t.id, t.severity, t.state, t.condition]),
    ).toEqual([
      ['database.upgrade', 'info', 'firing', 'active_users >= 50 or active_users >= 1000'],
      ['database.capacity', 'warning', 'approaching', 'db_size > 500000000'],
    ]);
    // The alert scoped to `growth` is watched there, and not in `launch`.
    expect(json.triggers.map((t) => t.id)).toContain('slow');
    const launch = statusJson(evaluateAt(example, values, MAY, stateWith({}, 'launch')));
    expect(launch.triggers.map((t) => t.id)).not.toContain('slow');
    // `launch`'s to-do is past its `by: month 1`.
    expect(launch.actions.map((a) => [a.id, a.state, a.by])).toEqual([
      ['error-tracking', 'overdue', 'month 1'],
    ]);
  });

  it('gives a v1 file empty tracks, actions and plan', () => {
    const json = statusJson(evaluateAt(shippedRoadmap('example'), {}, NOW));
    expect([json.tracks, json.actions, json.plan]).toEqual([[], [], []]);
  });
});
