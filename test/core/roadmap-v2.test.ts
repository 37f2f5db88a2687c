import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Condition } from '../../src/core/condition/compile.js';
import { evaluateCondition } from '../../src/core/condition/evaluate.js';
import type { LoadResult, Problem } from '../../src/core/roadmap/load.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Amount, Roadmap } from '../../src/core/roadmap/model.js';
import { amountValue, staleAt } from '../../src/core/roadmap/rules.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';
import { formatPageExample, V2_EXAMPLE } from './format-page.js';

/*
 * The loader on format "Version 2" (docs/ROADMAP_FORMAT.md): the page's second complete
 * example, every key it adds compiled into the model, and every rule it states refused with
 * the culprit named at its line and column.
 */

const DAY = 86_400_000;

function loaded(result: LoadResult): Roadmap {
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

function refused(result: LoadResult): Problem[] {
  if (result.ok) throw new Error('expected the file to be refused');
  return result.errors;
}

const fixed = (value: number): Amount => ({ kind: 'fixed', value });
const textOf = (c: Condition | undefined) => c?.text;
const iso = (d: Date | undefined) => d?.toISOString();

/** A small file with two stages; `stage` is added to the first, `top` after the stages. */
function file(parts: { header?: string; metrics?: string; stage?: string; top?: string }): string {
  return [
    'id: t',
    'name: T',
    parts.header ?? 'start: 2026-01-01',
    'metrics:',
    '  users: { unit: count }',
    '  mrr: { unit: usd }',
    '  infra_cost: { unit: usd }',
    '  db_size: { unit: bytes }',
    '  latency: { unit: ms }',
    ...(parts.metrics ? [parts.metrics] : []),
    'stages:',
    '  - id: one',
    '    name: One',
    ...(parts.stage ? [parts.stage] : []),
    '  - id: two',
    '    name: Two',
    ...(parts.top ? [parts.top] : []),
    '',
  ].join('\n');
}

describe('the format page example, version 2', () => {
  const text = formatPageExample(V2_EXAMPLE);
  const result = loadRoadmap('roadmaps/example-v2.yaml', text);

  it('is the file shipped as roadmaps/example-v2.yaml', () => {
    expect(readFileSync(path.join(ROADMAPS_DIR, 'example-v2.yaml'), 'utf8')).toBe(text);
  });

  it('loads with no errors and no warnings', () => {
    expect(result).toMatchObject({ ok: true, warnings: [] });
  });

  it('keeps review cadences and their stale rule (monthly: one month + 7d)', () => {
    const metrics = loaded(result).metrics;
    expect(metrics.get('infra_cost')).toMatchObject({
      review: 'monthly',
      stale: { kind: 'review', cadence: 'monthly', graceMs: 7 * DAY },
    });
    expect(metrics.get('active_users')).toMatchObject({ stale: { kind: 'after', ms: 7 * DAY } });
    expect(metrics.get('active_users')?.review).toBeUndefined();
  });

  it('places planned timelines, budget lines, team and to-dos of each stage', () => {
    const [launch, growth] = loaded(result).stages;
    // Europe/Berlin: month 1 begins 2026-01-01 00:00 CET; month 3 ends 2026-04-01 00:00 CEST.
    expect(launch?.planned).toEqual({
      from: { text: 'month 1', at: new Date('2025-12-31T23:00:00Z') },
      to: { text: 'month 3', at: new Date('2026-03-31T22:00:00Z') },
    });
    expect(launch?.budget).toBeUndefined(); // lines, not the v1 { min, max }
    expect(
      launch?.budgetLines.map(({ id, per, min, max, ramp, metric, v1, watched }) => ({
        id,
        per,
        min,
        max: max?.kind === 'expr' ? max.expr.text : max,
        ramp,
        metric,
        v1,
        watched,
      })),
    ).toEqual([
      {
        id: 'infra',
        per: 'month',
        min: undefined,
        max: undefined,
        ramp: { from: 500, to: 1500 },
        metric: 'infra_cost',
        v1: false,
        watched: true,
      },
      {
        id: 'ai_api',
        per: 'month',
        min: undefined,
        max: '0.25 * active_users',
        ramp: undefined,
        metric: 'ai_api_cost',
        v1: false,
        watched: true,
      },
      {
        id: 'marketing',
        per: 'month',
        min: fixed(200),
        max: fixed(500),
        ramp: undefined,
        metric: undefined,
        v1: false,
        watched: false,
      },
    ]);
    expect(launch?.team).toEqual([{ role: 'Founders', count: 2 }]);
    expect(launch?.actions).toEqual(['Launch beta program', 'Set up error tracking']);
    expect(launch?.todos).toEqual([
      {
        id: 'error-tracking',
        text: 'Set up error tracking',
        by: { text: 'month 1', at: new Date('2026-01-31T23:00:00Z') },
      },
    ]);
    expect(growth?.budgetLines.map((l) => [l.id, l.per, l.max, l.metric, l.watched])).toEqual([
      ['infra', 'month', fixed(5000), 'infra_cost', true],
      ['team', 'month', fixed(15000), 'team_cost', true],
      ['compliance', 'year', fixed(20000), undefined, false],
    ]);
    expect(growth?.team.map((r) => [r.role, r.count, r.cost, textOf(r.when)])).toEqual([
      ['Support rep', 2, 3000, undefined],
      ['Developer (contract)', 1, 8000, undefined],
      ['DevOps', 1, 9000, 'active_users >= 2,000'],
    ]);
    expect(growth?.todos.map((t) => [t.id, textOf(t.when), t.by])).toEqual([
      ['read-replica', 'active_users >= 1500', undefined],
    ]);
  });

  it('scopes the alert to its stages, and keeps the track, the plans and the kept target', () => {
    const roadmap = loaded(result);
    expect(roadmap.alerts.map((a) => [a.id, a.forMs, a.stages])).toEqual([
      ['slow', 15 * 60_000, ['growth']],
    ]);
    expect(roadmap.tracks).toHaveLength(1);
    const track = roadmap.tracks[0];
    expect(track).toMatchObject({ id: 'database', name: 'Database', index: 0, severity: 'info' });
    expect(track?.steps.map((s) => [s.id, s.index, textOf(s.when), s.capacity, s.cost])).toEqual([
      ['free', 0, undefined, [{ metric: 'db_size', limit: 500e6 }], undefined],
      ['pro', 1, 'active_users >= 50', [{ metric: 'db_size', limit: 8e9 }], 25],
      ['team', 2, 'active_users >= 1000', [], 599],
    ]);
    expect(roadmap.plans).toEqual([
      {
        index: 0,
        metric: 'mrr',
        tolerance: 0.1,
        scenarios: [
          {
            points: [
              {
                at: new Date('2026-03-31T22:00:00Z').getTime(),
                atText: 'month 3',
                value: { kind: 'single', value: fixed(10_000) },
              },
              {
                at: new Date('2026-06-30T22:00:00Z').getTime(),
                atText: 'month 6',
                value: { kind: 'range', low: fixed(40_000), high: fixed(50_000) },
              },
            ],
          },
        ],
      },
      {
        index: 1,
        metric: 'paid_users',
        by: 'active_users',
        tolerance: 0.1,
        scenarios: [
          {
            points: [
              { at: 1000, atText: '1000', value: { kind: 'single', value: fixed(100) } },
              { at: 10_000, atText: '10000', value: { kind: 'single', value: fixed(1000) } },
            ],
          },
        ],
      },
    ]);
    expect(roadmap.targets.map((t) => [t.id, t.by, iso(t.deadline), t.keep])).toEqual([
      ['profitable', 'month 6', '2026-06-30T22:00:00.000Z', true],
    ]);
  });
});

describe('version 2 keys in the model', () => {
  it('reads a v1 budget as the line `infra` compared with infra_cost, with no alert', () => {
    const roadmap = loaded(
      loadRoadmap('r.yaml', file({ stage: '    budget: { min: 100, max: 200 }' })),
    );
    const stage = roadmap.stages[0];
    expect(stage?.budget).toEqual({ min: 100, max: 200 });
    expect(stage?.budgetLines).toEqual([
      {
        id: 'infra',
        per: 'month',
        min: fixed(100),
        max: fixed(200),
        metric: 'infra_cost',
        v1: true,
        watched: false,
      },
    ]);
    expect(roadmap.stages[1]?.budgetLines).toEqual([]);
  });

  it('gives a v1 budget no metric when the file has no infra_cost (the line is planned)', () => {
    const text = file({ stage: '    budget: { max: 200 }' }).replace(
      '  infra_cost: { unit: usd }\n',
      '',
    );
    expect(loaded(loadRoadmap('r.yaml', text)).stages[0]?.budgetLines).toEqual([
      { id: 'infra', per: 'month', max: fixed(200), v1: true, watched: false },
    ]);
  });

  it('reads amounts as numbers, money literals or expressions (constant ones folded)', () => {
    const stage = [
      '    budget:',
      '      a: { max: 5000 }',
      '      b: { max: $5k }',
      '      c: { max: "5,000" }',
      '      d: { max: "0.25 * users", metric: infra_cost }',
      '      e: { max: "2 * $1k", per: once }',
      '      f: { min: 10k, per: year }',
    ].join('\n');
    const lines = loaded(loadRoadmap('r.yaml', file({ stage }))).stages[0]?.budgetLines ?? [];
    const inputs = {
      value: (name: string) => (name === 'users' ? 800 : undefined),
      window: () => undefined,
    };
    expect(
      lines.map((l) => [
        l.id,
        l.per,
        l.min && amountValue(l.min, inputs),
        l.max && amountValue(l.max, inputs),
        l.max?.kind,
      ]),
    ).toEqual([
      ['a', 'month', undefined, 5000, 'fixed'],
      ['b', 'month', undefined, 5000, 'fixed'],
      ['c', 'month', undefined, 5000, 'fixed'],
      ['d', 'month', undefined, 200, 'expr'],
      ['e', 'once', undefined, 2000, 'fixed'],
      ['f', 'year', 10_000, undefined, undefined],
    ]);
    // Only a line with a metric and a max is watched.
    expect(lines.map((l) => l.watched)).toEqual([false, false, false, true, false, false]);
  });

  it('converts capacity limits to the metric unit: decimal and binary sizes, durations', () => {
    const top = [
      'tracks:',
      '  - id: db',
      '    name: DB',
      '    severity: warning',
      '    steps:',
      '      - { id: a, name: A, capacity: { db_size: 8GiB, latency: 2s } }',
      '      - { id: b, name: B, when: users > 5, capacity: { db_size: 1.5TB, users: 10k } }',
    ].join('\n');
    const track = loaded(loadRoadmap('r.yaml', file({ top }))).tracks[0];
    expect(track?.severity).toBe('warning');
    expect(track?.steps.map((s) => s.capacity)).toEqual([
      [
        { metric: 'db_size', limit: 8 * 2 ** 30 },
        { metric: 'latency', limit: 2000 },
      ],
      [
        { metric: 'db_size', limit: 1.5e12 },
        { metric: 'users', limit: 10_000 },
      ],
    ]);
  });

  it('reads review cadences: the stale rule unless stale_after is set, and none for flags', () => {
    const metrics = [
      '  daily_users: { unit: count, review: daily }',
      '  weekly_users: { unit: count, review: weekly, stale_after: 3d }',
      '  quarterly_cost: { unit: usd, review: quarterly }',
      '  decided: { unit: flag, review: monthly }',
    ].join('\n');
    const m = loaded(loadRoadmap('r.yaml', file({ metrics }))).metrics;
    expect(m.get('daily_users')).toMatchObject({
      review: 'daily',
      stale: { kind: 'review', cadence: 'daily', graceMs: DAY },
    });
    // stale_after wins for staleness; the review cadence still says when a review is due.
    expect(m.get('weekly_users')).toMatchObject({
      review: 'weekly',
      stale: { kind: 'after', ms: 3 * DAY },
      staleAfterMs: 3 * DAY,
    });
    expect(m.get('quarterly_cost')?.stale).toEqual({
      kind: 'review',
      cadence: 'quarterly',
      graceMs: 14 * DAY,
    });
    expect(m.get('decided')).toMatchObject({ review: 'monthly', stale: { kind: 'never' } });
    expect(m.get('decided')?.staleAfterMs).toBeNull();
    // The rule as the evaluator applies it: one calendar period, then the grace.
    const rule = m.get('quarterly_cost')?.stale;
    if (!rule) throw new Error('a rule');
    expect(iso(staleAt(rule, new Date('2026-01-15T10:00:00Z'), 'UTC') ?? undefined)).toBe(
      '2026-04-29T10:00:00.000Z',
    );
  });

  it('places every key that takes a date at any period, in the roadmap timezone', () => {
    const text = file({
      header: 'start: 2026-01-01\ntimezone: America/New_York',
      stage: [
        '    planned: { from: 2026-Q1, to: week 10 }',
        '    actions:',
        '      - { id: a, text: A, by: 2026-02-15 }',
        '      - { id: b, text: B, by: quarter 1 }',
      ].join('\n'),
      top: [
        'targets:',
        '  - { id: v1, when: users > 1, by: month 3 }',
        '  - { id: q, when: users > 1, by: 2026-Q2 }',
        '  - { id: y, when: users > 1, by: year 1 }',
        '  - { id: start, when: users > 1, by: month 0 }',
      ].join('\n'),
    });
    const roadmap = loaded(loadRoadmap('r.yaml', text));
    const stage = roadmap.stages[0];
    expect(iso(stage?.planned?.from?.at)).toBe('2026-01-01T05:00:00.000Z');
    // week 10 ends 70 days after start, at local midnight (EDT by then).
    expect(iso(stage?.planned?.to?.at)).toBe('2026-03-12T04:00:00.000Z');
    expect(stage?.todos.map((t) => [t.by?.text, iso(t.by?.at)])).toEqual([
      ['2026-02-15', '2026-02-16T05:00:00.000Z'],
      ['quarter 1', '2026-04-01T04:00:00.000Z'],
    ]);
    expect(roadmap.targets.map((t) => [t.id, t.by, iso(t.deadline), t.keep])).toEqual([
      // v1 `by: month 3` keeps exactly its v1 deadline.
      ['v1', 'month 3', '2026-04-01T04:00:00.000Z', false],
      ['q', '2026-Q2', '2026-07-01T04:00:00.000Z', false],
      ['y', 'year 1', '2027-01-01T05:00:00.000Z', false],
      ['start', 'month 0', '2026-01-01T05:00:00.000Z', false],
    ]);
  });

  it('takes a calendar quarter as start (its first day), and counts from it', () => {
    const text = file({
      header: 'start: 2026-Q2',
      top: 'targets:\n  - { id: t, when: users > 1, by: month 1 }',
    });
    const roadmap = loaded(loadRoadmap('r.yaml', text));
    expect(roadmap.start).toBe('2026-04-01');
    expect(iso(roadmap.targets[0]?.deadline)).toBe('2026-05-01T00:00:00.000Z');
  });

  it('reads plans by time and by metric, with scenarios and tolerance', () => {
    const top = [
      'plan:',
      '  - metric: users',
      '    tolerance: 15%',
      '    scenarios:',
      '      low: [{ at: year 1, value: 5000 }, { at: year 2, value: 20000 }]',
      '      high: [{ at: year 1, value: 10k }]',
      '  - metric: db_size',
      '    by: users',
      '    tolerance: 0',
      '    points: [{ at: 1k, value: 10GB }, { at: 10k, value: [50GB, "0.01 * users"] }]',
    ].join('\n');
    const plans = loaded(loadRoadmap('r.yaml', file({ top }))).plans;
    expect(plans.map((p) => [p.metric, p.by, p.tolerance, p.scenarios.map((s) => s.name)])).toEqual(
      [
        ['users', undefined, 0.15, ['low', 'high']],
        ['db_size', 'users', 0, [undefined]],
      ],
    );
    expect(plans[0]?.scenarios[0]?.points.map((p) => [p.atText, iso(new Date(p.at))])).toEqual([
      ['year 1', '2027-01-01T00:00:00.000Z'],
      ['year 2', '2028-01-01T00:00:00.000Z'],
    ]);
    const [first, second] = plans[1]?.scenarios[0]?.points ?? [];
    expect([first?.at, first?.value]).toEqual([1000, { kind: 'single', value: fixed(10e9) }]);
    expect(second?.at).toBe(10_000);
    expect(second?.value).toMatchObject({
      kind: 'range',
      low: fixed(50e9),
      high: { kind: 'expr', expr: { text: '0.01 * users', metrics: ['users'] } },
    });
  });

  it('leaves v1 files without any v2 part', () => {
    const roadmap = loaded(loadRoadmap('r.yaml', file({})));
    expect(roadmap.tracks).toEqual([]);
    expect(roadmap.plans).toEqual([]);
    for (const stage of roadmap.stages) {
      expect(stage.planned).toBeUndefined();
      expect([stage.budgetLines, stage.team, stage.todos]).toEqual([[], [], []]);
    }
  });
});

describe('version 2 rules, each refused with its culprit named', () => {
  // [situation, file parts, the messages (path: message), the text the first one points at]
  const rows: [string, Parameters<typeof file>[0], string[], string][] = [
    // A metric's review cadence is one of four words.
    [
      'review cadence unknown',
      { metrics: '  cost: { unit: usd, review: yearly }' },
      ['metrics.cost.review: expected a review cadence: one of daily, weekly, monthly, quarterly'],
      'yearly',
    ],
    // Periods counted from start need start, named at the key that uses one.
    [
      'relative period without start',
      { header: 'timezone: UTC', stage: '    planned: { from: month 4 }' },
      [
        'stages[0].planned.from: `month 4` counts from `start`, which this roadmap does not set (add a top-level start such as start: 2026-01-01)',
      ],
      'month 4',
    ],
    // Not a period at all.
    [
      'bad period',
      { stage: '    planned: { to: Months 4-6 }' },
      [
        'stages[0].planned.to: expected a date or period such as 2026-03-31, week 2, month 3, quarter 1, year 1 or 2026-Q2, got "Months 4-6"',
      ],
      'Months 4-6',
    ],
    // Only month 0 means start; other units count from 1.
    [
      'week 0',
      { stage: '    planned: { from: week 0 }' },
      ['stages[0].planned.from: "week 0": counting starts at week 1 (the first week)'],
      'week 0',
    ],
    // A planned span that ends before it begins.
    [
      'planned from after to',
      { stage: '    planned: { from: month 4, to: month 2 }' },
      ['stages[0].planned: expected `from` (month 4) to begin before `to` (month 2) ends'],
      '{ from',
    ],
    // A size literal against a count, as `2s` against a count.
    [
      'size literal against a count',
      { stage: '    gates: [{ id: g, text: G, check: users > 500MB }]' },
      ['stages[0].gates[0].check: a size cannot be compared with a metric in count'],
      '500MB',
    ],
    // A ramp grows across the planned span: it needs both ends.
    [
      'ramp without planned',
      { stage: '    budget:\n      infra: { ramp: [500, 1500], metric: infra_cost }' },
      [
        'stages[0].budget.infra.ramp: budget line "infra": `ramp` grows across the stage\'s planned span, which needs planned.from and planned.to (this stage has no planned.from and no planned.to)',
      ],
      '[500',
    ],
    [
      'ramp with planned.from only',
      {
        stage: '    planned: { from: month 1 }\n    budget:\n      infra: { ramp: [500, 1500] }',
      },
      [
        'stages[0].budget.infra.ramp: budget line "infra": `ramp` grows across the stage\'s planned span, which needs planned.to (this stage has no planned.to)',
      ],
      '[500',
    ],
    // A ramp is the max: both at once is an error.
    [
      'ramp with max',
      {
        stage:
          '    planned: { from: month 1, to: month 3 }\n    budget:\n      infra: { ramp: [500, 1500], max: 2000 }',
      },
      [
        'stages[0].budget.infra.ramp: `ramp` sets the maximum across the planned span: use `ramp` or `max`, not both',
      ],
      '[500',
    ],
    // A line compares a usd metric.
    [
      'budget metric unknown',
      { stage: '    budget:\n      infra: { max: 5000, metric: infra_costs }' },
      [
        'stages[0].budget.infra.metric: unknown metric "infra_costs" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'infra_costs',
    ],
    [
      'budget metric not in usd',
      { stage: '    budget:\n      infra: { max: 5000, metric: users }' },
      [
        'stages[0].budget.infra.metric: budget line "infra" compares a usd metric; "users" is in count',
      ],
      'users }',
    ],
    // A bound's expression over an unknown metric, named at its column.
    [
      'budget expression with an unknown metric',
      { stage: '    budget:\n      ai: { max: "0.25 * active_users", metric: mrr }' },
      [
        'stages[0].budget.ai.max: unknown metric "active_users" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'active_users',
    ],
    // A literal that is not money in a usd bound.
    [
      'budget bound with a duration',
      { stage: '    budget:\n      ai: { max: 2h }' },
      [
        'stages[0].budget.ai.max: a duration cannot be compared with a metric in usd ("2h" as `max`)',
      ],
      '2h',
    ],
    [
      'budget min above max',
      { stage: '    budget:\n      ads: { min: 900, max: 500 }' },
      ['stages[0].budget.ads: budget line "ads": expected min <= max'],
      '{ min',
    ],
    [
      'budget line with no bound',
      { stage: '    budget:\n      ads: { metric: mrr }' },
      ['stages[0].budget.ads: budget line "ads": expected `min`, `max` or `ramp`'],
      '{ metric',
    ],
    [
      'budget per unknown',
      { stage: '    budget:\n      ads: { max: 5, per: week }' },
      ['stages[0].budget.ads.per: expected month, year or once'],
      'week',
    ],
    // A line's id names its alert budget.<id>.
    [
      'budget line id not a slug',
      { stage: '    budget:\n      Ads: { max: 5 }' },
      [
        'stages[0].budget.Ads: budget line id "Ads" must be a slug: lowercase letters, digits, "-" and "_" (it names the alert budget.Ads)',
      ],
      'Ads',
    ],
    // v1's { min, max } beside lines.
    [
      'v1 budget mixed with lines',
      { stage: '    budget: { min: 100, ads: { max: 5 } }' },
      [
        'stages[0].budget.min: expected a budget line such as { max: 5000, metric: infra_cost } (the v1 { min, max } cannot be mixed with lines: write this as a line)',
      ],
      '100',
    ],
    // `budget` is reserved for budget alerts.
    [
      'stage called budget',
      { stage: '  - id: budget\n    name: Budget' },
      [
        'stages[1].id: "budget" is reserved (budget lines\' alerts are named budget.<line>): give the stage another id',
      ],
      'budget',
    ],
    [
      'track called budget',
      { top: 'tracks:\n  - { id: budget, name: B, steps: [{ id: a, name: A }] }' },
      [
        'tracks[0].id: "budget" is reserved (budget lines\' alerts are named budget.<line>): give the track another id',
      ],
      'budget',
    ],
    // Stage and track ids share one namespace.
    [
      'track with a stage id',
      { top: 'tracks:\n  - { id: two, name: B, steps: [{ id: a, name: A }] }' },
      [
        'tracks[0].id: "two" is already the id of stages[1]: stage and track ids share one namespace (their alerts are <id>.upgrade)',
      ],
      'two',
    ],
    [
      'duplicate track ids',
      {
        top: 'tracks:\n  - { id: db, name: A, steps: [{ id: a, name: A }] }\n  - { id: db, name: B, steps: [{ id: a, name: A }] }',
      },
      ['tracks[1].id: duplicate track id "db" (first used at tracks[0])'],
      'db',
    ],
    // Team roles: a positive count, known metrics, compiled conditions.
    [
      'team count not positive',
      { stage: '    team:\n      - { role: Dev, count: 0 }' },
      ['stages[0].team[0].count: expected a number of people above 0'],
      '0 }',
    ],
    [
      'team metric unknown and when over an unknown metric',
      { stage: '    team:\n      - { role: Dev, count: 1, metric: devs, when: userz > 5 }' },
      [
        'stages[0].team[0].metric: unknown metric "devs" (declared: users, mrr, infra_cost, db_size, latency)',
        'stages[0].team[0].when: unknown metric "userz" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'devs',
    ],
    // To-dos: an id to tick, and one namespace with the stage's gates.
    [
      'action with when but no id',
      { stage: '    actions:\n      - { text: Add a replica, when: users > 5 }' },
      [
        'stages[0].actions[0]: an action with `when` or `by` is a to-do: give it an `id` (people tick it with check <id>)',
      ],
      '{ text',
    ],
    [
      'action id repeats a gate id',
      {
        stage:
          '    gates:\n      - { id: replica, text: Replica }\n    actions:\n      - { id: replica, text: Add a replica }',
      },
      [
        'stages[0].actions[0].id: action id "replica" repeats the gate id at stages[0].gates[0]: actions and gates share one namespace per stage (check <id> ticks either)',
      ],
      'replica, text: Add',
    ],
    [
      'duplicate action ids',
      {
        stage: '    actions:\n      - { id: a, text: A }\n      - Text\n      - { id: a, text: B }',
      },
      ['stages[0].actions[2].id: duplicate action id "a" (first used at stages[0].actions[0])'],
      'a, text: B',
    ],
    [
      'action neither text nor object',
      { stage: '    actions:\n      - [a, b]' },
      ['stages[0].actions[0]: expected an action: a text, or { id, text, when?, by? } for a to-do'],
      '[a',
    ],
    // `- Phase 1: launch` is a mapping in YAML, not the text it looks like.
    [
      'action that YAML read as a mapping',
      { stage: '    actions:\n      - Phase 1: launch' },
      [
        'stages[0].actions[0]: expected an action: a text (quote it if it holds ": "), or { id, text, when?, by? } for a to-do',
      ],
      'Phase 1',
    ],
    // Alerts scoped to stages name existing stages.
    [
      'alert scoped to an unknown stage',
      { top: 'alerts:\n  - { id: a, when: users > 1, stages: [one, three] }' },
      ['alerts[0].stages[1]: unknown stage "three" (stages: one, two)'],
      'three',
    ],
    [
      'alert scoped to no stage',
      { top: 'alerts:\n  - { id: a, when: users > 1, stages: [] }' },
      [
        'alerts[0].stages: expected at least one stage id (leave `stages` out to watch it in every stage)',
      ],
      '[]',
    ],
    // Tracks: only the first step may omit `when`; step ids unique per track.
    [
      'step after the first without when',
      {
        top: 'tracks:\n  - id: db\n    name: DB\n    steps:\n      - { id: a, name: A }\n      - { id: b, name: B }',
      },
      [
        'tracks[0].steps[1]: step "b" needs `when`: only the first step (where the track starts) may leave it out',
      ],
      '{ id: b',
    ],
    [
      'duplicate step ids',
      {
        top: 'tracks:\n  - id: db\n    name: DB\n    steps:\n      - { id: a, name: A }\n      - { id: a, name: B, when: users > 5 }',
      },
      ['tracks[0].steps[1].id: duplicate step id "a" (first used at tracks[0].steps[0])'],
      'a, name: B',
    ],
    [
      'step when over an unknown metric',
      {
        top: 'tracks:\n  - id: db\n    name: DB\n    steps:\n      - { id: a, name: A }\n      - { id: b, name: B, when: active_users >= 50 }',
      },
      [
        'tracks[0].steps[1].when: unknown metric "active_users" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'active_users',
    ],
    [
      'capacity of an unknown metric',
      {
        top: 'tracks:\n  - { id: db, name: DB, steps: [{ id: a, name: A, capacity: { disk: 5GB } }] }',
      },
      [
        'tracks[0].steps[0].capacity.disk: unknown metric "disk" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'disk',
    ],
    [
      'capacity size against a count',
      {
        top: 'tracks:\n  - { id: db, name: DB, steps: [{ id: a, name: A, capacity: { users: 5GB } }] }',
      },
      [
        'tracks[0].steps[0].capacity.users: a size cannot be compared with a metric in count ("5GB" as the limit of users)',
      ],
      '5GB',
    ],
    [
      'capacity limit of zero',
      {
        top: 'tracks:\n  - { id: db, name: DB, steps: [{ id: a, name: A, capacity: { users: 0 } }] }',
      },
      ['tracks[0].steps[0].capacity.users: expected a limit above 0 for users, got 0'],
      '0 }',
    ],
    [
      'track without steps',
      { top: 'tracks:\n  - { id: db, name: DB, steps: [] }' },
      ['tracks[0].steps: expected at least one step'],
      '[]',
    ],
    // Plans: known metrics, one of points or scenarios, strictly increasing `at`.
    [
      'plan of an unknown metric',
      { top: 'plan:\n  - { metric: revenue, points: [{ at: month 1, value: 5 }] }' },
      [
        'plan[0].metric: unknown metric "revenue" (declared: users, mrr, infra_cost, db_size, latency)',
      ],
      'revenue',
    ],
    [
      'plan by an unknown metric',
      { top: 'plan:\n  - { metric: mrr, by: paying, points: [{ at: 5, value: 5 }] }' },
      ['plan[0].by: unknown metric "paying" (declared: users, mrr, infra_cost, db_size, latency)'],
      'paying',
    ],
    [
      'plan by its own metric',
      { top: 'plan:\n  - { metric: mrr, by: mrr, points: [{ at: 5, value: 5 }] }' },
      ['plan[0].by: expected `by` to name another metric than mrr'],
      'mrr, points',
    ],
    [
      'plan with both points and scenarios',
      {
        top: 'plan:\n  - metric: mrr\n    points: [{ at: month 1, value: 5 }]\n    scenarios: { a: [{ at: month 1, value: 5 }] }',
      },
      ['plan[0]: expected either `points` or `scenarios` (not both, not neither)'],
      'metric: mrr',
    ],
    [
      'time plan whose points go back',
      {
        top: 'plan:\n  - { metric: mrr, points: [{ at: month 3, value: 5 }, { at: month 2, value: 6 }] }',
      },
      [
        "plan[0].points[1].at: expected `at` after the previous point's (month 3): points' `at` strictly increase",
      ],
      'month 2',
    ],
    [
      'time plan with a number as `at`',
      { top: 'plan:\n  - { metric: mrr, points: [{ at: 1000, value: 5 }] }' },
      [
        'plan[0].points[0].at: expected a period such as month 3 (this plan is by time; `by: <metric>` plans by another metric), got 1000',
      ],
      '1000',
    ],
    [
      'plan by metric whose points repeat',
      {
        top: 'plan:\n  - { metric: mrr, by: users, points: [{ at: 1k, value: 5 }, { at: 1000, value: 6 }] }',
      },
      [
        "plan[0].points[1].at: expected `at` after the previous point's (1k): points' `at` strictly increase",
      ],
      '1000',
    ],
    [
      'plan range upside down',
      { top: 'plan:\n  - { metric: mrr, points: [{ at: month 1, value: [50k, 40k] }] }' },
      ['plan[0].points[0].value: expected a range [low, high] with low <= high'],
      '[50k',
    ],
    [
      'plan value in the wrong unit',
      { top: 'plan:\n  - { metric: mrr, points: [{ at: month 1, value: 5GB }] }' },
      [
        'plan[0].points[0].value: a size cannot be compared with a metric in usd ("5GB" as a value of mrr)',
      ],
      '5GB',
    ],
    [
      'plan tolerance out of range',
      { top: 'plan:\n  - { metric: mrr, tolerance: 150%, points: [{ at: month 1, value: 5 }] }' },
      ['plan[0].tolerance: expected a share such as 10% or 0.1 (0% to 100%), got "150%"'],
      '150%',
    ],
    [
      'two plans of the same metric by time',
      {
        top: 'plan:\n  - { metric: mrr, points: [{ at: month 1, value: 5 }] }\n  - { metric: mrr, points: [{ at: month 2, value: 5 }] }',
      },
      [
        "plan[1]: a second plan of mrr by time (first at plan[0]): put alternatives in one plan's `scenarios`",
      ],
      '{ metric: mrr, points: [{ at: month 2',
    ],
    [
      'scenario without points',
      { top: 'plan:\n  - { metric: mrr, scenarios: { low: [] } }' },
      ['plan[0].scenarios.low: expected a list of points such as [{ at: year 1, value: 5000 }]'],
      '[]',
    ],
    // keep is true or false.
    [
      'keep not a boolean',
      { top: 'targets:\n  - { id: t, when: users > 1, keep: always }' },
      ['targets[0].keep: expected true or false'],
      'always',
    ],
  ];

  it.each(rows)('%s', (_situation, parts, messages, culprit) => {
    const text = file(parts);
    const errors = refused(loadRoadmap('r.yaml', text));
    expect(errors.map((e) => e.message)).toEqual(messages);
    // The first problem points at the culprit: its line holds it, at that column.
    const first = errors[0] as Problem;
    const line = text.split('\n')[first.line - 1] ?? '';
    expect(line.slice(first.column - 1).startsWith(culprit), `${line} at ${first.column}`).toBe(
      true,
    );
  });

  it('keeps unknown keys of v2 parts as warnings, and loads', () => {
    const text = file({
      stage: '    team:\n      - { role: Dev, count: 1, level: senior }',
      top: 'tracks:\n  - { id: db, name: DB, colour: red, steps: [{ id: a, name: A, note: x }] }',
    });
    const result = loadRoadmap('r.yaml', text);
    expect(result.ok).toBe(true);
    expect(result.warnings.map((w) => w.message)).toEqual([
      'stages[0].team[0].level: unknown key "level" (ignored)',
      'tracks[0].colour: unknown key "colour" (ignored)',
      'tracks[0].steps[0].note: unknown key "note" (ignored)',
    ]);
  });
});

describe('the YAML trap: a number split at its comma inside { … }', () => {
  it('refuses the key left over, naming the line and the value that was cut', () => {
    const text = file({ top: 'targets:\n  - { id: t, when: users >= 2,000 }' });
    const errors = refused(loadRoadmap('r.yaml', text));
    const lines = text.split('\n');
    const line = lines.findIndex((l) => l.includes('2,000')) + 1;
    const column = (lines[line - 1] ?? '').indexOf('000') + 1;
    expect(errors.map(formatProblem)).toEqual([
      `r.yaml:${line}:${column}: "000" is a key with no value inside { … }: a comma there separates entries, so "users >= 2,000" was cut at its thousands separator (and reads "users >= 2"); write the number without separators (2000, 2k) or quote the whole value`,
    ]);
  });

  it('accepts the same number quoted, in block style, or written without separators', () => {
    for (const top of [
      'targets:\n  - { id: t, when: "users >= 2,000" }',
      'targets:\n  - id: t\n    when: users >= 2,000',
      'targets:\n  - { id: t, when: users >= 2000 }',
      'targets:\n  - { id: t, when: users >= 2k }',
    ]) {
      const roadmap = loaded(loadRoadmap('r.yaml', file({ top })));
      const when = roadmap.targets[0]?.when;
      if (!when) throw new Error('a target');
      const result = evaluateCondition(when, { value: () => 0, window: () => undefined }, 0.8);
      expect(result.comparisons[0]?.threshold).toBe(2000);
    }
  });

  it('refuses a split in a stage part too (a team role)', () => {
    const text = file({
      stage: '    team:\n      - { role: Ops, count: 1, when: users >= 8,000 }',
    });
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      expect.stringMatching(/^"000" is a key with no value inside \{ … \}/),
    ]);
  });
});

describe('every problem of a file at once', () => {
  // BUG (before this change): a stage refused for one bad field (here its `for`) became a
  // hole, so the duplicate id of the next stage, and everything else in the refused stage,
  // went unreported until the duration was fixed.
  it('reports a bad duration and a duplicate stage id together', () => {
    const text = [
      'id: x',
      'name: X',
      'metrics:',
      '  users: { unit: count }',
      'stages:',
      '  - id: a',
      '    name: A',
      '    gates: [{ id: g, text: G, check: userz > 1 }]',
      '    upgrade: { when: users > 1, for: 1 hour }',
      '  - id: a',
      '    name: A again',
      '',
    ].join('\n');
    expect(refused(loadRoadmap('r.yaml', text)).map(formatProblem)).toEqual([
      'r.yaml:8:38: stages[0].gates[0].check: unknown metric "userz" (declared: users)',
      'r.yaml:9:38: stages[0].upgrade.for: expected a duration such as 10m, 1h or 7d, got "1 hour"',
      'r.yaml:10:9: stages[1].id: duplicate stage id "a" (first used at stages[0])',
    ]);
  });

  it('still checks an item whose id is refused, without calling it a duplicate', () => {
    const text = file({
      stage:
        '    gates:\n      - { id: Bad Gate, text: G, check: userz > 1 }\n      - { id: Bad Gate2, text: H }',
      top: 'alerts:\n  - { id: Slow Alert, when: latency > 5 lightyears }',
    });
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      'stages[0].gates[0].id: expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit',
      'stages[0].gates[0].check: unknown metric "userz" (declared: users, mrr, infra_cost, db_size, latency)',
      'stages[0].gates[1].id: expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit',
      'alerts[0].id: expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit',
      expect.stringMatching(
        /^alerts\[0\]\.when: expected .* in condition "latency > 5 lightyears"$/,
      ),
    ]);
  });

  it('checks stages and tracks whose ids are refused, and calls none of them a duplicate', () => {
    const text = [
      'id: x',
      'name: X',
      'metrics:',
      '  users: { unit: count }',
      'stages:',
      '  - { id: Bad One, name: A, upgrade: { when: userz > 1 } }',
      '  - { id: Bad Two, name: B }',
      '  - { name: C }',
      'tracks:',
      '  - { id: Bad T, name: T, steps: [{ id: a, name: A, when: userz > 2 }] }',
      '  - { id: Bad U, name: U, steps: [{ id: a, name: A }] }',
      '',
    ].join('\n');
    const slug =
      'expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit';
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      `stages[0].id: ${slug}`,
      'stages[0].upgrade.when: unknown metric "userz" (declared: users)',
      `stages[1].id: ${slug}`,
      'stages[2].id: expected an id: a slug such as tier-1 (lowercase letters, digits, "-", "_")',
      `tracks[0].id: ${slug}`,
      'tracks[0].steps[0].when: unknown metric "userz" (declared: users)',
      `tracks[1].id: ${slug}`,
    ]);
  });

  it('does not report a missing field that was written but refused', () => {
    // A bad `when` on a later step is its own problem, not "step needs when".
    const text = file({
      top: 'tracks:\n  - id: db\n    name: DB\n    steps:\n      - { id: a, name: A }\n      - { id: b, name: B, when: [users] }',
    });
    expect(refused(loadRoadmap('r.yaml', text)).map((e) => e.message)).toEqual([
      'tracks[0].steps[1].when: expected a condition such as "active_users >= 400"',
    ]);
  });
});
