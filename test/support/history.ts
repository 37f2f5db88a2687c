import type { ReadBuckets } from '../../src/adapters/pg/history-cache.js';

/**
 * An in-memory store of one roadmap's minute points (roadmap id `r`), answering as PgStore's
 * bucket query does (averages per bucket aligned to the epoch, over [since, until]), and
 * recording each call.
 */
export function memoryBuckets(bucketMs: number, t0: number) {
  const points = new Map<string, { metric: string; at: number; v: number }>();
  const calls: { metrics: string[]; since: number }[] = [];
  const read: ReadBuckets = async (metrics, since, until) => {
    calls.push({ metrics: [...metrics], since });
    const sums = new Map<string, Map<number, { s: number; n: number }>>();
    for (const p of points.values()) {
      if (!metrics.includes(p.metric) || p.at < since || p.at > until.getTime()) continue;
      const start = Math.floor(p.at / bucketMs) * bucketMs;
      const byStart = sums.get(p.metric) ?? new Map<number, { s: number; n: number }>();
      const acc = byStart.get(start) ?? { s: 0, n: 0 };
      acc.s += p.v;
      acc.n += 1;
      byStart.set(start, acc);
      sums.set(p.metric, byStart);
    }
    return new Map(
      [...sums].map(([m, byStart]) => {
        const sorted = [...byStart].sort((a, b) => a[0] - b[0]);
        return [
          m,
          { starts: sorted.map(([start]) => start), values: sorted.map(([, { s, n }]) => s / n) },
        ];
      }),
    );
  };
  /** Writes (or overwrites) one point a minute over [fromMinute, toMinute) after t0; returns them as written. */
  const add = (
    metric: string,
    fromMinute: number,
    toMinute: number,
    value: (m: number) => number,
  ) => {
    const added = [];
    for (let m = fromMinute; m < toMinute; m++) {
      const at = t0 + m * 60_000;
      points.set(`${metric}\u0000${at}`, { metric, at, v: value(m) });
      added.push({ roadmapId: 'r', metric, at: new Date(at) });
    }
    return added;
  };
  return { read, calls, add };
}
