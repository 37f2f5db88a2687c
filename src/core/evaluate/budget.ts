/**
 * A stage's budget (docs/ROADMAP_FORMAT.md, "Budget lines" and "v1 budgets"): each line's bounds
 * as they evaluate now, its state, the totals per `per`, the implicit team line, the v1 fields,
 * and the `budget.<line-id>` watched triggers. Pure: `now` and the metric values are passed in.
 */
import type { ComparisonResult, ComparisonState, ConditionInputs } from '../condition/evaluate.js';
import { progressOf } from '../condition/evaluate.js';
import type { Amount, BudgetLine, BudgetPer, Roadmap, Stage } from '../roadmap/model.js';
import { amountValue } from '../roadmap/rules.js';
import type { TeamRoleReport } from './team.js';
import type { TriggerMemory } from './transition.js';
import { nextTriggerState } from './transition.js';
import type { TriggerReport } from './trigger-report.js';

export type BudgetLineState = 'under' | 'within' | 'over' | 'unknown' | 'planned';

export interface BudgetLineReport {
  id: string;
  per: BudgetPer;
  /** The bounds as they evaluate now (a ramp's maximum where the ramp stands); absent without data. */
  min?: number;
  max?: number;
  /** Whether the line has a `min` / a `max` or `ramp` at all (absent above may mean "no data"). */
  hasMin: boolean;
  hasMax: boolean;
  metric?: string;
  value?: number;
  state: BudgetLineState;
  /** Watched as `budget.<id>` and given a burn date (see BudgetLine.watched). */
  watched: boolean;
  /** The line the stage's `team` adds up to (no `team` line in the file). */
  implicit?: 'team';
}

export interface BudgetTotalReport {
  per: BudgetPer;
  /** The lines' minimums added up, a missing one counting as 0; absent when one has no data. */
  min?: number;
  /** The lines' maximums added up; absent when a line has none (or it has no data). */
  max?: number;
  /** The lines' metrics added up; absent unless every line has a metric with data. */
  value?: number;
  /** `planned` when a line has no metric, `unknown` when a line is, else the total compared. */
  state: BudgetLineState;
}

export interface BudgetReport {
  /** The v1 fields: the v1 budget as before, else the `infra` line, else the monthly total. */
  min?: number;
  max?: number;
  cost?: number;
  /** under | within | over | unknown; `planned` only in a v2 file (an unmeasured line or total). */
  state: BudgetLineState;
  lines: BudgetLineReport[];
  /** One per `per` the lines use, in the order month, year, once. */
  totals: BudgetTotalReport[];
}

const PERS: readonly BudgetPer[] = ['month', 'year', 'once'];

/**
 * A ramp's maximum at `now`: linear from `from` at the span's start to `to` at its end, holding
 * the end values outside it. Rounded to cents, and never outside [from, to] (rounding or
 * floating point could otherwise step a hair beyond an end).
 */
export function rampAt(
  ramp: { from: number; to: number },
  span: { from: Date; to: Date },
  now: Date,
): number {
  const start = span.from.getTime();
  const end = span.to.getTime();
  const t = now.getTime();
  const share = t <= start ? 0 : t >= end ? 1 : (t - start) / (end - start);
  const value = Math.round((ramp.from + (ramp.to - ramp.from) * share) * 100) / 100;
  return Math.min(Math.max(ramp.from, ramp.to), Math.max(Math.min(ramp.from, ramp.to), value));
}

function lineBounds(
  line: BudgetLine,
  stage: Stage,
  inputs: ConditionInputs,
  now: Date,
): { min?: number; max?: number } {
  const min = line.min ? amountValue(line.min, inputs) : undefined;
  let max = line.max ? amountValue(line.max, inputs) : undefined;
  const from = stage.planned?.from?.at;
  const to = stage.planned?.to?.at;
  // The loader refuses a ramp without both ends of `planned`.
  if (line.ramp && from && to) max = rampAt(line.ramp, { from, to }, now);
  return { ...(min !== undefined ? { min } : {}), ...(max !== undefined ? { max } : {}) };
}

function compared(
  value: number | undefined,
  bounds: { min?: number | undefined; max?: number | undefined },
  has: { min: boolean; max: boolean },
): BudgetLineState {
  if (value === undefined) return 'unknown';
  if ((has.min && bounds.min === undefined) || (has.max && bounds.max === undefined))
    return 'unknown';
  if (bounds.min !== undefined && value < bounds.min) return 'under';
  if (bounds.max !== undefined && value > bounds.max) return 'over';
  return 'within';
}

function lineReport(
  line: BudgetLine,
  stage: Stage,
  inputs: ConditionInputs,
  now: Date,
): BudgetLineReport {
  const bounds = lineBounds(line, stage, inputs, now);
  const has = { min: line.min !== undefined, max: line.max !== undefined || !!line.ramp };
  const value = line.metric !== undefined ? inputs.value(line.metric) : undefined;
  return {
    id: line.id,
    per: line.per,
    ...bounds,
    hasMin: has.min,
    hasMax: has.max,
    ...(line.metric !== undefined ? { metric: line.metric } : {}),
    ...(value !== undefined ? { value } : {}),
    state: line.metric === undefined ? 'planned' : compared(value, bounds, has),
    watched: line.watched,
  };
}

/** The needed roles' monthly costs as one planned line, unless the stage has a `team` line. */
function teamLine(stage: Stage, team: readonly TeamRoleReport[]): BudgetLineReport | undefined {
  if (team.length === 0 || stage.budgetLines.some((l) => l.id === 'team')) return undefined;
  const max = team
    .filter((r) => r.state !== 'later')
    .reduce((sum, r) => sum + r.count * (r.cost ?? 0), 0);
  return {
    id: 'team',
    per: 'month',
    max,
    hasMin: false,
    hasMax: true,
    state: 'planned',
    watched: false,
    implicit: 'team',
  };
}

const sum = (values: (number | undefined)[]) =>
  values.some((v) => v === undefined)
    ? undefined
    : values.reduce<number>((a, v) => a + (v as number), 0);

function total(per: BudgetPer, lines: readonly BudgetLineReport[]): BudgetTotalReport {
  // A line without a min adds 0; one whose min has no data makes the total unknown.
  const min = sum(lines.map((l) => (l.hasMin ? l.min : 0)));
  const max = lines.every((l) => l.hasMax) ? sum(lines.map((l) => l.max)) : undefined;
  const value = lines.every((l) => l.metric !== undefined)
    ? sum(lines.map((l) => l.value))
    : undefined;
  const state: BudgetLineState = lines.some((l) => l.state === 'planned')
    ? 'planned'
    : lines.some((l) => l.state === 'unknown')
      ? 'unknown'
      : compared(value, { min, max }, { min: false, max: false });
  return {
    per,
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(value !== undefined ? { value } : {}),
    state,
  };
}

/** The v1 budget exactly as the evaluator before v2 computed it (its `state` never `planned`). */
function v1Fields(
  budget: NonNullable<Stage['budget']>,
  inputs: ConditionInputs,
  roadmap: Roadmap,
): Pick<BudgetReport, 'min' | 'max' | 'cost' | 'state'> {
  const cost = roadmap.metrics.has('infra_cost') ? inputs.value('infra_cost') : undefined;
  const { min, max } = budget;
  return {
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(cost !== undefined ? { cost } : {}),
    state: compared(cost, { min, max }, { min: false, max: false }),
  };
}

/**
 * The current stage's budget: undefined when it has neither `budget` nor `team`. The v1 fields
 * describe a v1 budget as they always did; with lines, the `infra` line if there is one, else the
 * monthly total (all absent, `planned`, when no line is monthly).
 */
export function evaluateBudget(
  roadmap: Roadmap,
  stage: Stage,
  inputs: ConditionInputs,
  team: readonly TeamRoleReport[],
  now: Date,
): BudgetReport | undefined {
  const implicit = teamLine(stage, team);
  const lines = [
    ...stage.budgetLines.map((line) => lineReport(line, stage, inputs, now)),
    ...(implicit ? [implicit] : []),
  ];
  if (lines.length === 0) return undefined;
  const totals = PERS.flatMap((per) => {
    const of = lines.filter((l) => l.per === per);
    return of.length > 0 ? [total(per, of)] : [];
  });
  let v1: Pick<BudgetReport, 'min' | 'max' | 'cost' | 'state'>;
  const infra = lines.find((l) => l.id === 'infra');
  const monthly = totals.find((t) => t.per === 'month');
  if (stage.budget) v1 = v1Fields(stage.budget, inputs, roadmap);
  else if (infra)
    v1 = {
      ...(infra.min !== undefined ? { min: infra.min } : {}),
      ...(infra.max !== undefined ? { max: infra.max } : {}),
      ...(infra.value !== undefined ? { cost: infra.value } : {}),
      state: infra.state,
    };
  else if (monthly)
    v1 = {
      ...(monthly.min !== undefined ? { min: monthly.min } : {}),
      ...(monthly.max !== undefined ? { max: monthly.max } : {}),
      ...(monthly.value !== undefined ? { cost: monthly.value } : {}),
      state: monthly.state,
    };
  else v1 = { state: 'planned' };
  return { ...v1, lines, totals };
}

function boundText(line: BudgetLine): string {
  if (line.ramp) return `ramp [${line.ramp.from}, ${line.ramp.to}]`;
  const max = line.max as Amount;
  return max.kind === 'fixed' ? String(max.value) : max.expr.text;
}

/**
 * The `budget.<line-id>` trigger of each watched line of the stage: `<metric> > <max>` through
 * the usual transition (no `for`, no `clear_when`), `warning`, approaching at the roadmap's
 * `approaching` share of the max. Only lines with a metric and a max or ramp outside a v1
 * budget are watched.
 */
export function budgetTriggers(
  roadmap: Roadmap,
  stage: Stage,
  budget: BudgetReport | undefined,
  inputs: ConditionInputs,
  memory: ReadonlyMap<string, TriggerMemory>,
  now: Date,
): TriggerReport[] {
  return stage.budgetLines.flatMap((line) => {
    const report = budget?.lines.find((l) => l.id === line.id && !l.implicit);
    if (!line.watched || !report || line.metric === undefined) return [];
    const id = `budget.${line.id}`;
    const { value, max } = report;
    const known = value !== undefined && max !== undefined;
    const holds = known ? value > max : 'unknown';
    const progress = known ? progressOf('>', value, max) : undefined;
    const state: ComparisonState = !known
      ? 'unknown'
      : holds
        ? 'met'
        : (progress as number) >= roadmap.approaching
          ? 'approaching'
          : 'ok';
    const condition = `${line.metric} > ${boundText(line)}`;
    const comparison: ComparisonResult = {
      metric: line.metric,
      op: '>',
      threshold: max,
      value,
      state,
      progress,
      text: condition,
    };
    const exprMetrics = line.max?.kind === 'expr' ? line.max.expr.metrics : [];
    const missing = [line.metric, ...exprMetrics].filter(
      (m, i, all) => all.indexOf(m) === i && inputs.value(m) === undefined,
    );
    const next = nextTriggerState(
      memory.get(id),
      { holds, approaching: state === 'approaching', hasClearWhen: false, forMs: 0 },
      now,
    );
    return [
      {
        id,
        kind: 'budget' as const,
        severity: 'warning' as const,
        state: next.memory.state,
        reason: next.reason,
        memory: next.memory,
        condition,
        comparisons: [comparison],
        missing,
      },
    ];
  });
}
