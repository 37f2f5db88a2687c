import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { withDatabase } from '../../src/adapters/pg/embedded.js';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import { warmConnections } from '../../src/adapters/pg/warm-up.js';
import { forecastFits, forecastInputs, type ForecastReads } from '../../src/app/evaluate.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { RoadmapRegistry } from '../../src/app/registry.js';
import { runCommand } from '../../src/app/run.js';
import { warmUp, type WarmUpDeps, type WarmUpOptions } from '../../src/app/warm-up.js';
import { admin, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const NOW = new Date('2026-03-21T12:03:17.250Z');
const MINUTE = 60_000;
const clock = new TestClock(NOW);
const actor = { platform: 'cli' as const, id: 'test' };
let registry: RoadmapRegistry;

/** What the warm-up logged. */
function recorder() {
  const lines: { level: 'info' | 'warn'; message: string; details?: object }[] = [];
  return {
    lines,
    logger: {
      info: (message: string) => void lines.push({ level: 'info', message }),
      warn: (details: object, message: string) =>
        void lines.push({ level: 'warn', message, details }),
    },
  };
}

/** A timer the test fires by hand (no test waits for wall-clock time). */
function manualTimer() {
  const timer = {
    fire: undefined as (() => void) | undefined,
    asked: undefined as number | undefined,
    cancelled: false,
    schedule: (ms: number, fire: () => void) => {
      timer.asked = ms;
      timer.fire = fire;
      return () => void (timer.cancelled = true);
    },
  };
  return timer;
}

const pools: pg.Pool[] = [];
/** A pool of its own, named so that pg_stat_activity tells its backends apart. */
function ownPool(url = db.url, min = 0) {
  const applicationName = `warm-up test ${randomBytes(3).toString('hex')}`;
  const pool = createPool(url, { max: 10, min, applicationName, onError: () => undefined });
  pools.push(pool);
  return { pool, applicationName };
}
const stores: PgStore[] = [];
function storeOn(pool: pg.Pool): PgStore {
  const store = pgStore(pool);
  stores.push(store);
  return store;
}

afterEach(async () => {
  for (const store of stores.splice(0)) {
    store.rollups?.stop();
    await store.rollups?.settled();
  }
  for (const pool of pools.splice(0)) await pool.end();
});

beforeAll(async () => {
  registry = new RoadmapRegistry(roadmapsFolder('oviya', 'mirai'));
  await registry.reload();
  expect(registry.list().map((r) => r.id)).toEqual(['mirai', 'oviya']);
  // Some history to forecast from: a point every 10 minutes over the last two days.
  const points: PointInput[] = [];
  for (let t = NOW.getTime() - 2 * 24 * 60 * MINUTE; t <= NOW.getTime(); t += 10 * MINUTE)
    points.push({
      roadmapId: 'oviya',
      metric: 'active_users',
      value: t / 1e10,
      at: new Date(t),
      source: 'api',
    });
  const store = pgStore(db.pool, { rollups: false });
  await store.points.record(points, { actor, action: 'record', at: NOW });
});

const options = (timer = manualTimer()): WarmUpOptions => ({
  connections: 4,
  timeoutMs: 10_000,
  timer: timer.schedule,
});

describe('warmConnections', () => {
  it('opens the connections at once, runs the prime on each, and leaves them open and idle', async () => {
    const { pool, applicationName } = ownPool(db.url, 4);
    // Each prime waits until all four have started: connections opened (or primed) one after
    // another would never get there, and the test would time out.
    let started = 0;
    let allStarted!: () => void;
    const barrier = new Promise<void>((resolve) => (allStarted = resolve));
    const roadmap = registry.get('oviya')!;
    const warmed = await warmConnections(pool, 4, async (reads: ForecastReads) => {
      if (++started === 4) allStarted();
      await barrier;
      await forecastInputs(reads, roadmap, NOW);
    });
    expect(warmed).toEqual({ opened: 4, errors: [] });
    expect(pool.totalCount).toBe(4);
    expect(pool.idleCount).toBe(4);
    // Four backends, each of which ran a status's reads (its last statement is one of them).
    const { rows } = await db.pool.query<{ query: string }>(
      'SELECT query FROM pg_stat_activity WHERE application_name = $1',
      [applicationName],
    );
    expect(rows).toHaveLength(4);
    for (const row of rows) expect(row.query).toMatch(/metric_points|metric_rollups|stage/);
  });

  it('reports the connections it could not open, and opens none it was not asked for', async () => {
    const { pool } = ownPool(withDatabase(db.url, `missing_${randomBytes(3).toString('hex')}`));
    let primed = 0;
    const warmed = await warmConnections(pool, 3, async () => void primed++);
    expect(warmed.opened).toBe(0);
    expect(warmed.errors).toHaveLength(3);
    expect(warmed.errors[0]?.message).toMatch(/does not exist/);
    expect(primed).toBe(0);
  });
});

describe('warmUp', () => {
  it('opens and primes the connections, evaluates every roadmap (caches filled), and logs it', async () => {
    const { pool } = ownPool(db.url, 4);
    const store = storeOn(pool);
    const { logger, lines } = recorder();
    const timer = manualTimer();
    forecastFits.clear();
    const deps: WarmUpDeps = {
      store,
      registry,
      clock: clock.now,
      logger,
      connections: (count, prime) => warmConnections(pool, count, prime),
    };
    const result = await warmUp(deps, options(timer));
    expect(result).toMatchObject({
      outcome: 'done',
      connections: { asked: 4, opened: 4, failed: 0 },
      evaluated: ['mirai', 'oviya'],
      failed: [],
    });
    expect(pool.totalCount).toBe(4);
    expect(timer.asked).toBe(10_000);
    expect(timer.cancelled).toBe(true);
    expect(lines).toEqual([
      {
        level: 'info',
        message: expect.stringMatching(
          /^warm-up: 4\/4 connections opened and primed, 2\/2 roadmaps evaluated \(mirai, oviya\) in \d+ ms$/,
        ),
      },
    ]);
    // The fits and the histories are cached: a status at the same instant fits nothing again.
    const fits = forecastFits.size;
    expect(fits).toBeGreaterThan(0);
    const misses = forecastFits.misses;
    const reply = await runCommand(
      { store, registry, clock: clock.now },
      admin,
      'status --json --roadmap oviya',
      'cli',
    );
    expect(reply.exitCode).toBe(0);
    expect(forecastFits.misses).toBe(misses);
    expect(forecastFits.hits).toBeGreaterThan(0);
    await result.settled;
  });

  it('with no connection port or none asked, only evaluates', async () => {
    const store = storeOn(db.pool);
    const { logger } = recorder();
    const result = await warmUp(
      { store, registry, clock: clock.now, logger },
      { ...options(), connections: 4 },
    );
    expect(result).toMatchObject({
      outcome: 'done',
      connections: { asked: 0, opened: 0 },
      evaluated: ['mirai', 'oviya'],
    });
  });

  it('evaluates each roadmap `rounds` times, the later ones at earlier instants, never ahead of the clock', async () => {
    const store = storeOn(db.pool);
    const asked: { roadmap: string; at: number }[] = [];
    const spied: PgStore = {
      ...store,
      points: {
        ...store.points,
        forecastHistories: (roadmapId, metrics, windowMs, bucketMs, now) => {
          asked.push({ roadmap: roadmapId, at: now.getTime() });
          return store.points.forecastHistories(roadmapId, metrics, windowMs, bucketMs, now);
        },
      },
    };
    const { logger } = recorder();
    const result = await warmUp(
      { store: spied, registry, clock: clock.now, logger },
      { ...options(), rounds: 3 },
    );
    expect(result.outcome).toBe('done');
    const t = NOW.getTime();
    expect(asked).toEqual([
      { roadmap: 'mirai', at: t },
      { roadmap: 'mirai', at: t - 1000 },
      { roadmap: 'mirai', at: t - 2000 },
      { roadmap: 'oviya', at: t },
      { roadmap: 'oviya', at: t - 1000 },
      { roadmap: 'oviya', at: t - 2000 },
    ]);
  });

  it('gives up waiting when its time is out, without stopping the work, and never throws', async () => {
    const { pool } = ownPool(db.url, 4);
    const store = storeOn(pool);
    const { logger, lines } = recorder();
    const timer = manualTimer();
    // Every status reads stage_transitions first: held, the warm-up cannot finish.
    const locker = await db.pool.connect();
    try {
      await locker.query('BEGIN');
      await locker.query('LOCK TABLE stage_transitions IN ACCESS EXCLUSIVE MODE');
      const pending = warmUp(
        {
          store,
          registry,
          clock: clock.now,
          logger,
          connections: (count, prime) => warmConnections(pool, count, prime),
        },
        options(timer),
      );
      expect(timer.fire).toBeDefined();
      timer.fire?.();
      const result = await pending;
      expect(result.outcome).toBe('timed out');
      expect(result.evaluated).toEqual([]);
      expect(lines).toEqual([
        expect.objectContaining({
          level: 'warn',
          message: expect.stringMatching(/^warm-up: not finished after \d+ ms \(WARM_UP_TIMEOUT\)/),
        }),
      ]);
      await locker.query('ROLLBACK');
      // It carried on in the background and finished once the table was free.
      await result.settled;
      expect(result.evaluated).toEqual(['mirai', 'oviya']);
    } finally {
      await locker.query('ROLLBACK').catch(() => undefined);
      locker.release();
    }
  });

  it('logs a failure (no database) as a warning and returns: start-up goes on', async () => {
    const { pool } = ownPool(withDatabase(db.url, `missing_${randomBytes(3).toString('hex')}`));
    const store = storeOn(pool);
    const { logger, lines } = recorder();
    const result = await warmUp(
      {
        store,
        registry,
        clock: clock.now,
        logger,
        connections: (count, prime) => warmConnections(pool, count, prime),
      },
      options(),
    );
    expect(result.outcome).toBe('failed');
    expect(result.connections).toEqual({ asked: 4, opened: 0, failed: 4 });
    expect(result.evaluated).toEqual([]);
    expect(result.failed.map((f) => f.roadmap)).toEqual(expect.arrayContaining(['mirai', 'oviya']));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({ level: 'warn' });
    expect(lines[0]?.message).toMatch(/does not exist.*starting anyway/);
    await result.settled;
  });
});
