import type { HistoryPoint } from '../../core/forecast/fit.js';

/** One metric's buckets, oldest first: each one's start (ms) and average, in two columns. */
export interface BucketSeries {
  starts: ArrayLike<number>;
  values: ArrayLike<number>;
}

/** Bucket averages of some metrics from `since` (a bucket start) up to `until`, oldest first. */
export type ReadBuckets = (
  metrics: string[],
  since: number,
  until: Date,
) => Promise<Map<string, BucketSeries>>;

/** Complete buckets of one metric's history. */
interface Entry {
  /** Start of the first bucket cached. */
  from: number;
  /** End of the last complete bucket cached: buckets from here on are read again. */
  until: number;
  /** When the whole history was last read (wall clock, for the time to live). */
  fetchedAt: number;
  /** The complete buckets, oldest first, as the points callers get: shared, hence read-only. */
  points: readonly HistoryPoint[];
}

export interface HistoryCacheOptions {
  /** After this long an entry is read whole again, in the background (default 10 minutes). */
  ttlMs?: number;
  /** Wall clock, in ms, for the time to live. */
  wallClock?: () => number;
  /** Called on every write this process makes (`written`, `clear`): the rollups' refresher. */
  onWrite?: () => void;
}

/**
 * Each metric's bucketed history (for forecasts and charts), kept per process so a status
 * over a year of minute-level points reads only the newest minutes:
 *
 * - Complete buckets are cached; the bucket still filling is read every time.
 * - A write through this process drops only the buckets at or after its earliest point, so
 *   points arriving as they happen (the common case) drop nothing.
 * - Other replicas' backfills are seen when an entry outlives its time to live: it keeps
 *   answering while it is read whole again in the background, so no status waits for that.
 * - A read that overlapped a write to its roadmap does not update the cache (it may have
 *   read the data from before the write).
 */
export class HistoryCache {
  /** Per series (`roadmap\u0000metric`), per bucket size: a write looks up only the series it touched. */
  private readonly entries = new Map<string, Map<number, Entry>>();
  /** Per roadmap, bumped by every write: a read stores what it read only if unchanged. */
  private readonly generations = new Map<string, number>();
  private readonly refreshing = new Map<string, Promise<void>>();
  private readonly ttlMs: number;
  private readonly wallClock: () => number;
  private readonly onWrite: () => void;

  constructor(options: HistoryCacheOptions = {}) {
    this.ttlMs = options.ttlMs ?? 10 * 60_000;
    this.wallClock = options.wallClock ?? Date.now;
    this.onWrite = options.onWrite ?? (() => undefined);
  }

  /**
   * Each metric's history over (now - window, now] in buckets of `bucketMs` (aligned to
   * multiples of it), averaged and stamped at the bucket's centre (capped at now). The points
   * returned are shared: do not mutate them.
   */
  async read(
    roadmapId: string,
    metrics: string[],
    windowMs: number,
    bucketMs: number,
    now: Date,
    readBuckets: ReadBuckets,
  ): Promise<Map<string, readonly HistoryPoint[]>> {
    const generation = this.generation(roadmapId);
    const nowMs = now.getTime();
    const firstWhole = Math.ceil((nowMs - windowMs) / bucketMs) * bucketMs;
    const expiredBefore = this.wallClock() - this.ttlMs;
    const found = new Map<string, Entry | undefined>();
    const cached = new Map<string, Entry>();
    const uncached: string[] = [];
    const expired: string[] = [];
    for (const metric of metrics) {
      const entry = this.entry(roadmapId, metric, bucketMs);
      found.set(metric, entry);
      // Usable when it starts by the window's start and ends by now. One that ends later (a
      // replay of an earlier moment, --now) is not: that history is read whole, the cache kept.
      if (entry && entry.from <= firstWhole && entry.until <= nowMs) {
        cached.set(metric, entry);
        if (entry.fetchedAt < expiredBefore) expired.push(metric);
      } else uncached.push(metric);
    }
    if (expired.length > 0)
      this.refresh(roadmapId, expired, firstWhole, bucketMs, now, readBuckets);

    const tailSince = Math.min(...[...cached.values()].map((e) => e.until));
    const [full, tail] = await Promise.all([
      uncached.length > 0
        ? readBuckets(uncached, firstWhole, now)
        : new Map<string, BucketSeries>(),
      cached.size > 0
        ? readBuckets([...cached.keys()], tailSince, now)
        : new Map<string, BucketSeries>(),
    ]);
    const storable = this.generation(roadmapId) === generation;
    const result = new Map<string, readonly HistoryPoint[]>();
    for (const metric of metrics) {
      const previous = cached.get(metric);
      const { entry, partial } = extend(
        previous,
        (previous ? tail : full).get(metric) ?? NO_BUCKETS,
        firstWhole,
        bucketMs,
        nowMs,
        this.wallClock(),
      );
      // Unless another read (a background one) replaced the entry meanwhile, or this one is older.
      const before = found.get(metric);
      if (
        storable &&
        this.entry(roadmapId, metric, bucketMs) === before &&
        entry.until >= (before?.until ?? -Infinity)
      )
        this.store(roadmapId, metric, bucketMs, entry);
      result.set(metric, partial.length > 0 ? entry.points.concat(partial) : entry.points);
    }
    return result;
  }

  /**
   * Points were written (call before the write and again after its commit): drops, for each
   * metric written, the cached buckets at or after its earliest point.
   */
  written(points: Iterable<{ roadmapId: string; metric: string; at: Date }>): void {
    this.onWrite();
    // Roadmap → metric → earliest time: no key string per point (a push is 1,000 points, and
    // this runs twice per write).
    const earliestOf = new Map<string, Map<string, number>>();
    for (const p of points) {
      let metrics = earliestOf.get(p.roadmapId);
      if (!metrics) earliestOf.set(p.roadmapId, (metrics = new Map()));
      const at = p.at.getTime();
      const known = metrics.get(p.metric);
      if (known === undefined || at < known) metrics.set(p.metric, at);
    }
    const earliest = new Map<string, number>();
    for (const [roadmapId, metrics] of earliestOf) {
      this.bump(roadmapId);
      for (const [metric, at] of metrics) earliest.set(seriesOf(roadmapId, metric), at);
    }
    for (const [series, at] of earliest) {
      const sizes = this.entries.get(series);
      if (!sizes) continue;
      for (const [bucketMs, entry] of sizes) {
        if (at >= entry.until) continue; // only the bucket still filling, never cached
        const cut = Math.floor(at / bucketMs) * bucketMs;
        if (cut <= entry.from) sizes.delete(bucketMs);
        else
          sizes.set(bucketMs, {
            ...entry,
            until: cut,
            points: entry.points.filter((p) => p.t.getTime() < cut),
          });
      }
    }
  }

  /** Forgets every cached history (a bulk import may touch any of them). */
  clear(): void {
    this.onWrite();
    this.entries.clear();
    for (const roadmapId of this.generations.keys()) this.bump(roadmapId);
  }

  /** Resolves when the background reads started so far have ended. */
  async settled(): Promise<void> {
    await Promise.all(this.refreshing.values());
  }

  private entry(roadmapId: string, metric: string, bucketMs: number): Entry | undefined {
    return this.entries.get(seriesOf(roadmapId, metric))?.get(bucketMs);
  }

  private store(roadmapId: string, metric: string, bucketMs: number, entry: Entry): void {
    const series = seriesOf(roadmapId, metric);
    let sizes = this.entries.get(series);
    if (!sizes) this.entries.set(series, (sizes = new Map()));
    sizes.set(bucketMs, entry);
  }

  private generation(roadmapId: string): number {
    let generation = this.generations.get(roadmapId);
    if (generation === undefined) this.generations.set(roadmapId, (generation = 0));
    return generation;
  }

  private bump(roadmapId: string): void {
    this.generations.set(roadmapId, this.generation(roadmapId) + 1);
  }

  /** Reads whole the histories of `metrics` in the background, once at a time per roadmap and bucket size. */
  private refresh(
    roadmapId: string,
    metrics: string[],
    firstWhole: number,
    bucketMs: number,
    now: Date,
    readBuckets: ReadBuckets,
  ): void {
    const key = `${roadmapId}\u0000${bucketMs}`;
    if (this.refreshing.has(key)) return;
    const generation = this.generation(roadmapId);
    const run = readBuckets(metrics, firstWhole, now)
      .then((rows) => {
        if (this.generation(roadmapId) !== generation) return;
        for (const metric of metrics) {
          const { entry } = extend(
            undefined,
            rows.get(metric) ?? NO_BUCKETS,
            firstWhole,
            bucketMs,
            now.getTime(),
            this.wallClock(),
          );
          const current = this.entry(roadmapId, metric, bucketMs);
          if (!current || entry.until >= current.until)
            this.store(roadmapId, metric, bucketMs, entry);
        }
      })
      // A failed read leaves the expired entry as it is: the next read tries again.
      .catch(() => undefined)
      .finally(() => this.refreshing.delete(key));
    this.refreshing.set(key, run);
  }
}

const seriesOf = (roadmapId: string, metric: string): string => `${roadmapId}\u0000${metric}`;

const NO_BUCKETS: BucketSeries = { starts: [], values: [] };

/**
 * `previous` (cached buckets, maybe none) moved to the window starting at `firstWhole` and
 * extended with the buckets read since: complete ones join the entry, the one still filling
 * is returned apart.
 */
function extend(
  previous: Entry | undefined,
  rows: BucketSeries,
  firstWhole: number,
  bucketMs: number,
  nowMs: number,
  fetchedAt: number,
): { entry: Entry; partial: HistoryPoint[] } {
  const half = bucketMs / 2;
  let points = previous ? dropBefore(previous.points, firstWhole + half) : [];
  let until = previous ? previous.until : firstWhole;
  const added: HistoryPoint[] = [];
  const partial: HistoryPoint[] = [];
  const { starts, values } = rows;
  for (let i = 0; i < starts.length; i++) {
    const start = starts[i] as number;
    const v = values[i] as number;
    if (start < firstWhole || start < until) continue; // outside the window, or cached already
    if (start + bucketMs <= nowMs) added.push({ t: new Date(start + half), v });
    else partial.push({ t: new Date(Math.min(start + half, nowMs)), v });
  }
  if (added.length > 0) {
    points = points.concat(added);
    until = (added[added.length - 1] as HistoryPoint).t.getTime() + half;
  }
  // Buckets before firstWhole were dropped: the entry now starts there.
  return {
    entry: { from: firstWhole, until, fetchedAt: previous?.fetchedAt ?? fetchedAt, points },
    partial,
  };
}

/** `points` from the first one stamped at or after `t` (the same array when none is dropped). */
function dropBefore(points: readonly HistoryPoint[], t: number): readonly HistoryPoint[] {
  let i = 0;
  while (i < points.length && (points[i] as HistoryPoint).t.getTime() < t) i++;
  return i === 0 ? points : points.slice(i);
}
