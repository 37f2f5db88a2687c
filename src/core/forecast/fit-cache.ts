/**
 * Fitted series kept with the history they were fitted on, so that a status asked again at
 * the same instant over the same history does not fit it again (fitting is most of a warm
 * status's CPU). Pure: a bounded map in memory, no clock, no I/O.
 *
 * A fit is reused only when it was made at the same instant (every x is relative to it) with
 * the same options, from a history that is the same array or holds the same points: a new
 * point, a changed bucket or a moved window is a different history and is fitted afresh, so
 * the answer is always the one fitHistory would give.
 */
import type { HistoryPoint } from './fit.js';
import { fitHistory, type ForecastOptions, type SeriesFit } from './forecast.js';

interface Entry {
  history: readonly HistoryPoint[];
  fit: SeriesFit;
}

export interface FitCacheOptions {
  /** Series kept at most, least recently used dropped first (default 256). */
  maxEntries?: number;
}

export class FitCache {
  private readonly entries = new Map<string, Entry>();
  private readonly maxEntries: number;
  /** Fits reused and made, for tests and benches. */
  hits = 0;
  misses = 0;

  constructor(options: FitCacheOptions = {}) {
    this.maxEntries = Math.max(1, options.maxEntries ?? 256);
  }

  /**
   * fitHistory(history, now, options), reused when `series` (e.g. roadmap and metric) was
   * last fitted at `now` with these options on the same history.
   */
  fit(
    series: string,
    history: readonly HistoryPoint[],
    now: Date,
    options: ForecastOptions = {},
  ): SeriesFit {
    const key = `${series}\u0000${now.getTime()}\u0000${optionsKey(options)}`;
    const entry = this.entries.get(key);
    if (entry && sameHistory(entry.history, history)) {
      // Most recently used last, so the first key is the one to drop.
      this.entries.delete(key);
      this.entries.set(key, entry);
      this.hits++;
      return entry.fit;
    }
    this.misses++;
    const fit = fitHistory(history, now, options);
    this.entries.delete(key);
    this.entries.set(key, { history, fit });
    while (this.entries.size > this.maxEntries) {
      const oldest = this.entries.keys().next().value as string;
      this.entries.delete(oldest);
    }
    return fit;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Forgets every fit, and the counts. */
  clear(): void {
    this.entries.clear();
    this.hits = 0;
    this.misses = 0;
  }
}

/** The options as a key: only the fields ForecastOptions has, in a fixed order. */
function optionsKey(o: ForecastOptions): string {
  return [
    o.windowMs,
    o.minPoints,
    o.minSpanMs,
    o.level,
    o.bucketMs,
    o.minTrendT,
    o.maxHorizonMs,
  ].join(',');
}

/**
 * The same points: the same array (the history cache hands out its cached buckets as they
 * are), or equal times and values (Object.is: a NaN equals itself).
 */
function sameHistory(a: readonly HistoryPoint[], b: readonly HistoryPoint[]): boolean {
  if (a === b) return true;
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const p = a[i] as HistoryPoint;
    const q = b[i] as HistoryPoint;
    if (p !== q && (p.t.getTime() !== q.t.getTime() || !Object.is(p.v, q.v))) return false;
  }
  return true;
}
