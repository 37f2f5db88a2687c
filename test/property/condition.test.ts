import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import type { Aggregate, Expr } from '../../src/core/condition/ast.js';
import type { MetricInfo } from '../../src/core/condition/compile.js';
import { compileCondition } from '../../src/core/condition/compile.js';
import type { ConditionInputs, Truth, WindowAggregate } from '../../src/core/condition/evaluate.js';
import { evaluateCondition, evaluateNumber } from '../../src/core/condition/evaluate.js';
import {
  MAX_CONDITION_LENGTH,
  MAX_NESTING,
  parseCondition,
} from '../../src/core/condition/parse.js';
import type { Unit } from '../../src/core/units.js';
import { anyText, joinedWith, PROPERTY_TIMEOUT_MS, runs } from './support.js';

/*
 * Property tests of the condition language (docs/ROADMAP_FORMAT.md, "Conditions"):
 *  1. no text makes parseCondition / compileCondition / the evaluator throw; every refusal
 *     has an offset inside the text and a message;
 *  2. printing a generated expression tree and parsing it back gives the same tree, and the
 *     compiled condition evaluates like a reference evaluator of the generated tree.
 */

vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

// ---------------------------------------------------------------------------------------
// The vocabulary: metrics whose names start with keywords, aggregate names used as metrics
// ---------------------------------------------------------------------------------------

const METRICS: ReadonlyMap<string, MetricInfo> = new Map<string, MetricInfo>([
  ['active_users', { unit: 'count', derived: false }],
  ['orders', { unit: 'count', derived: false }], // starts with "or"
  ['notes', { unit: 'count', derived: false }], // starts with "not"
  ['android', { unit: 'count', derived: false }], // starts with "and"
  ['yes_votes', { unit: 'count', derived: false }], // starts with "yes"
  ['nobody', { unit: 'count', derived: false }], // starts with "no"
  ['max', { unit: 'count', derived: false }], // an aggregate's name, as a metric
  ['Users2', { unit: 'count', derived: false }],
  ['_private', { unit: 'count', derived: false }],
  ['latency_ms', { unit: 'ms', derived: false }],
  ['latency_s', { unit: 's', derived: false }],
  ['uptime', { unit: 'ratio', derived: false }],
  ['cpu', { unit: 'percent', derived: false }],
  ['mrr', { unit: 'usd', derived: false }],
  ['multi_region', { unit: 'flag', derived: false }],
]);
const NAMES = [...METRICS.keys()];
const byUnit = (unit: Unit) => NAMES.filter((n) => METRICS.get(n)?.unit === unit);

/** Milliseconds per duration unit, written out here rather than taken from the code under test. */
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000, w: 604_800_000 } as const;
type DurationUnit = keyof typeof UNIT_MS;
const MULTIPLIER = { '': 1, k: 1e3, K: 1e3, M: 1e6, B: 1e9 } as const;

/** Keywords in any case: `or`, `OR`, `Or`, `oR`. */
const anyCase = (word: string): fc.Arbitrary<string> =>
  fc
    .array(fc.boolean(), { minLength: word.length, maxLength: word.length })
    .map((upper) => [...word].map((c, i) => (upper[i] ? c.toUpperCase() : c)).join(''));

// ---------------------------------------------------------------------------------------
// Property 1: arbitrary text never throws; refusals are located and explained
// ---------------------------------------------------------------------------------------

const TOKENS = [
  ...NAMES,
  'or',
  'OR',
  'Or',
  'and',
  'AND',
  'not',
  'NOT',
  'Not',
  'yes',
  'no',
  'YES',
  'No',
  ...['last', 'avg', 'min', 'max', 'sum', 'count', 'change', 'AVG', 'Change'].map((f) => `${f}(`),
  '>',
  '>=',
  '<',
  '<=',
  '==',
  '!=',
  '=',
  '=>',
  '!',
  '<>',
  '+',
  '-',
  '*',
  '/',
  '%',
  '(',
  ')',
  ',',
  '.',
  '$',
  '0',
  '1',
  '400',
  '1,600',
  '1,60',
  '2.5',
  '.5',
  '1.',
  '$1.5k',
  '2k',
  '1M',
  '1m',
  '3B',
  '99.5%',
  '2s',
  '500ms',
  '1.5h',
  '7d',
  '2w',
  '1e3',
  '1_000',
  '9'.repeat(400),
  '0'.repeat(50),
  'ors',
  'nota',
  'andx',
  'yess',
  'nono',
  '_',
  'é',
  '∞',
  '\u0000',
  '"',
  "'",
  '\\',
  '#',
  ';',
];

const tokenSoup = joinedWith(fc.array(fc.constantFrom(...TOKENS), { maxLength: 40 }));

/** Runs of `(`, `-`, `not` at every depth around the limit, balanced or not. */
const deepNesting = fc
  .record({
    unit: fc.constantFrom('(', '-', 'not ', 'NOT(', '-(', 'not -', '( not ', '- ', '(-'),
    depth: fc.integer({ min: MAX_NESTING - 3, max: MAX_NESTING * 3 }),
    core: fc.constantFrom('a', 'active_users > 1', 'cpu', '1 + 2', ''),
    close: fc.boolean(),
  })
  .map(
    ({ unit, depth, core, close }) =>
      unit.repeat(depth) + core + (close ? ')'.repeat(unit.includes('(') ? depth : 0) : ''),
  );

/** Texts at and around MAX_CONDITION_LENGTH, built from long but legal pieces. */
const nearLimit = fc
  .record({
    piece: fc.constantFrom(
      'a + ',
      'a or ',
      'not ',
      '1,000,',
      'x',
      ' ',
      'avg(cpu, 1d) > 1 and ',
      '(a) or ',
    ),
    extra: fc.integer({ min: -40, max: 40 }),
    tail: fc.constantFrom('a', 'a > 1', ''),
  })
  .map(
    ({ piece, extra, tail }) =>
      piece.repeat(Math.max(0, Math.floor((MAX_CONDITION_LENGTH + extra) / piece.length))) + tail,
  );

const conditionText = fc.oneof(
  { arbitrary: anyText(120), weight: 3 },
  { arbitrary: tokenSoup, weight: 5 },
  { arbitrary: deepNesting, weight: 2 },
);

/** Data for the evaluator: values missing or present, windows empty or not. */
const inputsArb: fc.Arbitrary<ConditionInputs> = fc
  .record({
    values: fc.array(
      fc.option(
        fc.oneof(
          fc.integer({ min: -5, max: 5000 }),
          fc.double({ min: -1e6, max: 1e6, noNaN: true }),
          fc.constantFrom(0, 1, 400, 2000),
        ),
        { freq: 4, nil: undefined },
      ),
      {
        minLength: NAMES.length,
        maxLength: NAMES.length,
      },
    ),
    windows: fc.array(
      fc.option(
        fc.record(
          {
            count: fc.nat(20),
            avg: fc.double({ min: -1e3, max: 1e4, noNaN: true }),
            min: fc.integer({ min: -10, max: 100 }),
            max: fc.integer({ min: 0, max: 10_000 }),
            sum: fc.integer({ min: -100, max: 100_000 }),
            first: fc.constantFrom(0, 1, -3, 250, 1000),
            last: fc.integer({ min: -100, max: 5000 }),
          },
          { requiredKeys: ['count'] },
        ),
        { freq: 4, nil: undefined },
      ),
      { minLength: NAMES.length, maxLength: NAMES.length },
    ),
  })
  .map(({ values, windows }) => {
    const index = (metric: string) => NAMES.indexOf(metric);
    return {
      value: (metric: string) => values[index(metric)],
      window: (metric: string) => windows[index(metric)] as WindowAggregate | undefined,
    };
  });

function expectLocated(text: string, error: { offset: number; message: string }): void {
  expect(Number.isInteger(error.offset)).toBe(true);
  expect(error.offset).toBeGreaterThanOrEqual(0);
  expect(error.offset).toBeLessThanOrEqual(text.length);
  expect(typeof error.message).toBe('string');
  expect(error.message.trim().length).toBeGreaterThan(0);
  expect(error.message).not.toMatch(/undefined|\[object Object\]/);
}

/** What every caller relies on: no throw, a located error or a tree, and an evaluator that copes. */
function checkAnyText(text: string, inputs: ConditionInputs): void {
  const parsed = parseCondition(text);
  if (!parsed.ok) expectLocated(text, parsed.error);
  const compiled = compileCondition(text, METRICS);
  if (!compiled.ok) {
    expect(compiled.errors.length).toBeGreaterThan(0);
    for (const error of compiled.errors) expectLocated(text, error);
    return;
  }
  expect(parsed.ok).toBe(true);
  const result = evaluateCondition(compiled.condition, inputs, 0.8);
  expect([true, false, 'unknown']).toContain(result.holds);
  for (const c of result.comparisons)
    expect(['met', 'approaching', 'ok', 'unknown']).toContain(c.state);
  evaluateNumber(compiled.condition, inputs);
}

describe('condition parser on hostile text', () => {
  it('never throws: any text parses, or is refused at an offset inside it with a message (and what compiles, evaluates)', () => {
    fc.assert(fc.property(conditionText, inputsArb, checkAnyText), runs(400));
  });

  it('never throws on texts at and around the length limit, and refuses every text over it unread', () => {
    fc.assert(
      fc.property(nearLimit, inputsArb, (text, inputs) => {
        checkAnyText(text, inputs);
        if (text.length > MAX_CONDITION_LENGTH) {
          expect(parseCondition(text)).toEqual({
            ok: false,
            error: {
              offset: 0,
              message: `condition is longer than ${MAX_CONDITION_LENGTH} characters`,
            },
          });
        }
      }),
      runs(25),
    );
  });

  it('refuses nesting past MAX_NESTING through parentheses and unary minus, at the level that goes over', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('(', '-', '-(', '(-', '- ', '( '),
        fc.integer({ min: MAX_NESTING + 1, max: 200 }),
        (unit, depth) => {
          const text = unit.repeat(depth) + 'a' + (unit.includes('(') ? ')'.repeat(depth) : '');
          const result = parseCondition(text);
          expect(result.ok).toBe(false);
          if (!result.ok)
            expect(result.error.message).toBe(
              `expression nested deeper than ${MAX_NESTING} levels`,
            );
        },
      ),
      runs(60),
    );
  });

  // BUG (src/core/condition/parse.ts, parseCondition's nesting guard): the guard means to
  // count a chain of `not` like a chain of unary `-` ("chains of unary - / not both nest the
  // parse; bound them before parsing"), but it counts the "n" of "not" and then resets the
  // chain to 0 on the "o" and the "t" (neither is whitespace nor "("), so `not` never adds
  // more than 1. `not not … not a` (up to 499 levels within MAX_CONDITION_LENGTH) is parsed
  // by recursion: it takes more than half of Node's default stack in ohm's match, which runs
  // outside the RangeError guard (called from a deeper stack, such a text throws
  // "Maximum call stack size exceeded").
  it('refuses a chain of `not` deeper than MAX_NESTING, as it refuses a chain of unary minus', () => {
    fc.assert(
      fc.property(
        anyCase('not'),
        fc.constantFrom(' ', '  ', '\t', '\n'),
        fc.integer({ min: MAX_NESTING + 1, max: 499 }),
        (word, space, depth) => {
          const text = `${word}${space}`.repeat(depth) + 'a';
          fc.pre(text.length <= MAX_CONDITION_LENGTH);
          const result = parseCondition(text);
          expect(result).toMatchObject({
            ok: false,
            error: { message: `expression nested deeper than ${MAX_NESTING} levels` },
          });
        },
      ),
      runs(20),
    );
  });
});

// ---------------------------------------------------------------------------------------
// Property 2: print a generated tree, parse it back, evaluate both
// ---------------------------------------------------------------------------------------

type Agg = Aggregate;
type CompareOp = '>' | '>=' | '<' | '<=' | '==' | '!=';

/** A numeric operand, with the text it is printed as where that is not derived from the tree. */
type N =
  | {
      k: 'num';
      text: string;
      raw: number;
      unit: 'plain' | 'percent' | 'usd' | 'duration';
      value: number;
    }
  | { k: 'bool'; value: boolean; text: string }
  | { k: 'metric'; name: string }
  | { k: 'call'; fn: Agg; fnText: string; metric: string; window?: { text: string; ms: number } }
  | { k: 'neg'; e: N }
  | { k: 'arith'; op: '+' | '-' | '*' | '/'; l: N; r: N };

/** A truth-valued expression. */
type G =
  | { k: 'or' | 'and'; kw: string[]; items: G[] }
  | { k: 'not'; kw: string; e: G }
  | { k: 'cmp'; op: CompareOp; l: N; r: N }
  | { k: 'truth'; e: N };

const numberParts = fc.record({
  int: fc.oneof(fc.nat(20), fc.nat(5000), fc.nat(2_000_000)),
  frac: fc.option(fc.stringMatching(/^\d{1,3}$/), { nil: undefined }),
  group: fc.boolean(),
});

/** `1,600` or `1600`, `2.5`: digits as the grammar reads them, and their value. */
function digitsText(p: { int: number; frac: string | undefined; group: boolean }): {
  text: string;
  plain: string;
} {
  const int = String(p.int);
  const grouped = p.group && p.int >= 1000 ? p.int.toLocaleString('en-US') : int;
  const frac = p.frac !== undefined ? `.${p.frac}` : '';
  return { text: grouped + frac, plain: int + frac };
}

const plainNumber: fc.Arbitrary<N> = fc
  .record({
    p: numberParts,
    mult: fc.constantFrom<keyof typeof MULTIPLIER>('', '', '', 'k', 'K', 'M', 'B'),
  })
  .map(({ p, mult }) => {
    const d = digitsText(p);
    let raw = Number(d.plain);
    raw *= MULTIPLIER[mult];
    return { k: 'num', text: d.text + mult, raw, unit: 'plain', value: raw };
  });

const boolLiteral: fc.Arbitrary<N> = fc
  .boolean()
  .chain((value) => anyCase(value ? 'yes' : 'no').map((text): N => ({ k: 'bool', value, text })));

const durationText = fc
  .record({ p: numberParts, unit: fc.constantFrom<DurationUnit>('ms', 's', 'm', 'h', 'd', 'w') })
  .map(({ p, unit }) => {
    const frac = p.frac !== undefined ? `.${p.frac}` : '';
    const digits = String(p.int % 1000) + frac;
    return { text: digits + unit, ms: Number(digits) * UNIT_MS[unit] };
  });

/** A literal in the unit a metric of `unit` converts it from (`2s` for ms, `99.5%` for ratio). */
function unitLiteral(unit: Unit): fc.Arbitrary<N> {
  switch (unit) {
    case 'ms':
    case 's':
      return durationText.map(({ text, ms }): N => ({
        k: 'num',
        text,
        raw: ms,
        unit: 'duration',
        value: unit === 's' ? ms / 1000 : ms,
      }));
    case 'ratio':
    case 'percent':
      return numberParts.map((p): N => {
        const d = digitsText({ ...p, group: false });
        const raw = Number(d.plain);
        return {
          k: 'num',
          text: `${d.text}%`,
          raw,
          unit: 'percent',
          value: unit === 'ratio' ? raw / 100 : raw,
        };
      });
    case 'usd':
      return fc
        .record({ p: numberParts, mult: fc.constantFrom<keyof typeof MULTIPLIER>('', 'k', 'M') })
        .map(({ p, mult }): N => {
          const d = digitsText(p);
          let raw = Number(d.plain);
          raw *= MULTIPLIER[mult];
          return { k: 'num', text: `$${d.text}${mult}`, raw, unit: 'usd', value: raw };
        });
    case 'flag':
      return boolLiteral;
    default:
      return plainNumber;
  }
}

const metricNode = (names: string[]): fc.Arbitrary<N> =>
  fc.constantFrom(...names).map((name): N => ({ k: 'metric', name }));

/** Aggregate windows: up to a few years (a window reaching before 4713 BC cannot be queried). */
const windowText = durationText.filter(({ ms }) => ms <= 3000 * UNIT_MS.d);

const callNode = (names: string[], fns: readonly Agg[]): fc.Arbitrary<N> =>
  fc
    .record({
      fn: fc.constantFrom(...fns),
      metric: fc.constantFrom(...names),
      window: fc.option(windowText, { nil: undefined }),
    })
    .chain(({ fn, metric, window }) =>
      anyCase(fn).map((fnText): N => {
        // Every aggregate but last() needs a window (a compile error otherwise).
        const w = window ?? (fn === 'last' ? undefined : { text: '7d', ms: 7 * UNIT_MS.d });
        return { k: 'call', fn, fnText, metric, ...(w ? { window: w } : {}) };
      }),
    );

const ALL_FNS: readonly Agg[] = ['last', 'avg', 'min', 'max', 'sum', 'count', 'change'];

const { numeric } = fc.letrec<{ numeric: N; leaf: N }>((tie) => ({
  leaf: fc.oneof(
    { arbitrary: plainNumber, weight: 3 },
    { arbitrary: metricNode(NAMES), weight: 4 },
    { arbitrary: callNode(NAMES, ALL_FNS), weight: 2 },
    { arbitrary: boolLiteral, weight: 1 },
  ),
  numeric: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: tie('leaf'), weight: 6 },
    { arbitrary: tie('numeric').map((e): N => ({ k: 'neg', e })), weight: 1 },
    {
      arbitrary: fc
        .record({
          op: fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const),
          l: tie('numeric'),
          r: tie('numeric'),
        })
        .map((a): N => ({ k: 'arith', ...a })),
      weight: 2,
    },
  ),
}));

const compareOp = fc.constantFrom<CompareOp>('>', '>=', '<', '<=', '==', '!=');

/** `metric op literal` with the literal in a unit that converts (either way round). */
const unitComparison: fc.Arbitrary<G> = fc
  .constantFrom<Unit>('count', 'ms', 's', 'ratio', 'percent', 'usd', 'flag')
  .chain((unit) => {
    const names = byUnit(unit);
    const side: fc.Arbitrary<N> =
      unit === 'flag'
        ? metricNode(names)
        : fc.oneof(metricNode(names), callNode(names, ['last', 'avg', 'min', 'max', 'sum']));
    return fc
      .record({ metric: side, literal: unitLiteral(unit), op: compareOp, swap: fc.boolean() })
      .map(({ metric, literal, op, swap }): G =>
        swap ? { k: 'cmp', op, l: literal, r: metric } : { k: 'cmp', op, l: metric, r: literal },
      );
  });

/** change() is in percent and count() a count, whatever the metric. */
const aggregateComparison: fc.Arbitrary<G> = fc.oneof(
  fc
    .record({ call: callNode(NAMES, ['change']), literal: unitLiteral('percent'), op: compareOp })
    .map(({ call, literal, op }): G => ({ k: 'cmp', op, l: call, r: literal })),
  fc
    .record({ call: callNode(NAMES, ['count']), literal: plainNumber, op: compareOp })
    .map(({ call, literal, op }): G => ({ k: 'cmp', op, l: call, r: literal })),
);

const { truth } = fc.letrec<{ truth: G; atom: G }>((tie) => ({
  atom: fc.oneof(
    {
      arbitrary: fc
        .record({ op: compareOp, l: numeric, r: numeric })
        .map((c): G => ({ k: 'cmp', ...c })),
      weight: 3,
    },
    { arbitrary: unitComparison, weight: 3 },
    { arbitrary: aggregateComparison, weight: 1 },
    { arbitrary: numeric.map((e): G => ({ k: 'truth', e })), weight: 1 },
  ),
  truth: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    { arbitrary: tie('atom'), weight: 5 },
    {
      arbitrary: fc
        .record({ kw: anyCase('not'), e: tie('truth') })
        .map((n): G => ({ k: 'not', ...n })),
      weight: 1,
    },
    {
      arbitrary: fc
        .record({
          k: fc.constantFrom('or' as const, 'and' as const),
          items: fc.array(tie('truth'), { minLength: 2, maxLength: 4 }),
        })
        .chain(({ k, items }) =>
          fc
            .array(anyCase(k), { minLength: items.length - 1, maxLength: items.length - 1 })
            .map((kw): G => ({ k, kw, items })),
        ),
      weight: 2,
    },
  ),
}));

/** Whitespace around symbols: none, spaces, tabs or newlines. */
const gap = fc.constantFrom('', ' ', ' ', '  ', '\t', '\n ');
/** Whitespace next to a word: at least one character. */
const space = fc.constantFrom(' ', ' ', '  ', '\t', '\n');

/** Prints a tree; `ws` draws the whitespace between tokens. Arithmetic is fully parenthesized. */
function printN(n: N, ws: () => string, sp: () => string): string {
  switch (n.k) {
    case 'num':
    case 'bool':
      return n.text;
    case 'metric':
      return n.name;
    case 'call':
      return `${n.fnText}${ws()}(${ws()}${n.metric}${n.window ? `${ws()},${ws()}${n.window.text}` : ''}${ws()})`;
    case 'neg':
      return `-${ws()}${n.e.k === 'arith' ? `(${ws()}${printN(n.e, ws, sp)}${ws()})` : printN(n.e, ws, sp)}`;
    case 'arith': {
      const side = (e: N) =>
        e.k === 'arith' ? `(${ws()}${printN(e, ws, sp)}${ws()})` : printN(e, ws, sp);
      // `a - -1` needs no space, but `a --1` reads the same; keep a gap after a word.
      return `${side(n.l)}${sp()}${n.op}${sp()}${side(n.r)}`;
    }
  }
}

function printG(g: G, ws: () => string, sp: () => string): string {
  const grouped = (e: G) =>
    e.k === 'or' || e.k === 'and' ? `(${ws()}${printG(e, ws, sp)}${ws()})` : printG(e, ws, sp);
  switch (g.k) {
    case 'or':
    case 'and':
      return g.items
        .map((item, i) =>
          i === 0 ? grouped(item) : `${sp()}${g.kw[i - 1]}${sp()}${grouped(item)}`,
        )
        .join('');
    case 'not':
      return `${g.kw}${sp()}${grouped(g.e)}`;
    case 'cmp':
      return `${printN(g.l, ws, sp)}${ws()}${g.op}${ws()}${printN(g.r, ws, sp)}`;
    case 'truth':
      return printN(g.e, ws, sp);
  }
}

/** The tree the parser should return for a generated one (spans left out). */
function expectedN(n: N): unknown {
  switch (n.k) {
    case 'num':
      return { kind: 'number', value: n.raw, unit: n.unit };
    case 'bool':
      return { kind: 'bool', value: n.value };
    case 'metric':
      return { kind: 'metric', name: n.name };
    case 'call':
      return {
        kind: 'call',
        fn: n.fn,
        metric: n.metric,
        ...(n.window ? { windowMs: n.window.ms } : {}),
      };
    case 'neg':
      return { kind: 'neg', expr: expectedN(n.e) };
    case 'arith':
      return { kind: 'arith', op: n.op, left: expectedN(n.l), right: expectedN(n.r) };
  }
}

function expectedG(g: G): unknown {
  switch (g.k) {
    case 'or':
    case 'and':
      return { kind: g.k, items: g.items.map(expectedG) };
    case 'not':
      return { kind: 'not', expr: expectedG(g.e) };
    case 'cmp':
      return { kind: 'compare', op: g.op, left: expectedN(g.l), right: expectedN(g.r) };
    case 'truth':
      return expectedN(g.e);
  }
}

function withoutSpans(expr: Expr): unknown {
  return JSON.parse(
    JSON.stringify(expr, (key, value: unknown) => (key === 'span' ? undefined : value)),
  );
}

function nestingOf(g: G): number {
  const n = (e: N): number =>
    e.k === 'neg' ? 1 + n(e.e) : e.k === 'arith' ? 1 + Math.max(n(e.l), n(e.r)) : 0;
  switch (g.k) {
    case 'or':
    case 'and':
      return 1 + Math.max(...g.items.map(nestingOf));
    case 'not':
      return 1 + nestingOf(g.e);
    case 'cmp':
      return Math.max(n(g.l), n(g.r));
    case 'truth':
      return n(g.e);
  }
}

/** A reference evaluator of the generated tree, written from the README's rules. */
class Reference {
  readonly missing = new Set<string>();
  comparisons = 0;
  constructor(private readonly inputs: ConditionInputs) {}

  private aggregate(fn: Agg, metric: string, windowMs: number | undefined): number | undefined {
    const latest = this.inputs.value(metric);
    if (latest === undefined) return undefined; // stale or missing: every aggregate is unknown
    if (fn === 'last' && windowMs === undefined) return latest;
    const agg = this.inputs.window(metric, windowMs ?? 0);
    if (!agg || agg.count === 0) return fn === 'count' ? 0 : undefined;
    if (fn === 'count') return agg.count;
    if (fn === 'change')
      return agg.first === undefined || agg.last === undefined || agg.first === 0
        ? undefined
        : ((agg.last - agg.first) / Math.abs(agg.first)) * 100;
    return agg[fn];
  }

  num(n: N): number | undefined {
    switch (n.k) {
      case 'num':
        return n.value;
      case 'bool':
        return n.value ? 1 : 0;
      case 'metric': {
        const v = this.inputs.value(n.name);
        if (v === undefined) this.missing.add(n.name);
        return v;
      }
      case 'call': {
        const v = this.aggregate(n.fn, n.metric, n.window?.ms);
        if (v === undefined) this.missing.add(n.metric);
        return v;
      }
      case 'neg': {
        const v = this.num(n.e);
        return v === undefined ? undefined : -v;
      }
      case 'arith': {
        const a = this.num(n.l);
        const b = this.num(n.r);
        if (a === undefined || b === undefined) return undefined;
        if (n.op === '+') return a + b;
        if (n.op === '-') return a - b;
        if (n.op === '*') return a * b;
        return b === 0 ? undefined : a / b; // division by zero has no value
      }
    }
  }

  truth(g: G): Truth {
    switch (g.k) {
      case 'or': {
        const parts = g.items.map((i) => this.truth(i));
        return parts.includes(true) ? true : parts.includes('unknown') ? 'unknown' : false;
      }
      case 'and': {
        const parts = g.items.map((i) => this.truth(i));
        return parts.includes(false) ? false : parts.includes('unknown') ? 'unknown' : true;
      }
      case 'not': {
        const t = this.truth(g.e);
        return t === 'unknown' ? 'unknown' : !t;
      }
      case 'cmp': {
        this.comparisons++;
        const a = this.num(g.l);
        const b = this.num(g.r);
        if (a === undefined || b === undefined) return 'unknown';
        const ops: Record<CompareOp, boolean> = {
          '>': a > b,
          '>=': a >= b,
          '<': a < b,
          '<=': a <= b,
          '==': a === b,
          '!=': a !== b,
        };
        return ops[g.op];
      }
      case 'truth': {
        const v = this.num(g.e);
        return v === undefined ? 'unknown' : v !== 0;
      }
    }
  }
}

function metricsInOrder(g: G): string[] {
  const seen = new Set<string>();
  const n = (e: N): void => {
    if (e.k === 'metric') seen.add(e.name);
    else if (e.k === 'call') seen.add(e.metric);
    else if (e.k === 'neg') n(e.e);
    else if (e.k === 'arith') {
      n(e.l);
      n(e.r);
    }
  };
  const t = (e: G): void => {
    switch (e.k) {
      case 'or':
      case 'and':
        e.items.forEach(t);
        break;
      case 'not':
        t(e.e);
        break;
      case 'cmp':
        n(e.l);
        n(e.r);
        break;
      case 'truth':
        n(e.e);
        break;
    }
  };
  t(g);
  return [...seen];
}

/**
 * Arithmetic used as a truth value whose text starts with a parenthesized group:
 * `(a + b) * 2` alone, or `x or (a) - 1`. The parser refuses these (see the bug below), so
 * the round trip leaves them to that test.
 */
function hasParenthesizedOperand(g: G): boolean {
  switch (g.k) {
    case 'or':
    case 'and':
      return g.items.some(hasParenthesizedOperand);
    case 'not':
      return hasParenthesizedOperand(g.e);
    case 'cmp':
      return false;
    case 'truth':
      return g.e.k === 'arith' && g.e.l.k === 'arith';
  }
}

/** Prints with whitespace drawn up front, so a run is reproducible. */
const printer = fc
  .record({
    gaps: fc.array(gap, { minLength: 64, maxLength: 64 }),
    spaces: fc.array(space, { minLength: 64, maxLength: 64 }),
  })
  .map(({ gaps, spaces }) => {
    let gi = 0;
    let si = 0;
    return {
      ws: () => gaps[gi++ % gaps.length] as string,
      sp: () => spaces[si++ % spaces.length] as string,
    };
  });

/** A tree and one way of printing it. */
const printed = fc
  .record({ tree: truth, printer })
  .filter(({ tree }) => nestingOf(tree) < MAX_NESTING / 2 && !hasParenthesizedOperand(tree))
  .map(({ tree, printer: p }) => ({ tree, text: printG(tree, p.ws, p.sp).trim() }));

describe('condition round trip', () => {
  it('parses a printed tree back into the same tree', () => {
    fc.assert(
      fc.property(printed, ({ tree, text }) => {
        fc.pre(text.length <= MAX_CONDITION_LENGTH);
        const parsed = parseCondition(text);
        if (!parsed.ok)
          throw new Error(
            `"${text}" did not parse: ${parsed.error.message} at ${parsed.error.offset}`,
          );
        expect(withoutSpans(parsed.expr)).toEqual(expectedG(tree));
      }),
      runs(300),
    );
  });

  it('compiles a printed tree, and evaluates it like a reference evaluator of the tree on any data', () => {
    fc.assert(
      fc.property(
        printed,
        fc.array(inputsArb, { minLength: 1, maxLength: 4 }),
        ({ tree, text }, datasets) => {
          fc.pre(text.length <= MAX_CONDITION_LENGTH);
          const compiled = compileCondition(text, METRICS);
          if (!compiled.ok)
            throw new Error(
              `"${text}" did not compile: ${compiled.errors.map((e) => e.message).join('; ')}`,
            );
          expect(compiled.condition.metrics).toEqual(metricsInOrder(tree));
          for (const inputs of datasets) {
            const reference = new Reference(inputs);
            const expected = reference.truth(tree);
            const result = evaluateCondition(compiled.condition, inputs, 0.8);
            expect(result.holds).toBe(expected);
            expect(result.comparisons).toHaveLength(reference.comparisons);
            expect(new Set(result.missing)).toEqual(reference.missing);
            if (result.holds !== false) expect(result.approaching).toBe(false);
          }
        },
      ),
      runs(300),
    );
  });
});

describe('derived metrics: arithmetic with parentheses (docs/ROADMAP_FORMAT.md, `derive`)', () => {
  // BUG (src/core/condition/grammar.ts, rule `Unary`): the alternatives are tried in the
  // order not, Compare, "(" Expr ")" (paren), Sum (operand). PEG commits to the first that
  // matches, so in `(paid_users + trial_users) / active_users * 100` the paren alternative
  // takes `(paid_users + trial_users)` and the rest `/ active_users * 100` can no longer be
  // read: the parse fails with "expected a comparison such as >=". The format promises
  // `derive: arithmetic over other metrics' latest values (+ - * /, parentheses)`, so a
  // derived metric whose formula starts with a parenthesized group cannot be declared.
  // Fix: try `Sum -- operand` before `"(" Expr ")" -- paren` in `Unary` (a Sum that starts
  // with "(" always reads at least as far as the paren alternative would).
  it('parses arithmetic that starts with a parenthesized group, alone or as an operand of or/and/not', () => {
    const formula = fc
      .record({
        l: numeric,
        m: numeric,
        op: fc.constantFrom('+' as const, '-' as const, '*' as const, '/' as const),
        r: numeric,
      })
      .map(({ l, m, op, r }): N => ({ k: 'arith', op, l: { k: 'arith', op: '+', l, r: m }, r }));
    fc.assert(
      fc.property(
        formula,
        printer,
        fc.constantFrom('', 'multi_region or ', 'not ', 'active_users > 1 and '),
        (e, p, prefix) => {
          const text = prefix + printN(e, p.ws, p.sp);
          const parsed = parseCondition(text);
          if (!parsed.ok) throw new Error(`"${text}" did not parse: ${parsed.error.message}`);
        },
      ),
      runs(50),
    );
  });

  it('parses the formula `(paid_users + trial_users) / active_users * 100`', () => {
    expect(parseCondition('(paid_users + trial_users) / active_users * 100').ok).toBe(true);
  });
});
