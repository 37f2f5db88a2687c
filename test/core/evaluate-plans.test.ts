import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { BandPoint } from '../../src/core/evaluate/plans.js';
import { bandAt, deltaPct, evaluatePlan } from '../../src/core/evaluate/plans.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import type { Plan } from '../../src/core/roadmap/model.js';
import { evaluateAt, roadmapOf } from './ladders-support.js';

/*
 * Plans (docs/ROADMAP_FORMAT.md, "Plan: projections, ranges and scenarios"): by time or by
 * another metric, values and ranges, tolerance, interpolation, before_plan, holding or
 * extending past the last point, scenarios, expected and delta_pct.
 */

const roadmap = roadmapOf([
  'id: t',
  'name: T',
  'start: 2026-01-01',
  'metrics:',
  '  mrr: { unit: usd }',
  '  users: { unit: count }',
  '  paid: { unit: count }',
  '  cost: { unit: usd }',
  'stages:',
  '  - { id: one, name: One }',
  'plan:',
  '  - metric: mrr',
  '    points: [{ at: month 3, value: 10k }, { at: month 6, value: [40k, 50k] }]',
  '  - metric: paid',
  '    by: users',
  '    points: [{ at: 1000, value: 100 }, { at: 10000, value: 1000 }]',
  '  - metric: users',
  '    scenarios:',
  '      conservative: [{ at: year 1, value: 5000 }, { at: year 2, value: 20000 }]',
  '      optimistic: [{ at: year 1, value: 10000 }, { at: year 2, value: 50000 }]',
  '  - metric: cost',
  '    tolerance: 0%',
  '    points: [{ at: month 1, value: "users * 2" }, { at: month 2, value: 500 }]',
]);

/** Period ends from 2026-01-01 in UTC. */
const MONTH_1 = new Date('2026-02-01T00:00:00Z');
const MONTH_2 = new Date('2026-03-01T00:00:00Z');
const MONTH_3 = new Date('2026-04-01T00:00:00Z');
const MONTH_6 = new Date('2026-07-01T00:00:00Z');
const YEAR_1 = new Date('2027-01-01T00:00:00Z');
const mid = (a: Date, b: Date) => new Date((a.getTime() + b.getTime()) / 2);

const planOf = (metric: string, values: Record<string, number>, now: Date) => {
  const found = evaluateAt(roadmap, values, now).plans.find((p) => p.metric === metric);
  if (!found) throw new Error(`no plan of ${metric}`);
  const { scenarios: _scenarios, ...rest } = found;
  return rest;
};

describe('a plan by time', () => {
  type Row = [situation: string, now: Date, mrr: number | undefined, expected: object];
  const rows: Row[] = [
    // Before the first point's period ends: before_plan, nothing expected yet.
    [
      'before the first point',
      new Date('2026-03-15T00:00:00Z'),
      5000,
      { state: 'before_plan', value: 5000 },
    ],
    // At the first point: 10k ± 10% (the default tolerance).
    [
      'at the first point',
      MONTH_3,
      10_000,
      { low: 9000, high: 11_000, expected: 10_000, deltaPct: 0, state: 'on_plan' },
    ],
    // Halfway to the range [40k, 50k]: low and high interpolated separately.
    [
      'halfway, behind',
      mid(MONTH_3, MONTH_6),
      20_000,
      { low: 24_500, high: 30_500, expected: 27_500, deltaPct: -27, state: 'behind' },
    ],
    // Above the band: ahead.
    [
      'halfway, ahead',
      mid(MONTH_3, MONTH_6),
      31_000,
      { low: 24_500, high: 30_500, expected: 27_500, deltaPct: 13, state: 'ahead' },
    ],
    // On the band's edge counts as on plan.
    [
      'halfway, on the low edge',
      mid(MONTH_3, MONTH_6),
      24_500,
      { low: 24_500, high: 30_500, expected: 27_500, deltaPct: -11, state: 'on_plan' },
    ],
    // After the last point a plan by time holds it.
    [
      'after the last point',
      new Date('2026-09-01T00:00:00Z'),
      45_000,
      { low: 40_000, high: 50_000, expected: 45_000, deltaPct: 0, state: 'on_plan' },
    ],
    // No data: unknown, and the band still shown.
    [
      'no data',
      mid(MONTH_3, MONTH_6),
      undefined,
      { low: 24_500, high: 30_500, expected: 27_500, state: 'unknown' },
    ],
  ];
  it.each(rows)('%s', (_situation, now, mrr, expected) => {
    const plan = planOf('mrr', mrr === undefined ? {} : { mrr }, now);
    expect(plan).toMatchObject({ metric: 'mrr', at: now.getTime(), ...expected });
    for (const key of ['low', 'high', 'expected', 'deltaPct'] as const)
      if (!(key in expected)) expect(plan[key], key).toBeUndefined();
  });
});

describe('a plan by another metric', () => {
  const now = MONTH_2;
  type Row = [situation: string, values: Record<string, number>, expected: object];
  const rows: Row[] = [
    // The `by` metric below the first point: before_plan.
    ['before the first point', { users: 500, paid: 10 }, { at: 500, state: 'before_plan' }],
    // On the first point exactly.
    [
      'on the first point',
      { users: 1000, paid: 100 },
      { at: 1000, low: 90, high: 110, expected: 100, deltaPct: 0, state: 'on_plan' },
    ],
    // Halfway between the points (5500 users).
    [
      'between, behind',
      { users: 5500, paid: 400 },
      { at: 5500, low: 495, high: 605, expected: 550, deltaPct: -27, state: 'behind' },
    ],
    // Past the last point a plan by metric extends its last segment: 19000 users is twice the segment.
    [
      'past the last point',
      { users: 19_000, paid: 2000 },
      { at: 19_000, low: 1710, high: 2090, expected: 1900, deltaPct: 5, state: 'on_plan' },
    ],
    // The `by` metric without data: unknown, no position, nothing expected.
    ['no position', { paid: 100 }, { state: 'unknown' }],
    // The planned metric without data: unknown, the band still shown.
    [
      'no value',
      { users: 1000 },
      { at: 1000, low: 90, high: 110, expected: 100, state: 'unknown' },
    ],
  ];
  it.each(rows)('%s', (_situation, values, expected) => {
    const plan = planOf('paid', values, now);
    expect(plan).toMatchObject({ metric: 'paid', by: 'users', ...expected });
    for (const key of ['low', 'high', 'expected', 'deltaPct', 'at'] as const)
      if (!(key in expected)) expect(plan[key], key).toBeUndefined();
  });
});

describe('a plan with scenarios', () => {
  type Row = [situation: string, now: Date, users: number | undefined, expected: object];
  const rows: Row[] = [
    // Before every scenario's first point.
    ['before the plan', new Date('2026-06-01T00:00:00Z'), 100, { state: 'before_plan' }],
    // low and high across scenarios: [4500, 5500] and [9000, 11000] give [4500, 11000].
    [
      'nearest conservative',
      YEAR_1,
      6000,
      {
        low: 4500,
        high: 11_000,
        expected: 7750,
        deltaPct: -23,
        state: 'on_plan',
        scenario: 'conservative',
      },
    ],
    [
      'nearest optimistic, ahead of all',
      YEAR_1,
      12_000,
      { low: 4500, high: 11_000, state: 'ahead', scenario: 'optimistic' },
    ],
    ['behind all', YEAR_1, 3000, { state: 'behind', scenario: 'conservative' }],
    // Exactly between two scenarios' expected values: the first in the file.
    ['a tie', YEAR_1, 7500, { state: 'on_plan', scenario: 'conservative' }],
    // No data: no nearest scenario.
    ['no data', YEAR_1, undefined, { low: 4500, high: 11_000, state: 'unknown' }],
  ];
  it.each(rows)('%s', (_situation, now, users, expected) => {
    const plan = planOf('users', users === undefined ? {} : { users }, now);
    expect(plan).toMatchObject(expected);
    if (!('scenario' in expected)) expect(plan.scenario).toBeUndefined();
  });

  it('reports each scenario too', () => {
    const plan = evaluateAt(roadmap, { users: 6000 }, YEAR_1).plans.find(
      (p) => p.metric === 'users',
    );
    expect(plan?.scenarios).toEqual([
      { name: 'conservative', state: 'ahead', low: 4500, high: 5500, expected: 5000 },
      { name: 'optimistic', state: 'behind', low: 9000, high: 11_000, expected: 10_000 },
    ]);
  });

  it('leaves out a scenario that has not started yet, and is before_plan only when none has', () => {
    const staggered: Plan = {
      index: 0,
      metric: 'm',
      tolerance: 0,
      scenarios: [
        { name: 'late', points: [{ at: 100, atText: '100', value: fixedValue(10) }] },
        { name: 'early', points: [{ at: 10, atText: '10', value: fixedValue(20) }] },
      ],
    };
    const at = (x: number, m = 15) => evaluatePlan(staggered, inputsOf({ m }), new Date(x));
    expect(at(5)).toMatchObject({ state: 'before_plan' });
    expect(at(50)).toMatchObject({ low: 20, high: 20, state: 'behind', scenario: 'early' });
    expect(at(150)).toMatchObject({ low: 10, high: 20, state: 'on_plan', scenario: 'late' });
  });
});

describe('a plan value that is an expression', () => {
  it('is unknown when the expression has no data, else interpolated as any value', () => {
    const now = mid(MONTH_1, MONTH_2);
    expect(planOf('cost', { cost: 300 }, now)).toMatchObject({ state: 'unknown' });
    expect(planOf('cost', { cost: 300 }, now).expected).toBeUndefined();
    // users * 2 = 200 at month 1 and 500 at month 2, tolerance 0: 350 halfway.
    expect(planOf('cost', { cost: 300, users: 100 }, now)).toMatchObject({
      low: 350,
      high: 350,
      expected: 350,
      deltaPct: -14,
      state: 'behind',
    });
  });
});

describe('bandAt and deltaPct', () => {
  const p = (at: number, low?: number, high?: number): BandPoint => ({
    at,
    ...(low !== undefined && high !== undefined ? { band: { low, high } } : {}),
  });
  type Row = [
    situation: string,
    points: BandPoint[],
    x: number,
    after: 'hold' | 'extend',
    band: unknown,
  ];
  const rows: Row[] = [
    // Before the first point.
    ['before', [p(10, 1, 2), p(20, 3, 4)], 5, 'extend', 'before_plan'],
    // A point whose expression has no data, needed to interpolate: unknown.
    ['a needed point unknown', [p(10, 1, 2), p(20)], 15, 'extend', 'unknown'],
    // On a point exactly: that point, even when its neighbour is unknown.
    ['on a point', [p(10, 1, 2), p(20)], 10, 'extend', { low: 1, high: 2 }],
    // Past the only point of a plan by metric: held (no segment to extend).
    ['one point, extended', [p(10, 1, 2)], 50, 'extend', { low: 1, high: 2 }],
    // Past the last point, by time: held.
    ['held', [p(0, 0, 100), p(10, 90, 100)], 30, 'hold', { low: 90, high: 100 }],
    // Past the last point, by metric: extended; where low would pass high they swap.
    ['extended, crossing', [p(0, 0, 100), p(10, 90, 100)], 30, 'extend', { low: 100, high: 270 }],
  ];
  it.each(rows)('%s', (_situation, points, x, after, band) => {
    expect(bandAt(points, x, after)).toEqual(band);
  });

  type DeltaRow = [
    situation: string,
    value: number | undefined,
    expected: number | undefined,
    delta: number | undefined,
  ];
  const deltas: DeltaRow[] = [
    // 28% below the plan.
    ['below', 18_000, 25_000, -28],
    // Rounded half up.
    ['half', 72.5, 100, -27],
    // A hair below: 0, never -0.
    ['a hair below', 99.9, 100, 0],
    // Nothing expected (0): no percentage.
    ['expected 0', 5, 0, undefined],
    // No value: none.
    ['no value', undefined, 100, undefined],
  ];
  it.each(deltas)('delta_pct: %s', (_situation, value, expected, delta) => {
    expect(Object.is(deltaPct(value, expected), delta)).toBe(true);
  });
});

describe('plan in status --json', () => {
  it('has the fields of the format page', () => {
    const report = evaluateAt(roadmap, { mrr: 20_000, users: 6000, paid: 400 }, YEAR_1);
    expect(statusJson(report).plan).toEqual([
      {
        metric: 'mrr',
        by: null,
        expected: 45_000,
        low: 40_000,
        high: 50_000,
        value: 20_000,
        delta_pct: -56,
        state: 'behind',
        scenario: null,
      },
      {
        metric: 'paid',
        by: 'users',
        // 6000 users: 5/9 of the way from 1000 to 10000.
        expected: 600,
        low: 540,
        high: 660,
        value: 400,
        delta_pct: -33,
        state: 'behind',
        scenario: null,
      },
      {
        metric: 'users',
        by: null,
        expected: 7750,
        low: 4500,
        high: 11_000,
        value: 6000,
        delta_pct: -23,
        state: 'on_plan',
        scenario: 'conservative',
      },
      // Past its last point (month 2), held: the first point's `users * 2` is not needed.
      {
        metric: 'cost',
        by: null,
        expected: 500,
        low: 500,
        high: 500,
        value: null,
        delta_pct: null,
        state: 'unknown',
        scenario: null,
      },
    ]);
  });
});

function fixedValue(value: number): Plan['scenarios'][number]['points'][number]['value'] {
  return { kind: 'single', value: { kind: 'fixed', value } };
}
function inputsOf(values: Record<string, number>) {
  return { value: (name: string) => values[name], window: () => undefined };
}

/** Points with increasing `at` and bands low <= high. */
const bandPoints = fc
  .array(
    fc.record({
      gap: fc.double({ min: 1e-3, max: 1e6, noNaN: true }),
      low: fc.double({ min: -1e9, max: 1e9, noNaN: true }),
      width: fc.double({ min: 0, max: 1e9, noNaN: true }),
    }),
    { minLength: 1, maxLength: 6 },
  )
  .map((raw) => {
    let at = 0;
    return raw.map((p): Required<BandPoint> => {
      at += p.gap;
      return { at, band: { low: p.low, high: p.low + p.width } };
    });
  });

describe('plan properties', () => {
  it('interpolation between two points stays between them, low and high each', () => {
    fc.assert(
      fc.property(bandPoints, fc.double({ min: 0, max: 1, noNaN: true }), (points, share) => {
        const first = points[0] as Required<BandPoint>;
        const last = points[points.length - 1] as Required<BandPoint>;
        const x = first.at + (last.at - first.at) * share;
        const band = bandAt(points, x, 'extend');
        if (typeof band === 'string') throw new Error(`no band at ${x}: ${band}`);
        // The two points around x (x on a point: that point on both sides).
        const b = points.find((p) => p.at >= x) as Required<BandPoint>;
        const a = [...points].reverse().find((p) => p.at <= x) as Required<BandPoint>;
        const between = (v: number, p: number, q: number) =>
          v >= Math.min(p, q) && v <= Math.max(p, q);
        expect(between(band.low, a.band.low, b.band.low)).toBe(true);
        expect(between(band.high, a.band.high, b.band.high)).toBe(true);
        expect(band.low).toBeLessThanOrEqual(band.high);
      }),
      { numRuns: 500 },
    );
  });

  it('a value inside the range is never ahead or behind, in any plan, scenario or position', () => {
    const scenario = bandPoints.map((points) => ({
      points: points.map((p) => ({
        at: p.at,
        atText: String(p.at),
        value: {
          kind: 'range' as const,
          low: { kind: 'fixed' as const, value: p.band.low },
          high: { kind: 'fixed' as const, value: p.band.high },
        },
      })),
    }));
    fc.assert(
      fc.property(
        fc.array(scenario, { minLength: 1, maxLength: 3 }),
        fc.boolean(),
        fc.double({ min: -1, max: 1e7, noNaN: true }),
        fc.double({ min: 0, max: 1, noNaN: true }),
        (scenarios, byMetric, x, share) => {
          const plan: Plan = {
            index: 0,
            metric: 'm',
            ...(byMetric ? { by: 'x' } : {}),
            tolerance: 0.1,
            scenarios: scenarios.map((s, i) => ({ name: `s${i}`, ...s })),
          };
          const where = evaluatePlan(plan, inputsOf({ x }), new Date(x));
          if (where.low === undefined || where.high === undefined) {
            expect(where.state).toBe('before_plan');
            return;
          }
          const inside = Math.min(
            where.high,
            Math.max(where.low, where.low + (where.high - where.low) * share),
          );
          const state = evaluatePlan(plan, inputsOf({ x, m: inside }), new Date(x)).state;
          expect(state).toBe('on_plan');
        },
      ),
      { numRuns: 500 },
    );
  });
});
