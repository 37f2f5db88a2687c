import { describe, expect, it } from 'vitest';
import { PgStore } from '../../src/adapters/pg/store.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const HOUR = 3_600_000;
const BUCKET = 10 * 60_000;
const T0 = Date.parse('2026-03-01T00:00:00Z');
const actor = { platform: 'cli' as const, id: 'test' };

async function write(store: PgStore, fromHour: number, toHour: number) {
  const points = [];
  for (let m = fromHour * 60; m < toHour * 60; m += 1) {
    points.push({ roadmapId: 'r', metric: 'users', value: 100 + m / 7 + (m % 13), at: new Date(T0 + m * 60_000), source: 'test' });
  }
  await store.recordPoints(points, { actor, action: 'record', at: new Date(T0) });
}

describe('forecast histories cache', () => {
  it('answers like a fresh read as new points arrive from another replica', async () => {
    const cached = new PgStore(db.pool);
    const other = new PgStore(db.pool); // another replica: its writes do not touch `cached`
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
      const fromCache = await cached.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
      const fresh = await new PgStore(db.pool).forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
      expect(fromCache.get('users')).toEqual(fresh.get('users'));
      expect(fromCache.get('users')!.length).toBeGreaterThan(100);
    }
    // A replay of the past (--now) is answered correctly and leaves the live cache alone.
    const past = await cached.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, at(10));
    expect(past).toEqual(await new PgStore(db.pool).forecastHistories('r', ['users'], 20 * HOUR, BUCKET, at(10)));
  });

  it('forgets a roadmap history when this store writes to it (a backfill of old buckets)', async () => {
    const store = new PgStore(db.pool);
    const now = new Date(T0 + 30 * HOUR);
    const before = await store.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
    await store.recordPoints([{ roadmapId: 'r', metric: 'users', value: 1_000_000, at: new Date(T0 + 20 * HOUR + 60_000), source: 'backfill' }], { actor, action: 'record', at: now });
    const after = await store.forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now);
    expect(after).not.toEqual(before);
    expect(after).toEqual(await new PgStore(db.pool).forecastHistories('r', ['users'], 20 * HOUR, BUCKET, now));
  });
});
