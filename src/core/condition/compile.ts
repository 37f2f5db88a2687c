import type { Unit } from '../units.js';
import { convertLiteral } from '../units.js';
import type { Expr } from './ast.js';
import { metricsOf, walk } from './ast.js';
import type { ParseError } from './parse.js';
import { parseCondition, parseExpression } from './parse.js';

/** Aggregate windows longer than this (ten years) are refused: `now - window` must stay a timestamp. */
export const MAX_WINDOW_MS = 3650 * 86_400_000;

/** A condition checked against a roadmap's metrics, literals converted to their units. */
export interface Condition {
  text: string;
  expr: Expr;
  metrics: string[];
}

/** What the compiler needs to know about a metric. */
export interface MetricInfo {
  unit: Unit;
  derived: boolean;
}

/** The unit an expression yields, when it has one (used to convert literals beside it). */
function unitOf(expr: Expr, metrics: ReadonlyMap<string, MetricInfo>): Unit | undefined {
  switch (expr.kind) {
    case 'metric':
      return metrics.get(expr.name)?.unit;
    case 'call':
      if (expr.fn === 'count') return 'count';
      if (expr.fn === 'change') return 'percent';
      return metrics.get(expr.metric)?.unit;
    case 'arith':
      if (expr.op === '+' || expr.op === '-')
        return unitOf(expr.left, metrics) ?? unitOf(expr.right, metrics);
      // `x * 2` keeps x's unit; a product or ratio of two metrics has none we can name.
      if (expr.right.kind === 'number') return unitOf(expr.left, metrics);
      if (expr.left.kind === 'number' && expr.op === '*') return unitOf(expr.right, metrics);
      return undefined;
    case 'neg':
      return unitOf(expr.expr, metrics);
    default:
      return undefined;
  }
}

/** Rewrites the literals of one side of a comparison into `target`'s unit, collecting errors. */
function convertSide(expr: Expr, target: Unit | undefined, errors: ParseError[]): Expr {
  switch (expr.kind) {
    case 'number': {
      const converted = convertLiteral(expr.value, expr.unit, target);
      if ('error' in converted) {
        errors.push({ offset: expr.span.start, message: converted.error });
        return expr;
      }
      return { ...expr, value: converted.value };
    }
    case 'arith':
      // Only additive neighbours share a unit; a factor in `x * 2` is a plain number.
      if (expr.op === '+' || expr.op === '-') {
        return {
          ...expr,
          left: convertSide(expr.left, target, errors),
          right: convertSide(expr.right, target, errors),
        };
      }
      return {
        ...expr,
        left: convertSide(expr.left, target, errors),
        right: convertSide(expr.right, undefined, errors),
      };
    case 'neg':
      return { ...expr, expr: convertSide(expr.expr, target, errors) };
    default:
      return expr;
  }
}

function convertUnits(
  expr: Expr,
  metrics: ReadonlyMap<string, MetricInfo>,
  errors: ParseError[],
): Expr {
  switch (expr.kind) {
    case 'or':
    case 'and':
      return { ...expr, items: expr.items.map((item) => convertUnits(item, metrics, errors)) };
    case 'not':
      return { ...expr, expr: convertUnits(expr.expr, metrics, errors) };
    case 'compare': {
      const unit = unitOf(expr.left, metrics) ?? unitOf(expr.right, metrics);
      return {
        ...expr,
        left: convertSide(expr.left, unit, errors),
        right: convertSide(expr.right, unit, errors),
      };
    }
    default:
      // A bare operand (`multi_region_needed`) or arithmetic used as a truth value.
      return convertSide(expr, unitOf(expr, metrics), errors);
  }
}

export interface CompileOptions {
  /**
   * Metrics the roadmap declares but refused for their own problems (reported where they are
   * declared): a reference to one fails the compile without an "unknown metric" error too.
   */
  refused?: ReadonlySet<string>;
}

/**
 * Parses a condition and checks it against the roadmap's metrics: every metric declared,
 * aggregates only over recorded (not derived) metrics, literals in units that fit.
 */
export function compileCondition(
  text: string,
  metrics: ReadonlyMap<string, MetricInfo>,
  opts: CompileOptions = {},
): { ok: true; condition: Condition } | { ok: false; errors: ParseError[] } {
  const parsed = parseCondition(text);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const { errors, silenced } = checkMetrics(parsed.expr, metrics, opts.refused);
  const expr = convertUnits(parsed.expr, metrics, errors);
  if (errors.length > 0 || silenced) return { ok: false, errors };
  return { ok: true, condition: { text, expr, metrics: metricsOf(expr) } };
}

/**
 * Compiles arithmetic that yields an amount in `unit` (a budget bound in usd, a plan value in
 * its metric's unit): metrics checked as in conditions, literals converted to `unit` (`$5k`,
 * `500MB`), so `2s` in a usd bound is refused as it is beside a usd metric. Evaluate it with
 * `evaluateNumber`.
 */
export function compileExpression(
  text: string,
  metrics: ReadonlyMap<string, MetricInfo>,
  unit: Unit,
  opts: CompileOptions = {},
): { ok: true; expression: Condition } | { ok: false; errors: ParseError[] } {
  const parsed = parseExpression(text);
  if (!parsed.ok) return { ok: false, errors: [parsed.error] };
  const { errors, silenced } = checkMetrics(parsed.expr, metrics, opts.refused);
  const expr = convertSide(parsed.expr, unit, errors);
  if (errors.length > 0 || silenced) return { ok: false, errors };
  return { ok: true, expression: { text, expr, metrics: metricsOf(expr) } };
}

/**
 * Every metric declared, aggregates only over recorded metrics and with a bounded window.
 * `silenced`: a refused metric was referenced (the compile fails without saying it again).
 */
function checkMetrics(
  parsed: Expr,
  metrics: ReadonlyMap<string, MetricInfo>,
  refused: ReadonlySet<string> = new Set(),
): { errors: ParseError[]; silenced: boolean } {
  const errors: ParseError[] = [];
  let silenced = false;
  walk(parsed, (node) => {
    if (node.kind !== 'metric' && node.kind !== 'call') return;
    const name = node.kind === 'metric' ? node.name : node.metric;
    const info = metrics.get(name);
    if (!info && refused.has(name)) {
      silenced = true;
    } else if (!info) {
      const known = [...metrics.keys()].join(', ');
      errors.push({
        offset: node.span.start,
        message: `unknown metric "${name}" (declared: ${known || 'none'})`,
      });
    } else if (node.kind === 'call' && info.derived && node.fn !== 'last') {
      errors.push({
        offset: node.span.start,
        message: `${node.fn}() needs a recorded metric; "${name}" is derived and has no history`,
      });
    } else if (
      node.kind === 'call' &&
      node.windowMs !== undefined &&
      node.windowMs > MAX_WINDOW_MS
    ) {
      errors.push({
        offset: node.span.start,
        message: `${node.fn}(${name}, …): the window is longer than 3650d`,
      });
    } else if (node.kind === 'call' && node.fn !== 'last' && node.windowMs === undefined) {
      errors.push({
        offset: node.span.start,
        message: `${node.fn}(${name}) needs a window, for example ${node.fn}(${name}, 7d)`,
      });
    }
  });
  return { errors, silenced };
}
