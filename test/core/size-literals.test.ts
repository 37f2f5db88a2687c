import { describe, expect, it } from 'vitest';
import type { MetricInfo } from '../../src/core/condition/compile.js';
import { compileCondition, compileExpression } from '../../src/core/condition/compile.js';
import { evaluateCondition, evaluateNumber } from '../../src/core/condition/evaluate.js';
import { parseLiteral, parseNumberLiteral } from '../../src/core/condition/parse.js';
import { formatValue } from '../../src/core/units.js';

const METRICS = new Map<string, MetricInfo>([
  ['db_size', { unit: 'bytes', derived: false }],
  ['users', { unit: 'count', derived: false }],
  ['mrr', { unit: 'usd', derived: false }],
  ['latency', { unit: 'ms', derived: false }],
]);

/** The threshold a compiled `metric op literal` compares with. */
function threshold(text: string): number | undefined {
  const compiled = compileCondition(text, METRICS);
  if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
  const result = evaluateCondition(
    compiled.condition,
    { value: () => 0, window: () => undefined },
    0.8,
  );
  return result.comparisons[0]?.threshold;
}

describe('size literals', () => {
  it.each([
    // Decimal units: 1 GB = 10^9 bytes.
    ['db_size > 500MB', 500e6],
    ['db_size > 10GB', 10e9],
    ['db_size > 1.5TB', 1.5e12],
    ['db_size > 64kB', 64e3],
    ['db_size > 64KB', 64e3],
    // Binary units: 1 GiB = 2^30 bytes.
    ['db_size > 512MiB', 512 * 2 ** 20],
    ['db_size > 8GiB', 8 * 2 ** 30],
    ['db_size > 1TiB', 2 ** 40],
    // A plain number against a bytes metric is bytes.
    ['db_size > 1000', 1000],
    // A size on either side of the comparison, and beside arithmetic.
    ['500MB < db_size', 500e6],
    ['db_size > 1GB + 500MB', 1.5e9],
  ])('%s compares with %d bytes', (text, bytes) => {
    expect(threshold(text)).toBe(bytes);
  });

  it.each([
    // A size against a count is refused, as `2s` against a count is.
    ['users > 500MB', 'a size cannot be compared with a metric in count'],
    ['mrr >= 10GB', 'a size cannot be compared with a metric in usd'],
    ['latency < 1GiB', 'a size cannot be compared with a metric in ms'],
  ])('%s is refused', (text, message) => {
    const compiled = compileCondition(text, METRICS);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors.map((e) => e.message)).toEqual([message]);
  });

  it('keeps the meanings that were there before sizes: M is million, B billion, m minutes', () => {
    expect(parseLiteral('5M')).toEqual({ value: 5e6, unit: 'plain' });
    expect(parseLiteral('5B')).toEqual({ value: 5e9, unit: 'plain' });
    expect(parseLiteral('5m')).toEqual({ value: 5 * 60_000, unit: 'duration' });
    expect(parseLiteral('5MB')).toEqual({ value: 5e6, unit: 'bytes' });
    expect(parseLiteral('5MiB')).toEqual({ value: 5 * 2 ** 20, unit: 'bytes' });
    // Sizes are case-sensitive as durations are: `mb` is not a unit.
    expect(parseLiteral('5mb')).toBeUndefined();
  });

  it('is not a plain number where no metric gives it a unit (users bands, v1 budgets)', () => {
    expect(parseNumberLiteral('500MB')).toBeUndefined();
    expect(parseNumberLiteral('$1.5k')).toBe(1500);
  });

  it.each([
    [500e6, '500 MB'],
    [10e9, '10 GB'],
    [1.5e12, '1.5 TB'],
    // 8 GiB shows in decimal units.
    [8 * 2 ** 30, '8.6 GB'],
    [999, '999 B'],
    [2e15, '2 PB'],
  ])('%d bytes display as %s (decimal)', (bytes, text) => {
    expect(formatValue(bytes, 'bytes')).toBe(text);
  });
});

describe('expressions (budget bounds, plan values)', () => {
  const value = (name: string) => ({ users: 1000, mrr: 20_000 })[name];
  const inputs = { value, window: () => undefined };

  it.each([
    // Arithmetic over metrics, in the unit asked for.
    ['0.25 * users', 'usd', 250],
    ['0.029 * mrr + 30', 'usd', 610],
    ['$5k', 'usd', 5000],
    ['$1.5k + 0.1 * users', 'usd', 1600],
    ['(mrr - 5000) / 2', 'usd', 7500],
    ['1GB + 500MB', 'bytes', 1.5e9],
  ] as const)('%s in %s is %d', (text, unit, expected) => {
    const compiled = compileExpression(text, METRICS, unit);
    if (!compiled.ok) throw new Error(compiled.errors.map((e) => e.message).join('; '));
    expect(evaluateNumber(compiled.expression, inputs)).toBeCloseTo(expected);
  });

  it.each([
    // An unknown metric, named at its offset.
    ['0.25 * userz', 'usd', 7, 'unknown metric "userz" (declared: db_size, users, mrr, latency)'],
    // A literal that cannot be in the unit asked for.
    ['2s * users', 'usd', 0, 'a duration cannot be compared with a metric in usd'],
    ['100 + 5GB', 'usd', 6, 'a size cannot be compared with a metric in usd'],
    // A comparison is a condition, not an amount.
    [
      'users > 5',
      'usd',
      6,
      'expected end of input, "-", "+", "/", or "*" in expression "users > 5"',
    ],
  ] as const)('%s in %s is refused', (text, unit, offset, message) => {
    const compiled = compileExpression(text, METRICS, unit);
    expect(compiled.ok).toBe(false);
    if (!compiled.ok) expect(compiled.errors).toEqual([{ offset, message }]);
  });

  it('reads no data it was not given: an expression over a metric without data is undefined', () => {
    const compiled = compileExpression('0.25 * users', METRICS, 'usd');
    if (!compiled.ok) throw new Error('compiles');
    expect(
      evaluateNumber(compiled.expression, { value: () => undefined, window: () => undefined }),
    ).toBeUndefined();
  });
});
