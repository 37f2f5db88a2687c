/**
 * `npx tsx bench/ingest.ts`: push-API ingestion throughput. The bot runs as its own process
 * (`node dist/main.js`, the compiled build `npm start` runs, rebuilt first when a source is
 * newer; INGEST_BOT_ENTRY=src/main.ts runs the sources through tsx instead) on a
 * fresh bench database with roadmaps/example.yaml, listening on 127.0.0.1; this process is only
 * the load generator. Batches of 1,000 points (every point a distinct key) are POSTed as JSON
 * with a bearer token at each concurrency level, closed loop (a worker sends its next batch when
 * the previous one is answered), a bounded number of batches per level. Then the same points
 * are written with `psql \copy` into a fresh table made LIKE metric_points INCLUDING ALL (same
 * columns, defaults, primary key) holding the same rows metric_points held when the levels
 * started, in INGEST_COPY_ROUNDS rounds (median), in two versions: bench_copy_triggers, which
 * also has metric_points' triggers (evaluation on write, the rollups' stale marks: migrations
 * 0010-0012; LIKE copies no trigger), is the goal's baseline, as a \copy into metric_points
 * pays them as every other writer does (its notifications reach the running bot, which
 * evaluates and refreshes rollups as it would after such a \copy); bench_copy without them,
 * the baseline before (kinder to \copy), is printed beside it. The \copy is timed as psql's
 * \timing reports it (the command alone: the bot too is already running and connected), and
 * from psql's spawn to its exit, as before #16 (start-up and connection included: a kinder
 * baseline for the API). Goals (#16): at 4 writers the API's rate ≥ 0.6 × \copy's own; p99 of a
 * 1,000-point batch < 100 ms. Each level's load average is printed beside it.
 *
 * Last, measured in this process against the same database: one batch's server-side steps
 * (the token's statement, JSON.parse, the zod schema, validateBatch, the write), to say where
 * the time goes; and the write path's alternatives side by side, interleaved, with their CPU:
 * the shipped write (one statement: token check, INSERT, audit row), the same when it falls
 * back to the upsert, the write as it was before #16 (bench/bench-ingest-proto.ts: BEGIN, the
 * upsert with text arrays, the audit row, COMMIT), and points.import's COPY path.
 *
 *   INGEST_LEVELS=1,2,4,8   concurrency levels
 *   INGEST_BATCHES=100      batches per level (1,000 points each)
 *   INGEST_WARMUP=10        batches before the levels, not measured
 *   INGEST_COPY_ROUNDS=3    \copy rounds
 *   INGEST_BOT_ENTRY=dist/main.js  the bot's entry (src/main.ts: the sources through tsx)
 *   INGEST_BOT_NODE_ARGS=…  extra node options for the bot (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof"; it
 *                           exits through its SIGTERM shutdown, so the profile is written)
 *   DATABASE_URL=…          use that server (a fresh roadmap_bench_<random> database) instead of an embedded one
 *
 * Loopback only. Progress to stderr, tables to stdout, figures to bench/.out/ingest.json.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { acceptedPoints, BatchSchema } from '../src/adapters/http/api.js';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import { pgTokens } from '../src/adapters/pg/tokens.js';
import { validateBatch } from '../src/app/ingest.js';
import { RoadmapRegistry } from '../src/app/registry.js';
import { cpuOf, postmasterPid, reapedCpuOf, serverCpu, serverDelta } from './bench-cpu.js';
import { build } from '../scripts/build.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { percentiles, type Percentiles, request } from './http-loader.js';
import {
  COPY_TABLE,
  COPY_TABLE_TRIGGERS,
  copyPointTriggers,
  findPsql,
  psqlVersion,
  runPsql,
} from './import.js';
import type { GuardedWrite, PointInput } from '../src/app/ports/points.js';
import { recordPointsBefore16 } from './bench-ingest-proto.js';
import { checkpoint } from './load.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
const BATCH = 1_000;
const GOAL_RATIO = 0.6;
const GOAL_P99_MS = 100;
const REQUEST_TIMEOUT_MS = 30_000;
/** The example roadmap's recorded numeric metrics (conversion is derived, multi_region_needed a flag). */
const METRICS = [
  'active_users',
  'paid_users',
  'mrr',
  'response_time_p95',
  'database_cpu',
  'infra_cost',
  'cache_hit_rate',
];

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));

function listEnv(name: string, fallback: string): number[] {
  return (process.env[name] || fallback).split(',').map((s) => {
    const n = Number(s.trim());
    if (!Number.isInteger(n) || n < 1) throw new Error(`${name}: "${s}" is not a positive integer`);
    return n;
  });
}

// ---------------------------------------------------------------------------------------------
// Points: every point a distinct (metric, at); point k of the run is metric k mod 7 at BASE + ⌊k/7⌋ s.

interface Batch {
  body: string;
  points: PointInput[];
}

class PointSource {
  private next = 0;
  constructor(private readonly base: number) {}

  batch(): Batch {
    const points: PointInput[] = [];
    for (let i = 0; i < BATCH; i++, this.next++) {
      const metric = METRICS[this.next % METRICS.length] as string;
      const at = new Date(this.base + Math.floor(this.next / METRICS.length) * 1000);
      // Values of the size real metrics have, two decimals: exact through JSON, CSV and float8.
      const value = Math.round(((this.next * 7919) % 100_000) + 1) / 100;
      points.push({ roadmapId: 'example', metric, at, source: 'api', value });
    }
    const body = JSON.stringify({
      points: points.map((p) => ({
        roadmap: p.roadmapId,
        metric: p.metric,
        value: p.value,
        at: p.at.toISOString(),
      })),
    });
    return { body, points };
  }
}

// ---------------------------------------------------------------------------------------------
// The bot, as its own process.

interface Bot {
  child: ChildProcess;
  url: URL;
  logs: () => string;
  stop(): Promise<void>;
}

/** The bot's entry: the compiled build by default, as `npm start` runs it. */
const BOT_ENTRY = process.env.INGEST_BOT_ENTRY || 'dist/main.js';

async function startBot(env: Record<string, string>, nodeArgs: string[]): Promise<Bot> {
  if (!BOT_ENTRY.endsWith('.ts')) {
    const built = await build({ ifStale: true, allowTypeErrors: true });
    if (built.built) log('dist/ was older than the sources: built it');
  }
  // The bench's own settings only: nothing from a developer's shell that would turn on Slack,
  // Discord, a simulated clock, or other API limits.
  const clean = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(SLACK_|DISCORD_|CLOCK_|API_|PRODUCT_DATABASE_URL$|DATABASE_URL$|PORT$|HOST$|ROADMAPS_DIR$|DATA_DIR$)/.test(
          k,
        ),
    ),
  );
  const child = spawn(
    process.execPath,
    [
      ...nodeArgs,
      ...(BOT_ENTRY.endsWith('.ts') ? ['--import', 'tsx'] : []),
      path.join(ROOT, BOT_ENTRY),
    ],
    { cwd: ROOT, env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  let logs = '';
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`the bot did not listen within 60 s:\n${logs.slice(-2000)}`)),
      60_000,
    );
    const onData = (d: Buffer): void => {
      logs += d.toString();
      if (logs.length > 1_000_000) logs = logs.slice(-500_000);
      const m = /http: listening on 127\.0\.0\.1:(\d+)/.exec(logs);
      if (m) {
        clearTimeout(timer);
        resolve(Number(m[1]));
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`the bot exited with ${code}:\n${logs.slice(-2000)}`));
    });
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  return {
    child,
    url: new URL(`http://127.0.0.1:${port}`),
    logs: () => logs,
    async stop() {
      if (child.exitCode !== null) return;
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

// ---------------------------------------------------------------------------------------------
// HTTP, loopback only.

async function waitReady(url: URL): Promise<void> {
  const agent = new http.Agent();
  try {
    for (let i = 0; i < 100; i++) {
      const ok = await new Promise<boolean>((resolve) => {
        http
          .get(new URL('/readyz', url), { agent }, (res) => {
            res.resume();
            resolve(res.statusCode === 200);
          })
          .on('error', () => resolve(false));
      });
      if (ok) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error('the bot never became ready');
  } finally {
    agent.destroy();
  }
}

interface LevelResult {
  concurrency: number;
  batches: number;
  points: number;
  ok: number;
  errors: Record<string, number>;
  wallMs: number;
  pointsPerSec: number;
  latencyMs: Percentiles;
  /**
   * Against the \copy's own time (psql's \timing) into bench_copy_triggers (the goal's), into
   * bench_copy (no triggers, the baseline before), and against psql from spawn to exit (triggers).
   */
  ratioToCopy: number | null;
  ratioToCopyNoTriggers: number | null;
  ratioToCopyProcess: number | null;
  p99GoalMet: boolean;
  /** CPU per batch: the bot process, and PostgreSQL's backends (null when the server is not local). */
  botCpuMsPerBatch: number | null;
  pgCpuMsPerBatch: number | null;
  /** Evaluations the bot ran during the level (evaluation on write), and their time in all. */
  evaluations: number | null;
  evaluationSeconds: number | null;
  loadAverage: number;
}

/** The bot's evaluation count and time so far, from its /metrics (a histogram's _count, _sum). */
async function evaluationTotals(bot: Bot): Promise<{ count: number; seconds: number } | undefined> {
  const text = await fetch(new URL('/metrics', bot.url))
    .then((r) => (r.ok ? r.text() : undefined))
    .catch(() => undefined);
  if (text === undefined) return undefined;
  const sum = (name: string) =>
    text
      .split('\n')
      .filter((line) => line.startsWith(`${name}{`) || line.startsWith(`${name} `))
      .reduce((total, line) => total + Number(line.slice(line.lastIndexOf(' ') + 1)), 0);
  return {
    count: sum('roadmap_bot_evaluation_seconds_count'),
    seconds: sum('roadmap_bot_evaluation_seconds_sum'),
  };
}

/** `batches` POSTs, `concurrency` at a time, each worker sending its next when answered. */
async function runLevel(
  bot: Bot,
  token: string,
  concurrency: number,
  batches: Batch[],
  pgPid: number | undefined,
): Promise<Omit<LevelResult, 'ratioToCopy' | 'ratioToCopyNoTriggers' | 'ratioToCopyProcess'>> {
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  const url = new URL('/api/v1/metrics', bot.url);
  const latencies: number[] = [];
  const errors: Record<string, number> = {};
  let ok = 0;
  let issued = 0;
  const botBefore = bot.child.pid ? await cpuOf(bot.child.pid) : undefined;
  const pgBefore = pgPid ? await serverCpu(pgPid) : undefined;
  const evaluationsBefore = await evaluationTotals(bot);
  const started = performance.now();
  const worker = async (): Promise<void> => {
    while (issued < batches.length) {
      const batch = batches[issued++] as Batch;
      try {
        const answer = await request(agent, url, {
          method: 'POST',
          headers: {
            authorization: `Bearer ${token}`,
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(batch.body),
          },
          body: batch.body,
          timeoutMs: REQUEST_TIMEOUT_MS,
        });
        latencies.push(answer.ms);
        const written =
          answer.status === 200
            ? (JSON.parse(answer.body) as { written?: number }).written
            : undefined;
        if (answer.status === 200 && written === BATCH) ok++;
        else {
          const why =
            answer.status === 200
              ? `200 but wrote ${written}`
              : `HTTP ${answer.status}: ${answer.body.slice(0, 120)}`;
          errors[why] = (errors[why] ?? 0) + 1;
        }
      } catch (error) {
        const why = (error as Error).message;
        errors[why] = (errors[why] ?? 0) + 1;
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  const wallMs = performance.now() - started;
  const botAfter = bot.child.pid ? await cpuOf(bot.child.pid) : undefined;
  const pgAfter = pgPid ? await serverCpu(pgPid) : undefined;
  const evaluationsAfter = await evaluationTotals(bot);
  agent.destroy();
  const latencyMs = percentiles(latencies);
  return {
    concurrency,
    batches: batches.length,
    points: ok * BATCH,
    ok,
    errors,
    wallMs,
    pointsPerSec: ((ok * BATCH) / wallMs) * 1000,
    latencyMs,
    p99GoalMet: latencyMs.p99 < GOAL_P99_MS,
    botCpuMsPerBatch:
      botBefore !== undefined && botAfter !== undefined
        ? ((botAfter - botBefore) * 1000) / batches.length
        : null,
    pgCpuMsPerBatch:
      pgBefore && pgAfter ? (serverDelta(pgBefore, pgAfter) * 1000) / batches.length : null,
    evaluations:
      evaluationsBefore && evaluationsAfter
        ? evaluationsAfter.count - evaluationsBefore.count
        : null,
    evaluationSeconds:
      evaluationsBefore && evaluationsAfter
        ? evaluationsAfter.seconds - evaluationsBefore.seconds
        : null,
    loadAverage: loadAverage(),
  };
}

// ---------------------------------------------------------------------------------------------
// The \copy baseline.

async function writeCsv(file: string, batches: Batch[]): Promise<void> {
  const out = createWriteStream(file);
  let chunk = '';
  for (const b of batches) {
    for (const p of b.points)
      chunk += `${p.roadmapId},${p.metric},${p.at.toISOString()},${p.source},${p.value}\n`;
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
}

/**
 * `table`, fresh: metric_points' shape and indexes, holding the rows metric_points held when the
 * levels started (recorded before `seedBefore`); with `triggers`, metric_points' triggers too.
 */
async function freshCopyTable(
  admin: pg.Pool,
  seedBefore: Date,
  table: string,
  triggers: boolean,
): Promise<void> {
  await admin.query(`DROP TABLE IF EXISTS ${table}`);
  await admin.query(`CREATE TABLE ${table} (LIKE metric_points INCLUDING ALL)`);
  await admin.query(`INSERT INTO ${table} SELECT * FROM metric_points WHERE recorded_at < $1`, [
    seedBefore,
  ]);
  if (triggers) await copyPointTriggers(admin, table);
  await admin.query(`VACUUM (ANALYZE) ${table}`);
  await checkpoint(admin);
}

interface CopyRound {
  /** The \copy as psql's \timing reports it. */
  ms: number;
  /** From psql's spawn to its exit. */
  processMs: number;
  /** CPU per 1,000 points: psql (the client), and PostgreSQL (null when the server is not local). */
  psqlCpuMsPer1000: number | null;
  pgCpuMsPer1000: number | null;
}

async function measureCopy(
  url: string,
  psql: string,
  file: string,
  table: string,
  points: number,
  pgPid: number | undefined,
): Promise<CopyRound> {
  const clientBefore = await reapedCpuOf(process.pid);
  const pgBefore = pgPid ? await serverCpu(pgPid) : undefined;
  const { ms, processMs } = await timeCopy(url, psql, file, table);
  // psql's backend exits after psql does: its CPU reaches the postmaster's reaped total a moment later.
  await new Promise((r) => setTimeout(r, 500));
  const clientAfter = await reapedCpuOf(process.pid);
  const pgAfter = pgPid ? await serverCpu(pgPid) : undefined;
  const per1000 = (seconds: number): number => (seconds * 1000 * 1000) / points;
  return {
    ms,
    processMs,
    psqlCpuMsPer1000:
      clientBefore !== undefined && clientAfter !== undefined
        ? per1000(clientAfter - clientBefore)
        : null,
    pgCpuMsPer1000: pgBefore && pgAfter ? per1000(serverDelta(pgBefore, pgAfter)) : null,
  };
}

async function timeCopy(
  url: string,
  psql: string,
  file: string,
  table: string,
): Promise<{ ms: number; processMs: number }> {
  const started = performance.now();
  const ms = await runPsql(
    psql,
    url,
    `\\copy ${table} (roadmap_id, metric, at, source, value) FROM '${file.replace(/'/g, "''")}' WITH (FORMAT csv)`,
  );
  return { ms, processMs: performance.now() - started };
}

// ---------------------------------------------------------------------------------------------
// Where one batch's time goes, and what the write path's alternatives cost, measured in this process.

interface Step {
  step: string;
  medianMs: number;
  p90Ms: number;
}

interface Alternative {
  name: string;
  /** Sequential calls, interleaved with the other alternatives. */
  medianMs: number;
  p90Ms: number;
  /** CPU per call: this process (the bot's side of the call: serializing, parsing), and the PostgreSQL backend serving it. */
  clientCpuMs: number;
  pgCpuMs: number | null;
  /** Four callers at once, each its own pooled connection: points per second, median of five rounds (writes only). */
  concurrent4PointsPerSec: number | null;
}

async function breakdown(
  url: string,
  registry: RoadmapRegistry,
  token: string,
  source: PointSource,
  rounds: number,
  pgPid: number | undefined,
): Promise<{ steps: Step[]; alternatives: Alternative[] }> {
  const pool = createPool(url, {
    max: 4,
    applicationName: 'bench ingest breakdown',
    onError: () => undefined,
  });
  try {
    const store = pgStore(pool);
    const tokens = pgTokens(pool);
    const entry = (at: Date) => ({
      actor: { platform: 'api' as const, id: 'bench' },
      action: 'push',
      details: { points: BATCH, format: 'json' },
      at,
    });
    const expect = (what: string, n: number): void => {
      if (n !== BATCH) throw new Error(`${what} wrote ${n} rows, expected ${BATCH}`);
    };

    // 1. The steps of one JSON POST, in order.
    const times = new Map<string, number[]>();
    const time = async <T>(step: string, fn: () => T | Promise<T>): Promise<T> => {
      const started = performance.now();
      const result = await fn();
      times.set(step, [...(times.get(step) ?? []), performance.now() - started]);
      return result;
    };
    for (let i = 0; i < rounds; i++) {
      const batch = source.batch();
      const now = new Date();
      const known = await time('auth: authenticateAndCount (1 statement)', async () => {
        const found = await tokens.authenticateAndCount(token, now);
        if (!found) throw new Error('token not found');
        return found;
      });
      const parsed = await time('JSON.parse of the body', () => JSON.parse(batch.body) as unknown);
      const checked = await time('acceptedPoints (the hand check of BatchSchema)', () =>
        acceptedPoints(parsed),
      );
      if (!checked) throw new Error('the bench batch does not pass the schema');
      await time('zod BatchSchema.safeParse (only for a refused batch now)', () =>
        BatchSchema.safeParse(parsed),
      );
      const valid = await time('validateBatch', () =>
        validateBatch(checked, {
          roadmaps: (id) => registry.get(id),
          now,
          defaultSource: 'api',
        }),
      );
      if (valid.errors.length > 0)
        throw new Error(`the bench batch does not validate: ${valid.errors[0]?.message}`);
      const outcome = await time(
        'write: recordForToken (1 statement: token check, INSERT, audit row)',
        () => store.points.recordForToken(known.token.id, valid.points, entry(now)),
      );
      expect('recordForToken', 'written' in outcome ? outcome.written : -1);
    }
    const steps = [...times].map(([step, xs]) => {
      const p = percentiles(xs);
      return { step, medianMs: p.p50, p90Ms: p.p90 };
    });
    const tokenId = (await tokens.authenticateAndCount(token, new Date()))?.token.id as number;

    // The write before #16 writes what the shipped one writes: the same batch sent again through
    // the shipped write must change nothing (same keys, same values).
    {
      const b = source.batch();
      expect('recordPointsBefore16', await recordPointsBefore16(pool, b.points, entry(new Date())));
      const again = await store.points.record(b.points, entry(new Date()));
      if (again !== 0)
        throw new Error(`recordPointsBefore16's rows differ from record's (${again} rewritten)`);
    }

    // 2. Alternatives, interleaved call by call so that they share the machine's ups and downs.
    type Call = () => Promise<unknown>;
    const written = (what: string) => (outcome: GuardedWrite) =>
      expect(what, 'written' in outcome ? outcome.written : -1);
    // `around`: set up before and undone after a call or a round of calls, outside the timing.
    type Alt = { name: string; call: () => Call; around?: { before: Call; after: Call } };
    // metric_points' statement triggers (evaluation on write, rollups: migrations 0010, 0011),
    // off for one alternative: what the shipped write costs without them, as \copy into
    // bench_copy (LIKE … INCLUDING ALL copies no trigger) has none.
    const triggersOff = {
      before: async () => void (await pool.query('ALTER TABLE metric_points DISABLE TRIGGER USER')),
      after: async () => void (await pool.query('ALTER TABLE metric_points ENABLE TRIGGER USER')),
    };
    const writes: Alt[] = [
      {
        name: 'write: recordForToken (shipped: 1 statement, plain INSERT)',
        call: () => {
          const b = source.batch();
          return async () =>
            written('recordForToken')(
              await store.points.recordForToken(tokenId, b.points, entry(new Date())),
            );
        },
      },
      {
        name: "write: recordForToken, metric_points' triggers off (as bench_copy)",
        call: () => {
          const b = source.batch();
          return async () =>
            written('recordForToken, no triggers')(
              await store.points.recordForToken(tokenId, b.points, entry(new Date())),
            );
        },
        around: triggersOff,
      },
      {
        // The same batch with its last point sent twice: the write goes straight to the upsert,
        // as it does after a plain INSERT meets a stored key (a re-sent batch, an overlap).
        name: 'write: recordForToken, a repeated key (the upsert)',
        call: () => {
          const b = source.batch();
          const points = [...b.points, b.points[BATCH - 1] as PointInput];
          return async () =>
            written('recordForToken, upsert')(
              await store.points.recordForToken(tokenId, points, entry(new Date())),
            );
        },
      },
      {
        name: 'write: before #16 (BEGIN, text-array upsert, audit, COMMIT)',
        call: () => {
          const b = source.batch();
          return async () =>
            expect(
              'recordPointsBefore16',
              await recordPointsBefore16(pool, b.points, entry(new Date())),
            );
        },
      },
      {
        name: 'write: points.import (CSV import: binary COPY)',
        call: () => {
          const b = source.batch();
          return async () =>
            expect('importPoints', await store.points.import(b.points, entry(new Date())));
        },
      },
    ];
    const auths: Alt[] = [
      {
        name: 'auth: authenticateAndCount, 1 statement (shipped)',
        call: () => async () => {
          if (!(await tokens.authenticateAndCount(token, new Date())))
            throw new Error('token not found');
        },
      },
    ];
    const all = [...writes, ...auths];
    // PostgreSQL CPU of these calls: the pool's own backends only (autovacuum or a checkpoint
    // landing during one call would otherwise be charged to it). The pool's four connections are
    // opened now and stay open (idle timeout 10 s; calls follow each other closely).
    const held = await Promise.all(Array.from({ length: 4 }, () => pool.connect()));
    const backends = await Promise.all(
      held.map(
        async (c) =>
          (await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid')).rows[0]?.pid as number,
      ),
    );
    for (const c of held) c.release();
    const backendCpu = async (): Promise<number | undefined> => {
      if (!pgPid) return undefined;
      let sum = 0;
      for (const pid of backends) {
        const cpu = await cpuOf(pid);
        if (cpu === undefined) return undefined;
        sum += cpu;
      }
      return sum;
    };
    const samples = new Map<string, { ms: number[]; client: number; pg: number | null }>(
      all.map((a) => [a.name, { ms: [], client: 0, pg: pgPid ? 0 : null }]),
    );
    for (let i = 0; i < rounds; i++) {
      for (const alt of all) {
        const call = alt.call();
        const s = samples.get(alt.name) as { ms: number[]; client: number; pg: number | null };
        await alt.around?.before();
        const pgBefore = await backendCpu();
        const cpuBefore = process.cpuUsage();
        const started = performance.now();
        await call();
        s.ms.push(performance.now() - started);
        const cpu = process.cpuUsage(cpuBefore);
        s.client += (cpu.user + cpu.system) / 1000;
        const pgAfter = await backendCpu();
        await alt.around?.after();
        if (s.pg !== null)
          s.pg =
            pgBefore !== undefined && pgAfter !== undefined
              ? s.pg + (pgAfter - pgBefore) * 1000
              : null;
      }
    }
    // Four at once: five rounds of 4 × 5 batches per write, the order alternating; the median round.
    const rates = new Map<string, number[]>(writes.map((w) => [w.name, []]));
    for (let round = 0; round < 5; round++) {
      for (const w of round % 2 === 0 ? writes : [...writes].reverse()) {
        const calls = Array.from({ length: 4 }, () => Array.from({ length: 5 }, () => w.call()));
        await w.around?.before();
        const started = performance.now();
        await Promise.all(
          calls.map(async (lane) => {
            for (const call of lane) await call();
          }),
        );
        rates.get(w.name)?.push(((4 * 5 * BATCH) / (performance.now() - started)) * 1000);
        await w.around?.after();
      }
    }
    const concurrent = new Map([...rates].map(([name, xs]) => [name, percentiles(xs).p50]));
    const alternatives = all.map((a) => {
      const s = samples.get(a.name) as { ms: number[]; client: number; pg: number | null };
      const p = percentiles(s.ms);
      return {
        name: a.name,
        medianMs: p.p50,
        p90Ms: p.p90,
        clientCpuMs: s.client / rounds,
        pgCpuMs: s.pg === null ? null : s.pg / rounds,
        concurrent4PointsPerSec: concurrent.get(a.name) ?? null,
      };
    });
    return { steps, alternatives };
  } finally {
    await pool.end();
  }
}

// ---------------------------------------------------------------------------------------------

const f1 = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(1));
const f2 = (n: number | null): string => (n === null || !Number.isFinite(n) ? '—' : n.toFixed(2));
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const levels = listEnv('INGEST_LEVELS', '1,2,4,8');
  const perLevel = numberEnv('INGEST_BATCHES', 100, { integer: true });
  const warmup = numberEnv('INGEST_WARMUP', 10, { integer: true });
  const copyRounds = Math.max(1, numberEnv('INGEST_COPY_ROUNDS', 3, { integer: true }));
  const nodeArgs = (process.env.INGEST_BOT_NODE_ARGS ?? '').split(/\s+/).filter(Boolean);
  const startedAt = new Date();
  const startLoad = loadAverage();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-ingest-'));
  const roadmapsDir = path.join(tmp, 'roadmaps');
  let db: BenchDatabase | undefined;
  let admin: pg.Pool | undefined;
  let bot: Bot | undefined;
  const cleanup = async (): Promise<void> => {
    await bot?.stop().catch(() => undefined);
    await admin?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(tmp, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    const psql = await findPsql();
    if (!psql) throw new Error('psql is not on PATH: the \\copy baseline needs it');
    await mkdir(roadmapsDir);
    await copyFile(
      path.join(ROOT, 'roadmaps/example.yaml'),
      path.join(roadmapsDir, 'example.yaml'),
    );
    const registry = new RoadmapRegistry(roadmapsDir);
    await registry.reload();

    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    admin = createPool(db.url, {
      max: 2,
      applicationName: 'bench ingest admin',
      onError: () => undefined,
    });
    const dataDir = (
      await admin.query<{ data_directory: string }>('SHOW data_directory').catch(() => undefined)
    )?.rows[0]?.data_directory;
    const pgPid = dataDir ? await postmasterPid(dataDir) : undefined;
    const settings = Object.fromEntries(
      (
        await admin.query<{ name: string; setting: string }>(
          `SELECT name, setting FROM pg_settings WHERE name IN ('fsync', 'synchronous_commit', 'shared_buffers', 'max_wal_size', 'wal_level')`,
        )
      ).rows.map((r) => [r.name, r.setting]),
    );
    const { token } = await pgTokens(admin).create(
      `bench-ingest-${randomBytes(3).toString('hex')}`,
      ['example'],
      'bench',
      new Date(),
    );

    bot = await startBot(
      {
        DATABASE_URL: db.url,
        ROADMAPS_DIR: roadmapsDir,
        DATA_DIR: path.join(tmp, 'data'),
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        NODE_ENV: 'production',
        API_RATE_LIMIT: '1000000000',
        REPLICA_ID: 'bench-ingest',
      },
      nodeArgs,
    );
    await waitReady(bot.url);
    log(`bot: pid ${bot.child.pid} at ${bot.url.origin}`);

    // Points from 40 days ago on, one second apart per metric: far from "now", never in the future.
    const source = new PointSource(Math.floor(Date.now() / 1000) * 1000 - 40 * 86_400_000);
    const url = new URL('/api/v1/metrics', bot.url);
    const warmAgent = new http.Agent({ keepAlive: true, maxSockets: 1 });
    for (let i = 0; i < warmup; i++) {
      const b = source.batch();
      const answer = await request(warmAgent, url, {
        method: 'POST',
        headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
        body: b.body,
        timeoutMs: REQUEST_TIMEOUT_MS,
      });
      if (answer.status !== 200)
        throw new Error(`warm-up batch answered ${answer.status}: ${answer.body.slice(0, 300)}`);
    }
    warmAgent.destroy();
    // metric_points now holds the warm-up's rows: bench_copy starts from the same rows.
    const levelsStart = new Date();
    await new Promise((r) => setTimeout(r, 20));
    await admin.query('VACUUM (ANALYZE) metric_points');
    await checkpoint(admin);

    const all: Batch[] = [];
    const levelResults: Omit<
      LevelResult,
      'ratioToCopy' | 'ratioToCopyNoTriggers' | 'ratioToCopyProcess'
    >[] = [];
    for (const concurrency of levels) {
      const batches = Array.from({ length: perLevel }, () => source.batch());
      all.push(...batches);
      log(`concurrency ${concurrency}: ${perLevel} batches of ${BATCH}…`);
      const r = await runLevel(bot, token, concurrency, batches, pgPid);
      levelResults.push(r);
      log(
        `  ${int(r.pointsPerSec)} points/s, p50 ${f1(r.latencyMs.p50)} ms, p99 ${f1(r.latencyMs.p99)} ms${Object.keys(r.errors).length ? `, errors ${JSON.stringify(r.errors)}` : ''}`,
      );
    }
    const totalPoints = all.length * BATCH;

    log(`\\copy of the same ${int(totalPoints)} points, ${copyRounds} round(s)…`);
    const csv = path.join(tmp, 'points.csv');
    await writeCsv(csv, all);
    // Each round copies into both tables, fresh, in alternating order.
    const roundsOf = new Map<string, CopyRound[]>([
      [COPY_TABLE_TRIGGERS, []],
      [COPY_TABLE, []],
    ]);
    for (let i = 0; i < copyRounds; i++) {
      const tables = [COPY_TABLE_TRIGGERS, COPY_TABLE];
      for (const table of i % 2 === 0 ? tables : tables.reverse()) {
        await freshCopyTable(admin, levelsStart, table, table === COPY_TABLE_TRIGGERS);
        const round = await measureCopy(db.url, psql, csv, table, all.length * BATCH, pgPid);
        roundsOf.get(table)?.push(round);
        log(
          `  round ${i + 1}, ${table}: ${round.ms.toFixed(0)} ms (psql from spawn to exit: ${round.processMs.toFixed(0)} ms)`,
        );
      }
    }
    const medianOf = (xs: (number | null)[]): number | null =>
      xs.some((x) => x === null) ? null : percentiles(xs as number[]).p50;
    const copySummary = (table: string) => {
      const rounds = roundsOf.get(table) ?? [];
      const medianMs = percentiles(rounds.map((r) => r.ms)).p50;
      const processMedianMs = percentiles(rounds.map((r) => r.processMs)).p50;
      return {
        table,
        points: totalPoints,
        rounds,
        medianMs,
        pointsPerSec: (totalPoints / medianMs) * 1000,
        processMedianMs,
        processPointsPerSec: (totalPoints / processMedianMs) * 1000,
        pgCpuMsPer1000: medianOf(rounds.map((r) => r.pgCpuMsPer1000)),
        psqlCpuMsPer1000: medianOf(rounds.map((r) => r.psqlCpuMsPer1000)),
      };
    };
    const fair = copySummary(COPY_TABLE_TRIGGERS);
    const plain = copySummary(COPY_TABLE);
    const copyRate = fair.pointsPerSec;
    // Each table's last round against what the API wrote: the same rows and values.
    let differing = 0;
    const copied: number[] = [];
    for (const table of [COPY_TABLE_TRIGGERS, COPY_TABLE]) {
      const diff = await admin.query<{ n: number }>(
        `SELECT count(*) AS n FROM (SELECT roadmap_id, metric, at, source, value FROM metric_points) a
           FULL JOIN (SELECT roadmap_id, metric, at, source, value FROM ${table}) b USING (roadmap_id, metric, at, source)
          WHERE a.value IS DISTINCT FROM b.value`,
      );
      differing += diff.rows[0]?.n ?? 1;
      copied.push(
        (await admin.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? -1,
      );
    }
    const apiRows = (await admin.query<{ n: number }>('SELECT count(*) AS n FROM metric_points'))
      .rows[0]?.n;

    log('breakdown of one batch in-process…');
    const { steps, alternatives } = await breakdown(db.url, registry, token, source, 30, pgPid);

    const results: LevelResult[] = levelResults.map((r) => ({
      ...r,
      ratioToCopy: r.pointsPerSec / copyRate,
      ratioToCopyNoTriggers: r.pointsPerSec / plain.pointsPerSec,
      ratioToCopyProcess: r.pointsPerSec / fair.processPointsPerSec,
    }));
    const best = results.reduce((a, b) => (b.pointsPerSec > a.pointsPerSec ? b : a));
    // The goal is stated at 4 writers.
    const atFour = results.find((r) => r.concurrency === 4);
    const out = {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        loadAverage: { start: startLoad, end: loadAverage() },
      },
      database: {
        kind: db.kind,
        version: db.serverVersion,
        settings,
        psql: await psqlVersion(psql),
      },
      bot: {
        command: `node ${[...nodeArgs, ...(BOT_ENTRY.endsWith('.ts') ? ['--import tsx'] : [])].join(' ')} ${BOT_ENTRY}`,
        pid: bot.child.pid,
        env: {
          LOG_LEVEL: 'info',
          NODE_ENV: 'production',
          API_RATE_LIMIT: 1e9,
          roadmaps: 'roadmaps/example.yaml',
        },
      },
      setup: {
        batchPoints: BATCH,
        perLevel,
        warmup,
        levels,
        bodyBytes: Buffer.byteLength(all[0]?.body ?? ''),
        format: 'application/json',
        goal: { ratioToCopy: GOAL_RATIO, p99Ms: GOAL_P99_MS },
      },
      levels: results,
      copy: {
        ...fair,
        table: `${COPY_TABLE_TRIGGERS} (LIKE metric_points INCLUDING ALL, and its triggers), same starting rows`,
        timed: "psql's \\timing of the \\copy (ratios); processMs: psql spawn to exit",
      },
      copyNoTriggers: {
        ...plain,
        table: `${COPY_TABLE} (LIKE metric_points INCLUDING ALL: no triggers), same starting rows`,
      },
      check: {
        metricPointsRows: apiRows,
        copyRows: copied,
        differingRows: differing,
      },
      best: {
        concurrency: best.concurrency,
        pointsPerSec: best.pointsPerSec,
        ratioToCopy: best.ratioToCopy,
        ratioGoalMet: (best.ratioToCopy ?? 0) >= GOAL_RATIO,
      },
      atFourWriters: atFour
        ? {
            ratioToCopy: atFour.ratioToCopy,
            ratioGoalMet: (atFour.ratioToCopy ?? 0) >= GOAL_RATIO,
            p99Ms: atFour.latencyMs.p99,
            p99GoalMet: atFour.p99GoalMet,
            loadAverage: atFour.loadAverage,
          }
        : null,
      breakdown: steps,
      alternatives,
    };
    await mkdir(OUT_DIR, { recursive: true });
    await writeFile(path.join(OUT_DIR, 'ingest.json'), `${JSON.stringify(out, null, 2)}\n`);

    console.log(
      `\nPush API: POST /api/v1/metrics, JSON batches of ${BATCH} distinct points (${int(out.setup.bodyBytes)} bytes), ${perLevel} batches per level, closed loop`,
    );
    console.log(
      `\\copy baseline (the goal's): ${int(totalPoints)} points into a fresh LIKE-metric_points table with metric_points' triggers, median of ${copyRounds}: ${int(fair.medianMs)} ms = ${int(fair.pointsPerSec)} points/s by psql's \\timing (${int(fair.processMedianMs)} ms = ${int(fair.processPointsPerSec)} points/s from psql's spawn to its exit); CPU per 1,000 points: psql ${f1(fair.psqlCpuMsPer1000)} ms, PostgreSQL ${f1(fair.pgCpuMsPer1000)} ms`,
    );
    console.log(
      `\\copy without triggers (the baseline before): ${int(plain.medianMs)} ms = ${int(plain.pointsPerSec)} points/s (${int(plain.processMedianMs)} ms from spawn to exit); CPU per 1,000 points: psql ${f1(plain.psqlCpuMsPer1000)} ms, PostgreSQL ${f1(plain.pgCpuMsPer1000)} ms`,
    );
    console.log(
      `Load average ${startLoad} → ${loadAverage()} on ${os.cpus().length} CPUs; ${db.kind} PostgreSQL; rows differing between the two tables: ${differing}\n`,
    );
    console.log(
      table(
        [
          'concurrency',
          'points/s',
          'API/\\copy',
          '≥ 0.6',
          'vs \\copy no triggers',
          'vs psql spawn→exit',
          'p50 ms',
          'p90 ms',
          'p99 ms',
          'max ms',
          'p99 < 100',
          'bot cpu ms/batch',
          'pg cpu ms/batch',
          'evaluations (s)',
          'load',
          'errors',
        ],
        results.map((r) => [
          String(r.concurrency),
          int(r.pointsPerSec),
          f2(r.ratioToCopy),
          (r.ratioToCopy ?? 0) >= GOAL_RATIO ? 'yes' : 'no',
          f2(r.ratioToCopyNoTriggers),
          f2(r.ratioToCopyProcess),
          f1(r.latencyMs.p50),
          f1(r.latencyMs.p90),
          f1(r.latencyMs.p99),
          f1(r.latencyMs.max),
          r.p99GoalMet ? 'yes' : 'no',
          f1(r.botCpuMsPerBatch),
          f1(r.pgCpuMsPerBatch),
          r.evaluations === null
            ? '—'
            : `${r.evaluations} (${(r.evaluationSeconds ?? 0).toFixed(2)})`,
          String(r.loadAverage),
          String(Object.values(r.errors).reduce((a, b) => a + b, 0)),
        ]),
      ),
    );
    console.log(
      `\nOne 1,000-point JSON batch, the server's steps one by one in-process (30 rounds)`,
    );
    console.log(
      table(
        ['step', 'median ms', 'p90 ms'],
        steps.map((s) => [s.step, f2(s.medianMs), f2(s.p90Ms)]),
      ),
    );
    console.log(
      `\nWrite path and auth: shipped, and the write before #16 (bench/bench-ingest-proto.ts), interleaved, 30 calls each; CPU per call (pg: its backend only)`,
    );
    console.log(
      table(
        [
          'call',
          'median ms',
          'p90 ms',
          'client cpu ms',
          'pg cpu ms',
          '4 at once: points/s (median of 5)',
        ],
        alternatives.map((a) => [
          a.name,
          f2(a.medianMs),
          f2(a.p90Ms),
          f2(a.clientCpuMs),
          f2(a.pgCpuMs),
          a.concurrent4PointsPerSec === null ? '' : int(a.concurrent4PointsPerSec),
        ]),
      ),
    );
    console.log(`\nFigures: ${path.relative(ROOT, path.join(OUT_DIR, 'ingest.json'))}`);
    const failed = results.some((r) => Object.keys(r.errors).length > 0) || differing !== 0;
    if (failed) process.exitCode = 1;
  } finally {
    await cleanup();
  }
}

main().catch((error: Error) => {
  console.error(`ingest bench failed: ${error.stack ?? error.message}`);
  process.exit(1);
});
