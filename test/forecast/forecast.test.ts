import { describe, expect, it } from 'vitest';
import {
  fitLine,
  linearRegression,
  predictLinear,
  type HistoryPoint,
} from '../../src/core/forecast/fit.js';
import {
  FORECAST_DEFAULTS,
  fitHistory,
  forecast,
  forecastFromFit,
  modelValueAt,
  projection,
  type Forecast,
} from '../../src/core/forecast/forecast.js';
import { studentTCdf, studentTQuantile } from '../../src/core/forecast/stats.js';
import { DAY, HOUR, NOW, daysAfter, gaussian, prng, series } from './support.js';

function eta(f: Forecast): Extract<Forecast, { status: 'eta' }> {
  if (f.status !== 'eta') throw new Error(`expected an ETA, got ${JSON.stringify(f)}`);
  return f;
}
const within = (date: Date, expected: Date, toleranceMs: number) =>
  expect(Math.abs(date.getTime() - expected.getTime())).toBeLessThanOrEqual(toleranceMs);

describe('exact series give the analytic crossing date', () => {
  it('a perfectly linear series (daily points) crosses where the line does, with no uncertainty', () => {
    // v = 380 + 10/day: 500 is reached 12 days after now.
    const history = series(28, DAY, (d) => 380 + 10 * d);
    const f = eta(forecast(history, { op: '>=', threshold: 500 }, NOW));
    expect(f.model).toBe('linear');
    expect(f.r2).toBe(1);
    within(f.eta, daysAfter(12), 1);
    within(f.low, daysAfter(12), 1);
    within(f.high as Date, daysAfter(12), 1);
  });

  it('a perfectly linear falling series crosses a `<` threshold where the line does', () => {
    // Hourly: v = 900 − 25/day; below 500 after 16 days.
    const f = eta(
      forecast(
        series(28 * 24, HOUR, (d) => 900 - 25 * d),
        { op: '<', threshold: 500 },
        NOW,
      ),
    );
    expect(f.model).toBe('linear');
    within(f.eta, daysAfter(16), 1_000);
  });

  it('a perfectly exponential series is fitted by the exponential model: doubling weekly, 8× is 3 weeks away', () => {
    const history = series(28 * 24, HOUR, (d) => 100 * 2 ** (d / 7));
    const f = eta(forecast(history, { op: '>', threshold: 800 }, NOW));
    expect(f.model).toBe('exponential');
    expect(f.r2).toBeCloseTo(1, 12);
    within(f.eta, daysAfter(21), 1_000);
    expect(f.low.getTime()).toBeLessThanOrEqual(f.eta.getTime());
    expect((f.high as Date).getTime()).toBeGreaterThanOrEqual(f.eta.getTime());
    within(f.low, daysAfter(21), 60_000);
    within(f.high as Date, daysAfter(21), 60_000);
  });

  it('an exponential decay reaches a `<=` threshold on the analytic date', () => {
    // Halving every 10 days from 1000 now: 125 after 30 days.
    const f = eta(
      forecast(
        series(28, DAY, (d) => 1000 * 0.5 ** (d / 10)),
        { op: '<=', threshold: 125 },
        NOW,
      ),
    );
    expect(f.model).toBe('exponential');
    within(f.eta, daysAfter(30), 1_000);
  });

  it('a threshold at or below zero is forecast by the linear model, which can reach it', () => {
    const f = eta(
      forecast(
        series(28, DAY, (d) => 1000 * 0.5 ** (d / 10)),
        { op: '<=', threshold: -5 },
        NOW,
      ),
    );
    expect(f.model).toBe('linear');
  });
});

describe('noisy series', () => {
  /** Linear truth 1000 + 20/day with noise: 1500 is crossed at day 25. */
  const truth = daysAfter(25);
  const cases: { name: string; seed: number; history: (seed: number) => HistoryPoint[] }[] = [
    {
      name: 'daily points, white noise (sd 40)',
      seed: 1,
      history: (seed) => {
        const noise = gaussian(prng(seed));
        return series(28, DAY, (d) => 1000 + 20 * d + 40 * noise());
      },
    },
    {
      name: 'hourly points, a daily cycle (±100) and noise (sd 40)',
      seed: 2,
      history: (seed) => {
        const noise = gaussian(prng(seed));
        return series(
          28 * 24,
          HOUR,
          (d) => 1000 + 20 * d + 100 * Math.sin(2 * Math.PI * d) + 40 * noise(),
        );
      },
    },
    {
      name: 'minute points, autocorrelated noise (AR(1), ρ = 0.99)',
      seed: 3,
      history: (seed) => {
        const noise = gaussian(prng(seed));
        let e = 0;
        return series(28 * 1440, 60_000, (d) => {
          e = 0.99 * e + Math.sqrt(1 - 0.99 ** 2) * noise();
          return 1000 + 20 * d + 60 * e;
        });
      },
    },
  ];
  it.each(cases)('$name: the 80% interval contains the true crossing', ({ seed, history }) => {
    const f = eta(forecast(history(seed), { op: '>=', threshold: 1500 }, NOW));
    expect(f.low.getTime()).toBeLessThanOrEqual(truth.getTime());
    expect(f.high === null || f.high.getTime() >= truth.getTime()).toBe(true);
    expect(f.low.getTime()).toBeLessThanOrEqual(f.eta.getTime());
    expect(f.high === null || f.high.getTime() >= f.eta.getTime()).toBe(true);
  });

  it('the 80% interval holds the true crossing about 80% of the time over 200 seeds (daily points, white noise)', () => {
    let covered = 0;
    for (let seed = 1; seed <= 200; seed++) {
      const noise = gaussian(prng(seed));
      const f = forecast(
        series(28, DAY, (d) => 1000 + 20 * d + 40 * noise()),
        { op: '>=', threshold: 1500 },
        NOW,
      );
      if (f.status === 'eta' && f.low <= truth && (f.high === null || f.high >= truth)) covered++;
    }
    expect(covered / 200).toBeGreaterThan(0.7);
    expect(covered / 200).toBeLessThan(0.92);
  });

  it('a weak trend (slope within its own 80% interval of zero) has an open-ended interval', () => {
    // Seeded: a slope of 2/day drowned in noise of sd 40 over 10 daily points.
    const noise = gaussian(prng(4));
    const history = series(10, DAY, (d) => 1000 + 2 * d + 40 * noise());
    const f = eta(forecast(history, { op: '>=', threshold: 1100 }, NOW));
    expect(f.high).toBeNull();
    expect(f.low.getTime()).toBeGreaterThanOrEqual(NOW.getTime());
  });
});

describe('no trend, no forecast', () => {
  it('a flat series is not trending', () => {
    expect(
      forecast(
        series(28, DAY, () => 250),
        { op: '>=', threshold: 400 },
        NOW,
      ),
    ).toEqual({ status: 'not-trending', reason: 'flat' });
  });

  it('a receding series is not trending, in either direction', () => {
    expect(
      forecast(
        series(28, DAY, (d) => 300 - 5 * d),
        { op: '>=', threshold: 400 },
        NOW,
      ),
    ).toEqual({ status: 'not-trending', reason: 'receding' });
    expect(
      forecast(
        series(28, DAY, (d) => 300 + 5 * d),
        { op: '<', threshold: 100 },
        NOW,
      ),
    ).toEqual({ status: 'not-trending', reason: 'receding' });
  });

  it('a noisy receding series is not trending', () => {
    const noise = gaussian(prng(3));
    const f = forecast(
      series(28 * 24, HOUR, (d) => 300 - 4 * d + 10 * noise()),
      { op: '>=', threshold: 400 },
      NOW,
    );
    expect(f).toEqual({ status: 'not-trending', reason: 'receding' });
  });

  it('noise around a flat level is not trending (the slope is under one standard error)', () => {
    const noise = gaussian(prng(5));
    const history = series(28, DAY, () => 250 + 30 * noise());
    const fit = fitHistory(history, NOW);
    if (fit.kind !== 'fit') throw new Error('expected a fit');
    const se = fit.linear.band.s / Math.sqrt(fit.linear.band.sxx);
    expect(Math.abs(fit.linear.slope) / se).toBeLessThan(1); // this seed's noise happens to tilt up, but barely
    expect(fit.linear.slope).toBeGreaterThan(0);
    expect(forecast(history, { op: '>=', threshold: 400 }, NOW)).toEqual({
      status: 'not-trending',
      reason: 'weak',
    });
  });

  it('a crossing further than the horizon is not forecast', () => {
    const f = forecast(
      series(28, DAY, (d) => 100 + 0.01 * d),
      { op: '>=', threshold: 1000 },
      NOW,
    );
    expect(f).toEqual({ status: 'not-trending', reason: 'beyond-horizon' });
  });
});

describe('not enough data, reached', () => {
  it('fewer than the minimum points says so', () => {
    expect(
      forecast(
        series(4, DAY, (d) => 100 + d),
        { op: '>=', threshold: 200 },
        NOW,
      ),
    ).toEqual({
      status: 'not-enough-data',
      points: 4,
      needed: FORECAST_DEFAULTS.minPoints,
      spanMs: 3 * DAY,
      neededSpanMs: FORECAST_DEFAULTS.minSpanMs,
    });
    expect(forecast([], { op: '>=', threshold: 200 }, NOW)).toMatchObject({
      status: 'not-enough-data',
      points: 0,
    });
  });

  it('many points over too short a span says so', () => {
    expect(
      forecast(
        series(48, HOUR, (d) => 100 + d),
        { op: '>=', threshold: 200 },
        NOW,
      ),
    ).toMatchObject({ status: 'not-enough-data', points: 48, spanMs: 47 * HOUR });
  });

  it('the minimums and the window are per call', () => {
    const history = series(4, DAY, (d) => 100 + 10 * d);
    expect(forecast(history, { op: '>=', threshold: 200 }, NOW, { minPoints: 3 }).status).toBe(
      'eta',
    );
    // Only the last 7 days of a 28-day rise count with a 7-day window: 8 points.
    const long = series(28, DAY, (d) => (d < -7 ? 0 : 100 + 10 * d));
    expect(
      eta(forecast(long, { op: '>=', threshold: 200 }, NOW, { windowMs: 7.5 * DAY })).eta.getTime(),
    ).toBe(daysAfter(10).getTime());
  });

  it('a comparison already true is reached, whatever the data', () => {
    expect(
      forecast(
        series(2, DAY, (d) => 500 + d),
        { op: '>=', threshold: 400 },
        NOW,
      ),
    ).toEqual({ status: 'reached' });
    // `current` is what the comparison saw (an aggregate), which may differ from the newest point.
    expect(
      forecast(
        series(28, DAY, (d) => 300 + d),
        { op: '>', threshold: 400, current: 401 },
        NOW,
      ),
    ).toEqual({ status: 'reached' });
  });

  it('points outside the window, after now, or not finite are ignored; order does not matter', () => {
    const history = series(28, DAY, (d) => 380 + 10 * d);
    const noisy = [
      { t: daysAfter(3), v: 1e9 },
      { t: daysAfter(-400), v: -1e9 },
      { t: daysAfter(-1.5), v: Number.NaN },
      ...history,
    ].reverse();
    expect(forecast(noisy, { op: '>=', threshold: 500 }, NOW)).toEqual(
      forecast(history, { op: '>=', threshold: 500 }, NOW),
    );
  });
});

describe('the linear model is Prometheus predict_linear', () => {
  /**
   * predict_linear(v[range], t) is documented as "simple linear regression" over the range,
   * evaluated t seconds after the evaluation time: slope = Σ(x−x̄)(y−ȳ)/Σ(x−x̄)² with x the
   * sample time in seconds relative to the evaluation time, intercept at x = 0 = ȳ − slope·x̄.
   * Computed here independently (two-pass, no compensated sums).
   */
  function documented(history: HistoryPoint[], now: Date, horizonSeconds: number): number {
    const xs = history.map((p) => (p.t.getTime() - now.getTime()) / 1000);
    const ys = history.map((p) => p.v);
    const mx = xs.reduce((a, b) => a + b, 0) / xs.length;
    const my = ys.reduce((a, b) => a + b, 0) / ys.length;
    let sxy = 0;
    let sxx = 0;
    xs.forEach((x, i) => {
      sxy += (x - mx) * ((ys[i] as number) - my);
      sxx += (x - mx) ** 2;
    });
    const slope = sxy / sxx;
    return my - slope * mx + slope * horizonSeconds;
  }

  // Irregular sample times and noise, so nothing lines up by accident.
  const random = prng(42);
  const noise = gaussian(prng(43));
  const history: HistoryPoint[] = [];
  for (
    let t = NOW.getTime() - 20 * DAY;
    t <= NOW.getTime();
    t += Math.round(HOUR * (0.5 + 2 * random()))
  ) {
    const d = (t - NOW.getTime()) / DAY;
    history.push({ t: new Date(t), v: 5000 + 37 * d + 3 * d * d + 80 * noise() });
  }

  it.each([0, 3600, 86_400, 7 * 86_400, -86_400])('at a horizon of %i s', (horizon) => {
    const expected = documented(history, NOW, horizon);
    const predicted = predictLinear(history, NOW, horizon) as number;
    expect(predicted).toBeCloseTo(expected, 6);
    const fit = fitHistory(history, NOW);
    if (fit.kind !== 'fit') throw new Error('expected a fit');
    expect(fit.linear.intercept + fit.linear.slope * horizon).toBe(predicted);
    expect(modelValueAt(fit.linear, NOW, new Date(NOW.getTime() + horizon * 1000)).v).toBeCloseTo(
      expected,
      6,
    );
  });

  it('with fewer than two samples there is no result; a constant series predicts itself', () => {
    expect(predictLinear([], NOW, 60)).toBeUndefined();
    expect(predictLinear([{ t: NOW, v: 1 }], NOW, 60)).toBeUndefined();
    expect(
      predictLinear(
        series(5, HOUR, () => 7.5),
        NOW,
        86_400,
      ),
    ).toBe(7.5);
    expect(linearRegression([1, 2], [Infinity, Infinity])).toEqual({ slope: NaN, intercept: NaN });
  });
});

describe('fits and bands', () => {
  it('bucket means carry the uncertainty of dense data; one point per bucket is the ordinary fit', () => {
    const noise = gaussian(prng(9));
    const dense = series(28 * 24, HOUR, (d) => 10 * d + 5 * noise());
    const xs = dense.map((p) => (p.t.getTime() - NOW.getTime()) / 1000);
    const fit = fitLine(
      xs,
      dense.map((p) => p.v),
      86_400,
    );
    expect(fit.band.bucketed).toBe(true);
    expect(fit.band.count).toBe(28);
    const daily = series(28, DAY, (d) => 10 * d + 5 * noise());
    const ordinary = fitLine(
      daily.map((p) => (p.t.getTime() - NOW.getTime()) / 1000),
      daily.map((p) => p.v),
      86_400,
    );
    expect(ordinary.band.bucketed).toBe(false);
    expect(ordinary.band.count).toBe(28);
  });

  it('the projection starts at the fitted value now and crosses the threshold at the ETA', () => {
    const history = series(28, DAY, (d) => 100 * 2 ** (d / 7));
    const fit = fitHistory(history, NOW);
    if (fit.kind !== 'fit') throw new Error('expected a fit');
    const f = eta(forecastFromFit(fit, { op: '>=', threshold: 800 }));
    const points = projection(fit, 800, f.eta, 10);
    expect(points).toHaveLength(11);
    expect(points[0]?.t).toEqual(NOW);
    expect(points[0]?.v).toBeCloseTo(100, 6);
    expect(points[10]?.v).toBeCloseTo(800, 4);
    for (const p of points) expect(p.low).toBeLessThanOrEqual(p.v + 1e-9);
  });

  it("Student's t quantiles match the tables", () => {
    // t(0.90; df) from standard tables.
    const table: [number, number][] = [
      [1, 3.078],
      [2, 1.886],
      [3, 1.638],
      [5, 1.476],
      [10, 1.372],
      [30, 1.31],
      [120, 1.289],
    ];
    for (const [df, t] of table) expect(studentTQuantile(0.9, df)).toBeCloseTo(t, 3);
    expect(studentTQuantile(0.975, 10)).toBeCloseTo(2.228, 3);
    expect(studentTCdf(0, 4)).toBeCloseTo(0.5, 12);
    expect(() => studentTQuantile(0.4, 3)).toThrow(RangeError);
  });

  it('refuses options that cannot work', () => {
    expect(() => forecast([], { op: '>', threshold: 1 }, NOW, { minPoints: 2 })).toThrow(
      RangeError,
    );
    expect(() => forecast([], { op: '>', threshold: 1 }, NOW, { level: 1 })).toThrow(RangeError);
  });
});
