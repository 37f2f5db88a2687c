import { describe, expect, it } from 'vitest';
import { rampAt } from '../../src/core/evaluate/budget.js';
import type { Report, RoadmapState, TriggerReport } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import { forecastNeeds, forecastReport } from '../../src/core/forecast/report.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { shippedRoadmap, snapshotOf, someValues, stateIn } from '../support/roadmaps.js';

/*
 * The money and calendar half of the v2 evaluator (docs/ROADMAP_FORMAT.md, "Version 2"): budget
 * lines and their totals, the implicit team line and the v1 fields, `budget.<line>` triggers and
 * burn dates, team roles, the stage's planned timeline, review cadences and kept targets. Every
 * row of every table says the situation it stands for. No clock: every instant is written out.
 */

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const t = (iso: string) => new Date(iso);

/*
 * Europe/Berlin, start 2026-01-01: month 1 starts 2025-12-31T23:00Z, month 3 ends
 * 2026-03-31T22:00Z (summer time from March 29), month 4 starts there too.
 */
const MONEY = `
id: money
name: Money
timezone: Europe/Berlin
start: 2026-01-01
approaching: 0.8
metrics:
  users: { unit: count }
  mrr: { unit: usd }
  infra_cost: { unit: usd }
  ai_cost: { unit: usd }
  team_cost: { unit: usd }
  legal_cost: { unit: usd }
  devs: { unit: count }
  reviewed_cost: { unit: usd, review: monthly }
  reviewed_fast: { unit: usd, review: weekly, stale_after: 1d }
  total_cost: { unit: usd, derive: "infra_cost + ai_cost", review: monthly }
stages:
  - id: launch
    name: Launch
    planned: { from: month 1, to: month 3 }
    budget:
      infra: { ramp: [500, 1500], metric: infra_cost }
      ai: { max: "0.25 * users", metric: ai_cost }
      marketing: { min: 200, max: $1k }
      legal: { min: 1000, max: 20k, per: year, metric: legal_cost }
    team:
      - { role: Founders, count: 2 }
      - { role: Developer, count: 2, cost: 8000, metric: devs }
      - { role: DevOps, count: 1, cost: 9000, when: "users >= 2000" }
    upgrade: { when: users >= 100000 }
  - id: growth
    name: Growth
    planned: { from: month 4 }
    budget:
      infra: { min: 100, max: 5000, metric: infra_cost }
      team: { max: 15000, metric: team_cost }
    team:
      - { role: Support, count: 2, cost: 3000 }
  - id: overdue
    name: Overdue
    planned: { to: month 1 }
    team:
      - { role: Support, count: 1, cost: 3000 }
  - id: yearly
    name: Yearly
    budget:
      compliance: { max: 20000, per: year }
      audit: { min: 100, max: 5000, per: once, metric: legal_cost }
targets:
  - { id: profitable, when: mrr > infra_cost, keep: true }
  - { id: users-1k, when: users >= 1000, by: month 6 }
`;

function load(text: string): Roadmap {
  const result = loadRoadmap('money.yaml', text);
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}
const roadmap = load(MONEY);

const MONTH1_START = t('2025-12-31T23:00:00Z');
const MONTH3_END = t('2026-03-31T22:00:00Z');
const NOW = t('2026-02-15T12:00:00Z');
/** The launch ramp's maximum at NOW: 500 → 1500 across [MONTH1_START, MONTH3_END]. */
const RAMP_NOW =
  Math.round(
    (500 +
      (1000 * (NOW.getTime() - MONTH1_START.getTime())) /
        (MONTH3_END.getTime() - MONTH1_START.getTime())) *
      100,
  ) / 100;

/** Every recorded metric fresh (a minute old) and quiet: every line within its bounds. */
const QUIET: Record<string, number> = {
  users: 1000,
  mrr: 5000,
  infra_cost: 400,
  ai_cost: 100,
  team_cost: 10000,
  legal_cost: 1500,
  devs: 2,
  reviewed_cost: 10,
  reviewed_fast: 10,
};

function without(values: Record<string, number>, ...names: string[]) {
  return Object.fromEntries(Object.entries(values).filter(([n]) => !names.includes(n)));
}

function evaluate(
  values: Record<string, number>,
  opts: {
    stage?: string;
    now?: Date;
    at?: Record<string, Date>;
    state?: Partial<RoadmapState>;
    on?: Roadmap;
  } = {},
): Report {
  const on = opts.on ?? roadmap;
  const now = opts.now ?? NOW;
  const snap = snapshotOf(on, values, new Date(now.getTime() - MINUTE));
  const latest = new Map(snap.latest);
  for (const [name, at] of Object.entries(opts.at ?? {}))
    latest.set(name, { value: values[name] as number, at });
  return evaluateRoadmap(
    on,
    { latest, windows: snap.windows },
    { ...stateIn(opts.stage), ...opts.state },
    now,
  );
}

const line = (report: Report, id: string) => {
  const found = report.budget?.lines.find((l) => l.id === id);
  if (!found) throw new Error(`no budget line ${id}`);
  return found;
};
const trigger = (report: Report, id: string): TriggerReport | undefined =>
  report.triggers.find((tr) => tr.id === id);

describe('budget lines: bounds as they evaluate now, and states', () => {
  it.each([
    // A fixed max and min (a money literal, `$1k`), no metric: shown, never compared.
    ['marketing', QUIET, { min: 200, max: 1000, state: 'planned' }],
    // An expression bound, 0.25 × 1000 users: 100 of 250 spent.
    ['ai', QUIET, { max: 250, value: 100, state: 'within' }],
    // The same expression after growth to 2000 users: the max follows (500).
    ['ai', { ...QUIET, users: 2000, ai_cost: 400 }, { max: 500, value: 400, state: 'within' }],
    // Spending exactly the max is still within; a cent more is over.
    ['ai', { ...QUIET, ai_cost: 250 }, { max: 250, value: 250, state: 'within' }],
    ['ai', { ...QUIET, ai_cost: 250.01 }, { max: 250, value: 250.01, state: 'over' }],
    // The bound's metric has no data: no max, unknown (never silently within).
    ['ai', without(QUIET, 'users'), { value: 100, state: 'unknown' }],
    // The line's own metric has no data: the bound still shows, unknown.
    ['ai', without(QUIET, 'ai_cost'), { max: 250, state: 'unknown' }],
    // A ramp: its max where the ramp stands now.
    ['infra', QUIET, { max: RAMP_NOW, value: 400, state: 'within' }],
    ['infra', { ...QUIET, infra_cost: 1200 }, { max: RAMP_NOW, value: 1200, state: 'over' }],
    // A yearly line: below its min is under, at the min within, above the max over.
    ['legal', { ...QUIET, legal_cost: 999 }, { min: 1000, max: 20000, value: 999, state: 'under' }],
    [
      'legal',
      { ...QUIET, legal_cost: 1000 },
      { min: 1000, max: 20000, value: 1000, state: 'within' },
    ],
    [
      'legal',
      { ...QUIET, legal_cost: 20001 },
      { min: 1000, max: 20000, value: 20001, state: 'over' },
    ],
  ] as const)('%s with %o: %o', (id, values, expected) => {
    const got = line(evaluate(values), id);
    expect({
      ...(got.min !== undefined ? { min: got.min } : {}),
      ...(got.max !== undefined ? { max: got.max } : {}),
      ...(got.value !== undefined ? { value: got.value } : {}),
      state: got.state,
    }).toEqual(expected);
  });

  it('keeps each line`s per, metric and whether it is watched', () => {
    const lines = evaluate(QUIET).budget?.lines.map((l) => [l.id, l.per, l.metric, l.watched]);
    expect(lines).toEqual([
      ['infra', 'month', 'infra_cost', true],
      ['ai', 'month', 'ai_cost', true],
      ['marketing', 'month', undefined, false],
      ['legal', 'year', 'legal_cost', true],
      // The stage's team, added up (no `team` line in the file).
      ['team', 'month', undefined, false],
    ]);
  });
});

describe('a ramp: linear across the planned span, its end values outside it', () => {
  const span = { from: t('2026-01-01T00:00:00Z'), to: t('2026-01-11T00:00:00Z') };
  it.each([
    // Long before the span: the first value.
    ['2025-06-01T00:00:00Z', { from: 500, to: 1500 }, 500],
    // At its start and end: the end values.
    ['2026-01-01T00:00:00Z', { from: 500, to: 1500 }, 500],
    ['2026-01-11T00:00:00Z', { from: 500, to: 1500 }, 1500],
    // Halfway and three tenths in.
    ['2026-01-06T00:00:00Z', { from: 500, to: 1500 }, 1000],
    ['2026-01-04T00:00:00Z', { from: 500, to: 1500 }, 800],
    // After the span: holds the last value.
    ['2027-01-01T00:00:00Z', { from: 500, to: 1500 }, 1500],
    // A ramp down works the same way.
    ['2026-01-06T00:00:00Z', { from: 1500, to: 500 }, 1000],
    // A third of the way: rounded to cents.
    ['2026-01-04T08:00:00Z', { from: 0, to: 100 }, 33.33],
  ] as const)('at %s, ramp %o: %d', (now, ramp, expected) => {
    expect(rampAt(ramp, span, t(now))).toBe(expected);
  });
});

describe('budget totals, one per `per`', () => {
  it.each([
    [
      // Launch: monthly lines infra (ramp), ai (expression), marketing (planned), team (implicit:
      // 2 developers × 8000; DevOps not needed below 2000 users; founders cost nothing). A
      // missing min counts 0; the value is null because marketing and team have no metric.
      'launch, quiet',
      'launch',
      QUIET,
      [
        { per: 'month', min: 200, max: RAMP_NOW + 250 + 1000 + 16000, state: 'planned' },
        { per: 'year', min: 1000, max: 20000, value: 1500, state: 'within' },
      ],
    ],
    [
      // Launch with 2000 users: DevOps is needed, the team line grows by 9000, ai's max doubles.
      'launch, 2000 users',
      'launch',
      { ...QUIET, users: 2000 },
      [
        { per: 'month', min: 200, max: RAMP_NOW + 500 + 1000 + 25000, state: 'planned' },
        { per: 'year', min: 1000, max: 20000, value: 1500, state: 'within' },
      ],
    ],
    [
      // Launch without users: ai's max is unknown, so the monthly max is too.
      'launch, no users',
      'launch',
      without(QUIET, 'users'),
      [
        { per: 'month', min: 200, state: 'planned' },
        { per: 'year', min: 1000, max: 20000, value: 1500, state: 'within' },
      ],
    ],
    [
      // Growth: every line has a metric with data, so the value adds up (and is compared).
      'growth, quiet',
      'growth',
      QUIET,
      [{ per: 'month', min: 100, max: 20000, value: 10400, state: 'within' }],
    ],
    [
      // Growth with team_cost missing: no value, unknown.
      'growth, no team_cost',
      'growth',
      without(QUIET, 'team_cost'),
      [{ per: 'month', min: 100, max: 20000, state: 'unknown' }],
    ],
    [
      // Growth over in total (infra alone within): 4000 + 16500 > 20000.
      'growth, over in total',
      'growth',
      { ...QUIET, infra_cost: 4000, team_cost: 16500 },
      [{ per: 'month', min: 100, max: 20000, value: 20500, state: 'over' }],
    ],
    [
      // Yearly stage: a yearly line without min and metric, a one-off line with both.
      'yearly',
      'yearly',
      QUIET,
      [
        { per: 'year', min: 0, max: 20000, state: 'planned' },
        { per: 'once', min: 100, max: 5000, value: 1500, state: 'within' },
      ],
    ],
  ] as const)('%s', (_situation, stage, values, expected) => {
    expect(evaluate(values, { stage }).budget?.totals).toEqual(expected);
  });

  it('leaves the total max null when a line has only a min', () => {
    const only = load(
      MONEY.replace('marketing: { min: 200, max: $1k }', 'marketing: { min: 200 }'),
    );
    const month = evaluate(QUIET, { on: only }).budget?.totals[0];
    expect(month).toEqual({ per: 'month', min: 200, state: 'planned' });
  });
});

describe('the implicit team line', () => {
  it.each([
    // Launch: developers' cost only (DevOps `later`, founders without cost).
    ['launch', QUIET, { id: 'team', max: 16000, implicit: 'team' }],
    // Launch at 2000 users: DevOps is needed.
    ['launch', { ...QUIET, users: 2000 }, { id: 'team', max: 25000, implicit: 'team' }],
    // A stage with a team and no budget: the team line alone.
    ['overdue', QUIET, { id: 'team', max: 3000, implicit: 'team' }],
  ] as const)('%s with %o', (stage, values, expected) => {
    expect(line(evaluate(values, { stage }), 'team')).toMatchObject({
      ...expected,
      per: 'month',
      state: 'planned',
      watched: false,
    });
  });

  it('is not added when the stage has a `team` line (growth: the file`s line is the one)', () => {
    const lines = evaluate(QUIET, { stage: 'growth' }).budget?.lines ?? [];
    expect(lines.filter((l) => l.id === 'team')).toEqual([
      expect.objectContaining({ max: 15000, metric: 'team_cost', watched: true }),
    ]);
    expect(lines.some((l) => l.implicit)).toBe(false);
  });

  it('gives a stage with neither budget nor team no budget', () => {
    expect(evaluate(QUIET, { stage: 'launch', on: shippedRoadmap('example') }).budget).toEqual(
      expect.objectContaining({ lines: [expect.objectContaining({ id: 'infra' })] }),
    );
    expect(
      evaluate(QUIET, { stage: 'tier2', on: shippedRoadmap('example') }).budget,
    ).toBeUndefined();
  });
});

describe('the v1 fields of a budget with lines', () => {
  it.each([
    // Growth has an `infra` line: the v1 fields are that line.
    ['growth', QUIET, { min: 100, max: 5000, cost: 400, state: 'within' }],
    ['growth', { ...QUIET, infra_cost: 6000 }, { min: 100, max: 5000, cost: 6000, state: 'over' }],
    // Launch's `infra` is a ramp: its max where it stands now.
    ['launch', QUIET, { max: RAMP_NOW, cost: 400, state: 'within' }],
    // A stage with only its team: the monthly total (0 min, the team's cost, unmeasured).
    ['overdue', QUIET, { min: 0, max: 3000, state: 'planned' }],
    // Only yearly and one-off lines: no monthly figure at all.
    ['yearly', QUIET, { state: 'planned' }],
  ] as const)('%s with %o', (stage, values, expected) => {
    const budget = evaluate(values, { stage }).budget;
    expect({
      ...(budget?.min !== undefined ? { min: budget.min } : {}),
      ...(budget?.max !== undefined ? { max: budget.max } : {}),
      ...(budget?.cost !== undefined ? { cost: budget.cost } : {}),
      state: budget?.state,
    }).toEqual(expected);
  });

  it('keeps a v1 budget`s fields when the file has no infra_cost (unknown), its line planned', () => {
    const v1 = load(`
id: v1
name: V1
metrics: { users: { unit: count } }
stages:
  - { id: one, name: One, budget: { min: 100, max: 200 } }
`);
    const budget = evaluate({ users: 1 }, { on: v1 }).budget;
    expect(budget).toMatchObject({ min: 100, max: 200, state: 'unknown' });
    expect(budget?.lines).toEqual([
      expect.objectContaining({ id: 'infra', min: 100, max: 200, state: 'planned' }),
    ]);
  });
});

describe('budget.<line> triggers', () => {
  const memory = (state: TriggerMemory['state'], since: Date): TriggerMemory => ({
    state,
    since,
    ...(state === 'firing' ? { activeSince: since, firingSince: since } : {}),
  });
  it.each([
    // 100 of 250 (0.25 × 1000 users): far from the max.
    ['quiet', QUIET, undefined, 'ok'],
    // 200 of 250: 80%, the roadmap's `approaching` share.
    ['at 80% of the max', { ...QUIET, ai_cost: 200 }, undefined, 'approaching'],
    // Exactly at the max: not over, approaching.
    ['at the max', { ...QUIET, ai_cost: 250 }, undefined, 'approaching'],
    // Over: fires at once (no `for`).
    ['over', { ...QUIET, ai_cost: 300 }, undefined, 'firing'],
    // The max's metric has no data: unknown, never fired or resolved.
    ['no users', without(QUIET, 'users'), undefined, 'unknown'],
    // Firing before, back under now: resolved.
    ['back under', QUIET, memory('firing', t('2026-02-15T10:00:00Z')), 'resolved'],
    // Firing before, no data now: stays in its episode, reported unknown.
    [
      'firing, then no data',
      without(QUIET, 'ai_cost'),
      memory('firing', t('2026-02-15T10:00:00Z')),
      'unknown',
    ],
  ] as const)('%s: %s', (_situation, values, prev, state) => {
    const report = evaluate(values, {
      state: { triggers: new Map(prev ? [['budget.ai', prev]] : []) },
    });
    const tr = trigger(report, 'budget.ai');
    expect(tr).toMatchObject({
      id: 'budget.ai',
      kind: 'budget',
      severity: 'warning',
      state,
      condition: 'ai_cost > 0.25 * users',
    });
    expect(tr?.memory.state).toBe(state);
  });

  it('reports its comparison and missing metrics as any trigger does', () => {
    const tr = trigger(evaluate({ ...QUIET, ai_cost: 200 }), 'budget.ai');
    expect(tr?.comparisons).toEqual([
      {
        metric: 'ai_cost',
        op: '>',
        threshold: 250,
        value: 200,
        state: 'approaching',
        progress: 0.8,
        text: 'ai_cost > 0.25 * users',
      },
    ]);
    expect(tr?.missing).toEqual([]);
    expect(trigger(evaluate(without(QUIET, 'users', 'ai_cost')), 'budget.ai')?.missing).toEqual([
      'ai_cost',
      'users',
    ]);
  });

  it('watches the lines with a metric and a max or ramp, of the current stage only', () => {
    const ids = (stage: string) =>
      evaluate(QUIET, { stage })
        .triggers.filter((tr) => tr.kind === 'budget')
        .map((tr) => [tr.id, tr.condition]);
    // marketing (no metric) and the team line are not watched.
    expect(ids('launch')).toEqual([
      ['budget.infra', 'infra_cost > ramp [500, 1500]'],
      ['budget.ai', 'ai_cost > 0.25 * users'],
      ['budget.legal', 'legal_cost > 20000'],
    ]);
    expect(ids('growth')).toEqual([
      ['budget.infra', 'infra_cost > 5000'],
      ['budget.team', 'team_cost > 15000'],
    ]);
    // compliance has no metric.
    expect(ids('yearly')).toEqual([['budget.audit', 'legal_cost > 5000']]);
    expect(ids('overdue')).toEqual([]);
  });

  it('never watches a v1 budget, however far over it is', () => {
    const example = shippedRoadmap('example');
    const report = evaluate(
      { ...someValues(example), infra_cost: 100_000 },
      { on: example, stage: 'tier0' },
    );
    expect(report.budget?.state).toBe('over');
    expect(report.triggers.filter((tr) => tr.id.startsWith('budget.'))).toEqual([]);
  });
});

describe('burn dates (`over_eta`)', () => {
  const growth = (stage = 'growth') => roadmap.stages.find((s) => s.id === stage)!;
  /** Daily points over 28 days ending a minute before NOW. */
  const daily = (f: (d: number) => number): HistoryPoint[] =>
    Array.from({ length: 28 }, (_, d) => ({
      t: new Date(NOW.getTime() - (27 - d) * DAY - MINUTE),
      v: f(d),
    }));
  const burn = (infra: HistoryPoint[] | undefined, stage = 'growth') => {
    const last = infra?.[infra.length - 1]?.v;
    const values = { ...QUIET, ...(last !== undefined ? { infra_cost: last } : {}) };
    const report = evaluate(values, { stage });
    const forecasts = forecastReport(report, new Map(infra ? [['infra_cost', infra]] : []));
    return { report, forecasts, json: statusJson({ ...report, forecasts }) };
  };
  const overEta = (json: ReturnType<typeof statusJson>, id: string) =>
    json.budget?.lines.find((l) => l.id === id)?.over_eta;

  it('asks for the history of each watched line`s metric', () => {
    expect(forecastNeeds(roadmap, growth()).sort()).toEqual(
      expect.arrayContaining(['infra_cost', 'team_cost']),
    );
    expect(forecastNeeds(roadmap, growth('launch'))).toEqual(
      expect.arrayContaining(['infra_cost', 'ai_cost', 'legal_cost']),
    );
  });

  it.each([
    // Rising 100 a day toward the 5000 max from 2000 + 2700 = 4700: about three days ahead.
    ['rising toward the max', daily((d) => 2000 + 100 * d), 'eta'],
    // Flat: never passes it.
    ['flat', daily(() => 3000), null],
    // Falling: never passes it.
    ['falling', daily((d) => 4000 - 50 * d), null],
    // Already over: null (the state says it).
    ['already over', daily((d) => 3000 + 200 * d), null],
    // No history at all.
    ['no history', undefined, null],
  ] as const)('%s', (_situation, infra, expected) => {
    const { report, forecasts, json } = burn(infra ? [...infra] : undefined);
    const eta = overEta(json, 'infra');
    if (expected === 'eta') {
      const f = forecasts.triggers.get('budget.infra')?.[0];
      expect(f?.status).toBe('eta');
      expect(eta).toBe(f?.status === 'eta' ? f.eta.toISOString() : 'no eta');
      expect(new Date(eta as string).getTime()).toBeGreaterThan(NOW.getTime());
      expect(new Date(eta as string).getTime()).toBeLessThan(NOW.getTime() + 10 * DAY);
    } else expect(eta).toBeNull();
    expect(line(report, 'infra').state).not.toBe('unknown');
  });

  it('is null for lines that are not watched (no metric) and for v1 budgets', () => {
    const { json } = burn(
      daily((d) => 2000 + 100 * d),
      'launch',
    );
    expect(overEta(json, 'marketing')).toBeNull();
    expect(overEta(json, 'team')).toBeNull();
    const example = shippedRoadmap('example');
    const values = { ...someValues(example), infra_cost: 150 };
    const report = evaluate(values, { on: example, stage: 'tier0' });
    const forecasts = forecastReport(report, new Map([['infra_cost', daily((d) => 100 + 3 * d)]]));
    expect(statusJson({ ...report, forecasts }).budget?.lines).toEqual([
      expect.objectContaining({ id: 'infra', over_eta: null }),
    ]);
  });
});

describe('team roles', () => {
  it.each([
    // Founders: no metric, no `when`: planned.
    ['Founders', QUIET, 'planned', undefined],
    // Developers counted by `devs`: 2 of 2 hired, 1 of 2 short, no data short.
    ['Developer', QUIET, 'hired', 2],
    ['Developer', { ...QUIET, devs: 3 }, 'hired', 3],
    ['Developer', { ...QUIET, devs: 1 }, 'short', 1],
    ['Developer', without(QUIET, 'devs'), 'short', undefined],
    // DevOps needed from 2000 users: later below, planned from then on, later without data.
    ['DevOps', QUIET, 'later', undefined],
    ['DevOps', { ...QUIET, users: 2000 }, 'planned', undefined],
    ['DevOps', without(QUIET, 'users'), 'later', undefined],
  ] as const)('%s with %o: %s', (role, values, state, value) => {
    const got = evaluate(values).team.find((r) => r.role === role);
    expect(got?.state).toBe(state);
    expect(got?.value).toBe(value);
  });

  it('is the current stage`s team, as written', () => {
    expect(evaluate(QUIET, { stage: 'growth' }).team).toEqual([
      { role: 'Support', count: 2, cost: 3000, state: 'planned' },
    ]);
    expect(evaluate(QUIET, { stage: 'yearly' }).team).toEqual([]);
  });
});

describe('the stage`s planned timeline', () => {
  it.each([
    // Launch, month 1 to month 3 (Berlin): a minute before month 1 starts is early.
    ['launch', '2025-12-31T22:59:00Z', 'early'],
    ['launch', '2025-12-31T23:00:00Z', 'on_time'],
    ['launch', '2026-03-31T21:59:59.999Z', 'on_time'],
    // From the end of month 3 on: late.
    ['launch', '2026-03-31T22:00:00Z', 'late'],
    // Growth from month 4, open-ended: early before, on time ever after.
    ['growth', '2026-03-31T21:59:59.999Z', 'early'],
    ['growth', '2030-01-01T00:00:00Z', 'on_time'],
    // Overdue, to month 1 only: on time until it ends, late after.
    ['overdue', '2026-01-31T22:59:59.999Z', 'on_time'],
    ['overdue', '2026-01-31T23:00:00Z', 'late'],
  ] as const)('%s at %s: %s', (stage, now, state) => {
    expect(evaluate(QUIET, { stage, now: t(now) }).stage.planned?.state).toBe(state);
  });

  it('gives the instants, and nothing for a stage without `planned`', () => {
    expect(evaluate(QUIET).stage.planned).toEqual({
      from: MONTH1_START,
      to: MONTH3_END,
      state: 'on_time',
    });
    expect(evaluate(QUIET, { stage: 'growth' }).stage.planned).toEqual({
      from: MONTH3_END,
      state: 'early',
    });
    expect(evaluate(QUIET, { stage: 'yearly' }).stage.planned).toBeUndefined();
  });
});

describe('review cadences', () => {
  const metric = (report: Report, name: string) => report.metrics.find((m) => m.name === name);
  it.each([
    // Monthly, newest point Jan 31 13:00 Berlin: due a calendar month later, Feb 28 13:00.
    ['reviewed_cost', '2026-01-31T12:00:00Z', '2026-02-28T11:59:59.999Z', false],
    ['reviewed_cost', '2026-01-31T12:00:00Z', '2026-02-28T12:00:00Z', true],
    // Across the change to summer time: March 15 13:00 CET is due April 15 13:00 CEST (11:00Z).
    ['reviewed_cost', '2026-03-15T12:00:00Z', '2026-04-15T10:59:59.999Z', false],
    ['reviewed_cost', '2026-03-15T12:00:00Z', '2026-04-15T11:00:00Z', true],
    // Weekly with a short stale_after: due a week on, whatever stale_after says.
    ['reviewed_fast', '2026-02-01T12:00:00Z', '2026-02-08T11:59:00Z', false],
    ['reviewed_fast', '2026-02-01T12:00:00Z', '2026-02-08T12:00:00Z', true],
    // Without `review`: never due, however old.
    ['users', '2025-01-01T00:00:00Z', '2026-02-15T12:00:00Z', false],
  ] as const)('%s recorded %s, at %s: due %s', (name, recorded, now, due) => {
    const report = evaluate(QUIET, { now: t(now), at: { [name]: t(recorded) } });
    expect(metric(report, name)?.reviewDue).toBe(due);
  });

  it('is due for a reviewed metric never recorded, never for a derived one', () => {
    const report = evaluate(without(QUIET, 'reviewed_cost'));
    expect(metric(report, 'reviewed_cost')?.reviewDue).toBe(true);
    expect(metric(report, 'total_cost')?.reviewDue).toBe(false);
    expect(metric(report, 'users')?.reviewDue).toBe(false);
  });

  it.each([
    // Monthly review, no stale_after: stale one calendar month + 7 days after the newest point
    // (Feb 1 13:00 Berlin -> Mar 1 + 7d = Mar 8 13:00 CET, 12:00Z), not after the longest month.
    ['2026-03-08T12:00:00Z', false],
    ['2026-03-08T12:00:00.001Z', true],
    ['2026-03-09T12:00:00Z', true],
  ] as const)('reviewed_cost recorded Feb 1, at %s: stale %s', (now, stale) => {
    const report = evaluate(QUIET, {
      now: t(now),
      at: { reviewed_cost: t('2026-02-01T12:00:00Z') },
    });
    expect(metric(report, 'reviewed_cost')?.stale).toBe(stale);
  });
});

describe('kept targets', () => {
  const T1 = t('2026-02-01T00:00:00Z');
  const T2 = t('2026-02-10T00:00:00Z');
  const target = (report: Report, id: string) => report.targets.find((x) => x.id === id);
  it.each([
    // Never met, not holding: open like any target.
    ['never met, not holding', { mrr: 100 }, {}, 'open', undefined, undefined],
    // Never met, unknown: open.
    ['never met, no data', { mrr: undefined }, {}, 'open', undefined, undefined],
    // Holds for the first time: met now.
    ['first met now', {}, {}, 'met', NOW, undefined],
    // Met before and still holding.
    ['met, holding', {}, { met: T1 }, 'met', T1, undefined],
    // Met before, no longer holding: lapsed from now.
    ['met, stops holding', { mrr: 100 }, { met: T1 }, 'lapsed', T1, NOW],
    // Lapsed before and still not holding: lapsed since then.
    ['lapsed, still not holding', { mrr: 100 }, { met: T1, lapsed: T2 }, 'lapsed', T1, T2],
    // Lapsed before, no data now: keeps its last state (lapsed since then).
    ['lapsed, no data', { mrr: undefined }, { met: T1, lapsed: T2 }, 'lapsed', T1, T2],
    // Met, no data now: keeps its last state (met).
    ['met, no data', { mrr: undefined }, { met: T1 }, 'met', T1, undefined],
    // Lapsed before, holds again: met, the lapse over.
    ['lapsed, holds again', {}, { met: T1, lapsed: T2 }, 'met', T1, undefined],
  ] as const)('%s', (_situation, change, memory, state, metAt, lapsedSince) => {
    const values = { ...QUIET, ...change } as Record<string, number | undefined>;
    const report = evaluate(
      Object.fromEntries(Object.entries(values).filter(([, v]) => v !== undefined)) as Record<
        string,
        number
      >,
      {
        state: {
          targetsMet: new Map('met' in memory ? [['profitable', memory.met]] : []),
          targetsLapsed: new Map('lapsed' in memory ? [['profitable', memory.lapsed]] : []),
        },
      },
    );
    const got = target(report, 'profitable');
    expect(got?.state).toBe(state);
    expect(got?.metAt).toEqual(metAt);
    expect(got?.lapsedSince).toEqual(lapsedSince);
    expect(got?.keep).toBe(true);
  });

  it('leaves a target without `keep` met once met, whatever follows', () => {
    const report = evaluate(
      { ...QUIET, users: 10 },
      { state: { targetsMet: new Map([['users-1k', T1]]), targetsLapsed: new Map() } },
    );
    expect(target(report, 'users-1k')).toMatchObject({ state: 'met', metAt: T1 });
    expect(target(report, 'users-1k')?.lapsedSince).toBeUndefined();
  });

  it('says lapsed in status --json, with lapsed_since, even where the forecast says met', () => {
    const report = evaluate(
      { ...QUIET, mrr: 100 },
      {
        state: {
          targetsMet: new Map([['profitable', T1]]),
          targetsLapsed: new Map([['profitable', T2]]),
        },
      },
    );
    const forecasts = forecastReport(report, new Map());
    expect(forecasts.targets.get('profitable')?.outlook.state).toBe('met');
    const json = statusJson({ ...report, forecasts });
    expect(json.targets.find((x) => x.id === 'profitable')).toMatchObject({
      state: 'lapsed',
      met_at: T1.toISOString(),
      lapsed_since: T2.toISOString(),
    });
    expect(json.targets.find((x) => x.id === 'users-1k')?.lapsed_since).toBeNull();
  });
});

describe('status --json: the money and calendar fields, as the format page shows them', () => {
  const example = shippedRoadmap('example-v2');
  const at = t('2026-02-15T12:00:00Z');
  const json = statusJson(
    evaluateRoadmap(
      example,
      snapshotOf(
        example,
        {
          active_users: 800,
          paid_users: 40,
          mrr: 4000,
          infra_cost: 700,
          ai_api_cost: 160,
          team_cost: 0,
          db_size: 1e8,
          response_time_p95: 300,
        },
        new Date(at.getTime() - HOUR),
      ),
      stateIn('launch'),
      at,
    ),
  );

  it('adds stage.planned, budget lines and totals, team, lapsed_since and review_due', () => {
    expect(Object.keys(json.stage.planned ?? {}).sort()).toEqual(['from', 'state', 'to']);
    expect(json.stage.planned).toEqual({
      from: '2025-12-31T23:00:00.000Z',
      to: '2026-03-31T22:00:00.000Z',
      state: 'on_time',
    });
    const ramp =
      Math.round(
        (500 +
          (1000 * (at.getTime() - MONTH1_START.getTime())) /
            (MONTH3_END.getTime() - MONTH1_START.getTime())) *
          100,
      ) / 100;
    expect(json.budget).toEqual({
      // No v1 budget: the v1 fields describe the `infra` line.
      min: null,
      max: ramp,
      cost: 700,
      state: 'within',
      lines: [
        {
          id: 'infra',
          per: 'month',
          min: null,
          max: ramp,
          metric: 'infra_cost',
          value: 700,
          state: 'within',
          over_eta: null,
        },
        {
          id: 'ai_api',
          per: 'month',
          min: null,
          max: 200,
          metric: 'ai_api_cost',
          value: 160,
          state: 'within',
          over_eta: null,
        },
        {
          id: 'marketing',
          per: 'month',
          min: 200,
          max: 500,
          metric: null,
          value: null,
          state: 'planned',
          over_eta: null,
        },
        // The founders, who cost nothing here.
        {
          id: 'team',
          per: 'month',
          min: null,
          max: 0,
          metric: null,
          value: null,
          state: 'planned',
          over_eta: null,
        },
      ],
      totals: [{ per: 'month', min: 200, max: ramp + 200 + 500, value: null }],
    });
    expect(json.team).toEqual([
      { role: 'Founders', count: 2, cost: null, metric: null, value: null, state: 'planned' },
    ]);
    expect(json.targets.map((x) => [x.id, x.state, x.lapsed_since])).toEqual([
      ['profitable', 'met', null],
    ]);
    expect(json.metrics.map((m) => [m.name, m.review_due])).toEqual([
      ['active_users', false],
      ['paid_users', false],
      ['mrr', false],
      ['infra_cost', false],
      ['ai_api_cost', false],
      ['team_cost', false],
      ['db_size', false],
      ['response_time_p95', false],
    ]);
    expect(
      json.triggers.filter((x) => x.kind === 'budget').map((x) => [x.id, x.severity, x.state]),
    ).toEqual([
      ['budget.infra', 'warning', 'ok'],
      // 160 of 0.25 × 800 users = 200: the default 80% share.
      ['budget.ai_api', 'warning', 'approaching'],
    ]);
  });

  it('gives null and empty lists where a v1 file has none of it', () => {
    const v1 = shippedRoadmap('example');
    const now = t('2026-02-15T12:00:00Z');
    const report = evaluateRoadmap(v1, snapshotOf(v1, someValues(v1), now), stateIn('tier2'), now);
    const v1json = statusJson(report);
    expect(v1json.stage.planned).toBeNull();
    expect(v1json.budget).toBeNull();
    expect(v1json.team).toEqual([]);
    expect(v1json.targets.every((x) => x.lapsed_since === null)).toBe(true);
    expect(v1json.metrics.every((m) => m.review_due === false)).toBe(true);
  });
});
