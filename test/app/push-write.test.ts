import type { FastifyInstance } from 'fastify';
import pg from 'pg';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/adapters/http/api.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { writePoints } from '../../src/adapters/pg/points.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import type { AppDeps } from '../../src/app/context.js';
import { validateBatch } from '../../src/app/ingest.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { authenticate, pushPoints } from '../../src/app/push.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

/**
 * The push API's write is one statement (#16): the token checked again, the points, and the
 * audit row. What that statement must keep doing, and what a single statement could lose.
 */
const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;
let http: FastifyInstance;
let base: string;
let feed: { token: string; id: number };
let everything: { token: string; id: number };
/** What the test hook does between a request's authentication and its write. */
let between: (() => Promise<void>) | undefined;

const count = async (sql: string): Promise<number> => Number((await db.pool.query(sql)).rows[0].n);
const stored = () => count('SELECT count(*) AS n FROM metric_points');
const audited = () => count(`SELECT count(*) AS n FROM audit_log WHERE action = 'push'`);
const point = (minute: number, value = minute, roadmap = 'oviya') => ({
  roadmap,
  metric: 'active_users',
  value,
  at: new Date(Date.UTC(2026, 1, 1, 0, minute)).toISOString(),
});
const post = (points: unknown[], token = feed.token) =>
  fetch(`${base}/api/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: JSON.stringify({ points }),
  });
const input = (minute: number, value: number, metric = 'active_users'): PointInput => ({
  roadmapId: 'oviya',
  metric,
  value,
  at: new Date(Date.UTC(2026, 1, 1, 0, minute)),
  source: 'api',
});
const entry = { actor: { platform: 'api' as const, id: 'feed' }, action: 'push', at: clock.now() };

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('oviya', 'mirai', 'example', 'example-v2'), clock);
  const pino = (await import('pino')).pino({ level: 'silent' });
  http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: pino,
    started: () => true,
  });
  // Runs after the API's authentication (onRequest) and before its handler writes.
  http.addHook('preHandler', async () => {
    await between?.();
  });
  registerApi(http, app, { maxPoints: 2000, maxBodyBytes: 256 * 1024, rateLimitPerMinute: 1000 });
  await http.listen({ port: 0, host: '127.0.0.1' });
  const address = http.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  everything = await pgTokens(db.pool).create('everything', ['*'], 'test', clock.now());
});

afterAll(async () => {
  await http.close();
});

beforeEach(async () => {
  between = undefined;
  await db.pool.query('TRUNCATE metric_points, audit_log, api_rate_windows');
  await db.pool.query(`DELETE FROM api_tokens WHERE name = 'feed'`);
  feed = await pgTokens(db.pool).create('feed', ['oviya'], 'test', clock.now());
});

describe('the token, checked again by the write itself', () => {
  it('a token revoked after its request was authenticated writes nothing: 401 in the same words', async () => {
    between = async () => void (await app.store.tokens.revoke('feed', clock.now()));
    const response = await post([point(1), point(2)]);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer realm="roadmap-bot"');
    expect(await response.json()).toEqual({
      error: 'unauthorized',
      message: 'unknown or revoked token',
    });
    expect(await stored()).toBe(0);
    expect(await audited()).toBe(0);
  });

  it('the same through the app: authenticate, revoke, push', async () => {
    const token = await authenticate(app, `Bearer ${feed.token}`, 1000);
    await app.store.tokens.revoke('feed', clock.now());
    await expect(pushPoints(app, token, [point(1)])).rejects.toMatchObject({
      code: 'unauthorized',
      message: 'unknown or revoked token',
    });
    expect(await stored()).toBe(0);
  });

  it('a token whose scope no longer holds the roadmap (changed in the database meanwhile) writes nothing: 403 naming it', async () => {
    between = async () =>
      void (await db.pool.query(`UPDATE api_tokens SET roadmaps = '{mirai}' WHERE name = 'feed'`));
    const response = await post([point(1)]);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'forbidden',
      message: 'this token may not write to oviya; nothing was written',
    });
    expect(await stored()).toBe(0);
    expect(await audited()).toBe(0);
  });

  it('a token scoped to another roadmap: 403 before any write, and refused by the statement too', async () => {
    const response = await post([point(1, 1, 'mirai')]);
    expect(response.status).toBe(403);
    expect(await response.json()).toEqual({
      error: 'forbidden',
      message: 'this token may not write to mirai; nothing was written',
    });
    const mirai = { ...input(1, 1), roadmapId: 'mirai' };
    expect(await app.store.points.recordForToken(feed.id, [input(2, 2), mirai], entry)).toEqual({
      refused: 'forbidden',
      scope: ['oviya'],
    });
    expect(await app.store.points.recordForToken(feed.id + 1000, [input(2, 2)], entry)).toEqual({
      refused: 'revoked',
    });
    expect(await stored()).toBe(0);
    expect(await audited()).toBe(0);
    // A token for every roadmap writes both.
    expect(
      await app.store.points.recordForToken(everything.id, [input(2, 2), mirai], entry),
    ).toEqual({ written: 2 });
  });
});

describe('points and audit row in one statement', () => {
  it('authenticates and writes with statements parsed and planned once per connection', async () => {
    const client = new pg.Client({ connectionString: db.url });
    await client.connect();
    try {
      const prepared = async () =>
        (
          await client.query<{ name: string }>(
            `SELECT name FROM pg_prepared_statements WHERE name LIKE 'roadmap-bot-%' ORDER BY name`,
          )
        ).rows.map((r) => r.name);
      expect(await pgTokens(client).authenticateAndCount(feed.token, clock.now())).toBeDefined();
      expect(await writePoints(client, [input(1, 1)], entry, feed.id)).toEqual({ written: 1 });
      // The same key again: the INSERT meets it and the upsert writes instead.
      expect(await writePoints(client, [input(1, 2)], entry, feed.id)).toEqual({ written: 1 });
      expect(await writePoints(client, [input(2, 1), input(2, 3)], entry)).toEqual({ written: 1 });
      expect(await pgTokens(client).authenticateAndCount(feed.token, clock.now())).toBeDefined();
      expect(await prepared()).toEqual([
        'roadmap-bot-authenticate',
        'roadmap-bot-insert-points',
        'roadmap-bot-upsert-points',
      ]);
    } finally {
      await client.end();
    }
  });

  it('each push writes exactly one audit row counting what it got and wrote', async () => {
    expect(await (await post([point(1), point(2), point(3)])).json()).toEqual({
      received: 3,
      written: 3,
    });
    const rows = await db.pool.query(
      `SELECT actor, platform, roadmap_id, details FROM audit_log WHERE action = 'push'`,
    );
    expect(rows.rows).toEqual([
      {
        actor: 'feed',
        platform: 'api',
        roadmap_id: null,
        details: { points: 3, written: 3, format: 'json' },
      },
    ]);
  });

  it('when the audit row cannot be written, no point is', async () => {
    await db.pool.query(
      `ALTER TABLE audit_log ADD CONSTRAINT test_no_push CHECK (action <> 'push') NOT VALID`,
    );
    try {
      const response = await post([point(1), point(2)]);
      expect(response.status).toBe(500);
      expect(await stored()).toBe(0);
    } finally {
      await db.pool.query('ALTER TABLE audit_log DROP CONSTRAINT test_no_push');
    }
    expect((await post([point(1), point(2)])).status).toBe(200);
    expect(await stored()).toBe(2);
  });
});

describe('new keys by INSERT, stored ones by the upsert', () => {
  it('a batch that meets a stored key writes the new and changed points only, and says so', async () => {
    await post([point(1, 10)]);
    const response = await post([point(1, 10), point(2, 20), point(3, 30)]);
    expect(await response.json()).toEqual({ received: 3, written: 2 });
    expect(await (await post([point(1, 11), point(2, 20)])).json()).toEqual({
      received: 2,
      written: 1,
    });
    const values = await db.pool.query(`SELECT value FROM metric_points ORDER BY at`);
    expect(values.rows.map((r) => r.value)).toEqual([11, 20, 30]);
    const details = await db.pool.query(
      `SELECT details FROM audit_log WHERE action = 'push' ORDER BY id`,
    );
    expect(details.rows.map((r) => r.details.written)).toEqual([1, 2, 1]);
  });

  it('of keys repeated in one write the last wins, whatever the order given', async () => {
    const written = await app.store.points.record(
      [input(5, 1), input(1, 7), input(5, 2), input(3, 3, 'paying_users'), input(5, 3)],
      entry,
    );
    expect(written).toBe(3);
    const rows = await db.pool.query(
      `SELECT metric, extract(minute FROM at)::int AS minute, value FROM metric_points ORDER BY metric, at`,
    );
    expect(rows.rows).toEqual([
      { metric: 'active_users', minute: 1, value: 7 },
      { metric: 'active_users', minute: 5, value: 3 },
      { metric: 'paying_users', minute: 3, value: 3 },
    ]);
    const audit = await db.pool.query(`SELECT details FROM audit_log ORDER BY id DESC LIMIT 1`);
    expect(audit.rows[0].details).toEqual({ points: 5, written: 3 });
  });
});

describe('binary encoding of times and values', () => {
  // Years 1 and 9999, either side of the Unix and PostgreSQL epochs, and milliseconds.
  const times = [
    '0001-01-01T00:00:00.000Z',
    '1969-12-31T23:59:59.999Z',
    '1970-01-01T00:00:00.000Z',
    '1999-12-31T23:59:59.999Z',
    '2000-01-01T00:00:00.000Z',
    '2000-01-01T00:00:00.001Z',
    '2026-03-01T09:30:15.123Z',
    '9999-12-31T23:59:59.999Z',
  ];
  const values = [0, -1, 0.1, 1234.5678, -1e15, 1e15, 5e-324, 123456789.125];

  it('writes every time and value exactly, by the push write and by the import', async () => {
    const points = times.map((t, i) => ({
      roadmapId: 'oviya',
      metric: 'active_users',
      value: values[i] as number,
      at: new Date(t),
      source: 'api',
    }));
    expect(await app.store.points.record(points, entry)).toBe(points.length);
    expect(
      await app.store.points.import(
        points.map((p) => ({ ...p, source: 'csv' })),
        entry,
      ),
    ).toBe(points.length);
    const rows = await db.pool.query<{ at: string; value: number; source: string }>(
      `SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"') AS at, value, source
         FROM metric_points ORDER BY source, at`,
    );
    for (const source of ['api', 'csv'])
      expect(rows.rows.filter((r) => r.source === source).map((r) => [r.at, r.value])).toEqual(
        // To the microsecond: a time off by a few µs would still show the same milliseconds.
        times.map((t, i) => [t.replace('Z', '000Z'), values[i]]),
      );
    // And the recorded_at of both is the entry's time.
    const recorded = await db.pool.query(`SELECT DISTINCT recorded_at FROM metric_points`);
    expect(recorded.rows).toEqual([{ recorded_at: entry.at }]);
  });
});

describe('validation shortcuts', () => {
  it('a time without an offset is read in each roadmap’s own zone, even when the same text repeats', () => {
    const raw = (roadmap: string) => ({
      roadmap,
      metric: 'active_users',
      value: 1,
      at: '2026-03-01T09:00:00',
    });
    const { points, errors } = validateBatch(
      [raw('example'), raw('example-v2'), raw('example'), raw('example-v2')],
      { roadmaps: (id) => app.registry.get(id), now: clock.now(), defaultSource: 'api' },
    );
    expect(errors).toEqual([]);
    expect(points.map((p) => [p.roadmapId, p.at.toISOString()])).toEqual([
      ['example', '2026-03-01T14:00:00.000Z'], // America/New_York
      ['example-v2', '2026-03-01T08:00:00.000Z'], // Europe/Berlin
    ]);
  });

  it('a repeated bad time or source is refused every time, not only the first', () => {
    const { errors } = validateBatch(
      [
        { roadmap: 'oviya', metric: 'active_users', value: 1, at: 'next tuesday' },
        { roadmap: 'oviya', metric: 'active_users', value: 2, at: 'next tuesday' },
        { roadmap: 'oviya', metric: 'active_users', value: 3, source: 'no spaces' },
        { roadmap: 'oviya', metric: 'active_users', value: 4, source: 'no spaces' },
      ],
      { roadmaps: (id) => app.registry.get(id), now: clock.now(), defaultSource: 'api' },
    );
    expect(errors.map((e) => [e.index, e.field])).toEqual([
      [0, 'at'],
      [1, 'at'],
      [2, 'source'],
      [3, 'source'],
    ]);
  });
});
