import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerApi } from '../src/adapters/http/api.js';
import { createHttpServer } from '../src/adapters/http/server.js';
import { pgTokens } from '../src/adapters/pg/tokens.js';
import type { AppDeps } from '../src/app/context.js';
import { runCommand } from '../src/app/run.js';
import { admin, appWith, roadmapsFolder, TestClock } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { cli as spawnCli } from './support/spawn.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;
let http: FastifyInstance;
let base: string;
let oviyaToken: string;
let allToken: string;
const silent = { level: 'silent' } as never;

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- JSON answers, checked by the assertions
const body = (response: Response): Promise<any> => response.json();
const points = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM metric_points')).rows[0].n);
const post = (body: unknown, token = oviyaToken, type = 'application/json') =>
  fetch(`${base}/api/v1/metrics`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    body: typeof body === 'string' ? body : JSON.stringify(body),
  });
const point = (i: number, extra: Record<string, unknown> = {}) => ({
  roadmap: 'oviya',
  metric: 'active_users',
  value: i,
  at: new Date(Date.UTC(2026, 1, 1, 0, i)).toISOString(),
  ...extra,
});

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('oviya', 'mirai'), clock);
  const pino = (await import('pino')).pino(silent);
  http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: pino,
    started: () => true,
  });
  registerApi(http, app, { maxPoints: 2000, maxBodyBytes: 256 * 1024, rateLimitPerMinute: 30 });
  await http.listen({ port: 0, host: '127.0.0.1' });
  const address = http.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const tokens = pgTokens(db.pool);
  oviyaToken = (await tokens.create('oviya-feed', ['oviya'], 'test', clock.now())).token;
  allToken = (await tokens.create('everything', ['*'], 'test', clock.now())).token;
});

afterAll(async () => {
  await http.close();
});

beforeEach(async () => {
  await db.pool.query('TRUNCATE metric_points, api_rate_windows');
  clock.advance(60_000); // a fresh rate-limit window per test
});

describe('POST /api/v1/metrics', () => {
  it('writes a valid batch in one go and is idempotent when re-sent', async () => {
    const batch = {
      points: [point(1), point(2), point(3, { metric: 'response_time_p95', value: '1.2s' })],
    };
    const first = await post(batch);
    expect(first.status).toBe(200);
    expect(await body(first)).toEqual({ received: 3, written: 3 });
    const again = await post(batch);
    expect(await body(again)).toEqual({ received: 3, written: 0 });
    expect(await points()).toBe(3);
    const latency = await db.pool.query(
      `SELECT value, source FROM metric_points WHERE metric = 'response_time_p95'`,
    );
    expect(latency.rows).toEqual([{ value: 1200, source: 'api' }]);
  });

  it('rejects a batch of a thousand with one bad point, naming its index, and writes nothing', async () => {
    const batch = { points: Array.from({ length: 1000 }, (_, i) => point(i)) };
    batch.points[637] = point(637, { value: 'lots' });
    const response = await post(batch);
    expect(response.status).toBe(400);
    const answer = await body(response);
    expect(answer.errors).toEqual([
      { index: 637, field: 'value', message: expect.stringMatching(/expected a number/) },
    ]);
    expect(await points()).toBe(0);
  });

  it('names structural problems by index and field', async () => {
    const response = await post({
      points: [point(1), { roadmap: 'oviya', value: 1 }, point(3, { colour: 'red' })],
    });
    expect(response.status).toBe(400);
    const { errors } = await body(response);
    expect(errors).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ index: 1, field: 'metric' }),
        expect.objectContaining({ index: 2 }),
      ]),
    );
    expect(await points()).toBe(0);
  });

  it('answers 401 without or with an unknown token, 403 outside the token scope, and writes nothing', async () => {
    const none = await fetch(`${base}/api/v1/metrics`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ points: [point(1)] }),
    });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toMatch(/Bearer/);
    expect((await post({ points: [point(1)] }, 'rbt_not-a-token')).status).toBe(401);
    const outside = await post({
      points: [point(1), { roadmap: 'mirai', metric: 'mrr', value: 100 }],
    });
    expect(outside.status).toBe(403);
    expect(
      (await post({ points: [{ roadmap: 'mirai', metric: 'mrr', value: 100 }] }, allToken)).status,
    ).toBe(200);
    expect(await points()).toBe(1);
  });

  it('stops accepting a revoked token', async () => {
    const tokens = pgTokens(db.pool);
    const { token } = await tokens.create('short-lived', ['oviya'], 'test', clock.now());
    expect((await post({ points: [point(1)] }, token)).status).toBe(200);
    await tokens.revoke('short-lived', clock.now());
    expect((await post({ points: [point(2)] }, token)).status).toBe(401);
    expect(await points()).toBe(1);
    // Refused requests are not counted against the token.
    const counted = await db.pool.query(
      `SELECT sum(w.count)::int AS n FROM api_rate_windows w JOIN api_tokens t ON t.id = w.token_id WHERE t.name = 'short-lived'`,
    );
    expect(counted.rows[0].n).toBe(1);
  });

  it('notes when a token was last used, to the minute', async () => {
    const tokens = pgTokens(db.pool);
    const { token } = await tokens.create('noted', ['oviya'], 'test', clock.now());
    const lastUsed = async () =>
      (await db.pool.query(`SELECT last_used_at FROM api_tokens WHERE name = 'noted'`)).rows[0]
        .last_used_at as Date | null;
    expect(await lastUsed()).toBeNull();
    const first = clock.now();
    expect((await post({ points: [point(1)] }, token)).status).toBe(200);
    expect(await lastUsed()).toEqual(first);
    clock.advance(30_000); // within the minute: the row is left alone
    expect((await post({ points: [point(2)] }, token)).status).toBe(200);
    expect(await lastUsed()).toEqual(first);
    clock.advance(60_000);
    expect((await post({ points: [point(3)] }, token)).status).toBe(200);
    expect(await lastUsed()).toEqual(clock.now());
  });

  it('answers 413 for a body over the limit and for too many points, writing nothing', async () => {
    const huge = await post({ points: Array.from({ length: 5000 }, (_, i) => point(i)) });
    expect(huge.status).toBe(413);
    const many = await post({
      points: Array.from({ length: 2001 }, () => ({
        roadmap: 'oviya',
        metric: 'uptime',
        value: 1,
      })),
    });
    expect(many.status).toBe(413);
    expect((await body(many)).message).toMatch(/at most 2000 points/);
    expect(await points()).toBe(0);
  });

  it('answers 429 with Retry-After past the per-token rate, writing nothing', async () => {
    const tokens = pgTokens(db.pool);
    const { token } = await tokens.create('chatty', ['oviya'], 'test', clock.now());
    for (let i = 0; i < 30; i++)
      expect((await post({ points: [point(i)] }, token)).status).toBe(200);
    const limited = await post({ points: [point(99)] }, token);
    expect(limited.status).toBe(429);
    expect(Number(limited.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await points()).toBe(30);
    clock.advance(60_000);
    expect((await post({ points: [point(99)] }, token)).status).toBe(200);
  });

  it('takes CSV, one point a line, with the same validation', async () => {
    const csv =
      'roadmap,metric,value,at\noviya,active_users,420,2026-03-01T00:00:00Z\noviya,uptime,99.9%,2026-03-01T00:00:00Z\n';
    const ok = await post(csv, oviyaToken, 'text/csv');
    expect(ok.status).toBe(200);
    expect(await body(ok)).toEqual({ received: 2, written: 2 });
    const bad = await post('roadmap,metric,value\noviya,active_users,x\n', oviyaToken, 'text/csv');
    expect(bad.status).toBe(400);
    expect((await body(bad)).errors[0]).toMatchObject({
      index: 0,
      field: 'value',
      message: expect.stringMatching(/line 2/),
    });
  });

  it('classifies refused CSV lines by their code, not by their words', async () => {
    // A line outside the token scope: 403, every refused line listed, nothing written.
    const before = await points();
    const outside = await post(
      'roadmap,metric,value\noviya,active_users,1\nmirai,mrr,100\n',
      oviyaToken,
      'text/csv',
    );
    expect(outside.status).toBe(403);
    expect(await body(outside)).toEqual({
      error: 'forbidden',
      message: 'this token may not write to some of these roadmaps; nothing was written',
      errors: [
        { index: 1, field: 'roadmap', message: 'line 3: this token may not write to "mirai"' },
      ],
    });
    // A bad line whose text happens to say "may not write" is still only invalid: 400.
    const wording = await post(
      'roadmap,metric,value\noviya,may not write,1\n',
      oviyaToken,
      'text/csv',
    );
    expect(wording.status).toBe(400);
    expect(await body(wording)).toMatchObject({
      error: 'invalid_batch',
      errors: [{ index: 0, field: 'metric', message: expect.stringMatching(/may not write/) }],
    });
    expect(await points()).toBe(before);
  });
});

describe('GET /api/v1/roadmaps/:id/status and the OpenAPI document', () => {
  it('returns the status --json document for a roadmap in scope', async () => {
    await post({ points: [point(1, { value: 420, at: '2026-03-02T11:00:00Z' })] });
    const response = await fetch(`${base}/api/v1/roadmaps/oviya/status`, {
      headers: { authorization: `Bearer ${oviyaToken}` },
    });
    expect(response.status).toBe(200);
    const doc = await body(response);
    const cli = (
      await runCommand(app, { ...admin, defaultRoadmap: 'oviya' }, 'status --json', 'cli')
    ).json;
    expect(doc).toEqual(JSON.parse(JSON.stringify(cli)));
    expect(
      (
        await fetch(`${base}/api/v1/roadmaps/mirai/status`, {
          headers: { authorization: `Bearer ${oviyaToken}` },
        })
      ).status,
    ).toBe(403);
    expect(
      (
        await fetch(`${base}/api/v1/roadmaps/nope/status`, {
          headers: { authorization: `Bearer ${allToken}` },
        })
      ).status,
    ).toBe(404);
  });

  it('serves an OpenAPI document generated from the request schemas', async () => {
    const response = await fetch(`${base}/api/v1/openapi.json`);
    expect(response.status).toBe(200);
    const doc = await body(response);
    expect(doc.openapi).toBe('3.1.0');
    expect(doc.components.schemas.Point.properties).toHaveProperty('metric');
    expect(doc.components.schemas.Point.required).toEqual(['roadmap', 'metric', 'value']);
    // Every answer the route can give; test/openapi-contract.test.ts provokes each one.
    expect(Object.keys(doc.paths['/metrics'].post.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '413',
      '415',
      '429',
      '500',
    ]);
    expect(Object.keys(doc.paths['/roadmaps/{id}/status'].get.responses)).toEqual([
      '200',
      '400',
      '401',
      '403',
      '404',
      '414',
      '429',
      '500',
    ]);
    // The status answer's real schema, every field of status --json (test/status-schema.test.ts).
    const status = doc.components.schemas.StatusDocument;
    expect(status.required).toEqual(Object.keys(status.properties));
    expect(status.properties).toHaveProperty('plan.items.properties.delta_pct');
    expect(status.properties).toHaveProperty('budget.anyOf.0.properties.lines');
    // The rules ingest enforces for every way a point arrives are published too.
    expect(doc.components.schemas.Point.properties.source.pattern).toBe('^[A-Za-z0-9_.:-]{1,64}$');
    expect(doc.components.schemas.Batch.properties.points.maxItems).toBe(2000);
  });
});

describe('roadmap token', () => {
  const cli = (line: string) => runCommand(app, admin, line, 'cli');

  it('creates a token shown once, lists it by prefix, and revokes it', async () => {
    const created = await cli('token create ci-feed --roadmaps oviya,mirai --json');
    expect(created.exitCode).toBe(0);
    const { token } = created.json as { token: string };
    expect(token).toMatch(/^rbt_[A-Za-z0-9_-]{43}$/);
    // Only a hash is stored.
    const stored = await db.pool.query(
      `SELECT token_hash, prefix FROM api_tokens WHERE name = 'ci-feed'`,
    );
    expect(stored.rows[0].token_hash).not.toContain(token.slice(4));
    expect(stored.rows[0].prefix).toBe(token.slice(0, 10));
    const { renderText } = await import('../src/core/messages/text.js');
    const listed = renderText((await cli('token list')).message);
    expect(listed).toContain(`ci-feed (${token.slice(0, 10)}…) → oviya, mirai`);
    expect(listed).not.toContain(token);
    expect((await cli('token revoke ci-feed')).exitCode).toBe(0);
    expect((await post({ points: [point(1)] }, token)).status).toBe(401);
  });

  it('prints the token once as text, or with --json as {id, name, token, roadmaps}, from the real CLI', async () => {
    const env = {
      DATABASE_URL: db.url,
      ROADMAPS_DIR: roadmapsFolder('oviya', 'mirai'),
      ROADMAP_ACTOR: 'ci',
    };
    // --json was refused ("unknown option") although docs/SECURITY.md shows it.
    const json = await spawnCli(
      ['token', 'create', 'ci-json', '--roadmaps', 'oviya', '--json'],
      env,
    );
    expect(json.code, json.stderr).toBe(0);
    const created = JSON.parse(json.stdout);
    expect(created).toEqual({
      id: expect.any(Number),
      name: 'ci-json',
      token: expect.stringMatching(/^rbt_[A-Za-z0-9_-]{43}$/),
      roadmaps: ['oviya'],
    });
    expect((await post({ points: [point(1)] }, created.token)).status).toBe(200);

    const text = await spawnCli(['token', 'create', 'ci-text', '--roadmaps', 'oviya'], env);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/Token "ci-text" created for oviya/);
    expect(text.stdout).toMatch(/\brbt_[A-Za-z0-9_-]{43}\b/);
    expect(text.stdout).toMatch(/Shown once/);
  });

  it('refuses unknown roadmaps, missing scope, duplicate names, and chat use', async () => {
    expect((await cli('token create x --roadmaps nope')).exitCode).toBe(1);
    expect((await cli('token create x')).exitCode).toBe(2);
    // A letter first: `token revoke 7` can then only mean the token with id 7.
    expect((await cli('token create 7 --roadmaps oviya')).exitCode).toBe(2);
    await cli('token create twice --roadmaps oviya');
    expect((await cli('token create twice --roadmaps oviya')).exitCode).toBe(1);
    expect((await runCommand(app, admin, 'token list', 'chat')).exitCode).toBe(2);
  });
});
