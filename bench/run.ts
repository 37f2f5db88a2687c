/**
 * `npm run bench`: status latency through the command layer over a year of minute-level points
 * for 20 metrics, of the v1 bench roadmap and of its format v2 twin (the same metrics and store
 * plus tracks, budget lines, plans and to-dos: bench/roadmap-v2.ts) measured interleaved, and
 * CSV import throughput next to `psql \copy` of the same file, all measured in this run. Figures
 * are ratios against goals and baselines measured here, never against numbers from another
 * machine. `npx tsx bench/run.ts --help` prints these settings.
 *
 *   BENCH_SCALE=0.1   shrink the loaded data and the CSV (default 1: ~10.5M rows, 1M-row CSV);
 *                     a quick check that it all works: BENCH_SCALE=0.01 BENCH_RUNS=30
 *                     BENCH_WARMUP=5 BENCH_IMPORT_ROUNDS=1 (about a minute; not figures)
 *   BENCH_RUNS=300    timed runs per command (after BENCH_WARMUP=20 untimed ones)
 *   BENCH_IMPORT_ROUNDS=3  \copy + import pairs, each on its own file (a fresh time range), in
 *                     alternating order; the table gives the medians
 *   DATABASE_URL=…    use that server (a roadmap_bench_<random> database, dropped at the end)
 *                     instead of an embedded PostgreSQL in a temp dir
 *
 * Progress goes to stderr; the table to stdout; the figures to bench/.out/latest.json.
 */
import { readFileSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { runCommand } from '../src/app/run.js';
import type { StatusJson } from '../src/core/messages/status-json.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import {
  differingRows,
  findPsql,
  measureCopy,
  measureImport,
  prepareCopyTable,
  psqlVersion,
  writeCsv,
  type CopyRun,
  type ImportRun,
} from './import.js';
import { measureInterleaved, type Interleaved } from './interleave.js';
import { measureCommand, type LatencyResult } from './latency.js';
import { loadYear } from './load.js';
import { loadBenchRoadmap, SERIES } from './roadmap.js';
import { loadBenchRoadmapV2, V2_SHAPE } from './roadmap-v2.js';

const STATUS_GOAL_MS = 50;
/** Issue 14: the v2 roadmap's status p99 within this many times the v1 roadmap's. */
const V2_GOAL_RATIO = 1.3;
const SLACK_DEADLINE_MS = 3_000;
const IMPORT_GOAL_RATIO = 0.5;
const YEAR_MINUTES = 365 * 24 * 60;
const CSV_ROWS = 1_000_000;
/** The loaded data ends here; status runs with the clock fixed at this instant. */
const DATA_END = new Date('2026-01-01T00:00:00Z');
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const ms = (n: number): string =>
  n >= 10_000
    ? `${(n / 1000).toFixed(1)} s`
    : n >= 100
      ? `${Math.round(n)} ms`
      : `${n.toFixed(1)} ms`;
const ratio = (n: number): string => (n >= 0.01 ? n.toFixed(2) : n.toPrecision(2));
const pad = (s: string, n: number): string => s.padEnd(n);
const lpad = (s: string, n: number): string => s.padStart(n);
const median = (xs: number[]): number => {
  const sorted = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2
    ? (sorted[mid] as number)
    : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
};
/** 1-minute load average: other processes competing for the CPUs make every figure noisier. */
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));

/** One stage's status of both roadmaps, measured interleaved. */
interface V2Comparison {
  stage: string;
  v1: LatencyResult;
  v2: LatencyResult;
  ratioP50: number;
  ratioP99: number;
  loadAverage: Interleaved['loadAverage'];
}

interface Round {
  round: number;
  order: 'copy first' | 'import first';
  csvFrom: string;
  copy: CopyRun | null;
  import: ImportRun;
  ratio: number | null;
  loadAverage: number;
}

async function main(): Promise<void> {
  const scale = numberEnv('BENCH_SCALE', 1, { positive: true });
  const runs = Math.round(numberEnv('BENCH_RUNS', 300, { positive: true }));
  const warmup = Math.round(numberEnv('BENCH_WARMUP', 20, { positive: true }));
  const importRounds = Math.round(numberEnv('BENCH_IMPORT_ROUNDS', 3, { positive: true }));
  const minutes = Math.max(1, Math.round(YEAR_MINUTES * scale));
  const csvRows = Math.max(SERIES.length, Math.round(CSV_ROWS * scale));
  const startedAt = new Date();
  const startLoad = loadAverage();

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-bench-files-'));
  const { registry, roadmap, dir: roadmapsDir } = await loadBenchRoadmap();
  const v2 = await loadBenchRoadmapV2();
  let db: BenchDatabase | undefined;
  let pool: ReturnType<typeof createPool> | undefined;
  let closing = false;
  const cleanup = async (): Promise<void> => {
    closing = true;
    await pool?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(tmp, { recursive: true, force: true });
    await rm(roadmapsDir, { recursive: true, force: true });
    await rm(v2.dir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });

  try {
    log(
      `bench: scale ${scale} (${int(minutes * SERIES.length)} rows to load, ${int(csvRows)}-row CSV), ${runs} runs per command`,
    );
    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    // pool.end() does not wait for the sockets to close, so stopping the server right after can
    // fail connections that are on their way out: only errors before that are worth a word.
    pool = createPool(db.url, {
      applicationName: 'roadmap-bot bench',
      onError: (e) => closing || log(`idle PostgreSQL connection failed: ${e.message}`),
    });
    const deps: AppDeps = {
      store: pgStore(pool),
      registry,
      clock: () => new Date(DATA_END),
    };
    // The v2 roadmap has the v1 one's id: over the same store it reads the same points and stage.
    const depsV2: AppDeps = { ...deps, registry: v2.registry };
    const invocation: Invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };

    // 1. A year of minute-level points.
    log(`loading ${int(minutes)} minutes × ${SERIES.length} metrics…`);
    const load = await loadYear(db.url, roadmap.id, DATA_END, minutes, log);

    // 2. Latency through the command layer, clock fixed at the end of the data.
    const sample = await runCommand(deps, invocation, 'status --json', 'cli');
    const statusDoc = sample.json as StatusJson;
    for (const [label, doc] of [
      ['v1', statusDoc],
      ['v2', (await runCommand(depsV2, invocation, 'status --json', 'cli')).json as StatusJson],
    ] as const) {
      const unknown = doc.triggers.filter((t) => t.state === 'unknown').map((t) => t.id);
      if (doc.stale.length > 0 || unknown.length > 0) {
        throw new Error(
          `${label} status sees missing data (stale: ${doc.stale.map((s) => s.metric).join(', ')}; unknown: ${unknown.join(', ')}): the figures would not be representative`,
        );
      }
    }
    // Status of the v1 and the v2 roadmap in turn, round after round (bench/interleave.ts): the
    // v1 figures are the status figures, and each stage gives the ratio v2 / v1.
    const byStage: LatencyResult[] = [];
    const v2ByStage: V2Comparison[] = [];
    const statusOfBoth = async (stage: string, before?: () => Promise<void>) => {
      log(`status --json × ${runs} in ${stage}, v1 and v2 interleaved…`);
      const measured = await measureInterleaved(
        [
          { label: 'v1', deps, command: 'status --json' },
          { label: 'v2', deps: depsV2, command: 'status --json' },
        ],
        invocation,
        runs,
        warmup,
        before,
      );
      const [one, two] = measured.sides as [LatencyResult, LatencyResult];
      byStage.push({ ...one, command: `status --json (${stage})` });
      v2ByStage.push({
        stage,
        v1: one,
        v2: two,
        ratioP50: two.p50 / one.p50,
        ratioP99: two.p99 / one.p99,
        loadAverage: measured.loadAverage,
      });
      log(
        `  v1 p99 ${ms(one.p99)}, v2 p99 ${ms(two.p99)}: ${ratio(two.p99 / one.p99)} × (load average ${measured.loadAverage.start}–${measured.loadAverage.end})`,
      );
    };
    await statusOfBoth(roadmap.stages[0]?.id ?? '?');
    log(`metrics × ${runs}…`);
    const metrics = await measureCommand(deps, invocation, 'metrics', runs, warmup);
    // Each stage reads its own windows (the last one a 30-day change and 7-day maxima): status
    // is measured in every stage, and the goal holds for the slowest.
    for (const stage of roadmap.stages.slice(1)) {
      const moved = await runCommand(deps, invocation, 'advance --force', 'cli');
      if (moved.exitCode !== 0)
        throw new Error(`advance --force to ${stage.id} failed: ${JSON.stringify(moved.message)}`);
      await statusOfBoth(stage.id);
    }
    // Live: metrics keep arriving (collectors, the push API), so before each status a point is
    // recorded, as it happens. That must not cost the cached forecast histories anything.
    let arriving = 0;
    const record = async (): Promise<void> => {
      const reply = await runCommand(
        deps,
        invocation,
        `record active_users ${1700 + (arriving++ % 50)}`,
        'cli',
      );
      if (reply.exitCode !== 0) throw new Error(`record failed: ${JSON.stringify(reply.message)}`);
    };
    const lastStage = roadmap.stages[roadmap.stages.length - 1]?.id;
    log(`(live: a point recorded before each status)`);
    await statusOfBoth(`${lastStage}, live`, record);
    const status = byStage.reduce((worst, r) => (r.p99 > worst.p99 ? r : worst));
    const v2Worst = v2ByStage.reduce((worst, r) => (r.ratioP99 > worst.ratioP99 ? r : worst));

    // 3. Import of a 1M-row CSV next to psql \copy of the same file, in rounds: each round its
    // own file over a fresh time range (before the loaded year, then further back), the order
    // alternating so that neither side always runs on the warmer or the bigger table.
    const psql = await findPsql();
    let prepareMs: number | undefined;
    if (psql) {
      log('preparing bench_copy (same shape and rows as metric_points) for the \\copy baseline…');
      prepareMs = await prepareCopyTable(db.url, roadmap.id);
    } else {
      log('psql is not on PATH: no \\copy baseline, import measured alone');
    }
    const rounds: Round[] = [];
    let csvTo = load.from;
    let csvBytes = 0;
    for (let round = 1; round <= importRounds; round++) {
      const csv = await writeCsv(path.join(tmp, `points-${round}.csv`), csvRows, csvTo);
      csvTo = csv.from;
      csvBytes = csv.bytes;
      const order = round % 2 === 1 ? 'copy first' : 'import first';
      log(
        `round ${round}/${importRounds} (${order}): ${int(csv.rows)} rows, ${(csv.bytes / 1e6).toFixed(1)} MB, ${csv.from.toISOString()} – ${csv.to.toISOString()}`,
      );
      let copy: CopyRun | null = null;
      let imported: ImportRun;
      if (order === 'copy first') {
        if (psql) copy = await measureCopy(db.url, psql, csv);
        imported = await measureImport(db.url, deps, invocation, csv, roadmap);
      } else {
        imported = await measureImport(db.url, deps, invocation, csv, roadmap);
        if (psql) copy = await measureCopy(db.url, psql, csv);
      }
      const r: Round = {
        round,
        order,
        csvFrom: csv.from.toISOString(),
        copy,
        import: imported,
        ratio: copy ? imported.rowsPerSec / copy.rowsPerSec : null,
        loadAverage: loadAverage(),
      };
      log(
        `  \\copy ${copy ? ms(copy.ms) : '—'}, import ${ms(imported.ms)}, ratio ${r.ratio === null ? '—' : ratio(r.ratio)} (load average ${r.loadAverage})`,
      );
      rounds.push(r);
    }
    const differing = psql ? await differingRows(db.url) : null;
    if (differing !== null && differing !== 0)
      throw new Error(`importCsv and \\copy did not end with the same rows: ${differing} differ`);

    const copyMs = psql ? median(rounds.map((r) => (r.copy as CopyRun).ms)) : null;
    const importMs = median(rounds.map((r) => r.import.ms));
    const importRatio = psql ? median(rounds.map((r) => r.ratio as number)) : undefined;
    const loadAverages = { start: startLoad, end: loadAverage(), cpus: os.cpus().length };
    const figures = {
      startedAt: startedAt.toISOString(),
      scale,
      machine: {
        node: process.version,
        platform: `${process.platform}-${process.arch}`,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        memoryGb: Math.round(os.totalmem() / 2 ** 30),
      },
      database: { kind: db.kind, version: db.serverVersion },
      roadmap: {
        metrics: roadmap.metrics.size,
        stages: roadmap.stages.length,
        alerts: roadmap.alerts.length,
        targets: roadmap.targets.length,
        stage: statusDoc.stage.id,
        triggers: Object.fromEntries(statusDoc.triggers.map((t) => [t.id, t.state])),
      },
      load: {
        rows: load.rows,
        metrics: SERIES.length,
        minutes: load.minutes,
        from: load.from.toISOString(),
        to: load.to.toISOString(),
        insertMs: load.insertMs,
        rowsPerSec: (load.rows / load.insertMs) * 1000,
        vacuumAnalyzeMs: load.vacuumMs,
        tableBytes: load.tableBytes,
      },
      statusByStage: byStage,
      v2: {
        shape: V2_SHAPE,
        byStage: v2ByStage,
        goalRatio: V2_GOAL_RATIO,
        worstRatioP99: v2Worst.ratioP99,
        worstStage: v2Worst.stage,
        goalMet: v2Worst.ratioP99 <= V2_GOAL_RATIO,
      },
      status: {
        ...status,
        goalMs: STATUS_GOAL_MS,
        p99OverGoal: status.p99 / STATUS_GOAL_MS,
        slackDeadlineMs: SLACK_DEADLINE_MS,
        p99OverSlackDeadline: status.p99 / SLACK_DEADLINE_MS,
        goalMet: status.p99 < STATUS_GOAL_MS,
      },
      metrics: {
        ...metrics,
        p99OverGoal: metrics.p99 / STATUS_GOAL_MS,
        p99OverSlackDeadline: metrics.p99 / SLACK_DEADLINE_MS,
      },
      import: {
        csv: { rows: csvRows, bytes: csvBytes, header: 'metric,value,at' },
        rounds,
        copy: psql
          ? {
              psql,
              version: await psqlVersion(psql),
              medianMs: copyMs,
              medianRowsPerSec: (csvRows / (copyMs as number)) * 1000,
              prepareTableMs: prepareMs,
            }
          : null,
        copyMissingReason: psql ? null : 'psql is not on PATH',
        roadmapImport: { medianMs: importMs, medianRowsPerSec: (csvRows / importMs) * 1000 },
        ratioToCopy: importRatio ?? null,
        ratioToCopyPerRound: rounds.map((r) => r.ratio),
        differingRows: differing,
        goalRatio: IMPORT_GOAL_RATIO,
        goalMet: importRatio === undefined ? null : importRatio >= IMPORT_GOAL_RATIO,
      },
      loadAverage: loadAverages,
    };

    await mkdir(OUT_DIR, { recursive: true });
    const outFile = path.join(OUT_DIR, 'latest.json');
    await writeFile(outFile, `${JSON.stringify(figures, null, 2)}\n`);
    console.log(report(figures, status, [...byStage, metrics], v2ByStage, outFile));
  } finally {
    await cleanup();
  }
}

type Figures = {
  scale: number;
  machine: { node: string; cpus: number; cpuModel: string; memoryGb: number };
  database: { kind: string; version: string };
  roadmap: { metrics: number; stages: number; alerts: number; targets: number };
  load: {
    rows: number;
    minutes: number;
    insertMs: number;
    rowsPerSec: number;
    vacuumAnalyzeMs: number;
    tableBytes: number;
  };
  import: {
    csv: { rows: number; bytes: number };
    rounds: Round[];
    copy: { version: string; medianMs: number | null; medianRowsPerSec: number } | null;
    roadmapImport: { medianMs: number; medianRowsPerSec: number };
    ratioToCopy: number | null;
    differingRows: number | null;
  };
  loadAverage: { start: number; end: number; cpus: number };
};

function report(
  f: Figures,
  status: LatencyResult,
  latencies: LatencyResult[],
  v2: V2Comparison[],
  outFile: string,
): string {
  const version = /PostgreSQL [\d.]+/.exec(f.database.version)?.[0] ?? f.database.version;
  const lines: string[] = [];
  lines.push('');
  lines.push(
    `roadmap-bot bench — scale ${f.scale} — ${version} (${f.database.kind}), Node ${f.machine.node}, ${f.machine.cpus} × ${f.machine.cpuModel.trim()}, ${f.machine.memoryGb} GB`,
  );
  lines.push(
    `load average ${f.loadAverage.start} at start, ${f.loadAverage.end} at end, on ${f.loadAverage.cpus} CPUs${Math.max(f.loadAverage.start, f.loadAverage.end) > f.loadAverage.cpus / 2 ? ': other processes compete for the CPUs, figures are noisier' : ''}`,
  );
  lines.push('');
  lines.push(
    `Store: ${int(f.load.rows)} points (${SERIES.length} metrics × ${int(f.load.minutes)} minutes), roadmap with ${f.roadmap.metrics} metrics (${SERIES.length} recorded, ${f.roadmap.metrics - SERIES.length} derived), ${f.roadmap.stages} stages, ${f.roadmap.alerts} alerts, ${f.roadmap.targets} target`,
  );
  lines.push(
    `  load (INSERT … generate_series) ${ms(f.load.insertMs)} (${int(f.load.rowsPerSec)} rows/s), VACUUM ANALYZE + CHECKPOINT ${ms(f.load.vacuumAnalyzeMs)}, table + index ${(f.load.tableBytes / 2 ** 30).toFixed(2)} GiB`,
  );
  lines.push('');
  lines.push(
    `Latency through the command layer (${status.runs} sequential runs after ${status.warmup} warm-up, clock at the end of the data)`,
  );
  lines.push(
    `  ${pad('command', 34)}${lpad('p50', 10)}${lpad('p95', 10)}${lpad('p99', 10)}${lpad('max', 10)}${lpad('p99/50ms', 11)}${lpad('p99/3s', 10)}`,
  );
  for (const r of latencies) {
    lines.push(
      `  ${pad(r.command, 34)}${lpad(ms(r.p50), 10)}${lpad(ms(r.p95), 10)}${lpad(ms(r.p99), 10)}${lpad(ms(r.max), 10)}${lpad(ratio(r.p99 / STATUS_GOAL_MS), 11)}${lpad(ratio(r.p99 / SLACK_DEADLINE_MS), 10)}`,
    );
  }
  lines.push(
    `  goal: status p99 < ${STATUS_GOAL_MS} ms in every stage → ${status.p99 < STATUS_GOAL_MS ? 'MET' : 'NOT MET'} (slowest: ${status.command}, p99 ${ratio(status.p99 / STATUS_GOAL_MS)} × the goal, ${ratio(status.p99 / SLACK_DEADLINE_MS)} × Slack's ${int(SLACK_DEADLINE_MS)} ms deadline)`,
  );
  lines.push('');
  lines.push(
    `Format v2 twin of the roadmap (same metrics, stages and store; + ${V2_SHAPE.tracks} tracks, ${V2_SHAPE.plans} plans, and in each stage ${V2_SHAPE.budgetLinesPerStage} budget lines and ${V2_SHAPE.todosPerStage} to-dos), status --json interleaved with v1's`,
  );
  lines.push(
    `  ${pad('stage', 16)}${lpad('v1 p50', 10)}${lpad('v2 p50', 10)}${lpad('v2/v1', 8)}${lpad('v1 p99', 10)}${lpad('v2 p99', 10)}${lpad('v2/v1', 8)}   load average`,
  );
  for (const r of v2) {
    lines.push(
      `  ${pad(r.stage, 16)}${lpad(ms(r.v1.p50), 10)}${lpad(ms(r.v2.p50), 10)}${lpad(ratio(r.ratioP50), 8)}${lpad(ms(r.v1.p99), 10)}${lpad(ms(r.v2.p99), 10)}${lpad(ratio(r.ratioP99), 8)}   ${r.loadAverage.start}–${r.loadAverage.end}`,
    );
  }
  const worst = v2.reduce((w, r) => (r.ratioP99 > w.ratioP99 ? r : w));
  lines.push(
    `  goal: v2 status p99 ≤ ${V2_GOAL_RATIO} × v1's in every stage → ${worst.ratioP99 <= V2_GOAL_RATIO ? 'MET' : 'NOT MET'} (worst: ${worst.stage}, ${ratio(worst.ratioP99)} ×)`,
  );
  lines.push('');
  const rounds = f.import.rounds;
  lines.push(
    `Import of ${int(f.import.csv.rows)} CSV rows (${(f.import.csv.bytes / 1e6).toFixed(1)} MB, metric,value,at) into the ${int(f.load.rows)}-row store, ${rounds.length} round${rounds.length === 1 ? '' : 's'}`,
  );
  lines.push(
    `  ${pad('', 30)}${lpad('median', 10)}${lpad('rows/s', 12)}${lpad('ratio', 8)}   per round`,
  );
  const imp = f.import.roadmapImport;
  const c = f.import.copy;
  if (c && c.medianMs !== null) {
    lines.push(
      `  ${pad('psql \\copy (baseline)', 30)}${lpad(ms(c.medianMs), 10)}${lpad(int(c.medianRowsPerSec), 12)}${lpad('1.00', 8)}   ${rounds.map((r) => ms(r.copy?.ms ?? Number.NaN)).join(', ')}`,
    );
    lines.push(
      `  ${pad('roadmap import (importCsv)', 30)}${lpad(ms(imp.medianMs), 10)}${lpad(int(imp.medianRowsPerSec), 12)}${lpad(ratio(f.import.ratioToCopy ?? Number.NaN), 8)}   ${rounds.map((r) => ms(r.import.ms)).join(', ')}`,
    );
    lines.push(
      `  ${pad('ratio import / \\copy', 30)}${lpad('', 10)}${lpad('', 12)}${lpad(ratio(f.import.ratioToCopy ?? Number.NaN), 8)}   ${rounds.map((r) => ratio(r.ratio ?? Number.NaN)).join(', ')}`,
    );
    lines.push(
      `  goal: import ≥ ${IMPORT_GOAL_RATIO} × \\copy → ${(f.import.ratioToCopy ?? 0) >= IMPORT_GOAL_RATIO ? 'MET' : 'NOT MET'} (median ratio ${ratio(f.import.ratioToCopy ?? Number.NaN)}); both sides ended with the same rows: ${f.import.differingRows === 0 ? 'yes' : 'no'}`,
    );
    lines.push(
      `  (${c.version}; \\copy into bench_copy, LIKE metric_points INCLUDING ALL holding the same ${int(f.load.rows)} rows; rounds alternate which side goes first)`,
    );
  } else {
    lines.push(`  psql is not on PATH: no \\copy baseline in this run, so no ratio`);
    lines.push(
      `  ${pad('roadmap import (importCsv)', 30)}${lpad(ms(imp.medianMs), 10)}${lpad(int(imp.medianRowsPerSec), 12)}${lpad('—', 8)}   ${rounds.map((r) => ms(r.import.ms)).join(', ')}`,
    );
  }
  lines.push('');
  lines.push(`Figures: ${path.relative(process.cwd(), outFile)}`);
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
