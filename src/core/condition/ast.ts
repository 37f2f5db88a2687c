import type { LiteralUnit } from '../units.js';

/** Where a node sits in the condition text, as offsets, for error messages. */
export interface Span {
  start: number;
  end: number;
}

export type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';
export type ArithOp = '+' | '-' | '*' | '/';
export const AGGREGATES = ['last', 'avg', 'min', 'max', 'sum', 'count', 'change'] as const;
export type Aggregate = (typeof AGGREGATES)[number];

/** The parsed form of a condition (see docs/ROADMAP_FORMAT.md, "Conditions"). */
export type Expr =
  | { kind: 'or'; items: Expr[]; span: Span }
  | { kind: 'and'; items: Expr[]; span: Span }
  | { kind: 'not'; expr: Expr; span: Span }
  | { kind: 'compare'; op: CompareOp; left: Expr; right: Expr; span: Span }
  | { kind: 'arith'; op: ArithOp; left: Expr; right: Expr; span: Span }
  | { kind: 'neg'; expr: Expr; span: Span }
  | { kind: 'number'; value: number; unit: LiteralUnit; span: Span }
  | { kind: 'bool'; value: boolean; span: Span }
  | { kind: 'metric'; name: string; span: Span }
  | { kind: 'call'; fn: Aggregate; metric: string; windowMs?: number; span: Span };

/** Visits every node of an expression, parents before children. */
export function walk(expr: Expr, visit: (node: Expr) => void): void {
  visit(expr);
  switch (expr.kind) {
    case 'or':
    case 'and':
      expr.items.forEach((item) => walk(item, visit));
      break;
    case 'not':
    case 'neg':
      walk(expr.expr, visit);
      break;
    case 'compare':
    case 'arith':
      walk(expr.left, visit);
      walk(expr.right, visit);
      break;
    default:
      break;
  }
}

/** Names of the metrics an expression reads, in order of first use. */
export function metricsOf(expr: Expr): string[] {
  const names = new Set<string>();
  walk(expr, (node) => {
    if (node.kind === 'metric' || node.kind === 'call')
      names.add(node.kind === 'metric' ? node.name : node.metric);
  });
  return [...names];
}
