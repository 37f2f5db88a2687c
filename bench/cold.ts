/**
 * `npx tsx bench/cold.ts`: the first `status --json` after a restart next to a warm one, on the
 * bench store (a year of minute points × 20 metrics, bench/load.ts), with the forecast
 * histories read from the ten-minute rollups (migration 0011) and, as the baseline in the same
 * run, from the points (`pgStore(pool, { rollups: false })`: what every status read before).
 *
 * A restart renews, in this process, the store and the fit cache on connections that have
 * served statuses before (`new store`: what the history and fit caches alone cost); or also the
 * pool (`new pool`: new connections and PostgreSQL backends, whose first statements load the
 * catalog); or the whole process (`new process`: also Node's cold code). A new process is
 * `node bench/cold-child.mjs` on the compiled build (dist/, rebuilt first when stale), as the
 * bot runs; COLD_CHILD=tsx runs `tsx bench/cold.ts --child` instead, as this bench did before
 * (tsx's loader then also compiles the modules a first status loads lazily).
 *
 * Each restart is measured two ways (alternating, restart by restart, in each of the bench
 * roadmap's stages):
 * - without the warm-up (what the bench measured before src/app/warm-up.ts): timed from the
 *   moment the modules are loaded and the pool answers a first `SELECT 1`;
 * - after the warm-up, as the bot starts now (src/main.ts: the pool with `min` connections,
 *   warmUp() with warmConnections(), then ready): the warm-up's own duration is printed
 *   beside it. The clock is fixed, so the warm-up runs at an instant 60 s before the status's:
 *   that status then fits its forecasts afresh and reads the history's tail, as the first
 *   status after a deploy does (a fit is reused only at the same instant). Its history comes
 *   from the rollups, as the bot reads it.
 * After each first status, COLD_WARM more in the same store give the warm figure (at the
 * first status's instant: their fits are reused).
 *
 * Last, the cost of the rollups on writes: 4 writers record 1,000-point batches (the push API's
 * write, store.points.record) with the trigger that marks stale buckets enabled and disabled,
 * rounds alternating.
 *
 *   COLD_SCALE=1           share of the year loaded (1: ~10.5 M rows; a check: 0.05)
 *   COLD_RESTARTS=10       restarts per source, stage and kind
 *   COLD_WARM=20           warm statuses after each first one
 *   COLD_STAGES=all        or `first`
 *   COLD_CHILD=dist        what a new process runs: `dist` (the compiled build) or `tsx`
 *   COLD_INGEST_ROUNDS=4   write-cost rounds per setting (0: skip), COLD_INGEST_BATCHES=60 each
 *   DATABASE_URL=…         use that server (a fresh roadmap_bench_<random> database)
 *
 * Progress to stderr, the table to stdout, figures to bench/.out/cold.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { build } from '../scripts/build.js';
import { refreshRollups } from '../src/adapters/pg/history-rollups.js';
import { MIGRATIONS_DIR } from '../src/adapters/pg/migrate.js';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { warmConnections } from '../src/adapters/pg/warm-up.js';
import { forecastFits } from '../src/app/evaluate.js';
import type { PointInput } from '../src/app/ports/points.js';
import { RoadmapRegistry } from '../src/app/registry.js';
import { runCommand } from '../src/app/run.js';
import { warmUp } from '../src/app/warm-up.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { percentiles, type Percentiles } from './http-loader.js';
import { oneRestart as sharedRestart } from './cold-restart.mjs';
import { checkpoint, loadYear } from './load.js';
import { loadBenchRoadmap } from './roadmap.js';

const GOAL_MS = 50;
const YEAR_MINUTES = 365 * 24 * 60;
/** The loaded data ends here; status runs with the clock fixed at this instant. */
const DATA_END = new Date('2026-01-01T00:00:00Z');
const ROOT = fileURLToPath(new URL('../', import.meta.url));
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
const invocation: Invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };
const actor = { platform: 'cli' as const, id: 'bench' };

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));
const ms = (n: number): string => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');

/**
 * Where forecast histories come from (`rollups`, as the bot reads them, or `points`, as it
 * read them before), and whether the restart ran the bot's boot warm-up (`warmed`: the
 * rollups, after src/app/warm-up.ts, as the bot starts now).
 */
type Source = 'rollups' | 'points' | 'warmed';
const SOURCES: Source[] = ['rollups', 'points', 'warmed'];
/** One restart: its first status, then the warm ones (and the warm-up's duration, if any). */
interface Restart {
  first: number;
  warm: number[];
  warmUp?: number;
}
/**
 * What a `new process` restart runs: `dist`, the compiled build in plain Node, as the bot runs
 * (`npm start`); or `tsx`, this file under tsx, as the bench ran it before (tsx's loader then
 * also compiles the command modules a first status loads lazily, which the bot does not).
 */
const CHILD = process.env.COLD_CHILD === 'tsx' ? 'tsx' : 'dist';
/** The bot's default (WARM_UP_CONNECTIONS). */
const WARM_UP_CONNECTIONS = 4;
/**
 * The warm-up runs this long before the first status's instant (the clock is fixed): its fits
 * are then not reused by that status, as in production, where a status comes later than the
 * warm-up (a fit is reused only at the same instant), and the history cache reads a tail.
 */
const WARM_UP_LEAD_MS = 60_000;

/** A new process's restart: run as `tsx bench/cold.ts --child`, prints one JSON line. */
async function child(): Promise<void> {
  const url = process.env.COLD_CHILD_URL as string;
  const registry = new RoadmapRegistry(process.env.COLD_CHILD_ROADMAPS as string);
  await registry.reload();
  const source = process.env.COLD_CHILD_SOURCE as Source;
  const pool = createPool(url, {
    applicationName: 'roadmap-bot bench cold',
    onError: () => {},
    // As src/main.ts creates it.
    ...(source === 'warmed' ? { min: WARM_UP_CONNECTIONS } : {}),
  });
  try {
    const result = await oneRestart(pool, registry, source, Number(process.env.COLD_CHILD_WARM));
    process.stdout.write(`${JSON.stringify(result)}\n`);
  } finally {
    await pool.end();
  }
}

/** bench/cold-restart.mjs's restart on the sources, with this bench's instants. */
function oneRestart(
  pool: pg.Pool,
  registry: RoadmapRegistry,
  source: Source,
  warm: number,
): Promise<Restart> {
  return sharedRestart(
    { pgStore, warmConnections, forecastFits, runCommand, warmUp },
    pool,
    registry,
    source,
    warm,
    {
      dataEnd: DATA_END.getTime(),
      leadMs: WARM_UP_LEAD_MS,
      connections: WARM_UP_CONNECTIONS,
      log,
    },
  );
}

function spawnRestart(
  url: string,
  roadmapsDir: string,
  source: Source,
  warm: number,
): Promise<Restart> {
  return new Promise((resolve, reject) => {
    const proc = spawn(
      process.execPath,
      CHILD === 'dist'
        ? [path.join(ROOT, 'bench/cold-child.mjs')]
        : ['--import', 'tsx', path.join(ROOT, 'bench/cold.ts'), '--child'],
      {
        cwd: ROOT,
        env: {
          ...process.env,
          COLD_CHILD_URL: url,
          COLD_CHILD_ROADMAPS: roadmapsDir,
          COLD_CHILD_SOURCE: source,
          COLD_CHILD_WARM: String(warm),
          COLD_CHILD_DATA_END: String(DATA_END.getTime()),
          COLD_CHILD_CONNECTIONS: String(WARM_UP_CONNECTIONS),
          COLD_CHILD_WARM_UP_LEAD_MS: String(WARM_UP_LEAD_MS),
        },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let out = '';
    proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
    proc.on('error', reject);
    proc.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`child exited with ${code}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() as string) as Restart);
      } catch (error) {
        reject(error as Error);
      }
    });
  });
}

interface Side {
  first: Percentiles;
  warm: Percentiles;
  /** Each restart's first status over the median of its warm ones. */
  firstOverWarm: Percentiles;
  /** The boot warm-up's own duration (`warmed` only). */
  warmUp?: Percentiles;
}
interface StageFigures {
  stage: string;
  kind: (typeof KINDS)[number];
  restarts: number;
  rollups: Side;
  points: Side;
  warmed: Side;
  loadAverage: { start: number; end: number };
}

const median = (xs: number[]): number => percentiles(xs).p50;
function side(restarts: Restart[]): Side {
  return {
    first: percentiles(restarts.map((r) => r.first)),
    warm: percentiles(restarts.flatMap((r) => r.warm)),
    firstOverWarm: percentiles(restarts.map((r) => r.first / median(r.warm))),
    ...(restarts[0]?.warmUp !== undefined
      ? { warmUp: percentiles(restarts.map((r) => r.warmUp as number)) }
      : {}),
  };
}

/** 4 writers, `batches` 1,000-point batches in all, into a time range no one else writes. */
async function ingestRound(
  url: string,
  batches: number,
  base: number,
): Promise<{ pointsPerSec: number; batch: Percentiles }> {
  const pool = createPool(url, { max: 6, applicationName: 'roadmap-bot bench cold ingest' });
  const store = pgStore(pool);
  const metrics = ['a', 'b', 'c', 'd', 'e', 'f', 'g'];
  let next = 0;
  let left = batches;
  const batch = (): PointInput[] => {
    const points: PointInput[] = [];
    for (let i = 0; i < 1000; i++, next++)
      points.push({
        roadmapId: 'ingest',
        metric: metrics[next % metrics.length] as string,
        at: new Date(base + Math.floor(next / metrics.length) * 1000),
        source: 'api',
        value: Math.round(((next * 7919) % 100_000) + 1) / 100,
      });
    return points;
  };
  const times: number[] = [];
  const started = performance.now();
  try {
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (left-- > 0) {
          const points = batch();
          const t = performance.now();
          await store.points.record(points, { actor, action: 'record', at: new Date(base) });
          times.push(performance.now() - t);
        }
      }),
    );
    const elapsed = performance.now() - started;
    // The refresh a burst of writes schedules is part of the cost: let it finish here.
    await store.rollups?.run();
    return { pointsPerSec: (batches * 1000 * 1000) / elapsed, batch: percentiles(times) };
  } finally {
    store.rollups?.stop();
    await pool.end();
  }
}

/**
 * The stale-marking trigger's time in `runs` inserts of 1,000 points (7 metrics, a point a
 * second, as the push bench sends them), each rolled back, as EXPLAIN ANALYZE reports it.
 */
async function triggerCost(
  pool: pg.Pool,
  runs: number,
): Promise<{ trigger: Percentiles; signals: Percentiles; insert: Percentiles }> {
  type Plan = { 'Execution Time': number; Triggers?: { 'Trigger Name': string; Time: number }[] };
  const client = await pool.connect();
  const trigger: number[] = [];
  const signals: number[] = [];
  const insert: number[] = [];
  try {
    for (let i = 0; i < runs + 3; i++) {
      await client.query('BEGIN');
      const { rows } = await client.query<{ 'QUERY PLAN': Plan[] }>(
        `EXPLAIN (ANALYZE, FORMAT JSON)
         INSERT INTO metric_points (roadmap_id, metric, at, source, value)
         SELECT 'trigger-cost', 'm' || (g % 7), $1::timestamptz + (g / 7) * interval '1 second', 'api', g * 0.01
           FROM generate_series(0, 999) g`,
        [new Date(DATA_END.getTime() + 400 * 86_400_000 + i * 3_600_000)],
      );
      await client.query('ROLLBACK');
      if (i < 3) continue; // the session's first runs plan the statements
      const plan = rows[0]?.['QUERY PLAN'][0] as Plan;
      const time = (name: string) =>
        plan.Triggers?.find((t) => t['Trigger Name'] === name)?.Time ?? Number.NaN;
      trigger.push(time('metric_points_rollups_inserted'));
      signals.push(time('metric_points_inserted'));
      insert.push(plan['Execution Time']);
    }
  } finally {
    client.release();
  }
  return {
    trigger: percentiles(trigger),
    signals: percentiles(signals),
    insert: percentiles(insert),
  };
}

/**
 * What a restart renews: the store and the fit cache only, on connections that have served
 * statuses (what the history and fit caches alone cost); also the pool (new connections, new
 * PostgreSQL backends, as after the pool's 10 s idle timeout too); also the process.
 */
const KINDS = ['new store', 'new pool', 'new process'] as const;

const TRIGGERS = [
  'metric_points_rollups_inserted',
  'metric_points_rollups_updated',
  'metric_points_rollups_deleted',
];

async function main(): Promise<void> {
  const scale = numberEnv('COLD_SCALE', 1, { positive: true });
  const restarts = Math.round(numberEnv('COLD_RESTARTS', 10, { positive: true }));
  const warm = Math.round(numberEnv('COLD_WARM', 20, { positive: true }));
  const ingestRounds = Math.round(numberEnv('COLD_INGEST_ROUNDS', 4));
  const ingestBatches = Math.round(numberEnv('COLD_INGEST_BATCHES', 60, { positive: true }));
  const allStages = (process.env.COLD_STAGES ?? 'all') !== 'first';
  const minutes = Math.max(1, Math.round(YEAR_MINUTES * scale));
  const startedAt = new Date();
  const startLoad = loadAverage();

  const { registry, roadmap, dir: roadmapsDir } = await loadBenchRoadmap();
  let db: BenchDatabase | undefined;
  let admin: pg.Pool | undefined;
  const cleanup = async (): Promise<void> => {
    await admin?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(roadmapsDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(
      `cold: scale ${scale} (${int(minutes * 20)} rows), ${restarts} restarts × ${warm} warm; new processes run ${CHILD === 'dist' ? 'the compiled build (dist/)' : 'under tsx'}`,
    );
    // The bot runs the compiled build: rebuilt here when a source is newer (as the tests do).
    if (CHILD === 'dist') {
      const built = await build({ ifStale: true, allowTypeErrors: true });
      if (built.built) log('  built dist/');
    }
    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    admin = createPool(db.url, { max: 2, applicationName: 'roadmap-bot bench cold admin' });
    const url = db.url;

    // 1. The store. Loaded after the migrations, so every bucket is marked stale: the bot's
    // refresher catches up (timed), and then the migration's own backfill of that many points
    // is timed too (into a scratch table), as an existing store's upgrade would run it.
    log(`loading ${int(minutes)} minutes × 20 metrics…`);
    const load = await loadYear(url, roadmap.id, DATA_END, minutes, log);
    log('refreshing the rollups of every loaded bucket…');
    let refresh = performance.now();
    let marks = 0;
    for (;;) {
      const done = await refreshRollups(admin, 50_000);
      if (!done) throw new Error('another refresher holds the lock');
      marks += done.marks;
      if (done.marks < 50_000) break;
    }
    const refreshMs = performance.now() - refresh;
    const backfillSql = readFileSync(path.join(MIGRATIONS_DIR, '0011_metric_rollups.sql'), 'utf8')
      .split('-- Down Migration')[0]
      ?.match(/INSERT INTO metric_rollups \(roadmap_id, metric, day, v\)[\s\S]*?;/)?.[0];
    if (!backfillSql) throw new Error("migration 0011's backfill statement not found");
    await admin.query('CREATE TABLE bench_backfill (LIKE metric_rollups)');
    refresh = performance.now();
    await admin.query(
      backfillSql.replace('INSERT INTO metric_rollups', 'INSERT INTO bench_backfill'),
    );
    const backfillMs = performance.now() - refresh;
    const differing = await admin.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM bench_backfill b FULL JOIN metric_rollups r USING (roadmap_id, metric, day)
        WHERE b.v IS DISTINCT FROM r.v`,
    );
    if (differing.rows[0]?.n !== 0)
      throw new Error(
        `the refreshed rollups and the migration's differ in ${differing.rows[0]?.n} days`,
      );
    await admin.query('DROP TABLE bench_backfill');
    await admin.query('VACUUM (ANALYZE) metric_rollups, metric_rollups_stale');
    await checkpoint(admin);
    log(
      `  ${int(marks)} marks refreshed in ${ms(refreshMs)}; the migration's backfill of the same points: ${ms(backfillMs)}`,
    );

    // 2. Restarts, in each stage.
    const stages = allStages ? roadmap.stages : roadmap.stages.slice(0, 1);
    const figures: StageFigures[] = [];
    const deps: AppDeps = {
      store: pgStore(admin, { rollups: false }),
      registry,
      clock: () => new Date(DATA_END),
    };
    for (const [i, stage] of stages.entries()) {
      if (i > 0) {
        const moved = await runCommand(deps, invocation, 'advance --force', 'cli');
        if (moved.exitCode !== 0) throw new Error(`advance --force to ${stage.id} failed`);
      }
      for (const kind of KINDS) {
        const runs: Record<Source, Restart[]> = { rollups: [], points: [], warmed: [] };
        const start = loadAverage();
        log(`${stage.id}, ${kind}: ${restarts} restarts per source…`);
        // 'new store' keeps one pool per source whose connections have served a status.
        const kept = new Map<Source, pg.Pool>();
        if (kind === 'new store')
          for (const source of SOURCES) {
            const pool = createPool(url, { applicationName: 'roadmap-bot bench cold' });
            kept.set(source, pool);
            await oneRestart(pool, registry, source, 1);
          }
        try {
          for (let r = 0; r < restarts; r++) {
            const order: Source[] = r % 2 === 0 ? SOURCES : [...SOURCES].reverse();
            for (const source of order) {
              if (kind === 'new process') {
                runs[source].push(await spawnRestart(url, roadmapsDir, source, warm));
              } else if (kind === 'new store') {
                runs[source].push(
                  await oneRestart(kept.get(source) as pg.Pool, registry, source, warm),
                );
              } else {
                const pool = createPool(url, {
                  applicationName: 'roadmap-bot bench cold',
                  ...(source === 'warmed' ? { min: WARM_UP_CONNECTIONS } : {}),
                });
                try {
                  runs[source].push(await oneRestart(pool, registry, source, warm));
                } finally {
                  await pool.end();
                }
              }
            }
          }
        } finally {
          for (const pool of kept.values()) await pool.end();
        }
        const f: StageFigures = {
          stage: stage.id,
          kind,
          restarts,
          rollups: side(runs.rollups),
          points: side(runs.points),
          warmed: side(runs.warmed),
          loadAverage: { start, end: loadAverage() },
        };
        figures.push(f);
        log(
          `  first status p50/p99: after the warm-up ${ms(f.warmed.first.p50)} / ${ms(f.warmed.first.p99)} (warm-up ${ms(f.warmed.warmUp?.p50 ?? Number.NaN)} / ${ms(f.warmed.warmUp?.max ?? Number.NaN)}); without: rollups ${ms(f.rollups.first.p50)} / ${ms(f.rollups.first.p99)}, points ${ms(f.points.first.p50)} / ${ms(f.points.first.p99)}; warm p50 ${ms(f.rollups.warm.p50)} (load average ${f.loadAverage.start}–${f.loadAverage.end})`,
        );
      }
    }

    // 3. What the stale marks cost a writer. First the trigger's own time in a 1,000-point
    // insert, as PostgreSQL reports it (EXPLAIN ANALYZE, rolled back): little noise from
    // the machine's load. Then whole writes, 4 writers, with the trigger on and off.
    const serverSide = await triggerCost(admin, 30);
    log(
      `trigger: ${ms(serverSide.trigger.p50)} p50 of a ${ms(serverSide.insert.p50)} 1,000-point insert (the write-signals trigger: ${ms(serverSide.signals.p50)})`,
    );
    const ingest: {
      round: number;
      trigger: boolean;
      pointsPerSec: number;
      batch: Percentiles;
      loadAverage: number;
    }[] = [];
    // One untimed round first: the first writes into a new range pay for new pages and pools.
    if (ingestRounds > 0)
      await ingestRound(url, ingestBatches, DATA_END.getTime() + 200 * 86_400_000);
    for (let round = 0; round < ingestRounds * 2; round++) {
      const trigger = (round % 4 === 0 || round % 4 === 3) === true;
      for (const name of TRIGGERS)
        await admin.query(
          `ALTER TABLE metric_points ${trigger ? 'ENABLE' : 'DISABLE'} TRIGGER ${name}`,
        );
      const base = DATA_END.getTime() + (round + 1) * 30 * 86_400_000;
      const r = await ingestRound(url, ingestBatches, base);
      ingest.push({ round, trigger, ...r, loadAverage: loadAverage() });
      log(
        `write round ${round + 1}/${ingestRounds * 2}, marks ${trigger ? 'on' : 'off'}: ${int(r.pointsPerSec)} points/s, batch p50 ${ms(r.batch.p50)} p99 ${ms(r.batch.p99)} (load average ${loadAverage()})`,
      );
    }
    for (const name of TRIGGERS)
      await admin.query(`ALTER TABLE metric_points ENABLE TRIGGER ${name}`);
    const writeSide = (on: boolean) => {
      const rounds = ingest.filter((r) => r.trigger === on);
      const mean = (xs: number[]) => xs.reduce((sum, x) => sum + x, 0) / xs.length;
      return {
        pointsPerSec: mean(rounds.map((r) => r.pointsPerSec)),
        batchP50: mean(rounds.map((r) => r.batch.p50)),
        batchP99: mean(rounds.map((r) => r.batch.p99)),
      };
    };
    const writes =
      ingest.length > 0
        ? {
            on: writeSide(true),
            off: writeSide(false),
            ratio: writeSide(true).pointsPerSec / writeSide(false).pointsPerSec,
          }
        : null;

    // The goal, per kind of restart: the slowest stage's p99, after the bot's warm-up (as it
    // starts now) and without it (the rollups alone: what the bench measured before).
    const goal = KINDS.flatMap((kind) =>
      (['warmed', 'rollups'] as const).map((source) => {
        const worst = figures
          .filter((f) => f.kind === kind)
          .reduce((w, f) => (f[source].first.p99 > w[source].first.p99 ? f : w));
        return {
          kind,
          warmUp: source === 'warmed',
          stage: worst.stage,
          p99: worst[source].first.p99,
          met: worst[source].first.p99 < GOAL_MS,
        };
      }),
    );
    const out = {
      startedAt: startedAt.toISOString(),
      scale,
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
      },
      database: { kind: db.kind, version: db.serverVersion },
      load: { rows: load.rows, insertMs: load.insertMs },
      rollups: { marks, refreshMs, migrationBackfillMs: backfillMs },
      newProcess: CHILD,
      warmUp: { connections: WARM_UP_CONNECTIONS, leadMs: WARM_UP_LEAD_MS },
      restarts: figures,
      goal: { firstStatusMs: GOAL_MS, byKind: goal },
      writes: writes ? { ...writes, rounds: ingest } : null,
      trigger: serverSide,
      loadAverage: { start: startLoad, end: loadAverage(), cpus: os.cpus().length },
    };
    await mkdir(OUT_DIR, { recursive: true });
    const outFile = path.join(OUT_DIR, 'cold.json');
    await writeFile(outFile, `${JSON.stringify(out, null, 2)}\n`);

    const lines = [
      '',
      `roadmap-bot cold status — scale ${scale} (${int(load.rows)} rows) — ${/PostgreSQL [\d.]+/.exec(db.serverVersion)?.[0] ?? db.kind}, Node ${process.version}, ${os.cpus().length} CPUs; new processes: ${CHILD === 'dist' ? 'compiled build (dist/), as the bot runs' : 'tsx (as before)'}`,
      `rollups: ${int(marks)} stale buckets refreshed in ${ms(refreshMs)} after the load; migration 0011 backfills that store in ${ms(backfillMs)}`,
      '',
      '| stage | restart | first status p50 / p99 after the warm-up | the warm-up p50 / max | first status p50 / p99 without it, rollups | without it, points (before the rollups) | warm p50 / p99, rollups | first ÷ warm p50 (warm-up / without) | load average |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...figures.map(
        (f) =>
          `| ${f.stage} | ${f.kind} | ${ms(f.warmed.first.p50)} / ${ms(f.warmed.first.p99)} | ${ms(f.warmed.warmUp?.p50 ?? Number.NaN)} / ${ms(f.warmed.warmUp?.max ?? Number.NaN)} | ${ms(f.rollups.first.p50)} / ${ms(f.rollups.first.p99)} | ${ms(f.points.first.p50)} / ${ms(f.points.first.p99)} | ${ms(f.rollups.warm.p50)} / ${ms(f.rollups.warm.p99)} | ${f.warmed.firstOverWarm.p50.toFixed(2)} / ${f.rollups.firstOverWarm.p50.toFixed(2)} | ${f.loadAverage.start}–${f.loadAverage.end} |`,
      ),
      '',
      `goal: first status p99 < ${GOAL_MS} ms on the bench store, slowest stage: ${goal.map((g) => `${g.kind} ${g.warmUp ? 'after the warm-up' : 'without it'} ${ms(g.p99)} (${g.stage}) ${g.met ? 'met' : 'NOT met'}`).join('; ')}`,
      `(after the warm-up: the status comes ${WARM_UP_LEAD_MS / 1000} s after the warm-up's instant, so it fits its forecasts afresh and reads the history's tail, as a status after a deploy would)`,
    ];
    lines.push(
      `stale-marking trigger, as PostgreSQL times it: ${ms(serverSide.trigger.p50)} p50 (p99 ${ms(serverSide.trigger.p99)}) of a ${ms(serverSide.insert.p50)} 1,000-point insert, ${((100 * serverSide.trigger.p50) / serverSide.insert.p50).toFixed(1)}%`,
    );
    if (writes)
      lines.push(
        `writes (4 writers, 1,000-point batches, mean of ${ingestRounds} rounds each, ABBA order): stale marks on ${int(writes.on.pointsPerSec)} points/s (batch p99 ${ms(writes.on.batchP99)}), off ${int(writes.off.pointsPerSec)} points/s (p99 ${ms(writes.off.batchP99)}): ${writes.ratio.toFixed(2)} ×`,
      );
    lines.push(
      `load average ${out.loadAverage.start} → ${out.loadAverage.end}; figures in ${path.relative(ROOT, outFile)}`,
    );
    console.log(lines.join('\n'));
  } finally {
    await cleanup();
  }
}

if (process.argv.includes('--child')) {
  child().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
} else if (process.argv.includes('--help') || process.argv.includes('-h')) {
  // The settings are the header's: print it as it stands.
  const source = readFileSync(fileURLToPath(import.meta.url), 'utf8');
  const header = /^\/\*\*\n([\s\S]*?)\n \*\//.exec(source)?.[1] ?? '';
  console.log(header.replace(/^ \*( |$)/gm, ''));
} else {
  main().catch((error: unknown) => {
    console.error(error instanceof Error ? (error.stack ?? error.message) : error);
    process.exitCode = 1;
  });
}
