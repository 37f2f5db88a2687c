/**
 * `npx tsx bench/cli.ts`: the CLI end to end, as a person runs it: a new process per command,
 * timed from spawn to exit, hyperfine-style (warm-up runs, then N timed runs), the commands
 * interleaved round by round so that all of them see the same machine. Baselines measured in the
 * same rounds: `node -e 0` (Node's own start-up, the floor of every row), `npx --version`
 * (npm's start-up, the floor of the npx rows), and the sources run through tsx (what
 * `npm run roadmap` runs, and what bin/roadmap.js ran before the compiled build).
 * `npx tsx bench/cli.ts --help` prints these settings.
 *
 * The CLI keeps the roadmaps it loaded (src/adapters/cli/roadmap-cache.ts, in a cache folder
 * of the bench's own here, filled by the warm-up): `status --json` is what a person running
 * commands one after another sees. `status --json, roadmap not cached` is the first command
 * after the roadmap file was edited (or after a new build): its cache folder is unusable, so
 * every run loads the file, as every run did before the cache.
 *
 *   BENCH_SCALE=1          the bench store of bench/run.ts: 20 metrics × a year of minutes
 *                          (~10.5M rows) ending now, so `status` reads fresh data; a quick
 *                          check: BENCH_SCALE=0.01 BENCH_CLI_RUNS=10
 *   BENCH_CLI_RUNS=20      timed runs per command (after BENCH_CLI_WARMUP=2 untimed rounds)
 *   BENCH_CLI_NPX=1        0 leaves out the npx rows (npm's start-up is not the bot's)
 *   BENCH_CLI_TSX=1        0 leaves out the tsx rows (slow: a few seconds a run)
 *   DATABASE_URL=…         use that server (a roadmap_bench_<random> database, dropped at the
 *                          end) instead of an embedded PostgreSQL in a temp dir
 *   BENCH_CLI_KEEP=1       load the store, print its DATABASE_URL and ROADMAPS_DIR, run nothing
 *                          and keep it until Ctrl-C (to profile the CLI against it)
 *
 * dist/ is built first when a source is newer than it. Progress goes to stderr; the table to
 * stdout; the figures to bench/.out/cli.json.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type pg from 'pg';
import { build, ROOT } from '../scripts/build.js';
import { createPool } from '../src/adapters/pg/pool.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { percentile } from './latency.js';
import { loadYear } from './load.js';
import { loadBenchRoadmap, SERIES } from './roadmap.js';

const HELP_GOAL_MS = 400;
const STATUS_GOAL_MS = 700;
const YEAR_MINUTES = 365 * 24 * 60;
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
/** Migration 0011's rollups (#16), when this tree has them: loaded by name, not type-checked. */
const ROLLUPS_MODULE: string = '../src/adapters/pg/history-rollups.js';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));
const ms = (n: number): string =>
  n >= 10_000 ? `${(n / 1000).toFixed(1)} s` : `${Math.round(n)} ms`;
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);

/** One command line as a person types it, and the program that runs it. */
interface Case {
  label: string;
  /** What it is measured against, when it is not a baseline itself. */
  baseline?: string;
  goalMs?: number;
  command: string;
  args: string[];
  /** Settings of this case's runs over the bench's. */
  env?: NodeJS.ProcessEnv;
  /** Checks one run's output; throws when the run is not what is being measured. */
  check?: (stdout: string) => void;
}

interface Timing {
  label: string;
  baseline: string | null;
  runs: number;
  p50: number;
  p90: number;
  min: number;
  max: number;
  mean: number;
  /** p50 minus the baseline's p50: what the command adds to the start-up it stands on. */
  overBaselineP50: number | null;
  goalMs: number | null;
  goalMet: boolean | null;
  /** The 1-minute load average before each of its timed runs: lowest and highest. */
  loadAverage: { min: number; max: number };
}

/** Runs one case once; resolves with the milliseconds from spawn to exit. */
function runOnce(c: Case, env: NodeJS.ProcessEnv): Promise<number> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(c.command, c.args, {
      cwd: ROOT,
      env: { ...env, ...c.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      const elapsed = performance.now() - started;
      if (code !== 0) {
        reject(new Error(`${c.label}: exit code ${code}\n${stderr.slice(0, 2000)}`));
        return;
      }
      try {
        c.check?.(stdout);
      } catch (error) {
        reject(new Error(`${c.label}: ${(error as Error).message}\n${stderr.slice(0, 2000)}`));
        return;
      }
      resolve(elapsed);
    });
  });
}

/**
 * The store as a running bot keeps it: the bot refreshes the rollups of the points written in
 * the background (a CLI process never does), so a bulk load is followed by that refresh here,
 * as in bench/cold.ts. Returns the marks refreshed, or undefined without rollups in this tree.
 */
async function settleRollups(url: string): Promise<number | undefined> {
  type Refresh = (pool: pg.Pool, limit: number) => Promise<{ marks: number } | null>;
  const rollups = (await import(ROLLUPS_MODULE).catch(() => undefined)) as
    { refreshRollups?: Refresh } | undefined;
  if (!rollups?.refreshRollups) return undefined;
  const pool = createPool(url, { max: 1, applicationName: 'roadmap-bot bench rollups' });
  try {
    let marks = 0;
    for (;;) {
      const done = await rollups.refreshRollups(pool, 50_000);
      if (!done || done.marks === 0) return marks;
      marks += done.marks;
    }
  } finally {
    await pool.end();
  }
}

function summarize(c: Case, samples: number[], loads: number[], baseP50?: number): Timing {
  const sorted = [...samples].sort((a, b) => a - b);
  const p50 = percentile(sorted, 50);
  return {
    label: c.label,
    baseline: c.baseline ?? null,
    runs: sorted.length,
    p50,
    p90: percentile(sorted, 90),
    min: sorted[0] as number,
    max: sorted[sorted.length - 1] as number,
    mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
    overBaselineP50: baseP50 === undefined ? null : p50 - baseP50,
    goalMs: c.goalMs ?? null,
    goalMet: c.goalMs === undefined ? null : p50 < c.goalMs,
    loadAverage: { min: Math.min(...loads), max: Math.max(...loads) },
  };
}

async function main(): Promise<void> {
  const scale = numberEnv('BENCH_SCALE', 1, { positive: true });
  const runs = Math.round(numberEnv('BENCH_CLI_RUNS', 20, { positive: true, integer: true }));
  const warmup = Math.round(numberEnv('BENCH_CLI_WARMUP', 2, { integer: true }));
  const withNpx = numberEnv('BENCH_CLI_NPX', 1, { integer: true }) !== 0;
  const withTsx = numberEnv('BENCH_CLI_TSX', 1, { integer: true }) !== 0;
  const minutes = Math.max(1, Math.round(YEAR_MINUTES * scale));
  const startLoad = loadAverage();

  const built = await build({ ifStale: true, allowTypeErrors: true });
  log(built.built ? 'built dist/ (it was older than src/)' : 'dist/ is up to date');
  if (built.typeErrors) log(`(dist/ was emitted with type errors:\n${built.typeErrors})`);

  const { roadmap, dir: roadmapsDir } = await loadBenchRoadmap();
  let db: BenchDatabase | undefined;
  const cleanup = async (): Promise<void> => {
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(roadmapsDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    // Up to the current minute: the CLI's clock is the real one, and stale data would be a
    // different status (and a different amount of work) from the one measured.
    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000);
    log(`loading ${minutes.toLocaleString('en-US')} minutes × ${SERIES.length} metrics…`);
    const load = await loadYear(db.url, roadmap.id, to, minutes, log);
    const settled = await settleRollups(db.url);
    if (settled !== undefined) log(`rollups brought up to date (${settled} marks)`);

    if (numberEnv('BENCH_CLI_KEEP', 0, { integer: true }) !== 0) {
      log(`kept until Ctrl-C:\n  DATABASE_URL=${db.url} ROADMAPS_DIR=${roadmapsDir}`);
      // The SIGINT handler above cleans up; the timer only keeps the process alive until then.
      setInterval(() => {}, 60_000);
      await new Promise(() => {});
    }
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      DATABASE_URL: db.url,
      ROADMAPS_DIR: roadmapsDir,
      // The roadmap cache of the bench's runs, not the user's (removed with the roadmaps).
      XDG_CACHE_HOME: path.join(roadmapsDir, '.cache'),
      LOG_LEVEL: 'silent',
      // What the person sees is the measure: no colours, no npm update check.
      NO_COLOR: '1',
      npm_config_update_notifier: 'false',
    };
    const node = process.execPath;
    const bin = path.join(ROOT, 'bin/roadmap.js');
    const tsx = path.join(ROOT, 'node_modules/tsx/dist/cli.mjs');
    const cliSource = path.join(ROOT, 'src/adapters/cli/main.ts');
    const statusCheck = (stdout: string): void => {
      const doc = JSON.parse(stdout) as { roadmap?: { id?: string }; stale?: unknown[] };
      if (doc.roadmap?.id !== roadmap.id) throw new Error(`status --json is not ${roadmap.id}'s`);
      if ((doc.stale ?? []).length > 0) throw new Error('status sees stale metrics');
    };
    const helpCheck = (stdout: string): void => {
      if (!stdout.includes('roadmap commands')) throw new Error('help printed no command list');
    };
    const cases: Case[] = [
      { label: 'node -e 0', command: node, args: ['-e', '0'] },
      {
        label: 'roadmap help',
        baseline: 'node -e 0',
        goalMs: HELP_GOAL_MS,
        command: node,
        args: [bin, 'help'],
        check: helpCheck,
      },
      {
        label: 'roadmap status --json',
        baseline: 'node -e 0',
        goalMs: STATUS_GOAL_MS,
        command: node,
        args: [bin, 'status', '--json'],
        check: statusCheck,
      },
      {
        label: 'status, roadmap not cached',
        baseline: 'node -e 0',
        command: node,
        args: [bin, 'status', '--json'],
        // A cache folder under a file cannot be made: every run loads the roadmap file.
        env: { XDG_CACHE_HOME: path.join(roadmapsDir, 'bench.yaml') },
        check: statusCheck,
      },
    ];
    if (withNpx) {
      cases.push(
        { label: 'npx --version', command: 'npx', args: ['--version'] },
        {
          label: 'npx roadmap help',
          baseline: 'npx --version',
          command: 'npx',
          args: ['roadmap', 'help'],
          check: helpCheck,
        },
        {
          label: 'npx roadmap status --json',
          baseline: 'npx --version',
          command: 'npx',
          args: ['roadmap', 'status', '--json'],
          check: statusCheck,
        },
      );
    }
    if (withTsx) {
      cases.push(
        {
          label: 'tsx (sources) help',
          baseline: 'node -e 0',
          command: node,
          args: [tsx, cliSource, 'help'],
          check: helpCheck,
        },
        {
          label: 'tsx (sources) status --json',
          baseline: 'node -e 0',
          command: node,
          args: [tsx, cliSource, 'status', '--json'],
          check: statusCheck,
        },
      );
    }

    // Round by round, every case once, the order reversed every other round (as
    // bench/interleave.ts does): a slow spell of the machine falls on all of them alike.
    const ordered = (round: number) => (round % 2 === 0 ? cases : [...cases].reverse());
    log(`warm-up: ${warmup} round${warmup === 1 ? '' : 's'} of ${cases.length} commands…`);
    for (let round = 0; round < warmup; round++)
      for (const c of ordered(round)) await runOnce(c, env);
    const samples = new Map(cases.map((c) => [c.label, [] as number[]]));
    const loads = new Map(cases.map((c) => [c.label, [] as number[]]));
    for (let round = 0; round < runs; round++) {
      for (const c of ordered(round)) {
        loads.get(c.label)?.push(loadAverage());
        samples.get(c.label)?.push(await runOnce(c, env));
      }
      log(`  round ${round + 1}/${runs}, load average ${loadAverage()}`);
    }
    const p50Of = new Map<string, number>();
    const timings: Timing[] = [];
    for (const c of cases) {
      const t = summarize(
        c,
        samples.get(c.label) as number[],
        loads.get(c.label) as number[],
        c.baseline ? p50Of.get(c.baseline) : undefined,
      );
      p50Of.set(c.label, t.p50);
      timings.push(t);
    }

    const figures = {
      startedAt: new Date().toISOString(),
      scale,
      runs,
      warmup,
      machine: {
        node: process.versions.node,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
      },
      database: { kind: db.kind, version: db.serverVersion },
      store: {
        rows: load.rows,
        metrics: SERIES.length,
        minutes: load.minutes,
        rollupMarksRefreshed: settled ?? null,
      },
      timings,
      loadAverage: { start: startLoad, end: loadAverage(), cpus: os.cpus().length },
    };
    await mkdir(OUT_DIR, { recursive: true });
    const outFile = path.join(OUT_DIR, 'cli.json');
    await writeFile(outFile, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(report(figures, outFile));
  } finally {
    await cleanup();
  }
}

function report(
  f: {
    scale: number;
    runs: number;
    warmup: number;
    machine: { node: string; cpus: number; cpuModel: string };
    database: { kind: string; version: string };
    store: { rows: number; metrics: number; minutes: number; rollupMarksRefreshed: number | null };
    timings: Timing[];
    loadAverage: { start: number; end: number; cpus: number };
  },
  outFile: string,
): string {
  const version = /PostgreSQL [\d.]+/.exec(f.database.version)?.[0] ?? f.database.version;
  const lines = [
    '',
    `roadmap-bot CLI start-up bench — scale ${f.scale} — ${version} (${f.database.kind}), Node ${f.machine.node}, ${f.machine.cpus} × ${f.machine.cpuModel.trim()}`,
    `load average ${f.loadAverage.start} at start, ${f.loadAverage.end} at end, on ${f.loadAverage.cpus} CPUs${Math.max(f.loadAverage.start, f.loadAverage.end) > f.loadAverage.cpus / 2 ? ': other processes compete for the CPUs, figures are noisier' : ''}`,
    `store: ${f.store.rows.toLocaleString('en-US')} points (${f.store.metrics} metrics × ${f.store.minutes.toLocaleString('en-US')} minutes, up to now)${f.store.rollupMarksRefreshed === null ? '' : `, rollups refreshed as a running bot keeps them`}`,
    '',
    `A new process per run, spawn to exit; ${f.runs} timed runs each after ${f.warmup} warm-up round${f.warmup === 1 ? '' : 's'}, interleaved`,
    `  ${pad('command', 30)}${lpad('p50', 9)}${lpad('p90', 9)}${lpad('min', 9)}${lpad('max', 9)}${lpad('+base p50', 11)}   ${pad('baseline', 16)}load average`,
  ];
  for (const t of f.timings) {
    lines.push(
      `  ${pad(t.label, 30)}${lpad(ms(t.p50), 9)}${lpad(ms(t.p90), 9)}${lpad(ms(t.min), 9)}${lpad(ms(t.max), 9)}${lpad(t.overBaselineP50 === null ? '—' : `+${ms(t.overBaselineP50)}`, 11)}   ${pad(t.baseline ?? '(baseline)', 16)}${t.loadAverage.min}–${t.loadAverage.max}`,
    );
  }
  for (const t of f.timings.filter((x) => x.goalMs !== null)) {
    lines.push(
      `  goal: ${t.label} p50 < ${ms(t.goalMs as number)} → ${t.goalMet ? 'MET' : 'NOT MET'} (p50 ${ms(t.p50)}, max ${ms(t.max)})`,
    );
  }
  lines.push('', `Figures: ${path.relative(process.cwd(), outFile)}`);
  return lines.join('\n');
}

if (process.argv.includes('--help') || process.argv.includes('-h')) {
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
