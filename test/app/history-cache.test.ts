import { describe, expect, it } from 'vitest';
import { HistoryCache, type ReadBuckets } from '../../src/adapters/pg/history-cache.js';
import { memoryBuckets } from '../support/history.js';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const HOUR = 3_600_000;
const BUCKET = 10 * 60_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const actor = { platform: 'cli' as const, id: 'test' };

async function write(store: PgStore, fromHour: number, toHour: number) {
  const points = [];
  for (let m = fromHour * 60; m < toHour * 60; m += 1) {
    points.push({
      roadmapId: 'r',
      metric: 'users',
      value: 100 + m / 7 + (m % 13),
      at: new Date(T0 + m * 60_000),
      source: 'test',
    });
  }
  await store.points.record(points, { actor, action: 'record', at: new Date(T0) });
}

describe('forecast histories cache', () => {
  it('answers like a fresh read as new points arrive from another replica', async () => {
    const cached = pgStore(db.pool);
    const other = pgStore(db.pool); // another replica: its writes do not touch `cached`
    await write(other, 0, 48);
    const at = (hour: number, minute = 0) => new Date(T0 + hour * HOUR + minute * 60_000);
    for (const [hour, minute, writeUntil] of [
      [24, 5, 48],
      [30, 17, 48],
      [47, 59, 48],
      [48, 3, 49],
      [48, 44, 50],
    ] as const) {
      if (writeUntil > 48) await write(other, 48, writeUntil);
      const now = at(hour, minute);
      const fromCache = await cached.points.forecastHistories(
        'r',
        ['users'],
        20 * HOUR,
        BUCKET,
        now,
      );
      const fresh = await pgStore(db.pool).points.forecastHistories(
        'r',
        ['users'],
        20 * HOUR,
        BUCKET,
        now,
      );
      expect(fromCache.get('users')).toEqual(fresh.get('users'));
      expect(fromCache.get('users')!.length).toBeGreaterThan(100);
    }
    // A replay of the past (--now) is answered correctly and leaves the live cache alone.
    const past = await cached.points.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, at(10));
    expect(past).toEqual(
      await pgStore(db.pool).points.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, at(10)),
    );
  });

  it('forgets a roadmap history when this store writes to it (a backfill of old buckets)', async () => {
    const store = pgStore(db.pool);
    const now = new Date(T0 + 30 * HOUR);
    const before = await store.points.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
    await store.points.record(
      [
        {
          roadmapId: 'r',
          metric: 'users',
          value: 1_000_000,
          at: new Date(T0 + 20 * HOUR + 60_000),
          source: 'backfill',
        },
      ],
      { actor, action: 'record', at: now },
    );
    const after = await store.points.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
    expect(after).not.toEqual(before);
    expect(after).toEqual(
      await pgStore(db.pool).points.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now),
    );
  });
});

describe('HistoryCache', () => {
  const WINDOW = 20 * HOUR;
  const minute = (m: number) => new Date(T0 + m * 60_000);
  const fresh = (data: ReturnType<typeof memoryBuckets>, now: Date) =>
    new HistoryCache().read('r', ['users'], WINDOW, BUCKET, now, data.read);

  it('keeps every cached bucket when points arrive as they happen, and reads only the newest minutes', async () => {
    const data = memoryBuckets(BUCKET, T0);
    const cache = new HistoryCache();
    data.add('users', 0, 30 * 60, (m) => m);
    await cache.read('r', ['users'], WINDOW, BUCKET, minute(30 * 60), data.read);
    cache.written(data.add('users', 30 * 60, 30 * 60 + 5, (m) => m)); // the bucket still filling
    data.calls.length = 0;
    const now = minute(30 * 60 + 5);
    expect(await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read)).toEqual(
      await fresh(data, now),
    );
    expect(data.calls[0]).toEqual({ metrics: ['users'], since: T0 + 30 * HOUR });
  });

  it('drops only the buckets from a backfilled point on, and answers like a fresh read', async () => {
    const data = memoryBuckets(BUCKET, T0);
    const cache = new HistoryCache();
    data.add('users', 0, 30 * 60, (m) => m);
    const now = minute(30 * 60);
    await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read);
    cache.written(data.add('users', 25 * 60 + 3, 25 * 60 + 4, () => 1e6)); // one old minute changed
    data.calls.length = 0;
    const after = await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read);
    expect(after).toEqual(await fresh(data, now));
    expect(after.get('users')?.some((p) => p.v > 1000)).toBe(true);
    expect(data.calls[0]).toEqual({ metrics: ['users'], since: T0 + 25 * HOUR });
  });

  it("sees another replica's backfill once an entry outlives its time to live, read again in the background", async () => {
    const data = memoryBuckets(BUCKET, T0);
    let wall = 0;
    const cache = new HistoryCache({ ttlMs: 10 * 60_000, wallClock: () => wall });
    data.add('users', 0, 30 * 60, (m) => m);
    const now = minute(30 * 60);
    const before = await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read);
    data.add('users', 20 * 60, 20 * 60 + 1, () => 1e6); // written elsewhere: this cache is not told
    wall += 5 * 60_000;
    expect(await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read)).toEqual(before);
    wall += 6 * 60_000;
    // Expired: still answered from the cache at once, and read whole meanwhile.
    expect(await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read)).toEqual(before);
    await cache.settled();
    expect(await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read)).toEqual(
      await fresh(data, now),
    );
  });

  it('does not keep what a read fetched while a write to its roadmap went on', async () => {
    const data = memoryBuckets(BUCKET, T0);
    const cache = new HistoryCache();
    data.add('users', 0, 30 * 60, (m) => m);
    const now = minute(30 * 60);
    const slow: ReadBuckets = async (metrics, since, until) => {
      const rows = await data.read(metrics, since, until); // what stood before the write…
      cache.written(data.add('users', 22 * 60, 22 * 60 + 1, () => 1e6)); // …which lands meanwhile
      return rows;
    };
    await cache.read('r', ['users'], WINDOW, BUCKET, now, slow);
    data.calls.length = 0;
    expect(await cache.read('r', ['users'], WINDOW, BUCKET, now, data.read)).toEqual(
      await fresh(data, now),
    );
    expect(data.calls[0]?.since).toBe(Math.ceil((now.getTime() - WINDOW) / BUCKET) * BUCKET); // read whole: nothing was kept
  });
});
