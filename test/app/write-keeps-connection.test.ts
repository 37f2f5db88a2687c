import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import { withClient } from '../../src/adapters/pg/db.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { useTestDatabase } from '../support/db.js';

/**
 * A write of a key already stored (a `record` twice in one minute, a push sent again) takes the
 * plain INSERT's duplicate-key error and falls back to the upsert. Through `pool.query` that
 * error destroyed the pooled connection, and the next status paid a new one (TCP, SCRAM, a new
 * backend): the live status of bench/run.ts went from 11 to 41 ms p50 before this was found.
 */
const db = useTestDatabase();
let pool: ReturnType<typeof createPool>;
let store: PgStore;
let opened = 0;
let removed = 0;

const at = new Date('2026-03-02T12:00:00Z');
const point = (value: number): PointInput => ({
  roadmapId: 'oviya',
  metric: 'active_users',
  value,
  at,
  source: 'manual',
});
const entry = {
  actor: { platform: 'cli' as const, id: 'test' },
  roadmapId: 'oviya',
  action: 'record',
  at,
};

beforeAll(() => {
  pool = createPool(db.url, { max: 3, applicationName: 'write-keeps-connection test' });
  pool.on('connect', () => opened++);
  pool.on('remove', () => removed++);
  store = pgStore(pool, { rollups: false });
});

afterAll(async () => {
  await pool.end();
});

describe('writing a key that is already stored', () => {
  it('keeps the pooled connection (the duplicate key is an answer, not a broken link)', async () => {
    expect(await store.points.record([point(1)], entry)).toBe(1);
    const before = { opened, removed };
    for (let value = 2; value <= 6; value++)
      expect(await store.points.record([point(value)], entry)).toBe(1);
    expect(await store.points.record([point(6)], entry)).toBe(0);
    expect(removed - before.removed).toBe(0);
    expect(opened - before.opened).toBe(0);
    const { rows } = await pool.query(
      `SELECT value FROM metric_points WHERE roadmap_id = 'oviya' AND metric = 'active_users' AND at = $1`,
      [at],
    );
    expect(rows).toEqual([{ value: 6 }]);
  });

  it('still destroys a connection that failed without an answer from the server', async () => {
    // The pool forgets a destroyed client at once (its 'remove' event waits for the socket).
    const before = pool.totalCount;
    expect(before).toBeGreaterThan(0);
    await expect(
      withClient(pool, async () => {
        throw new Error('the socket closed');
      }),
    ).rejects.toThrow('the socket closed');
    expect(pool.totalCount).toBe(before - 1);
    // And an error the server answered keeps it.
    let during = 0;
    await expect(
      withClient(pool, (c) => {
        during = pool.totalCount;
        return c.query('SELECT 1/0');
      }),
    ).rejects.toThrow(/division/);
    expect(pool.totalCount).toBe(during);
  });
});

describe('a statement the server refuses, through pool.query', () => {
  it('keeps its connection, so the next statement needs no new one', async () => {
    await pool.query('SELECT 1');
    const before = { opened, removed, total: pool.totalCount };
    for (let i = 0; i < 3; i++) {
      await expect(pool.query('SELECT 1/0')).rejects.toThrow(/division by zero/);
      await expect(
        pool.query({ text: 'SELECT $1::int', values: ['not a number'] }),
      ).rejects.toThrow(/invalid input syntax/);
    }
    expect((await pool.query('SELECT 41 + $1::int AS n', [1])).rows).toEqual([{ n: 42 }]);
    expect(pool.totalCount).toBe(before.total);
    expect(removed - before.removed).toBe(0);
    expect(opened - before.opened).toBe(0);
  });

  it('still drops a connection whose backend was terminated (a FATAL answer)', async () => {
    await pool.query('SELECT 1');
    const before = pool.totalCount;
    await expect(pool.query('SELECT pg_terminate_backend(pg_backend_pid())')).rejects.toThrow(
      /terminating connection/,
    );
    expect(pool.totalCount).toBe(before - 1);
    expect((await pool.query('SELECT 1 AS one')).rows).toEqual([{ one: 1 }]);
  });

  it('leaves callbacks on pg-pool’s own path', async () => {
    const rows = await new Promise<unknown[]>((resolve, reject) =>
      pool.query('SELECT 2 AS two', (error: Error | undefined, result: { rows: unknown[] }) =>
        error ? reject(error) : resolve(result.rows),
      ),
    );
    expect(rows).toEqual([{ two: 2 }]);
  });
});
