/**
 * Simulated metric histories with a known crossing, to measure how often a forecast's 80%
 * interval holds the truth. Deterministic: every draw comes from a seeded PRNG.
 */
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import type { Forecast, ForecastOptions } from '../../src/core/forecast/forecast.js';
import { DAY, NOW, gaussian, prng } from './support.js';

export type Family = 'linear' | 'exponential';

export interface SimulatedCase {
  history: HistoryPoint[];
  op: '>=' | '<=';
  threshold: number;
  /** When the noiseless curve crosses the threshold. */
  truth: Date;
}

/** Ranges are drawn from log-uniformly, except `ahead` (uniformly). */
export interface Scenario {
  /** Days of history, one forecast window. */
  days: number;
  stepMs: number;
  /**
   * Day-to-day noise in days of growth: a daily point's noise has a standard deviation of
   * this many days' worth of the trend. Hourly points get √24 times as much, so a day's
   * mean is as noisy as a daily point.
   */
  noise: [number, number];
  /** Linear series: growth a day, as a share of the level now. */
  growth: [number, number];
  /** Exponential series: days to double (or halve). */
  doubling: [number, number];
  /** Days from the last point to the true crossing. */
  ahead: [number, number];
}

/**
 * One series of `family`, from `seed`: a level of 100 to 100,000; three quarters rising
 * toward a higher threshold, a quarter falling toward a lower one (a falling linear series
 * crosses above a fifth of its level); Gaussian noise, additive for linear series and
 * multiplicative (on the logarithm) for exponential ones.
 */
export function simulate(family: Family, seed: number, scenario: Scenario): SimulatedCase {
  const uniform = prng(seed * 2 + (family === 'linear' ? 0 : 1));
  const noise = gaussian(prng(1_000_003 * seed + (family === 'linear' ? 0 : 1)));
  const logUniform = (lo: number, hi: number) => lo * (hi / lo) ** uniform();
  const level = logUniform(100, 100_000);
  const rising = uniform() >= 0.25;
  const dir = rising ? 1 : -1;
  let ahead = scenario.ahead[0] + (scenario.ahead[1] - scenario.ahead[0]) * uniform();
  const noiseDays = logUniform(...scenario.noise);
  const perPoint = Math.sqrt(Math.max(1, DAY / scenario.stepMs));
  const count = Math.round((scenario.days * DAY) / scenario.stepMs);
  let value: (days: number, e: number) => number;
  let threshold: number;
  if (family === 'linear') {
    const rate = dir * level * logUniform(...scenario.growth);
    if (!rising) ahead = Math.min(ahead, (0.8 * level) / -rate);
    const sd = noiseDays * Math.abs(rate) * perPoint;
    value = (d, e) => level + rate * d + sd * e;
    threshold = level + rate * ahead;
  } else {
    const rate = (dir * Math.LN2) / logUniform(...scenario.doubling);
    const sd = noiseDays * Math.abs(rate) * perPoint;
    value = (d, e) => level * Math.exp(rate * d + sd * e);
    threshold = level * Math.exp(rate * ahead);
  }
  const history = Array.from({ length: count }, (_, i) => {
    const t = NOW.getTime() - (count - 1 - i) * scenario.stepMs;
    return { t: new Date(t), v: value((t - NOW.getTime()) / DAY, noise()) };
  });
  return {
    history,
    op: rising ? '>=' : '<=',
    threshold,
    truth: new Date(NOW.getTime() + ahead * DAY),
  };
}

export interface Coverage {
  /** Share of the forecasts with an ETA whose interval holds the true crossing. */
  coverage: number;
  /** How many series got an ETA (the others: not trending, or already reached). */
  etas: number;
  series: number;
  /** Share of the ETAs forecast with the exponential model, and how often those held the truth. */
  exponential: number;
  exponentialCoverage: number;
}

/** Forecasts `count` simulated series of `family` and counts how often the interval holds the truth. */
export function coverage(
  forecast: (
    history: HistoryPoint[],
    target: { op: '>=' | '<='; threshold: number },
    now: Date,
    options: ForecastOptions,
  ) => Forecast,
  family: Family,
  scenario: Scenario,
  count: number,
): Coverage {
  let etas = 0;
  let held = 0;
  let exponential = 0;
  let exponentialHeld = 0;
  for (let seed = 1; seed <= count; seed++) {
    const c = simulate(family, seed, scenario);
    const f = forecast(c.history, { op: c.op, threshold: c.threshold }, NOW, {
      windowMs: scenario.days * DAY,
    });
    if (f.status !== 'eta') continue;
    etas++;
    const holds = f.low <= c.truth && (f.high === null || f.high >= c.truth);
    if (holds) held++;
    if (f.model === 'exponential') {
      exponential++;
      if (holds) exponentialHeld++;
    }
  }
  return {
    coverage: held / etas,
    etas,
    series: count,
    exponential: exponential / etas,
    exponentialCoverage: exponential > 0 ? exponentialHeld / exponential : Number.NaN,
  };
}
