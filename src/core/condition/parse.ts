import type { Node as OhmNode } from 'ohm-js';
import { DURATION_UNIT_MS } from '../duration.js';
import type { LiteralUnit } from '../units.js';
import { SIZE_UNIT_BYTES } from '../units.js';
import type { Aggregate, ArithOp, CompareOp, Expr, Span } from './ast.js';
import { conditionGrammar } from './grammar.js';

/** A condition could not be parsed: where (offset in the text) and why. */
export interface ParseError {
  offset: number;
  message: string;
}

/** Conditions longer than this are refused before parsing (hostile-input guard). */
export const MAX_CONDITION_LENGTH = 2000;
/** Parentheses nested deeper than this are refused (keeps recursion bounded). */
export const MAX_NESTING = 32;

const semantics = conditionGrammar.createSemantics();

const spanOf = (node: OhmNode): Span => ({ start: node.source.startIdx, end: node.source.endIdx });

function chain(kind: 'or' | 'and', node: OhmNode, first: OhmNode, rest: OhmNode): Expr {
  const items = [
    first.ast() as Expr,
    ...rest.children.map((child: OhmNode) => child.ast() as Expr),
  ];
  return items.length === 1 ? (items[0] as Expr) : { kind, items, span: spanOf(node) };
}

function arith(op: ArithOp) {
  return function (this: OhmNode, left: OhmNode, _op: OhmNode, right: OhmNode): Expr {
    return { kind: 'arith', op, left: left.ast(), right: right.ast(), span: spanOf(this) };
  };
}

semantics.addOperation('ast', {
  Or(first, _ors, rest) {
    return chain('or', this, first, rest);
  },
  And(first, _ands, rest) {
    return chain('and', this, first, rest);
  },
  Unary_not(_not, expr) {
    return { kind: 'not', expr: expr.ast(), span: spanOf(this) };
  },
  Unary_paren(_open, expr, _close) {
    return expr.ast();
  },
  Compare(left, op, right) {
    return {
      kind: 'compare',
      op: op.sourceString as CompareOp,
      left: left.ast(),
      right: right.ast(),
      span: spanOf(this),
    };
  },
  Sum_add: arith('+'),
  Sum_sub: arith('-'),
  Term_mul: arith('*'),
  Term_div: arith('/'),
  Factor_paren(_open, sum, _close) {
    return sum.ast();
  },
  Factor_neg(_minus, factor) {
    return { kind: 'neg', expr: factor.ast(), span: spanOf(this) };
  },
  yes(_word) {
    return { kind: 'bool', value: true, span: spanOf(this) };
  },
  no(_word) {
    return { kind: 'bool', value: false, span: spanOf(this) };
  },
  metric(_start, _rest) {
    return { kind: 'metric', name: this.sourceString, span: spanOf(this) };
  },
  Call(fn, _open, metric, _comma, duration, _close) {
    const window = duration.children[0];
    return {
      kind: 'call',
      fn: fn.sourceString.toLowerCase() as Aggregate,
      metric: metric.sourceString,
      ...(window ? { windowMs: window.ast() as number } : {}),
      span: spanOf(this),
    };
  },
  duration(digits, fraction, unit) {
    const value = Number(digits.sourceString + fraction.sourceString);
    return value * (DURATION_UNIT_MS[unit.sourceString] as number);
  },
  number(dollar, digits, fraction, multiplier, suffix) {
    let value = Number(digits.sourceString.replaceAll(',', '') + fraction.sourceString);
    value *= { k: 1e3, K: 1e3, M: 1e6, B: 1e9 }[multiplier.sourceString] ?? 1;
    const suffixText = suffix.sourceString;
    let unit: LiteralUnit = dollar.sourceString ? 'usd' : 'plain';
    if (suffixText === '%') unit = 'percent';
    else if (SIZE_UNIT_BYTES[suffixText] !== undefined) {
      unit = 'bytes';
      value *= SIZE_UNIT_BYTES[suffixText];
    } else if (suffixText) {
      unit = 'duration';
      value *= DURATION_UNIT_MS[suffixText] as number;
    }
    return { kind: 'number', value, unit, span: spanOf(this) } satisfies Expr;
  },
});

/** Parses a condition into its expression tree, or says where and why it is not one. */
export function parseCondition(
  text: string,
): { ok: true; expr: Expr } | { ok: false; error: ParseError } {
  return parseRule(text, 'Expr', 'condition');
}

/**
 * Parses arithmetic (the grammar's `sum`: `0.029 * mrr + 30`, `$5k`), as budget bounds and
 * plan values write it: a number, never a truth value.
 */
export function parseExpression(
  text: string,
): { ok: true; expr: Expr } | { ok: false; error: ParseError } {
  return parseRule(text, 'Sum', 'expression');
}

function parseRule(
  text: string,
  rule: 'Expr' | 'Sum',
  what: 'condition' | 'expression',
): { ok: true; expr: Expr } | { ok: false; error: ParseError } {
  if (text.length > MAX_CONDITION_LENGTH) {
    return {
      ok: false,
      error: { offset: 0, message: `${what} is longer than ${MAX_CONDITION_LENGTH} characters` },
    };
  }
  // Parentheses and chains of unary `-` / `not` both nest the parse; bound them before parsing.
  let depth = 0;
  let chain = 0;
  const words = text.toLowerCase();
  for (let i = 0; i < text.length; i++) {
    const ch = text[i] as string;
    if (ch === '(') depth++;
    else if (ch === ')') depth--;
    const isNot =
      words.startsWith('not', i) &&
      !/\w/.test(words[i - 1] ?? '') &&
      !/\w/.test(words[i + 3] ?? '');
    if (ch === '-' || isNot) chain++;
    else if (!/[\s(]/.test(ch)) chain = 0;
    if (depth + chain > MAX_NESTING) {
      return {
        ok: false,
        error: { offset: i, message: `expression nested deeper than ${MAX_NESTING} levels` },
      };
    }
    if (isNot) i += 2; // the "o" and "t" of the keyword do not end the chain
  }
  const match = conditionGrammar.match(text, rule);
  if (match.failed()) {
    const offset = match.getRightmostFailurePosition();
    // ohm's shortMessage reads "Line 1, col 5: expected …"; keep only the explanation.
    const message = (match.shortMessage ?? `invalid ${what}`).replace(/^Line \d+, col \d+: /, '');
    return { ok: false, error: { offset, message: `${message} in ${what} "${text}"` } };
  }
  try {
    return { ok: true, expr: semantics(match).ast() as Expr };
  } catch (error) {
    // A last guard: no input may take the process down (the checks above should prevent this).
    if (error instanceof RangeError)
      return { ok: false, error: { offset: 0, message: `${what} is too deeply nested` } };
    throw error;
  }
}

/** Parses a duration literal the way conditions do (`7d`, `1.5h`); undefined if it is not one. */
export function parseDurationLiteral(text: string): number | undefined {
  const match = conditionGrammar.match(text.trim(), 'duration');
  return match.succeeded() ? (semantics(match).ast() as number) : undefined;
}

/**
 * Parses a number literal the way conditions do (`1,600`, `$1.5k`, `99.5%`); undefined if not
 * one, or if it is a duration or a size (those need a metric's unit to mean a number).
 */
export function parseNumberLiteral(text: string): number | undefined {
  const match = conditionGrammar.match(text.trim(), 'number');
  if (match.failed()) return undefined;
  const literal = semantics(match).ast() as Extract<Expr, { kind: 'number' }>;
  return literal.unit === 'duration' || literal.unit === 'bytes' ? undefined : literal.value;
}

/** Parses a value typed by a person (`420`, `1.5s`, `99.5%`, `$1.2k`) with its literal unit. */
export function parseLiteral(text: string): { value: number; unit: LiteralUnit } | undefined {
  const trimmed = text.trim();
  const negative = trimmed.startsWith('-');
  const match = conditionGrammar.match(negative ? trimmed.slice(1) : trimmed, 'number');
  if (match.failed()) return undefined;
  const literal = semantics(match).ast() as Extract<Expr, { kind: 'number' }>;
  return { value: negative ? -literal.value : literal.value, unit: literal.unit };
}
