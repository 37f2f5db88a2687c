/**
 * `npx tsx bench/fanout.ts`: the daily digest fanned out to 1,000 Slack channels that are all
 * due at the same instant, through the real Scheduler (its node-cron jobs, enqueueDueDigests,
 * drainOutbox) and the real SlackSink (the WebClient createSlack builds, with its production
 * retry policy, pointed at a fake Slack by slackApiUrl). The fake runs in its own process and
 * rate limits like Slack (bench/bench-slack-ratelimit.ts):
 *
 *   - 1 message per second per channel (each channel gets one digest here, so this only
 *     catches duplicates and bursts);
 *   - a workspace-wide token bucket of FANOUT_WORKSPACE_RATE messages a second (default 50)
 *     holding FANOUT_WORKSPACE_BURST (default 50): Slack documents no exact workspace figure,
 *     this one makes the bound ~20 s for 1,000 channels.
 *
 * The lower bound is what a perfect sender could do against those limits:
 * max(0, N - burst) / rate (the bucket starts full), and (messages per channel - 1) s per
 * channel, whichever is larger. Total time runs from the due instant (the clock reading the
 * digests' HH:MM) to the last message accepted by the fake. Goal: total ≤ 1.5 × the bound.
 *
 * Variants (FANOUT_VARIANTS, comma-separated, run in order on the same database, each from an
 * empty outbox): r<N>[w<W>][c<M>]
 *   r<N>   N replicas of the shipped Scheduler on one database, each its own pool, WebClient and
 *          worker id, all on the same crons (each evaluates, queues digests and drains)
 *   w<W>   plus drain-only outbox workers up to W in all (Scheduler.drain on both crons, own pool,
 *          WebClient and worker id): more drainOutbox loops, as extra replicas add
 *   c<M>   PROTOTYPE drain (bench/bench-drain.ts): a claimed batch sent M channels at a time
 * default `r1,r1w4,r2,r1c8`. Without c everything is the shipped code. (The shipped
 * enqueueDueDigests evaluates each roadmap once for all its due digests, as an `e` prototype
 * here did before it shipped.)
 *
 *   FANOUT_CHANNELS=1000      subscribed channels
 *   FANOUT_LATENCY_MS=0       the fake's answer delay (Slack's own response time)
 *   FANOUT_TIMEOUT_S=240      a variant that has not delivered everything by then is reported unfinished
 *   FANOUT_OUT=fanout.json    the file under bench/.out/ the figures go to
 *   DATABASE_URL=…            use that server (a fresh roadmap_bench_<random> database) instead of an embedded one
 *
 * The evaluate cron is the production one except for its second: `<s> * * * * *` fires once a
 * minute at the second the due instant falls on (EVALUATE_CRON is configurable), so the run does
 * not wait for a minute boundary; the outbox cron is main.ts's `*\/5 * * * * *`. The app's clock
 * is shifted so the digests' time is that instant (a fixed Monday, 2026-03-02 14:00 UTC, reached
 * in seven time zones).
 *
 * Progress goes to stderr, the tables to stdout, the figures to bench/.out/fanout.json (FANOUT_OUT).
 */
import { fork, type ChildProcess } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { pino } from 'pino';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import { createSlack } from '../src/adapters/slack/app.js';
import { buildDigest } from '../src/app/alerts/digests.js';
import type { AppDeps } from '../src/app/context.js';
import type { Outbox } from '../src/app/ports/outbox.js';
import { RoadmapRegistry } from '../src/app/registry.js';
import { Scheduler, type SchedulerOptions } from '../src/app/scheduler.js';
import type { Sink } from '../src/app/sink.js';
import { digestSnapshot, type DigestSnapshot } from '../src/core/digest/compose.js';
import { dueDigest } from '../src/core/digest/schedule.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { drainOutboxConcurrently } from './bench-drain.js';
import { QueryMeter } from './bench-pgmeter.js';
import type { FakeStats, FakeToParent, ParentToFake } from './bench-slack-ratelimit.js';
import { checkpoint } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
const GOAL_RATIO = 1.5;
/** The digests' instant: 14:00 UTC on a Monday, before either DST change of 2026. */
const DUE = new Date('2026-03-02T14:00:00Z');
const DAY_MS = 86_400_000;
/** The app's clock reads DUE this long before the evaluate cron fires (cron may fire a hair early). */
const CLOCK_LEAD_MS = 50;
/** Local times that are all DUE: the 1,000 subscriptions are spread over these. */
const ZONES: { timezone: string; time: string }[] = [
  { timezone: 'UTC', time: '14:00' },
  { timezone: 'Europe/London', time: '14:00' },
  { timezone: 'Europe/Berlin', time: '15:00' },
  { timezone: 'America/New_York', time: '09:00' },
  { timezone: 'America/Los_Angeles', time: '06:00' },
  { timezone: 'Asia/Kolkata', time: '19:30' },
  { timezone: 'Australia/Sydney', time: '01:00' },
];
/** Mirrors MAX_BATCHES of src/app/scheduler.ts, for the prototype's drain. */
const MAX_BATCHES = 20;

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const epochMs = (): number => performance.timeOrigin + performance.now();
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));

interface Variant {
  name: string;
  replicas: number;
  /** Outbox workers in all: the replicas, plus drain-only workers up to this many. */
  workers: number;
  /** Prototype drain: channels sent at once; undefined = the shipped drainOutbox. */
  concurrency?: number;
}

function describe(v: Variant): string {
  const drain =
    v.concurrency !== undefined ? `drain ${v.concurrency} ch at once (proto)` : 'shipped drain';
  const workers = v.workers > v.replicas ? `, +${v.workers - v.replicas} drain-only` : '';
  return `${v.replicas} sched${workers}; ${drain}`;
}

function parseVariants(text: string): Variant[] {
  return text
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean)
    .map((s) => {
      const m = /^r(\d+)(?:w(\d+))?(?:c(\d+))?$/.exec(s);
      if (!m || Number(m[1]) < 1)
        throw new Error(`FANOUT_VARIANTS: "${s}" is not r<replicas>[w<workers>][c<concurrency>]`);
      const replicas = Number(m[1]);
      return {
        name: s,
        replicas,
        workers: Math.max(replicas, Number(m[2] ?? 0)),
        ...(m[3] ? { concurrency: Math.max(1, Number(m[3])) } : {}),
      };
    });
}

/** Statement classes for database time: the outbox's claim and settle, and the rest (composing and enqueuing digests, the evaluation tick). */
function classify(sql: string): string {
  const s = sql.trimStart();
  if (/^UPDATE deliveries d\s+SET status = 'sending'/.test(s)) return 'claim';
  if (/^UPDATE deliveries SET status = 'sent'/.test(s)) return 'settle';
  if (/^UPDATE deliveries SET status = '(pending|failed)'/.test(s)) return 'settle-retry';
  if (/^INSERT INTO deliveries/.test(s)) return 'enqueue-insert';
  return 'digest';
}

// ---------------------------------------------------------------------------------------------
// The fake Slack, in its own process.

class FakeSlackProcess {
  private waiting: ((m: FakeToParent) => void)[] = [];
  private constructor(
    private readonly child: ChildProcess,
    readonly url: string,
  ) {
    child.on('message', (m: FakeToParent) => this.waiting.shift()?.(m));
  }

  static async start(env: Record<string, string>): Promise<FakeSlackProcess> {
    const child = fork(path.join(ROOT, 'bench/bench-slack-ratelimit.ts'), [], {
      cwd: ROOT,
      execArgv: ['--import', 'tsx'],
      env: { ...process.env, ...env },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () => reject(new Error('the fake Slack did not start within 30 s')),
        30_000,
      );
      child.once('message', (m: FakeToParent) => {
        clearTimeout(timer);
        if (m.type === 'ready') resolve(m.url);
        else reject(new Error(`the fake Slack said ${m.type} first`));
      });
      child.once('exit', (code) => reject(new Error(`the fake Slack exited with ${code}`)));
    });
    return new FakeSlackProcess(child, url);
  }

  private ask(message: ParentToFake): Promise<FakeToParent> {
    return new Promise((resolve) => {
      this.waiting.push(resolve);
      this.child.send(message);
    });
  }

  async stats(): Promise<FakeStats> {
    const m = await this.ask({ type: 'stats' });
    if (m.type !== 'stats') throw new Error(`fake Slack answered ${m.type} to stats`);
    return m.stats;
  }

  async reset(): Promise<void> {
    await this.ask({ type: 'reset' });
  }

  stop(): void {
    if (this.child.connected) this.child.send({ type: 'stop' } satisfies ParentToFake);
    setTimeout(() => this.child.kill(), 3_000).unref();
  }
}

// ---------------------------------------------------------------------------------------------
// Schedulers: the shipped one, observed; and one whose drain is the prototype.

/**
 * The shipped Scheduler, noting when its first tick starts, with the prototype drain swapped in
 * when asked: drain() sends a batch `concurrency` channels at a time (bench/bench-drain.ts). A `drainOnly` one is
 * an extra outbox worker: its ticks only drain (Scheduler.drain, the shipped drainOutbox unless
 * `concurrency` is set). Anything not swapped is the shipped code.
 */
class BenchScheduler extends Scheduler {
  firstTickAt: number | undefined;

  constructor(
    private readonly benchDeps: AppDeps,
    private readonly benchOutbox: Outbox,
    private readonly benchOpts: SchedulerOptions,
    private readonly proto: { concurrency?: number; drainOnly: boolean },
  ) {
    super(benchDeps, benchOutbox, benchOpts);
  }

  override async tick(now: Date): Promise<void> {
    this.firstTickAt ??= epochMs();
    if (this.proto.drainOnly) return this.drain(now);
    return super.tick(now);
  }

  override async drain(now: Date): Promise<void> {
    const concurrency = this.proto.concurrency;
    if (concurrency === undefined) return super.drain(now);
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        const done = await drainOutboxConcurrently(
          this.benchOutbox,
          i === 0 ? now : this.benchDeps.clock(),
          this.benchOpts.worker,
          concurrency,
        );
        if (done.sent + done.retried + done.failed === 0) break;
      }
    } catch (error) {
      this.benchOpts.logger.error({ err: error }, 'outbox drain failed; retried shortly');
    }
  }
}

/** Warnings and errors of the app (retries, failures), counted by message. */
class LogCounter extends Writable {
  readonly counts = new Map<string, number>();
  override _write(chunk: Buffer, _enc: BufferEncoding, done: () => void): void {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line.trim()) continue;
      try {
        const msg = String((JSON.parse(line) as { msg?: unknown }).msg ?? '?')
          .replace(/\d+/g, 'N')
          .slice(0, 90);
        this.counts.set(msg, (this.counts.get(msg) ?? 0) + 1);
      } catch {
        this.counts.set(line.slice(0, 90), (this.counts.get(line.slice(0, 90)) ?? 0) + 1);
      }
    }
    done();
  }
}

// ---------------------------------------------------------------------------------------------
// Data.

/** Hourly points for the example's recorded metrics over 35 days before DUE; the trends make the upgrade trigger approach. */
async function seedPoints(pool: pg.Pool): Promise<number> {
  const series: [string, number, number, number][] = [
    // metric, start, end, noise
    ['active_users', 280, 395, 12],
    ['paid_users', 20, 70, 2],
    ['mrr', 500, 1450, 20],
    ['response_time_p95', 900, 1300, 150],
    ['database_cpu', 35, 62, 6],
    ['infra_cost', 140, 185, 3],
    ['cache_hit_rate', 55, 68, 3],
  ];
  let rows = 0;
  await pool.query('SELECT setseed(0.5)');
  for (const [metric, start, end, noise] of series) {
    const r = await pool.query(
      `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
       SELECT 'example', $1, $2::timestamptz - n * interval '1 hour', 'api',
              round(($3::float8 + ($4::float8 - $3::float8) * (1 - n / 840.0) + $5::float8 * (random() - 0.5))::numeric, 2)::float8,
              $2::timestamptz - n * interval '1 hour'
         FROM generate_series(1, 840) AS n`,
      [metric, DUE, start, end, noise],
    );
    rows += r.rowCount ?? 0;
  }
  const flag = await pool.query(
    `INSERT INTO metric_points (roadmap_id, metric, at, source, value) VALUES ('example', 'multi_region_needed', $1, 'manual', 0)`,
    [new Date(DUE.getTime() - 20 * DAY_MS)],
  );
  return rows + (flag.rowCount ?? 0);
}

/** `channels` digest subscriptions (slack channels C…), spread over ZONES, all due at DUE; yesterday's snapshots so the digests say what changed. */
async function seedSubscriptions(pool: pg.Pool, deps: AppDeps, channels: number): Promise<void> {
  for (const z of ZONES) {
    const due = dueDigest({ time: z.time, timezone: z.timezone, createdAt: new Date(0) }, DUE);
    if (due?.scheduledAt.getTime() !== DUE.getTime())
      throw new Error(`${z.time} ${z.timezone} is not ${DUE.toISOString()}: fix ZONES`);
  }
  const subs = Array.from({ length: channels }, (_, i) => ({
    channel: `C${String(i + 1).padStart(8, '0')}`,
    ...(ZONES[i % ZONES.length] as (typeof ZONES)[number]),
  }));
  // Created an hour before: yesterday's digest was never due, today's is.
  const created = new Date(DUE.getTime() - 3_600_000);
  const ids = await pool.query<{ id: number }>(
    `INSERT INTO subscriptions (platform, channel_id, roadmap_id, kind, digest_time, timezone, created_by, created_at)
     SELECT 'slack', c, 'example', 'digest', t, z, 'bench', $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS s(c, t, z) ORDER BY c
     RETURNING id`,
    [subs.map((s) => s.channel), subs.map((s) => s.time), subs.map((s) => s.timezone), created],
  );
  const yesterday = new Date(DUE.getTime() - DAY_MS);
  const roadmap = deps.registry.get('example');
  if (!roadmap) throw new Error('the example roadmap did not load');
  const { report } = await buildDigest(deps, roadmap, yesterday, {
    localDate: '2026-03-01',
    late: false,
  });
  const snapshot = JSON.stringify(digestSnapshot(report));
  const dates = subs.map(
    (s) =>
      (
        dueDigest({ time: s.time, timezone: s.timezone, createdAt: new Date(0) }, yesterday) as {
          localDate: string;
        }
      ).localDate,
  );
  await pool.query(
    `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot) SELECT id, d::date, $3, $4::jsonb FROM unnest($1::bigint[], $2::text[]) AS s(id, d)`,
    [ids.rows.map((r) => r.id), dates, yesterday, snapshot],
  );
}

/** Back to "nothing sent today": the outbox, today's snapshots and the alert memory emptied, vacuumed, checkpointed. */
async function resetRun(pool: pg.Pool): Promise<void> {
  await pool.query('DELETE FROM deliveries');
  await pool.query('DELETE FROM digest_snapshots WHERE taken_at > $1', [
    new Date(DUE.getTime() - 3_600_000),
  ]);
  await pool.query('DELETE FROM alert_episodes');
  await pool.query('DELETE FROM trigger_states');
  await pool.query('VACUUM (ANALYZE) deliveries, digest_snapshots, alert_episodes, trigger_states');
  await checkpoint(pool);
}

// ---------------------------------------------------------------------------------------------
// One variant.

interface VariantResult {
  variant: string;
  replicas: number;
  workers: number;
  drain: string;
  finished: boolean;
  channels: number;
  lowerBoundMs: number;
  /** From the due instant. */
  firstTickMs: number | null;
  allEnqueuedMs: number | null;
  firstSentMs: number | null;
  totalMs: number | null;
  allSettledMs: number | null;
  ratio: number | null;
  goalMet: boolean;
  messagesSent: number;
  http429: { channel: number; workspace: number };
  duplicates: {
    fakeMessages: number;
    fakeChannels: number;
    deliveriesPerChannelOver1: number;
    maxPerChannelPerSecond: number;
  };
  outbox: {
    sent: number;
    failed: number;
    pending: number;
    attempts: number;
    outboxRetries: number;
    maxAttempts: number;
  };
  db: {
    /** Composing + enqueuing: every statement but the outbox's claim/settle (evaluation tick included), per digest queued. */
    digestMsPerDigest: number;
    digestQueriesPerDigest: number;
    claimMsPerDelivery: number;
    settleMsPerDelivery: number;
    byClass: Record<string, { count: number; ms: number }>;
  };
  /** Wall time of the enqueue phase per digest (the tick composes them one after another). */
  enqueueWallMsPerDigest: number | null;
  /** CPU of this process (the bot's side: scheduler, composer, WebClient, pg) per digest. */
  cpuMsPerDigest: number;
  appLogs: Record<string, number>;
  /** Sampled queued digests rebuilt with the shipped buildDigest: equal / sampled, and the first difference. */
  sameAsShipped: string;
  firstDifference?: string;
  loadAverage: { start: number; end: number };
}

/**
 * Rebuilds `n` random queued digests with the shipped buildDigest (same instant, local date and
 * previous snapshot) and compares them with what was queued: the prototypes must queue the same
 * messages. "equal/sampled".
 */
async function compareWithBuildDigest(
  admin: pg.Pool,
  registry: RoadmapRegistry,
  n: number,
): Promise<{ same: string; firstDifference?: string }> {
  const deps: AppDeps = {
    store: pgStore(admin),
    registry,
    clock: () => DUE,
  };
  const roadmap = registry.get('example');
  if (!roadmap) return { same: '0/0' };
  const { rows } = await admin.query<{ key: string; created_at: Date; message: unknown }>(
    `SELECT idempotency_key AS key, created_at, message FROM deliveries WHERE kind = 'digest' ORDER BY random() LIMIT $1`,
    [n],
  );
  let same = 0;
  let firstDifference: string | undefined;
  for (const row of rows) {
    const [, sub, localDate] = row.key.split(':') as [string, string, string];
    const prev = await admin.query<{ snapshot: DigestSnapshot }>(
      `SELECT snapshot FROM digest_snapshots WHERE subscription_id = $1 AND local_date < $2::date ORDER BY local_date DESC LIMIT 1`,
      [sub, localDate],
    );
    const previous = prev.rows[0]?.snapshot;
    const { message } = await buildDigest(deps, roadmap, row.created_at, {
      localDate,
      late: false,
      ...(previous ? { previous } : {}),
    });
    const difference = firstDiff(
      JSON.parse(JSON.stringify(message)) as unknown,
      row.message,
      'message',
    );
    if (difference === undefined) same++;
    else firstDifference ??= `${row.key}: ${difference}`;
  }
  return { same: `${same}/${rows.length}`, ...(firstDifference ? { firstDifference } : {}) };
}

/**
 * The first path where two JSON values differ (object keys in any order), or undefined. Numbers
 * equal to 1e-9 relative count as equal: PostgreSQL's avg() over float8 may differ in the last
 * bits between two reads of the same rows (summation order), which is not a difference in the digest.
 */
function firstDiff(a: unknown, b: unknown, at: string): string | undefined {
  if (typeof a === 'number' && typeof b === 'number') {
    return a === b || Math.abs(a - b) <= 1e-9 * Math.max(Math.abs(a), Math.abs(b))
      ? undefined
      : `${at}: rebuilt ${a} ≠ queued ${b}`;
  }
  if (typeof a !== 'object' || a === null || typeof b !== 'object' || b === null) {
    return a === b
      ? undefined
      : `${at}: rebuilt ${JSON.stringify(a)?.slice(0, 160)} ≠ queued ${JSON.stringify(b)?.slice(0, 160)}`;
  }
  if (Array.isArray(a) !== Array.isArray(b)) return `${at}: array vs object`;
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  for (const k of keys) {
    const d = firstDiff(
      (a as Record<string, unknown>)[k],
      (b as Record<string, unknown>)[k],
      `${at}.${k}`,
    );
    if (d) return d;
  }
  return undefined;
}

async function runVariant(
  variant: Variant,
  ctx: {
    url: string;
    registry: RoadmapRegistry;
    fake: FakeSlackProcess;
    channels: number;
    lowerBoundMs: number;
    timeoutMs: number;
    admin: pg.Pool;
  },
): Promise<VariantResult> {
  const { admin, fake, channels } = ctx;
  await resetRun(admin);
  await fake.reset();
  const loadStart = loadAverage();

  const realDue = Math.ceil((Date.now() + 3_000) / 1000) * 1000;
  const dueAt = realDue - CLOCK_LEAD_MS;
  const clock = (): Date => new Date(DUE.getTime() + (Date.now() - dueAt));
  const second = new Date(realDue).getSeconds();
  const meter = new QueryMeter(classify);
  const logs = new LogCounter();
  const logger = pino({ level: 'warn' }, logs);

  const replicas = Array.from({ length: variant.workers }, (_, i) => {
    const pool = createPool(ctx.url, {
      applicationName: `bench fanout replica ${i + 1}`,
      onError: () => undefined,
    });
    meter.attach(pool);
    const store = pgStore(pool);
    const outbox = store.outbox;
    const deps: AppDeps = { store, registry: ctx.registry, clock };
    // The adapter main.ts builds (its WebClient, retry policy and timeout), Socket Mode so that
    // nothing is mounted or connected: only the sink is used, and it works before start().
    const slack = createSlack({
      config: {
        SLACK_BOT_TOKEN: 'xoxb-bench',
        SLACK_APP_TOKEN: 'xapp-bench',
        SLACK_SIGNING_SECRET: undefined,
        SLACK_API_URL: `${fake.url}/api/`,
        SLACK_ADMIN_USER_IDS: [],
      },
      deps,
      logger,
    });
    const sinks = new Map<string, Sink>([['slack', slack.sink]]);
    const opts: SchedulerOptions = {
      evaluateCron: `${second} * * * * *`,
      outboxCron: '*/5 * * * * *',
      repeatIntervalMs: 4 * 3_600_000,
      worker: { worker: `bench-replica-${i + 1}`, sinks, maxAttempts: 8, logger },
      logger,
    };
    const scheduler = new BenchScheduler(deps, outbox, opts, {
      ...(variant.concurrency !== undefined ? { concurrency: variant.concurrency } : {}),
      drainOnly: i >= variant.replicas,
    });
    return { pool, scheduler };
  });

  const cpuStart = process.cpuUsage();
  for (const r of replicas) r.scheduler.start();
  log(
    `  ${variant.name}: ${describe(variant)}; due in ${((dueAt - Date.now()) / 1000).toFixed(1)} s`,
  );

  let finished = false;
  let settledAt: number | null = null;
  const deadline = dueAt + ctx.timeoutMs;
  let lastReport = Date.now();
  while (Date.now() < deadline) {
    await sleep(200);
    const { rows } = await admin.query<{ sent: number; total: number }>(
      `SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) AS total FROM deliveries`,
    );
    const sent = rows[0]?.sent ?? 0;
    if (Date.now() - lastReport > 5_000) {
      lastReport = Date.now();
      log(
        `    ${((Date.now() - dueAt) / 1000).toFixed(0)} s: ${rows[0]?.total ?? 0} queued, ${sent} sent`,
      );
    }
    if (sent >= channels) {
      settledAt = epochMs();
      finished = true;
      break;
    }
  }
  // A moment for anything sent twice to show up, then stop taking work.
  await sleep(1_000);
  const cpu = process.cpuUsage(cpuStart);
  await Promise.all(replicas.map((r) => r.scheduler.stop()));
  await Promise.all(replicas.map((r) => r.pool.end().catch(() => undefined)));
  const stats = await fake.stats();

  const { rows: outboxRows } = await admin.query<{
    sent: number;
    failed: number;
    pending: number;
    attempts: number;
    max_attempts: number;
  }>(
    `SELECT count(*) FILTER (WHERE status = 'sent') AS sent, count(*) FILTER (WHERE status = 'failed') AS failed,
            count(*) FILTER (WHERE status IN ('pending', 'sending')) AS pending, coalesce(sum(attempts), 0)::int AS attempts, coalesce(max(attempts), 0) AS max_attempts
       FROM deliveries`,
  );
  const { rows: dupRows } = await admin.query<{ n: number }>(
    `SELECT count(*) AS n FROM (SELECT channel_id FROM deliveries WHERE kind = 'digest' GROUP BY channel_id HAVING count(*) > 1) d`,
  );
  const o = outboxRows[0] as {
    sent: number;
    failed: number;
    pending: number;
    attempts: number;
    max_attempts: number;
  };
  const compared = await compareWithBuildDigest(admin, ctx.registry, 5);

  const digest = meter.get('digest');
  const insert = meter.get('enqueue-insert');
  const claim = meter.get('claim');
  const settle = meter.get('settle');
  const retry = meter.get('settle-retry');
  // Digests queued (rows in the outbox): racing replicas may issue more INSERTs than that.
  const queued = Math.max(1, o.sent + o.failed + o.pending);
  const since = (at: number | null | undefined): number | null =>
    at === null || at === undefined ? null : at - dueAt;
  const firstTick = replicas
    .map((r) => r.scheduler.firstTickAt)
    .filter((t): t is number => t !== undefined);
  const totalMs = finished ? since(stats.lastAcceptedAt) : null;
  const ratio = totalMs === null ? null : totalMs / ctx.lowerBoundMs;
  return {
    variant: variant.name,
    replicas: variant.replicas,
    workers: variant.workers,
    drain: describe(variant),
    finished,
    channels,
    lowerBoundMs: ctx.lowerBoundMs,
    firstTickMs: firstTick.length ? Math.min(...firstTick) - dueAt : null,
    allEnqueuedMs: since(meter.lastAt.get('enqueue-insert')),
    firstSentMs: since(stats.firstAcceptedAt),
    totalMs,
    allSettledMs: since(settledAt),
    ratio,
    goalMet: ratio !== null && ratio <= GOAL_RATIO,
    messagesSent: stats.accepted,
    http429: { channel: stats.channel429, workspace: stats.workspace429 },
    duplicates: {
      fakeMessages: stats.duplicateMessages,
      fakeChannels: stats.duplicateChannels,
      deliveriesPerChannelOver1: dupRows[0]?.n ?? 0,
      maxPerChannelPerSecond: stats.maxPerChannelInterval,
    },
    outbox: {
      sent: o.sent,
      failed: o.failed,
      pending: o.pending,
      attempts: o.attempts,
      outboxRetries: retry.count,
      maxAttempts: o.max_attempts,
    },
    db: {
      digestMsPerDigest: (digest.ms + insert.ms) / queued,
      digestQueriesPerDigest: (digest.count + insert.count) / queued,
      claimMsPerDelivery: claim.ms / Math.max(1, o.sent),
      settleMsPerDelivery: (settle.ms + retry.ms) / Math.max(1, o.sent),
      byClass: Object.fromEntries(
        [...meter.classes].map(([k, v]) => [k, { count: v.count, ms: Number(v.ms.toFixed(1)) }]),
      ),
    },
    enqueueWallMsPerDigest:
      meter.lastAt.has('enqueue-insert') && firstTick.length
        ? ((meter.lastAt.get('enqueue-insert') as number) - Math.min(...firstTick)) / queued
        : null,
    cpuMsPerDigest: (cpu.user + cpu.system) / 1000 / queued,
    appLogs: Object.fromEntries(logs.counts),
    sameAsShipped: compared.same,
    ...(compared.firstDifference ? { firstDifference: compared.firstDifference } : {}),
    loadAverage: { start: loadStart, end: loadAverage() },
  };
}

// ---------------------------------------------------------------------------------------------

const f1 = (n: number | null): string => (n === null ? '—' : n.toFixed(1));
const f2 = (n: number | null): string => (n === null ? '—' : n.toFixed(2));
const sec = (ms: number | null): string => (ms === null ? '—' : `${(ms / 1000).toFixed(1)} s`);

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const channels = Math.round(numberEnv('FANOUT_CHANNELS', 1000));
  const rate = numberEnv('FANOUT_WORKSPACE_RATE', 50);
  const burst = numberEnv('FANOUT_WORKSPACE_BURST', 50);
  const latencyMs = numberEnv('FANOUT_LATENCY_MS', 0);
  const timeoutMs = numberEnv('FANOUT_TIMEOUT_S', 240) * 1000;
  const variants = parseVariants(process.env.FANOUT_VARIANTS || 'r1,r1w4,r2,r1c8');
  if (rate <= 0) throw new Error('FANOUT_WORKSPACE_RATE must be positive');
  // Each channel gets one digest: the per-channel limit adds nothing to the bound.
  const lowerBoundMs = (Math.max(0, channels - burst) / rate) * 1000;
  const startedAt = new Date();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-fanout-'));
  let db: BenchDatabase | undefined;
  let admin: pg.Pool | undefined;
  let fake: FakeSlackProcess | undefined;
  const cleanup = async (): Promise<void> => {
    fake?.stop();
    await admin?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    await copyFile(path.join(ROOT, 'roadmaps/example.yaml'), path.join(tmp, 'example.yaml'));
    const registry = new RoadmapRegistry(tmp);
    await registry.reload();
    if (!registry.get('example')) throw new Error('roadmaps/example.yaml did not load');

    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    admin = createPool(db.url, {
      max: 2,
      applicationName: 'bench fanout admin',
      onError: () => undefined,
    });
    const setupDeps: AppDeps = {
      store: pgStore(admin),
      registry,
      clock: () => DUE,
    };
    const points = await seedPoints(admin);
    await seedSubscriptions(admin, setupDeps, channels);
    log(
      `seeded ${points} points, ${channels} digest subscriptions due ${DUE.toISOString()} (${ZONES.length} time zones)`,
    );

    fake = await FakeSlackProcess.start({
      FAKE_CHANNEL_INTERVAL_MS: '1000',
      FAKE_WORKSPACE_RATE: String(rate),
      FAKE_WORKSPACE_BURST: String(burst),
      FAKE_LATENCY_MS: String(latencyMs),
    });
    log(
      `fake Slack at ${fake.url}: 1 message/s/channel, workspace ${rate}/s (burst ${burst}), latency ${latencyMs} ms; lower bound ${(lowerBoundMs / 1000).toFixed(1)} s`,
    );

    const results: VariantResult[] = [];
    for (const variant of variants) {
      const result = await runVariant(variant, {
        url: db.url,
        registry,
        fake,
        channels,
        lowerBoundMs,
        timeoutMs,
        admin,
      });
      results.push(result);
      log(
        `  ${variant.name}: ${result.finished ? `all sent in ${sec(result.totalMs)} (${f2(result.ratio)}× the bound)` : 'NOT FINISHED'}, ${result.http429.workspace + result.http429.channel} × 429`,
      );
    }

    const out = {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        loadAverageAtEnd: loadAverage(),
      },
      database: { kind: db.kind, version: db.serverVersion },
      setup: {
        channels,
        roadmap: 'roadmaps/example.yaml',
        due: DUE.toISOString(),
        zones: ZONES,
        points,
        slackLimits: {
          perChannel: '1 message per 1000 ms',
          workspaceRatePerSec: rate,
          workspaceBurst: burst,
          retryAfter: 'whole seconds, at least 1',
          latencyMs,
        },
        lowerBoundMs,
        lowerBound: `max(0, ${channels} - ${burst}) / ${rate} per s`,
        goal: `total ≤ ${GOAL_RATIO} × lower bound`,
        slackClient:
          'createSlack() WebClient: retryConfig { retries: 5, factor: 3.86 }, 10 s timeout; 429 → waits Retry-After (pausing its queue), then retries',
        crons: { evaluate: '<due second> * * * * * (once a minute)', outbox: '*/5 * * * * *' },
      },
      results,
    };
    await mkdir(OUT_DIR, { recursive: true });
    const outFile = path.join(OUT_DIR, path.basename(process.env.FANOUT_OUT || 'fanout.json'));
    await writeFile(outFile, `${JSON.stringify(out, null, 2)}\n`);

    console.log(
      `\nDigest fan-out: ${channels} Slack channels due at once; fake Slack 1 msg/s/channel, workspace ${rate}/s burst ${burst}, latency ${latencyMs} ms`,
    );
    console.log(
      `Lower bound ${sec(lowerBoundMs)} (max(0, N − burst) / rate); goal ≤ ${GOAL_RATIO}× = ${sec(lowerBoundMs * GOAL_RATIO)}. Times from the due instant. Load average ${loadAverage()} on ${os.cpus().length} CPUs.\n`,
    );
    console.log(
      table(
        [
          'variant',
          'enqueue, drain',
          'first tick',
          'all queued',
          'first sent',
          'all sent',
          '× bound',
          'goal',
          'sent',
          '429 ws/ch',
          'dup',
          'outbox retries',
          'failed',
          'same msgs',
        ],
        results.map((r) => [
          r.variant,
          r.drain,
          sec(r.firstTickMs),
          sec(r.allEnqueuedMs),
          sec(r.firstSentMs),
          r.finished ? sec(r.totalMs) : 'unfinished',
          f2(r.ratio),
          r.goalMet ? 'met' : 'missed',
          String(r.messagesSent),
          `${r.http429.workspace}/${r.http429.channel}`,
          String(r.duplicates.fakeMessages + r.duplicates.deliveriesPerChannelOver1),
          String(r.outbox.outboxRetries),
          String(r.outbox.failed),
          r.sameAsShipped,
        ]),
      ),
    );
    console.log("\nDatabase time (client-side round trips) and the bot process's CPU");
    console.log(
      table(
        [
          'variant',
          'db ms/digest (compose+enqueue)',
          'queries/digest',
          'enqueue wall ms/digest',
          'db ms/claim',
          'db ms/settle',
          'cpu ms/digest',
        ],
        results.map((r) => [
          r.variant,
          f2(r.db.digestMsPerDigest),
          f1(r.db.digestQueriesPerDigest),
          f2(r.enqueueWallMsPerDigest),
          f2(r.db.claimMsPerDelivery),
          f2(r.db.settleMsPerDelivery),
          f2(r.cpuMsPerDigest),
        ]),
      ),
    );
    console.log(`\nFigures: ${path.relative(ROOT, outFile)}`);
    const bad = results.filter(
      (r) =>
        r.duplicates.fakeMessages + r.duplicates.deliveriesPerChannelOver1 > 0 ||
        r.outbox.failed > 0,
    );
    if (bad.length > 0) {
      log(`duplicates or failures in ${bad.map((r) => r.variant).join(', ')}`);
      process.exitCode = 1;
    }
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(`fanout bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
