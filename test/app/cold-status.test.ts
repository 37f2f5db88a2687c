import { beforeAll, describe, expect, it } from 'vitest';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import type { AppDeps } from '../../src/app/context.js';
import { forecastFits } from '../../src/app/evaluate.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { RoadmapRegistry } from '../../src/app/registry.js';
import { runCommand } from '../../src/app/run.js';
import { admin, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const MINUTE = 60_000;
const DAY = 86_400_000;
// Not on a bucket boundary: the bucket still filling is part of every history.
const NOW = new Date('2026-03-21T12:03:17.250Z');
const clock = new TestClock(NOW);
const as = { ...admin, defaultRoadmap: 'example' };
const actor = { platform: 'cli' as const, id: 'test' };
let registry: RoadmapRegistry;

/** mulberry32, so the seeded store is the same on every run. */
function prng(seed: number): () => number {
  let a = seed | 0;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * 30 days of the example roadmap's metrics every 7 minutes (so buckets hold one or two points),
 * trending towards their thresholds with noise; a second source at some of the same instants.
 */
function seed(): PointInput[] {
  const random = prng(16);
  const shapes: Record<string, [number, number, number]> = {
    active_users: [150, 390, 6],
    paid_users: [5, 19, 0.7],
    mrr: [120.5, 480.25, 9.3],
    response_time_p95: [0.45, 0.9, 0.05],
    database_cpu: [21.3, 44.1, 3.3],
    infra_cost: [80.1, 150.7, 1.1],
    cache_hit_rate: [52.5, 71.5, 2.2],
  };
  const points: PointInput[] = [];
  const from = NOW.getTime() - 30 * DAY;
  for (const [metric, [start, end, noise]] of Object.entries(shapes)) {
    for (let t = from; t <= NOW.getTime(); t += 7 * MINUTE) {
      const f = (t - from) / (30 * DAY);
      const value = start + (end - start) * f + noise * (random() - 0.5);
      const at = new Date(t);
      points.push({ roadmapId: 'example', metric, value, at, source: 'api' });
      if (random() < 0.2)
        points.push({ roadmapId: 'example', metric, value: value * 1.01, at, source: 'csv' });
    }
  }
  return points;
}

const deps = (store: PgStore): AppDeps => ({ store, registry, clock: clock.now });

/** status --json as a restarted process gives it: fresh caches, every fit made afresh. */
async function coldStatus(store: PgStore): Promise<unknown> {
  forecastFits.clear();
  const reply = await runCommand(deps(store), as, 'status --json', 'cli');
  expect(reply.exitCode).toBe(0);
  return reply.json;
}

beforeAll(async () => {
  registry = new RoadmapRegistry(roadmapsFolder('example'));
  await registry.reload();
  const store = pgStore(db.pool, { rollups: false });
  await store.points.import(seed(), { actor, action: 'import', at: NOW });
});

describe('status from the rollups', () => {
  it('is the status computed from the points, stale or refreshed, before and after late writes', async () => {
    const fromPoints = () => coldStatus(pgStore(db.pool, { rollups: false }));
    const fromRollups = () => coldStatus(pgStore(db.pool, { rollups: { delayMs: 3_600_000 } }));
    const refresh = async () => {
      const store = pgStore(db.pool);
      await store.rollups!.run();
      const marks = await db.pool.query('SELECT 1 FROM metric_rollups_stale');
      expect(marks.rowCount).toBe(0);
    };

    const expected = await fromPoints();
    // The forecasts are there to compare: an ETA with its interval for active_users.
    const upgrade = (expected as { triggers: { comparisons: { eta: string | null }[] }[] })
      .triggers[0];
    expect(upgrade?.comparisons.some((c) => c.eta !== null)).toBe(true);
    expect(await fromRollups()).toEqual(expected); // every bucket stale: read from the points
    await refresh();
    expect(await fromRollups()).toEqual(expected);

    // Late points, a replaced value and a removed point, in buckets the rollups hold.
    const writer = pgStore(db.pool, { rollups: false });
    await writer.points.record(
      [
        {
          roadmapId: 'example',
          metric: 'active_users',
          value: 999.125,
          at: new Date(NOW.getTime() - 3 * DAY),
          source: 'late',
        },
        {
          roadmapId: 'example',
          metric: 'active_users',
          value: 12.5,
          at: new Date(NOW.getTime() - 2 * DAY - 7 * MINUTE),
          source: 'api',
        },
        {
          roadmapId: 'example',
          metric: 'mrr',
          value: 300.3,
          at: new Date(NOW.getTime() - 20 * DAY),
          source: 'csv',
        },
      ],
      { actor, action: 'record', at: NOW },
    );
    await db.pool.query(
      `DELETE FROM metric_points WHERE roadmap_id = 'example' AND metric = 'active_users' AND at = (
         SELECT max(at) FROM metric_points WHERE metric = 'active_users' AND at < $1)`,
      [new Date(NOW.getTime() - 5 * DAY)],
    );
    const changed = await fromPoints();
    expect(changed).not.toEqual(expected);
    expect(await fromRollups()).toEqual(changed);
    await refresh();
    expect(await fromRollups()).toEqual(changed);
  });
});

describe('forecast fits cached per process', () => {
  it('a warm status does not fit again; a new point, or another instant, does', async () => {
    const store = pgStore(db.pool, { rollups: { delayMs: 3_600_000 } });
    const status = async () => (await runCommand(deps(store), as, 'status --json', 'cli')).json;
    forecastFits.clear();
    const first = await status();
    const fitted = forecastFits.misses;
    expect(fitted).toBeGreaterThan(0);
    const hits = forecastFits.hits;
    expect(await status()).toEqual(first);
    expect(forecastFits.misses).toBe(fitted);
    expect(forecastFits.hits).toBe(hits + fitted);

    // A point arrives (in the bucket still filling): its metric is fitted again, and the
    // status is the one a fresh process gives.
    await store.points.record(
      [
        {
          roadmapId: 'example',
          metric: 'active_users',
          value: 401,
          at: new Date(NOW.getTime() - MINUTE),
          source: 'api',
        },
      ],
      { actor, action: 'record', at: NOW },
    );
    const afterWrite = await status();
    expect(forecastFits.misses).toBe(fitted + 1);
    expect(afterWrite).toEqual(await coldStatus(pgStore(db.pool, { rollups: false })));

    forecastFits.clear();
    await status();
    const misses = forecastFits.misses;
    clock.advance(1000);
    try {
      await status();
      expect(forecastFits.misses).toBe(misses * 2);
    } finally {
      clock.set(NOW);
    }
    store.rollups!.stop();
  });
});
