import { formatDuration } from '../duration.js';
import type { Aggregate, CompareOp, Expr } from './ast.js';
import type { Condition } from './compile.js';

/** Three-valued truth: a condition over missing data is neither true nor false. */
export type Truth = boolean | 'unknown';

/**
 * Aggregates of one metric over one window ending at the evaluation time. `count` (and the
 * statistics with it) may be left out when no condition asks for them; `first` alone then
 * tells whether the window holds any point.
 */
export interface WindowAggregate {
  count?: number;
  avg?: number;
  min?: number;
  max?: number;
  sum?: number;
  first?: number;
  last?: number;
}

/** The data a condition reads: values are undefined when missing or stale. */
export interface ConditionInputs {
  value(metric: string): number | undefined;
  window(metric: string, windowMs: number): WindowAggregate | undefined;
}

export type ComparisonState = 'met' | 'approaching' | 'ok' | 'unknown';

/** One `metric op threshold` of a condition, as the status shows it. */
export interface ComparisonResult {
  metric: string;
  fn?: Aggregate;
  window?: string;
  op: CompareOp;
  threshold: number | undefined;
  value: number | undefined;
  state: ComparisonState;
  /** Share of the way from zero to the threshold, in the metric's direction; ≥ 1 once reached. */
  progress: number | undefined;
  text: string;
}

export interface ConditionResult {
  holds: Truth;
  /** Not holding yet, but close: see "States a trigger reports" in the format page. */
  approaching: boolean;
  comparisons: ComparisonResult[];
  /** Metrics the condition needed and had no fresh data for. */
  missing: string[];
}

const FLIP: Record<CompareOp, CompareOp> = {
  '>': '<',
  '>=': '<=',
  '<': '>',
  '<=': '>=',
  '==': '==',
  '!=': '!=',
};

function hasMetric(expr: Expr): boolean {
  switch (expr.kind) {
    case 'metric':
    case 'call':
      return true;
    case 'arith':
      return hasMetric(expr.left) || hasMetric(expr.right);
    case 'neg':
      return hasMetric(expr.expr);
    default:
      return false;
  }
}

function compare(op: CompareOp, a: number, b: number): boolean {
  switch (op) {
    case '>':
      return a > b;
    case '>=':
      return a >= b;
    case '<':
      return a < b;
    case '<=':
      return a <= b;
    case '==':
      return a === b;
    case '!=':
      return a !== b;
  }
}

/** How far `value` has come toward `threshold`, in the comparison's direction. */
export function progressOf(op: CompareOp, value: number, threshold: number): number {
  const holds = compare(op, value, threshold);
  let progress: number;
  if (op === '>' || op === '>=') progress = threshold > 0 ? value / threshold : holds ? 1 : 0;
  else if (op === '<' || op === '<=')
    progress = threshold > 0 && value > 0 ? threshold / value : holds ? 1 : 0;
  else progress = holds ? 1 : 0;
  return Math.max(0, Math.round(progress * 10_000) / 10_000);
}

class Evaluation {
  readonly comparisons: ComparisonResult[] = [];
  readonly missing = new Set<string>();

  constructor(
    private readonly text: string,
    private readonly inputs: ConditionInputs,
    private readonly approachingShare: number,
  ) {}

  number(expr: Expr): number | undefined {
    switch (expr.kind) {
      case 'number':
        return expr.value;
      case 'bool':
        return expr.value ? 1 : 0;
      case 'metric': {
        const value = this.inputs.value(expr.name);
        if (value === undefined) this.missing.add(expr.name);
        return value;
      }
      case 'call': {
        const value = this.aggregate(expr.fn, expr.metric, expr.windowMs);
        if (value === undefined) this.missing.add(expr.metric);
        return value;
      }
      case 'neg': {
        const value = this.number(expr.expr);
        return value === undefined ? undefined : -value;
      }
      case 'arith': {
        const a = this.number(expr.left);
        const b = this.number(expr.right);
        if (a === undefined || b === undefined) return undefined;
        if (expr.op === '+') return a + b;
        if (expr.op === '-') return a - b;
        if (expr.op === '*') return a * b;
        return b === 0 ? undefined : a / b;
      }
      default: {
        const truth = this.truth(expr).holds;
        return truth === 'unknown' ? undefined : truth ? 1 : 0;
      }
    }
  }

  private aggregate(
    fn: Aggregate,
    metric: string,
    windowMs: number | undefined,
  ): number | undefined {
    // Stale or missing data makes every aggregate of the metric unknown, windowed or not.
    if (this.inputs.value(metric) === undefined) return undefined;
    if (fn === 'last' && windowMs === undefined) return this.inputs.value(metric);
    const agg = this.inputs.window(metric, windowMs ?? 0);
    const empty = !agg || (agg.count !== undefined ? agg.count === 0 : agg.first === undefined);
    if (empty) return fn === 'count' ? 0 : undefined;
    switch (fn) {
      case 'count':
        return agg.count;
      case 'change':
        // Relative change over the window, in percent: undefined from a zero start.
        return agg.first === undefined || agg.last === undefined || agg.first === 0
          ? undefined
          : ((agg.last - agg.first) / Math.abs(agg.first)) * 100;
      default:
        return agg[fn];
    }
  }

  truth(expr: Expr): { holds: Truth; approach: boolean } {
    switch (expr.kind) {
      case 'or': {
        const parts = expr.items.map((item) => this.truth(item));
        const holds: Truth = parts.some((p) => p.holds === true)
          ? true
          : parts.some((p) => p.holds === 'unknown')
            ? 'unknown'
            : false;
        return { holds, approach: parts.some((p) => p.approach) };
      }
      case 'and': {
        const parts = expr.items.map((item) => this.truth(item));
        const holds: Truth = parts.some((p) => p.holds === false)
          ? false
          : parts.some((p) => p.holds === 'unknown')
            ? 'unknown'
            : true;
        return { holds, approach: parts.every((p) => p.approach) };
      }
      case 'not': {
        const inner = this.truth(expr.expr);
        return { holds: inner.holds === 'unknown' ? 'unknown' : !inner.holds, approach: false };
      }
      case 'compare':
        return this.comparison(expr);
      default: {
        // An operand alone: a flag, or a non-zero number, is true.
        const value = this.number(expr);
        const holds: Truth = value === undefined ? 'unknown' : value !== 0;
        return { holds, approach: holds === true };
      }
    }
  }

  private comparison(expr: Extract<Expr, { kind: 'compare' }>): {
    holds: Truth;
    approach: boolean;
  } {
    // Report every comparison as `metric op threshold`, whichever side the metric was on.
    const flipped = !hasMetric(expr.left) && hasMetric(expr.right);
    const metricSide = flipped ? expr.right : expr.left;
    const thresholdSide = flipped ? expr.left : expr.right;
    const op = flipped ? FLIP[expr.op] : expr.op;
    const value = this.number(metricSide);
    const threshold = this.number(thresholdSide);
    const known = value !== undefined && threshold !== undefined;
    const holds: Truth = known ? compare(op, value, threshold) : 'unknown';
    const progress = known ? progressOf(op, value, threshold) : undefined;
    const state: ComparisonState = !known
      ? 'unknown'
      : holds
        ? 'met'
        : progress !== undefined && progress >= this.approachingShare
          ? 'approaching'
          : 'ok';
    this.comparisons.push({
      metric:
        metricSide.kind === 'metric'
          ? metricSide.name
          : metricSide.kind === 'call'
            ? metricSide.metric
            : this.slice(metricSide),
      ...(metricSide.kind === 'call' ? { fn: metricSide.fn } : {}),
      ...(metricSide.kind === 'call' && metricSide.windowMs !== undefined
        ? { window: formatDuration(metricSide.windowMs) }
        : {}),
      op,
      threshold,
      value,
      state,
      progress,
      text: this.slice(expr),
    });
    return { holds, approach: state === 'met' || state === 'approaching' };
  }

  private slice(expr: Expr): string {
    return this.text.slice(expr.span.start, expr.span.end);
  }
}

/** Evaluates a compiled condition over the given data (pure: no clock, no I/O). */
export function evaluateCondition(
  condition: Condition,
  inputs: ConditionInputs,
  approachingShare: number,
): ConditionResult {
  const evaluation = new Evaluation(condition.text, inputs, approachingShare);
  const { holds, approach } = evaluation.truth(condition.expr);
  return {
    holds,
    approaching: holds === false && approach,
    comparisons: evaluation.comparisons,
    missing: [...evaluation.missing],
  };
}

/** Evaluates an arithmetic expression (a derived metric); undefined when an input is missing. */
export function evaluateNumber(condition: Condition, inputs: ConditionInputs): number | undefined {
  return new Evaluation(condition.text, inputs, 1).number(condition.expr);
}
