import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { rampAt } from '../../src/core/evaluate/budget.js';
import { PROPERTY_TIMEOUT_MS, runs } from './support.js';

/*
 * A budget line's `ramp: [from, to]` (docs/ROADMAP_FORMAT.md, "Budget lines"): the maximum grows
 * linearly across the stage's planned span and holds its end values outside it.
 */

vi.setConfig({ testTimeout: PROPERTY_TIMEOUT_MS });

const DAY = 86_400_000;
const T0 = Date.UTC(2026, 0, 1);
/** Amounts in cents up to $10M, as budget lines write them. */
const amount = fc.integer({ min: 0, max: 1_000_000_000 }).map((cents) => cents / 100);
const instant = fc.integer({ min: -400 * DAY, max: 800 * DAY }).map((ms) => new Date(T0 + ms));
const span = fc
  .tuple(fc.integer({ min: -200 * DAY, max: 400 * DAY }), fc.integer({ min: 1, max: 400 * DAY }))
  .map(([start, length]) => ({ from: new Date(T0 + start), to: new Date(T0 + start + length) }));

describe('ramp interpolation', () => {
  it('stays between its two points, at any time', () => {
    fc.assert(
      fc.property(amount, amount, span, instant, (from, to, s, now) => {
        const value = rampAt({ from, to }, s, now);
        expect(value).toBeGreaterThanOrEqual(Math.min(from, to));
        expect(value).toBeLessThanOrEqual(Math.max(from, to));
      }),
      runs(2000),
    );
  });

  it('holds its end values outside the span, and moves one way inside it', () => {
    fc.assert(
      fc.property(amount, amount, span, instant, instant, (from, to, s, a, b) => {
        const [early, late] = a <= b ? [a, b] : [b, a];
        if (early <= s.from) expect(rampAt({ from, to }, s, early)).toBe(from);
        if (late >= s.to) expect(rampAt({ from, to }, s, late)).toBe(to);
        // Later never moves away from `to`: monotone in the ramp's direction.
        const direction = Math.sign(to - from);
        const step = rampAt({ from, to }, s, late) - rampAt({ from, to }, s, early);
        expect(step * direction).toBeGreaterThanOrEqual(0);
      }),
      runs(2000),
    );
  });
});
