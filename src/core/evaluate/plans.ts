/**
 * Plans (docs/ROADMAP_FORMAT.md, "Plan: projections, ranges and scenarios"): where each planned
 * metric is expected to be now (by time) or at its `by` metric's latest value, as a band
 * [low, high], and whether the metric is ahead of it, on it or behind. Pure: `now` is passed in.
 */
import type { ConditionInputs } from '../condition/evaluate.js';
import type { Plan, PlanPoint, PlanScenario } from '../roadmap/model.js';
import { amountValue } from '../roadmap/rules.js';

export type PlanState = 'ahead' | 'on_plan' | 'behind' | 'before_plan' | 'unknown';

/** The range a plan expects, low <= high. */
export interface PlanBand {
  low: number;
  high: number;
}

export interface PlanScenarioReport {
  /** Absent for a plan written with `points`. */
  name?: string;
  state: PlanState;
  /** Absent before the plan's first point or without data. */
  low?: number;
  high?: number;
  expected?: number;
}

export interface PlanReport {
  metric: string;
  /** The metric a plan by metric reads its position from; absent for a plan by time. */
  by?: string;
  /** The position on the plan: `now` in epoch ms, or the `by` metric's value (absent without data). */
  at?: number;
  value?: number;
  /** Across scenarios: the lowest low and the highest high. */
  low?: number;
  high?: number;
  /** (low + high) / 2. */
  expected?: number;
  /** 100 × (value − expected) / expected, rounded; absent when it cannot be computed. */
  deltaPct?: number;
  state: PlanState;
  /** The scenario whose expected value is nearest the actual one (plans with `scenarios`). */
  scenario?: string;
  scenarios: PlanScenarioReport[];
}

/** A plan point with its band evaluated (absent: an expression without data). */
export interface BandPoint {
  at: number;
  band?: PlanBand;
}

const ordered = (a: number, b: number): PlanBand => ({
  low: Math.min(a, b),
  high: Math.max(a, b),
});

/** A point's band: a range as written, or `v` widened by the tolerance on both sides. */
export function pointBand(
  value: PlanPoint['value'],
  tolerance: number,
  inputs: ConditionInputs,
): PlanBand | undefined {
  if (value.kind === 'range') {
    const low = amountValue(value.low, inputs);
    const high = amountValue(value.high, inputs);
    return low === undefined || high === undefined ? undefined : ordered(low, high);
  }
  const v = amountValue(value.value, inputs);
  // v ± v·t rather than v·(1 ± t): 100 ± 10% is exactly [90, 110], not 110.00000000000001.
  return v === undefined ? undefined : ordered(v - v * tolerance, v + v * tolerance);
}

/**
 * Linear from `a` (share 0) to `b` (share 1). Between the two it is kept between them, which
 * floating point alone does not promise (`0.1 + 0.2 * 1` is above 0.3).
 */
function lerp(a: number, b: number, share: number): number {
  const v = a + (b - a) * share;
  return share > 1 ? v : Math.min(Math.max(a, b), Math.max(Math.min(a, b), v));
}

/**
 * The band at `x` over points whose `at` strictly increase: `before_plan` before the first;
 * `low` and `high` interpolated separately between the two surrounding points; after the last,
 * the last point held (`hold`, a plan by time) or the last segment extended (`extend`, a plan by
 * metric). `unknown` when a point it needs has no band.
 */
export function bandAt(
  points: readonly BandPoint[],
  x: number,
  after: 'hold' | 'extend',
): PlanBand | 'before_plan' | 'unknown' {
  const first = points[0];
  if (!first || x < first.at) return 'before_plan';
  const next = points.findIndex((p) => p.at > x);
  let a: BandPoint;
  let b: BandPoint | undefined;
  if (next === -1) {
    const last = points[points.length - 1] as BandPoint;
    if (x === last.at || after === 'hold' || points.length === 1) return last.band ?? 'unknown';
    a = points[points.length - 2] as BandPoint;
    b = last;
  } else {
    a = points[next - 1] as BandPoint;
    b = points[next] as BandPoint;
    if (x === a.at) return a.band ?? 'unknown';
  }
  if (!a.band || !b.band) return 'unknown';
  const share = (x - a.at) / (b.at - a.at);
  return ordered(lerp(a.band.low, b.band.low, share), lerp(a.band.high, b.band.high, share));
}

/** Above the band `ahead`, below it `behind`, inside it (ends included) `on_plan`. */
export function planState(value: number | undefined, band: PlanBand): PlanState {
  if (value === undefined) return 'unknown';
  return value > band.high ? 'ahead' : value < band.low ? 'behind' : 'on_plan';
}

/** 100 × (value − expected) / expected, rounded to a whole percent; undefined when it has no meaning. */
export function deltaPct(value: number | undefined, expected: number | undefined) {
  if (value === undefined || expected === undefined || expected === 0) return undefined;
  const delta = Math.round((100 * (value - expected)) / expected);
  return Number.isFinite(delta) ? delta + 0 : undefined; // -0 + 0 is 0: a hair below plan reads 0
}

/** A scenario's points with their bands as they evaluate now (charts draw these, see bandAt). */
export function scenarioBands(
  plan: Pick<Plan, 'tolerance'>,
  scenario: PlanScenario,
  inputs: ConditionInputs,
): BandPoint[] {
  return scenario.points.map((p) => {
    const band = pointBand(p.value, plan.tolerance, inputs);
    return { at: p.at, ...(band ? { band } : {}) };
  });
}

export function evaluatePlan(plan: Plan, inputs: ConditionInputs, now: Date): PlanReport {
  const at = plan.by !== undefined ? inputs.value(plan.by) : now.getTime();
  const value = inputs.value(plan.metric);
  const scenarios: PlanScenarioReport[] = plan.scenarios.map((s) => {
    const name = s.name !== undefined ? { name: s.name } : {};
    if (at === undefined) return { ...name, state: 'unknown' };
    const band = bandAt(
      scenarioBands(plan, s, inputs),
      at,
      plan.by !== undefined ? 'extend' : 'hold',
    );
    if (typeof band === 'string') return { ...name, state: band };
    return {
      ...name,
      state: planState(value, band),
      low: band.low,
      high: band.high,
      expected: (band.low + band.high) / 2,
    };
  });

  const base = {
    metric: plan.metric,
    ...(plan.by !== undefined ? { by: plan.by } : {}),
    ...(at !== undefined ? { at } : {}),
    ...(value !== undefined ? { value } : {}),
    scenarios,
  };
  // A scenario without a band for want of data makes the whole plan unknown, never a narrower band.
  if (scenarios.some((s) => s.state === 'unknown' && s.low === undefined))
    return { ...base, state: 'unknown' };
  const banded = scenarios.filter(
    (s): s is PlanScenarioReport & PlanBand & { expected: number } => s.low !== undefined,
  );
  if (banded.length === 0) return { ...base, state: 'before_plan' };
  const band = {
    low: Math.min(...banded.map((s) => s.low)),
    high: Math.max(...banded.map((s) => s.high)),
  };
  const expected = (band.low + band.high) / 2;
  const delta = deltaPct(value, expected);
  let nearest: (typeof banded)[number] | undefined;
  if (value !== undefined)
    for (const s of banded) {
      if (!nearest || Math.abs(s.expected - value) < Math.abs(nearest.expected - value))
        nearest = s;
    }
  return {
    ...base,
    low: band.low,
    high: band.high,
    expected,
    ...(delta !== undefined ? { deltaPct: delta } : {}),
    state: planState(value, band),
    ...(nearest?.name !== undefined ? { scenario: nearest.name } : {}),
  };
}

export function evaluatePlans(
  plans: readonly Plan[],
  inputs: ConditionInputs,
  now: Date,
): PlanReport[] {
  return plans.map((p) => evaluatePlan(p, inputs, now));
}
