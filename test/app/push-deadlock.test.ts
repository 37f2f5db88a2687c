import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/adapters/http/api.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { createPool } from '../../src/adapters/pg/pool.js';
import { retryTransient } from '../../src/adapters/pg/retry.js';
import { pgStore } from '../../src/adapters/pg/store.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import type { AppDeps } from '../../src/app/context.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
const KEYS = 500;
const CONCURRENT = 16;
let pool: pg.Pool;
let app: AppDeps;
let http: FastifyInstance;
let base: string;
let token: string;

/** The same 500 keys (one per minute of a day), each batch with its own values. */
const batch = (round: number, n: number) => {
  const points = Array.from({ length: KEYS }, (_, i) => ({
    roadmap: 'oviya',
    metric: 'active_users',
    value: round * 1000 + n * 10 + (i % 7),
    at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(),
  }));
  // Half the batches in reverse order: without a fixed write order, two transactions each
  // hold a row the other waits for.
  return { points: n % 2 === 0 ? points : points.reverse() };
};

beforeAll(async () => {
  // As many connections as requests, so that every batch is in flight at once (the production
  // pool holds 10; the test database's shared pool only 5).
  pool = createPool(db.url, { max: CONCURRENT + 4, applicationName: 'push-deadlock test' });
  const base_ = await appWith(pool, roadmapsFolder('oviya'), clock);
  app = { ...base_, store: pgStore(pool) };
  const pino = (await import('pino')).pino({ level: 'silent' });
  http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: pino,
    started: () => true,
  });
  registerApi(http, app, { maxPoints: 2000, maxBodyBytes: 1024 * 1024, rateLimitPerMinute: 1000 });
  await http.listen({ port: 0, host: '127.0.0.1' });
  const address = http.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  token = (await pgTokens(pool).create('feed', ['oviya'], 'test', clock.now())).token;
});

afterAll(async () => {
  await http?.close();
  await pool?.end();
});

describe('concurrent pushes of overlapping points', () => {
  it('16 batches of the same 500 keys, half reversed, 3 rounds: every answer 200, exactly the 500 keys stored', async () => {
    for (let round = 1; round <= 3; round++) {
      const answers = await Promise.all(
        Array.from({ length: CONCURRENT }, async (_, n) => {
          const response = await fetch(`${base}/api/v1/metrics`, {
            method: 'POST',
            headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
            body: JSON.stringify(batch(round, n)),
          });
          return { status: response.status, body: await response.text() };
        }),
      );
      expect(
        answers.filter((a) => a.status !== 200),
        `round ${round}`,
      ).toEqual([]);
      const stored = await pool.query<{ n: number; keys: number }>(
        `SELECT count(*)::int AS n, count(DISTINCT at)::int AS keys
           FROM metric_points WHERE roadmap_id = 'oviya' AND metric = 'active_users' AND source = 'api'`,
      );
      // Exactly the 500 keys, each holding a value of one of this round's batches (which batch
      // wins a key depends on the order they commit in), none left from an earlier round.
      expect(stored.rows[0]).toMatchObject({ n: KEYS, keys: KEYS });
      const stale = await pool.query(
        `SELECT count(*)::int AS n FROM metric_points WHERE value < $1`,
        [round * 1000],
      );
      expect(stale.rows[0].n).toBe(0);
      // Every push is audited, in the transaction of its points.
      const audited = await pool.query(
        `SELECT count(*)::int AS n FROM audit_log WHERE action = 'push'`,
      );
      expect(audited.rows[0].n).toBe(round * CONCURRENT);
    }
  });

  it('a deadlock that still happens (here with another writer locking in the opposite order) is retried, audit row included', async () => {
    await pool.query('TRUNCATE metric_points');
    const at = (minute: number) => new Date(Date.UTC(2026, 1, 2, 0, minute));
    const key = (minute: number, value: number) => ({
      roadmapId: 'oviya',
      metric: 'active_users',
      value,
      at: at(minute),
      source: 'api',
    });
    // Another writer holds B and, once the store holds A and waits for B, asks for A. Its own
    // deadlock timeout is long, so PostgreSQL picks the store's transaction as the victim.
    const other = new pg.Client({ connectionString: db.url });
    other.on('error', () => {});
    await other.connect();
    try {
      await other.query(`SET deadlock_timeout = '60s'`);
      await other.query('BEGIN');
      const insert = `INSERT INTO metric_points (roadmap_id, metric, at, source, value) VALUES ('oviya', 'active_users', $1, 'api', 1)`;
      await other.query(insert, [at(2)]);
      const store = pgStore(pool);
      const written = store.points.record([key(1, 10), key(2, 20)], {
        actor: { platform: 'api', id: 'feed' },
        action: 'deadlock-test',
        at: clock.now(),
      });
      const outcome = written.then(
        (n) => ({ n }),
        (error: unknown) => ({ error }),
      );
      // Wait (without sleeping) until the store's transaction waits for B.
      for (;;) {
        const { rows } = await pool.query(
          `SELECT count(*)::int AS n FROM pg_stat_activity
            WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> $1`,
          [(other as unknown as { processID: number }).processID],
        );
        if (rows[0].n > 0) break;
      }
      const closes = other.query(insert, [at(1)]); // the cycle: one of the two is aborted
      await closes;
      await other.query('COMMIT');
      expect(await outcome).toEqual({ n: 2 });
    } finally {
      await other.end();
    }
    const stored = await pool.query(
      `SELECT extract(minute FROM at)::int AS minute, value FROM metric_points ORDER BY at`,
    );
    expect(stored.rows).toEqual([
      { minute: 1, value: 10 },
      { minute: 2, value: 20 },
    ]);
    const audited = await pool.query(
      `SELECT details FROM audit_log WHERE action = 'deadlock-test'`,
    );
    expect(audited.rows).toEqual([{ details: { points: 2, written: 2 } }]);
  });
});

describe('retryTransient', () => {
  const failure = (code: string) => Object.assign(new Error(code), { code });

  it('retries deadlocks and serialization failures a bounded number of times, with jittered, growing, capped waits', async () => {
    const waits: number[] = [];
    let calls = 0;
    const outcome = retryTransient(
      async () => {
        calls++;
        throw failure(calls % 2 ? '40P01' : '40001');
      },
      {
        attempts: 6,
        baseDelayMs: 10,
        maxDelayMs: 50,
        sleep: async (ms) => void waits.push(ms),
        random: () => 0.5,
      },
    );
    await expect(outcome).rejects.toMatchObject({ code: '40001' });
    expect(calls).toBe(6);
    expect(waits).toEqual([5, 10, 20, 25, 25]);
  });

  it('returns as soon as a try succeeds, and never retries other errors', async () => {
    let calls = 0;
    const sleep = async () => undefined;
    await expect(
      retryTransient(async () => (++calls < 3 ? Promise.reject(failure('40P01')) : 'done'), {
        sleep,
      }),
    ).resolves.toBe('done');
    expect(calls).toBe(3);
    calls = 0;
    await expect(
      retryTransient(
        async () => {
          calls++;
          throw failure('23505');
        },
        { sleep },
      ),
    ).rejects.toMatchObject({ code: '23505' });
    expect(calls).toBe(1);
  });
});
