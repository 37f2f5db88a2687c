import { describe, expect, it } from 'vitest';
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import { FitCache } from '../../src/core/forecast/fit-cache.js';
import { fitHistory } from '../../src/core/forecast/forecast.js';
import { forecastReport, type FitSeries } from '../../src/core/forecast/report.js';
import { DAY, HOUR, NOW, gaussian, prng, series } from './support.js';

const noise = gaussian(prng(7));
const history = series(28 * 24, HOUR, (d) => 300 + 12 * d + 4 * noise());

describe('forecast fits cached with their history', () => {
  it('gives what fitHistory gives, and the same fit again for the same history and instant', () => {
    const cache = new FitCache();
    const first = cache.fit('r\u0000users', history, NOW, { windowMs: 28 * DAY });
    expect(first).toEqual(fitHistory(history, NOW, { windowMs: 28 * DAY }));
    expect(cache.fit('r\u0000users', history, NOW, { windowMs: 28 * DAY })).toBe(first);
    // A copy holding the same points is the same history.
    const copy = history.map((p) => ({ t: new Date(p.t), v: p.v }));
    expect(cache.fit('r\u0000users', copy, NOW, { windowMs: 28 * DAY })).toBe(first);
    expect({ hits: cache.hits, misses: cache.misses }).toEqual({ hits: 2, misses: 1 });
  });

  it('fits again when a point arrives or changes, at another instant, with other options', () => {
    const cache = new FitCache();
    const first = cache.fit('s', history, NOW);
    const later = new Date(NOW.getTime() + 60_000);
    const arrived = [...history, { t: later, v: 1_000 }];
    const changed = history.map((p, i) => (i === 100 ? { ...p, v: p.v + 1e-9 } : p));
    const cases: [string, readonly HistoryPoint[], Date, object][] = [
      ['a new point', arrived, later, {}],
      ['a changed value', changed, NOW, {}],
      ['another instant', history, later, {}],
      ['other options', history, NOW, { level: 0.9 }],
    ];
    for (const [label, h, now, options] of cases) {
      const fit = cache.fit('s', h, now, options);
      expect(fit, label).not.toBe(first);
      expect(fit, label).toEqual(fitHistory(h, now, options));
    }
    expect(cache.misses).toBe(1 + cases.length);
    // The newest history for the series is what is kept: the old one is fitted again.
    expect(cache.fit('s', arrived, later)).toBe(cache.fit('s', arrived, later));
  });

  it('keeps at most maxEntries series, dropping the least recently used', () => {
    const cache = new FitCache({ maxEntries: 2 });
    const a = cache.fit('a', history, NOW);
    cache.fit('b', history, NOW);
    expect(cache.fit('a', history, NOW)).toBe(a); // a is now the most recent
    cache.fit('c', history, NOW); // drops b
    expect(cache.size).toBe(2);
    const misses = cache.misses;
    expect(cache.fit('a', history, NOW)).toBe(a);
    cache.fit('b', history, NOW);
    expect(cache.misses).toBe(misses + 1);
  });

  it('forecastReport fits each metric through the function it is given, once per report', () => {
    const calls: string[] = [];
    const fitSeries: FitSeries = (metric, h, now, options) => {
      calls.push(metric);
      return fitHistory(h, now, options);
    };
    const report = {
      evaluatedAt: NOW,
      metrics: [{ name: 'users' }],
      triggers: [
        {
          id: 't',
          comparisons: [
            { metric: 'users', op: '>=', threshold: 1000, state: 'unmet', value: 300 },
            { metric: 'users', op: '>=', threshold: 2000, state: 'unmet', value: 300 },
          ],
        },
      ],
      targets: [],
    } as unknown as Parameters<typeof forecastReport>[0];
    const histories = new Map([['users', history]]);
    const viaCache = forecastReport(report, histories, { windowMs: 28 * DAY }, fitSeries);
    expect(calls).toEqual(['users']);
    expect(viaCache).toEqual(forecastReport(report, histories, { windowMs: 28 * DAY }));
  });
});
