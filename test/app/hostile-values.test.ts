import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import type { Registry } from 'prom-client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerApi } from '../../src/adapters/http/api.js';
import { createPrometheusTelemetry } from '../../src/adapters/http/metrics.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import type pg from 'pg';
import { pgStore, type PgStore } from '../../src/adapters/pg/store.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import type { AppDeps } from '../../src/app/context.js';
import type { PointReads } from '../../src/app/ports/points.js';
import { CommandError } from '../../src/app/errors.js';
import { importCsv } from '../../src/app/import-csv.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler } from '../../src/app/scheduler.js';
import type { StatusJson } from '../../src/core/messages/status-json.js';
import { renderText } from '../../src/core/messages/text.js';
import { VALUE_LIMIT } from '../../src/core/units.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

/*
 * Issue 12, item 1: two finite values of 1.7e308 in one window made PostgreSQL's avg overflow,
 * so status, metrics, forecast and digest failed for that roadmap, and digest scheduling threw
 * on every tick, queuing no digest of any roadmap. Values are now bounded where they arrive,
 * reads cannot overflow on rows stored before the bound, and the scheduler isolates each
 * roadmap and subscription, counting what failed in /metrics.
 */

const db = useTestDatabase();
// 09:00 in New York on 2026-03-02 (EST): the digest subscriptions below are due.
const DUE = new Date('2026-03-02T14:00:00Z');
const clock = new TestClock(DUE);
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const HUGE = 1.7e308;

type FaultyStore = PgStore & { readonly failing: Set<string> };

/**
 * A store whose reads of some roadmaps fail, as any query can (an outage, bad data): on the
 * pool and in transactions alike.
 */
function faultyStore(pool: pg.Pool): FaultyStore {
  const base = pgStore(pool);
  const failing = new Set<string>();
  const faulty = <T extends PointReads>(points: T): T => ({
    ...points,
    snapshot: (...args: Parameters<PointReads['snapshot']>) =>
      failing.has(args[0])
        ? Promise.reject(new Error('value out of range: overflow'))
        : points.snapshot(...args),
  });
  return {
    ...base,
    failing,
    points: faulty(base.points),
    transaction: (work) => base.transaction((tx) => work({ ...tx, points: faulty(tx.points) })),
  };
}

let app: AppDeps;
let store: FaultyStore;
let registry: Registry;
let scheduler: Scheduler;
let http: FastifyInstance;
let token: string;

const run = (line: string, roadmap = 'example') =>
  runCommand(app, { ...admin, defaultRoadmap: roadmap }, line, 'cli');
const count = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM metric_points')).rows[0].n);
const push = (payload: string | object, type = 'application/json') =>
  http.inject({
    method: 'POST',
    url: '/api/v1/metrics',
    headers: { authorization: `Bearer ${token}`, 'content-type': type },
    payload: typeof payload === 'string' ? payload : JSON.stringify(payload),
  });

/**
 * Points stored as they could be before the bound existed: migration 0007's CHECK is added
 * NOT VALID, leaving such rows in place, and this puts some there the same way.
 */
async function storeFromBeforeTheBound(
  points: { roadmap: string; metric: string; at: string; value: number }[],
): Promise<void> {
  const client = await db.pool.connect();
  try {
    await client.query('BEGIN');
    const { rowCount } = await client.query(
      `SELECT 1 FROM pg_constraint WHERE conname = 'metric_points_value_bounded'`,
    );
    if (rowCount)
      await client.query('ALTER TABLE metric_points DROP CONSTRAINT metric_points_value_bounded');
    await client.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, source, value)
       SELECT r, m, a, 'api', v FROM unnest($1::text[], $2::text[], $3::timestamptz[], $4::float8[]) AS x(r, m, a, v)`,
      [
        points.map((p) => p.roadmap),
        points.map((p) => p.metric),
        points.map((p) => p.at),
        points.map((p) => p.value),
      ],
    );
    if (rowCount)
      await client.query(
        `ALTER TABLE metric_points ADD CONSTRAINT metric_points_value_bounded CHECK (value BETWEEN -1e15 AND 1e15) NOT VALID`,
      );
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK');
    throw error;
  } finally {
    client.release();
  }
}

/** Digest subscriptions at 09:00 New York, made long before, in this order (ids ascending). */
async function subscribe(subs: [roadmap: string, channel: string][]): Promise<number[]> {
  const ids: number[] = [];
  for (const [roadmap, channel] of subs) {
    const { rows } = await db.pool.query<{ id: string }>(
      `INSERT INTO subscriptions (platform, channel_id, roadmap_id, kind, digest_time, timezone, created_by, created_at)
       VALUES ('console', $1, $2, 'digest', '09:00', 'America/New_York', 'test', '2026-02-01') RETURNING id`,
      [channel, roadmap],
    );
    ids.push(Number(rows[0]?.id));
  }
  return ids;
}

const queuedDigests = async () =>
  (
    await db.pool.query<{ channel_id: string }>(
      `SELECT channel_id FROM deliveries WHERE kind = 'digest' ORDER BY channel_id`,
    )
  ).rows.map((r) => r.channel_id);

/** The samples of a counter in the /metrics exposition, as `{labels} value` lines. */
async function samples(name: string): Promise<string[]> {
  const text = await registry.metrics();
  return text
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`))
    .map((l) => l.slice(name.length));
}

beforeAll(async () => {
  const base = await appWith(db.pool, roadmapsFolder('example', 'oviya'), clock);
  store = faultyStore(db.pool);
  const prometheus = createPrometheusTelemetry(store.outbox);
  registry = prometheus.registry;
  app = { ...base, store, telemetry: prometheus.telemetry };
  scheduler = new Scheduler(app, store.outbox, {
    evaluateCron: '* * * * *',
    outboxCron: '* * * * *',
    repeatIntervalMs: 3_600_000,
    worker: { worker: 'w', sinks: new Map([['console', new RecordingSink()]]) },
    logger: silent,
  });
  http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: pino({ level: 'silent' }),
    started: () => true,
  });
  registerApi(http, app, { maxPoints: 100, maxBodyBytes: 64 * 1024, rateLimitPerMinute: 1000 });
  await http.ready();
  token = (await pgTokens(db.pool).create('feed', ['*'], 'test', clock.now())).token;
});

afterAll(async () => {
  await http.close();
});

beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE metric_points, subscriptions, digest_snapshots, deliveries, api_rate_windows CASCADE',
  );
  store.failing.clear();
  store.histories.clear();
  registry.resetMetrics();
  clock.set(DUE);
});

describe('values are bounded where they arrive, with a message naming the point and the range', () => {
  const at = '2026-03-02T13:00:00Z';

  it('push API, JSON: 400 naming each point out of range (after unit conversion) and empty at/source; nothing written', async () => {
    const response = await push({
      points: [
        { roadmap: 'example', metric: 'active_users', value: 5, at },
        { roadmap: 'example', metric: 'active_users', value: HUGE, at },
        { roadmap: 'example', metric: 'mrr', value: '-2e15', at },
        // 2e12 s is 2e15 ms: out of range once converted to the metric's unit.
        { roadmap: 'example', metric: 'response_time_p95', value: '2000000000000s', at },
        { roadmap: 'example', metric: 'active_users', value: 6, at: '' },
        { roadmap: 'example', metric: 'active_users', value: 7, at, source: '' },
      ],
    });
    expect(response.statusCode).toBe(400);
    const body = response.json();
    expect(body.errors).toEqual([
      {
        index: 1,
        field: 'value',
        message: 'expected a value between -1e15 and 1e15 (in count), got 1.7e+308',
      },
      {
        index: 2,
        field: 'value',
        message: 'expected a value between -1e15 and 1e15 (in usd), got -2000000000000000',
      },
      {
        index: 3,
        field: 'value',
        message: expect.stringMatching(/between -1e15 and 1e15 \(in ms\), got 2000000000000000/),
      },
      { index: 4, field: 'at', message: expect.stringMatching(/^empty: leave it out to mean now/) },
      {
        index: 5,
        field: 'source',
        message: expect.stringMatching(/^empty: leave it out to mean "api"/),
      },
    ]);
    expect(await count()).toBe(0);
  });

  it('push API: the bound itself is accepted', async () => {
    const response = await push({
      points: [
        { roadmap: 'example', metric: 'active_users', value: VALUE_LIMIT, at },
        { roadmap: 'example', metric: 'mrr', value: '-1e15', at },
      ],
    });
    expect(response.statusCode).toBe(200);
    expect(await count()).toBe(2);
  });

  it('push API, CSV: 400 naming the line; nothing written', async () => {
    const response = await push(
      `roadmap,metric,value,at\nexample,active_users,5,${at}\nexample,active_users,1.7e308,${at}\n`,
      'text/csv',
    );
    expect(response.statusCode).toBe(400);
    expect(response.json().errors).toEqual([
      {
        index: 1,
        field: 'value',
        message: 'line 3: expected a value between -1e15 and 1e15 (in count), got 1.7e+308',
      },
    ]);
    expect(await count()).toBe(0);
  });

  it('CSV import: the line is listed and nothing is imported', async () => {
    const csv = `metric,value,at\nactive_users,5,${at}\nactive_users,-1.7e308,${at}\n`;
    const error = await importCsv(app, admin, 'points.csv', csv, app.registry.get('example')).catch(
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(CommandError);
    expect((error as CommandError).details).toEqual([
      'points.csv:3: value: expected a value between -1e15 and 1e15 (in count), got -1.7e+308',
    ]);
    expect(await count()).toBe(0);
  });

  it('chat and CLI record: refused naming the field and the range', async () => {
    for (const line of [
      'record active_users 2000000000000000',
      `record active_users -1${'0'.repeat(300)}`,
      'record response_time_p95 2000000000000s',
    ]) {
      const reply = await run(line);
      expect(reply.exitCode).toBe(1);
      expect(renderText(reply.message)).toMatch(/value: expected a value between -1e15 and 1e15/);
    }
    expect((await run('record active_users 1000000000000000')).exitCode).toBe(0);
    expect(await count()).toBe(1);
  });

  it('any other writer (a collector, a script with the bot’s role) is held to it by PostgreSQL', async () => {
    await expect(
      store.points.record(
        [{ roadmapId: 'example', metric: 'active_users', value: HUGE, at: DUE, source: 'sql' }],
        { actor: { platform: 'system', id: 'collector' }, action: 'collect', at: DUE },
      ),
    ).rejects.toMatchObject({ code: '23514' });
    expect(await count()).toBe(0);
  });
});

describe('values stored before the bound cannot take a roadmap down', () => {
  /** Two 1.7e308 in one 10-minute window of two metrics of `example`, as the attack left them. */
  const poison = () =>
    storeFromBeforeTheBound(
      ['active_users', 'response_time_p95'].flatMap((metric) => [
        { roadmap: 'example', metric, at: '2026-03-02T13:51:00Z', value: HUGE },
        { roadmap: 'example', metric, at: '2026-03-02T13:52:00Z', value: HUGE },
      ]),
    );

  it('status, metrics, forecast and digest answer, reading such values as the bound', async () => {
    await run('record active_users 300 --at 2026-03-01');
    await poison();
    for (const line of ['status', 'metrics', 'forecast', 'digest']) {
      const reply = await run(line);
      expect({ line, exitCode: reply.exitCode }).toEqual({ line, exitCode: 0 });
    }
    const doc = (await run('status --json')).json as StatusJson;
    expect(doc.metrics.find((m) => m.name === 'active_users')?.value).toBe(VALUE_LIMIT);
    expect(doc.metrics.find((m) => m.name === 'response_time_p95')?.value).toBe(VALUE_LIMIT);
  });

  it('window aggregates and history buckets read such values as the bound', async () => {
    await poison();
    const metric = 'response_time_p95';
    const { windows } = await store.points.snapshot(
      'example',
      [metric],
      [{ metric, windowMs: 600_000, stats: true }],
      DUE,
    );
    expect([...windows.values()]).toEqual([
      {
        count: 2,
        avg: VALUE_LIMIT,
        min: VALUE_LIMIT,
        max: VALUE_LIMIT,
        sum: 2 * VALUE_LIMIT,
        first: VALUE_LIMIT,
        last: VALUE_LIMIT,
      },
    ]);
    expect(await store.points.history('example', metric, 3_600_000, 6, DUE)).toEqual([
      { at: expect.any(Date), value: VALUE_LIMIT },
    ]);
    const histories = await store.points.forecastHistories(
      'example',
      [metric],
      86_400_000,
      600_000,
      DUE,
    );
    expect(histories.get(metric)?.map((p) => p.v)).toEqual([VALUE_LIMIT]);
    const [dayAgo, now] =
      (
        await store.points.valuesAt(
          'example',
          [metric],
          [new Date(DUE.getTime() - 86_400_000), DUE],
        )
      ).get(metric) ?? [];
    expect([dayAgo, now]).toEqual([undefined, VALUE_LIMIT]);
  });

  it('a scheduler tick evaluates both roadmaps and queues both roadmaps’ digests', async () => {
    await poison();
    // The poisoned roadmap's subscription comes first, as it did in the attack.
    await subscribe([
      ['example', 'C-example'],
      ['oviya', 'C-oviya'],
    ]);
    await scheduler.tick(DUE);
    expect(await queuedDigests()).toEqual(['C-example', 'C-oviya']);
    expect(await samples('roadmap_bot_evaluations_total')).toEqual([
      '{roadmap="example",outcome="ok"} 1',
      '{roadmap="oviya",outcome="ok"} 1',
    ]);
    expect(await samples('roadmap_bot_failures_total')).toEqual([]);
  });
});

describe("one roadmap's or subscription's failure never stops another's", () => {
  it('a roadmap whose reads fail: the others are evaluated and get their digests; it is counted, logged and retried', async () => {
    const errors: unknown[][] = [];
    const logger = { ...silent, error: (...args: unknown[]) => void errors.push(args) };
    const logged = new Scheduler(app, app.store.outbox, {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 3_600_000,
      worker: { worker: 'w', sinks: new Map([['console', new RecordingSink()]]) },
      logger,
    });
    const [exampleSub] = await subscribe([
      ['example', 'C-example'],
      ['oviya', 'C-oviya'],
    ]);
    store.failing.add('example');
    await logged.tick(DUE);
    expect(await queuedDigests()).toEqual(['C-oviya']);
    expect(await samples('roadmap_bot_evaluations_total')).toEqual([
      '{roadmap="example",outcome="error"} 1',
      '{roadmap="oviya",outcome="ok"} 1',
    ]);
    expect(await samples('roadmap_bot_failures_total')).toEqual([
      '{job="evaluation",roadmap="example"} 1',
      '{job="digest",roadmap="example"} 1',
    ]);
    expect(errors).toContainEqual([
      expect.objectContaining({ roadmap: 'example', subscriptions: [exampleSub] }),
      'digests of example skipped: value out of range: overflow; retried next tick',
    ]);

    // Once the roadmap reads again, the next tick queues its digest (still due today).
    store.failing.clear();
    clock.advance(60_000);
    await logged.tick(clock.now());
    expect(await queuedDigests()).toEqual(['C-example', 'C-oviya']);
  });

  it('a subscription whose previous digest cannot be read: the roadmap’s other subscriptions get theirs', async () => {
    const [broken] = await subscribe([
      ['oviya', 'C-broken'],
      ['oviya', 'C-fine'],
    ]);
    // A snapshot of another shape (an older version's, or edited by hand): composing fails.
    await db.pool.query(
      `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot) VALUES ($1, '2026-03-01', $2, '{"stageId":"tier0"}')`,
      [broken, new Date('2026-03-01T14:00:00Z')],
    );
    await scheduler.tick(DUE);
    expect(await queuedDigests()).toEqual(['C-fine']);
    expect(await samples('roadmap_bot_failures_total')).toEqual([
      '{job="digest",roadmap="oviya"} 1',
    ]);
  });
});
