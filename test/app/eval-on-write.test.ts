import { WebClient } from '@slack/web-api';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { registerApi } from '../../src/adapters/http/api.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { SignalListener } from '../../src/adapters/pg/listen.js';
import { createPool } from '../../src/adapters/pg/pool.js';
import { pgStore } from '../../src/adapters/pg/store.js';
import { pgTokens } from '../../src/adapters/pg/tokens.js';
import { SlackSink } from '../../src/adapters/slack/sink.js';
import { evaluateAndNotify } from '../../src/app/alerts/engine.js';
import type { AppDeps } from '../../src/app/context.js';
import type { Delay } from '../../src/app/delay.js';
import type { Timers } from '../../src/app/evaluations.js';
import { runCommand } from '../../src/app/run.js';
import { Scheduler, type SchedulerEvent } from '../../src/app/scheduler.js';
import type { Sink } from '../../src/app/sink.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack } from '../fakes/slack.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { RecordingSink } from '../support/sinks.js';

/**
 * Evaluation on write (#16): a write of points is signalled by PostgreSQL (LISTEN/NOTIFY,
 * migration 0010) and gets its roadmap evaluated at once; a queued message is sent at once.
 * No test sleeps: each awaits what the scheduler reports (its events), and time-dependent
 * steps use the test's clock and hand-released timers.
 */

const db = useTestDatabase();
const MIN = 60_000;
const silent = { info() {}, warn() {}, error() {}, debug() {} };
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
let app: AppDeps;
let replicas: Replica[] = [];
let pools: pg.Pool[] = [];

const run = async (line: string) => {
  const reply = await runCommand(app, { ...admin, defaultRoadmap: 'example' }, line, 'cli');
  expect(reply.exitCode, line).toBe(0);
};

/** Conditions awaited by the test, checked again after every event of any replica. */
let waiters: { check: () => boolean; resolve: () => void }[] = [];
const poke = (): void => {
  waiters = waiters.filter((w) => (w.check() ? (w.resolve(), false) : true));
};
const until = (check: () => boolean): Promise<void> =>
  check() ? Promise.resolve() : new Promise((resolve) => waiters.push({ check, resolve }));

/** One replica's scheduler events as they come. */
class Events {
  readonly seen: SchedulerEvent[] = [];
  readonly push = (event: SchedulerEvent): void => {
    this.seen.push(event);
    poke();
  };
  count(match: (e: SchedulerEvent) => boolean): number {
    return this.seen.filter(match).length;
  }
}

const evaluated = (cause?: string) => (e: SchedulerEvent) =>
  e.type === 'evaluated' && e.outcome === 'evaluated' && (!cause || e.cause === cause);

/** A wait released by the test, instead of a timer. */
class HeldDelay {
  private held: { fn: () => void; live: boolean }[] = [];
  readonly delay: Delay = (_ms, fn) => {
    const entry = { fn, live: true };
    this.held.push(entry);
    return () => {
      entry.live = false;
    };
  };
  get waiting(): number {
    return this.held.filter((h) => h.live).length;
  }
  release(): void {
    const due = this.held.filter((h) => h.live);
    this.held = [];
    for (const h of due) h.fn();
  }
}

/** Timers on the test clock: they fire when the test moves the clock past them. */
class ClockTimers implements Timers {
  private timers: { at: number; fn: () => void; live: boolean }[] = [];
  at(at: Date, fn: () => void): () => void {
    const timer = { at: at.getTime(), fn, live: true };
    this.timers.push(timer);
    return () => {
      timer.live = false;
    };
  }
  get pending(): Date[] {
    return this.timers.filter((t) => t.live).map((t) => new Date(t.at));
  }
  advance(ms: number): void {
    clock.advance(ms);
    const now = clock.now().getTime();
    const due = this.timers.filter((t) => t.live && t.at <= now);
    this.timers = this.timers.filter((t) => t.live && t.at > now);
    for (const t of due) t.fn();
  }
}

interface Replica {
  name: string;
  scheduler: Scheduler;
  listener: SignalListener;
  events: Events;
  /** Calls of the engine (evaluateAndNotify), by the `now` they were given. */
  engineCalls: Date[];
  stop(): Promise<void>;
}

interface ReplicaOptions {
  sinks: ReadonlyMap<string, Sink>;
  debounce?: HeldDelay;
  reconnect?: Delay;
  timers?: Timers;
  /** Runs before each engine call (a test holds one in flight with it). */
  beforeEngine?: () => Promise<void>;
}

/** A bot replica as main.ts wires one: its own pool, scheduler and signal connection. */
async function replica(name: string, opts: ReplicaOptions): Promise<Replica> {
  const pool = createPool(db.url, { max: 4, applicationName: `replica ${name}` });
  pools.push(pool);
  const deps: AppDeps = { ...app, store: pgStore(pool) };
  const events = new Events();
  const engineCalls: Date[] = [];
  const scheduler = new Scheduler(deps, deps.store.outbox, {
    evaluateCron: '* * * * *',
    outboxCron: '* * * * *',
    repeatIntervalMs: 4 * 60 * MIN,
    worker: { worker: name, sinks: opts.sinks, random: () => 0.5 },
    logger: silent,
    onWrite: {
      ...(opts.debounce ? { delay: opts.debounce.delay } : {}),
      ...(opts.timers ? { timers: opts.timers } : {}),
    },
    engine: async (...args) => {
      engineCalls.push(args[2]);
      poke();
      await opts.beforeEngine?.();
      return evaluateAndNotify(...args);
    },
    events: events.push,
  });
  const listener = new SignalListener(db.url, scheduler, {
    applicationName: `signals ${name}`,
    ...(opts.reconnect ? { delay: opts.reconnect, retry: { firstMs: 0, maxMs: 0 } } : {}),
  });
  listener.start();
  // Connected, and the catch-up evaluation of every roadmap it starts with is done.
  await until(() => events.count((e) => e.type === 'listening') > 0);
  opts.debounce?.release();
  await scheduler.idle();
  // Counted from here: what the tests' own writes cause.
  events.seen.length = 0;
  engineCalls.length = 0;
  const r: Replica = {
    name,
    scheduler,
    listener,
    events,
    engineCalls,
    stop: async () => {
      await listener.stop();
      await scheduler.stop();
    },
  };
  replicas.push(r);
  return r;
}

const postsOf = (sink: RecordingSink) => sink.posts.map((p) => `${p.channel}: ${p.message.title}`);

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
});

beforeEach(async () => {
  await db.pool.query(
    'TRUNCATE metric_points, trigger_states, alert_episodes, subscriptions, deliveries, digest_snapshots, audit_log, api_tokens RESTART IDENTITY CASCADE',
  );
  clock.set('2026-03-02T12:00:00Z');
});

afterEach(async () => {
  await Promise.all(replicas.map((r) => r.stop()));
  replicas = [];
  await Promise.all(pools.map((p) => p.end()));
  pools = [];
  waiters = [];
});

describe('evaluation on write', () => {
  let fake: FakeSlack;
  let http: FastifyInstance;
  let base: string;

  beforeAll(async () => {
    fake = await FakeSlack.start();
    http = createHttpServer({
      store: app.store,
      registry: app.registry,
      logger: (await import('pino')).pino({ level: 'silent' }),
      started: () => true,
    });
    registerApi(http, app, { maxPoints: 2000, maxBodyBytes: 256 * 1024, rateLimitPerMinute: 30 });
    await http.listen({ port: 0, host: '127.0.0.1' });
    const address = http.server.address();
    base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  afterAll(async () => {
    await http?.close();
    await fake?.close();
  });

  it('a point pushed through the API gets its alert to Slack with no tick', async () => {
    const slack = new SlackSink(
      new WebClient('xoxb-test-token', {
        slackApiUrl: fake.apiUrl,
        retryConfig: { retries: 0 },
      }),
      createLogger('silent'),
    );
    const a = await replica('A', { sinks: new Map([['slack', slack]]) });
    await run('subscribe alerts --channel slack:C0ALERTS');
    const { token } = await pgTokens(db.pool).create('feed', ['example'], 'test', clock.now());

    const response = await fetch(`${base}/api/v1/metrics`, {
      method: 'POST',
      headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
      body: JSON.stringify({
        points: [{ roadmap: 'example', metric: 'active_users', value: 450, at: clock.now() }],
      }),
    });
    expect(response.status).toBe(200);

    const posts = () => fake.callsTo('chat.postMessage');
    await until(() => posts().length > 0);
    expect(posts()).toHaveLength(1);
    expect(posts()[0]?.body).toMatchObject({
      channel: 'C0ALERTS',
      text: expect.stringContaining('tier0.upgrade firing'),
    });
    // Evaluated because of the write, never by a tick (none was called).
    expect(a.events.count(evaluated('tick'))).toBe(0);
    expect(a.events.count(evaluated('write'))).toBeGreaterThanOrEqual(1);
    const sent = await db.pool.query(`SELECT status FROM deliveries`);
    expect(sent.rows).toEqual([{ status: 'sent' }]);
  });

  it('gathers a burst of writes into one evaluation, and writes during one into one more', async () => {
    const debounce = new HeldDelay();
    let hold: Promise<void> | undefined;
    const a = await replica('A', {
      sinks: new Map([['console', new RecordingSink()]]),
      debounce,
      beforeEngine: () => hold ?? Promise.resolve(),
    });
    const written = () => a.events.count((e) => e.type === 'written');

    const N = 12;
    for (let i = 0; i < N; i++) await run(`record active_users ${100 + i}`);
    await until(() => written() === N);
    expect(a.events.count((e) => e.type === 'written' && e.coalesced)).toBe(N - 1);
    expect(a.engineCalls).toHaveLength(0);
    debounce.release();
    await a.scheduler.idle();
    expect(a.engineCalls).toHaveLength(1);

    // An evaluation in flight; three writes meanwhile give one evaluation after it.
    let release!: () => void;
    hold = new Promise((resolve) => (release = resolve));
    await run('record active_users 200');
    await until(() => written() === N + 1);
    debounce.release();
    await until(() => a.engineCalls.length === 2);
    for (let i = 0; i < 3; i++) await run(`record active_users ${300 + i}`);
    await until(() => written() === N + 4);
    debounce.release();
    hold = undefined;
    release();
    await a.scheduler.idle();
    expect(a.engineCalls).toHaveLength(3);
    const report = await app.store.points.snapshot('example', ['active_users'], [], clock.now());
    expect(report.latest.get('active_users')?.value).toBe(302);
  });

  it('two replicas listening on one database send each alert exactly once', async () => {
    const sink = new RecordingSink();
    const sinks = new Map([['console', sink]]);
    const a = await replica('A', { sinks });
    const b = await replica('B', { sinks });
    await run('subscribe alerts --channel console:ops');
    // The upgrade's other input, so that below 400 users its condition is false, not unknown.
    await run('record response_time_p95 300ms');

    const rounds = 4;
    for (let i = 0; i < rounds; i++) {
      await run('record active_users 450');
      await until(() => sink.posts.length === 2 * i + 1);
      clock.advance(MIN);
      await run('record active_users 300');
      await until(() => sink.posts.length === 2 * i + 2);
      clock.advance(MIN);
    }
    // A last write both replicas hear: signals arrive in commit order, so after it each has
    // heard every earlier one; then both settle.
    const heard = (r: Replica) => r.events.count((e) => e.type === 'written');
    const before = [heard(a), heard(b)];
    await run('record active_users 301');
    await Promise.all([a, b].map((r, i) => until(() => heard(r) > (before[i] ?? 0))));
    await Promise.all([a.scheduler.idle(), b.scheduler.idle()]);

    expect(postsOf(sink)).toEqual(
      Array.from({ length: rounds }, () => [
        'ops: Example SaaS — scaling roadmap: tier0.upgrade 🔥 firing',
        'ops: Example SaaS — scaling roadmap: tier0.upgrade ✔️ resolved',
      ]).flat(),
    );
    const rows = (await db.pool.query(`SELECT idempotency_key, kind, status FROM deliveries`)).rows;
    // Each resolution also edits the first post in place (an `update` row).
    expect(rows.filter((r) => r.kind !== 'update')).toHaveLength(2 * rounds);
    expect(sink.updates).toHaveLength(rows.length - 2 * rounds);
    expect(rows.every((r) => r.status === 'sent')).toBe(true);
    expect(new Set(rows.map((r) => r.idempotency_key)).size).toBe(rows.length);
    // Both listened and tried: the one holding the lock evaluated, the other skipped or followed.
    for (const r of [a, b]) expect(r.engineCalls.length).toBeGreaterThan(0);
  });

  it('fires a `for: 10m` alert when the clock passes 10 minutes, not before, with no write', async () => {
    const sink = new RecordingSink();
    const timers = new ClockTimers();
    const a = await replica('A', { sinks: new Map([['console', sink]]), timers });
    await run('subscribe alerts --channel console:ops');
    const start = clock.now().getTime();

    await run('record database_cpu 90%');
    await until(() => a.events.count(evaluated('write')) >= 1);
    await a.scheduler.idle();
    expect(timers.pending).toEqual([new Date(start + 10 * MIN)]);

    // Another write while pending: the deadline stays where the condition started holding.
    timers.advance(5 * MIN);
    await run('record database_cpu 92%');
    await until(() => a.events.count(evaluated('write')) >= 2);
    await a.scheduler.idle();
    expect(timers.pending).toEqual([new Date(start + 10 * MIN)]);

    timers.advance(5 * MIN - 1);
    await a.scheduler.idle();
    expect(a.events.count(evaluated('for'))).toBe(0);
    expect(sink.posts).toEqual([]);

    timers.advance(1);
    await until(() => sink.posts.length > 0);
    expect(a.events.count(evaluated('for'))).toBe(1);
    expect(a.engineCalls.at(-1)).toEqual(new Date(start + 10 * MIN));
    expect(postsOf(sink)).toEqual(['ops: Example SaaS — scaling roadmap: db-cpu-high 🔥 firing']);
    expect(a.events.count(evaluated('tick'))).toBe(0);
    expect(timers.pending).toEqual([]); // firing: nothing left to wait for
  });

  it('falls back to the tick when the signal connection drops, then reconnects and catches up', async () => {
    const sink = new RecordingSink();
    const reconnect = new HeldDelay();
    const a = await replica('A', {
      sinks: new Map([['console', sink]]),
      reconnect: reconnect.delay,
    });
    await run('subscribe alerts --channel console:ops');
    await run('record response_time_p95 300ms');
    const listening = () => a.events.count((e) => e.type === 'listening');
    const lost = () => a.events.count((e) => e.type === 'lost');

    await db.pool.query(
      `SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE application_name = 'signals A' AND datname = current_database()`,
    );
    await until(() => lost() === 1);
    expect(reconnect.waiting).toBe(1);

    // Down: the minute tick still evaluates and sends.
    await run('record active_users 450');
    clock.advance(MIN);
    await a.scheduler.tick(clock.now());
    expect(postsOf(sink)).toEqual(['ops: Example SaaS — scaling roadmap: tier0.upgrade 🔥 firing']);

    // Written while down, caught up on reconnection without a tick.
    await run('record active_users 300');
    const ticks = a.events.count(evaluated('tick'));
    reconnect.release();
    await until(() => listening() === 1);
    await until(() => sink.posts.length === 2);
    expect(postsOf(sink)[1]).toBe('ops: Example SaaS — scaling roadmap: tier0.upgrade ✔️ resolved');

    // Back to signals: the next write is evaluated and sent at once.
    clock.advance(MIN);
    await run('record active_users 460');
    await until(() => sink.posts.length === 3);
    expect(a.events.count(evaluated('tick'))).toBe(ticks);
    const backends = await db.pool.query(
      `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'signals A' AND datname = current_database()`,
    );
    expect(backends.rows[0].n).toBe(1);
  });

  it('releases its connection when stopped', async () => {
    const a = await replica('A', { sinks: new Map([['console', new RecordingSink()]]) });
    await a.stop();
    replicas = replicas.filter((r) => r !== a);
    // The server process exits just after the client has closed its socket.
    await vi.waitFor(async () => {
      const backends = await db.pool.query(
        `SELECT count(*)::int AS n FROM pg_stat_activity WHERE application_name = 'signals A' AND datname = current_database()`,
      );
      expect(backends.rows[0].n).toBe(0);
    });
  });
});
