/**
 * `npx tsx bench/web.ts`: the server time of a roadmap's web page (issue 17: p99 < 100 ms) on
 * the bench store of bench/run.ts (a year of minute points × 20 metrics), measured next to
 * `status --json` of the same roadmap in the same run: the two alternate, one request each,
 * in each of the roadmap's stages. Also a chart's SVG, rendered afresh and from the cache.
 *
 *   BENCH_SCALE=0.1   shrink the loaded data (default 1: ~10.5M rows)
 *   BENCH_RUNS=300    timed pages (and as many statuses) per stage, after BENCH_WARMUP=20
 *   BENCH_CHARTS=20   fresh chart renders timed
 *   DATABASE_URL=…    use that server (a roadmap_bench_<random> database, dropped at the end)
 *
 * The page is asked of the HTTP server in-process (fastify's inject): routing, access check,
 * evaluation with forecasts, history reads, HTML, without the network. Progress goes to stderr,
 * the table to stdout, the figures to bench/.out/web.json.
 */
import { mkdir, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { createHttpServer } from '../src/adapters/http/server.js';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import { registerWeb } from '../src/adapters/web/routes.js';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { runCommand } from '../src/app/run.js';
import { signLink } from '../src/core/web/link.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { percentile } from './latency.js';
import { loadYear } from './load.js';
import { loadBenchRoadmap, SERIES } from './roadmap.js';

const PAGE_GOAL_MS = 100;
const YEAR_MINUTES = 365 * 24 * 60;
/** The loaded data ends here; the clock stands at this instant (as in bench/run.ts). */
const DATA_END = new Date('2026-01-01T00:00:00Z');
const OUT_DIR = fileURLToPath(new URL('./.out/', import.meta.url));
const SECRET = 'bench-web-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const ms = (n: number): string => (n >= 100 ? `${Math.round(n)} ms` : `${n.toFixed(1)} ms`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));

interface Figures {
  command: string;
  runs: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
}

const figures = (command: string, samples: number[]): Figures => {
  const sorted = [...samples].sort((a, b) => a - b);
  return {
    command,
    runs: sorted.length,
    p50: percentile(sorted, 50),
    p95: percentile(sorted, 95),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] as number,
  };
};

async function main(): Promise<void> {
  const scale = numberEnv('BENCH_SCALE', 1, { positive: true });
  const runs = Math.round(numberEnv('BENCH_RUNS', 300, { positive: true }));
  const warmup = Math.round(numberEnv('BENCH_WARMUP', 20, { positive: true }));
  const chartRuns = Math.round(numberEnv('BENCH_CHARTS', 20, { positive: true }));
  const minutes = Math.max(1, Math.round(YEAR_MINUTES * scale));
  const startLoad = loadAverage();
  const { registry, roadmap, dir } = await loadBenchRoadmap();
  let db: BenchDatabase | undefined;
  let pool: ReturnType<typeof createPool> | undefined;
  let closing = false;
  const clock = { now: new Date(DATA_END) };
  try {
    db = await openBenchDatabase(log);
    pool = createPool(db.url, {
      applicationName: 'roadmap-bot bench web',
      onError: (e) => closing || log(`idle PostgreSQL connection failed: ${e.message}`),
    });
    const deps: AppDeps = { store: pgStore(pool), registry, clock: () => new Date(clock.now) };
    const invocation: Invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };
    log(`loading ${minutes.toLocaleString('en-US')} minutes × ${SERIES.length} metrics…`);
    const load = await loadYear(db.url, roadmap.id, DATA_END, minutes, log);

    // A history to page through: 2,000 audit rows and 200 alert episodes.
    log('writing 2,000 audit rows and 200 episodes…');
    for (let i = 0; i < 2000; i++)
      await deps.store.audit.record({
        actor: { platform: 'slack', id: `U${i % 17}`, channel: 'C1' },
        roadmapId: roadmap.id,
        action: i % 3 === 0 ? 'check' : 'record',
        details: { metric: 'active_users', value: i },
        at: new Date(DATA_END.getTime() - (2000 - i) * 600_000),
      });
    for (let i = 0; i < 200; i++) {
      const e = await deps.store.alerts.openEpisode({
        roadmapId: roadmap.id,
        triggerId: `bench-${i}`,
        kind: 'alert',
        severity: 'warning',
        condition: 'x > 1',
        firedAt: new Date(DATA_END.getTime() - (200 - i) * 3_600_000),
        details: {},
      });
      await deps.store.alerts.closeEpisode(e.id, new Date(e.firedAt.getTime() + 60_000));
    }

    const http = createHttpServer({
      store: deps.store,
      registry,
      logger: pino({ level: 'silent' }),
      started: () => true,
    });
    registerWeb(http, deps, {
      access: 'links',
      secret: SECRET,
      liveIntervalMs: 5000,
      logger: pino({ level: 'silent' }),
    });
    await http.ready();
    const { exp, sig } = signLink(SECRET, roadmap.id, new Date(DATA_END.getTime() + 86_400_000));
    const url = `/roadmaps/${roadmap.id}?exp=${exp}&sig=${sig}`;

    const page = async (): Promise<number> => {
      const started = performance.now();
      const res = await http.inject({ method: 'GET', url });
      const took = performance.now() - started;
      if (res.statusCode !== 200)
        throw new Error(`page: ${res.statusCode} ${res.body.slice(0, 300)}`);
      return took;
    };
    const status = async (): Promise<number> => {
      const started = performance.now();
      const reply = await runCommand(deps, invocation, 'status --json', 'cli');
      const took = performance.now() - started;
      if (reply.exitCode !== 0) throw new Error(`status: ${JSON.stringify(reply.message)}`);
      return took;
    };

    const results: Figures[] = [];
    for (const [i, stage] of roadmap.stages.entries()) {
      if (i > 0) {
        const moved = await runCommand(deps, invocation, 'advance --force', 'cli');
        if (moved.exitCode !== 0) throw new Error(`advance --force to ${stage.id} failed`);
      }
      log(`page and status --json × ${runs}, alternating, in ${stage.id}…`);
      for (let w = 0; w < warmup; w++) {
        await page();
        await status();
      }
      const pages: number[] = [];
      const statuses: number[] = [];
      for (let r = 0; r < runs; r++) {
        // Alternate which goes first, so neither always runs on the warmer caches.
        if (r % 2 === 0) {
          pages.push(await page());
          statuses.push(await status());
        } else {
          statuses.push(await status());
          pages.push(await page());
        }
      }
      results.push(figures(`web page (${stage.id})`, pages));
      results.push(figures(`status --json (${stage.id})`, statuses));
    }

    // Charts: each is its own request; a fresh render each minute (the clock moves a minute).
    const body = (await http.inject({ method: 'GET', url })).body;
    const chartUrl = /<img\s+src="([^"]+)"/.exec(body)?.[1]?.replaceAll('&amp;', '&');
    if (!chartUrl) throw new Error('the page has no chart');
    const chart = async (): Promise<number> => {
      const started = performance.now();
      const res = await http.inject({ method: 'GET', url: chartUrl });
      const took = performance.now() - started;
      if (res.statusCode !== 200) throw new Error(`chart: ${res.statusCode}`);
      return took;
    };
    log(`chart: first (loads vega), ${chartRuns} fresh renders, ${chartRuns} from the cache…`);
    const first = await chart();
    const fresh: number[] = [];
    const cached: number[] = [];
    for (let r = 0; r < chartRuns; r++) {
      clock.now = new Date(clock.now.getTime() + 60_000);
      fresh.push(await chart());
      cached.push(await chart());
    }
    results.push(figures('chart SVG, fresh render', fresh));
    results.push(figures('chart SVG, cached', cached));
    await http.close();

    const pagesOnly = results.filter((r) => r.command.startsWith('web page'));
    const worst = pagesOnly.reduce((a, b) => (b.p99 > a.p99 ? b : a));
    const out = {
      startedAt: new Date().toISOString(),
      scale,
      rows: load.rows,
      machine: { node: process.version, cpus: os.cpus().length, cpuModel: os.cpus()[0]?.model },
      database: { kind: db.kind, version: db.serverVersion },
      results,
      chartFirstMs: first,
      goal: { pageP99Ms: PAGE_GOAL_MS, met: worst.p99 < PAGE_GOAL_MS, slowest: worst.command },
      loadAverage: { start: startLoad, end: loadAverage(), cpus: os.cpus().length },
    };
    await mkdir(OUT_DIR, { recursive: true });
    const file = path.join(OUT_DIR, 'web.json');
    await writeFile(file, `${JSON.stringify(out, null, 2)}\n`);

    const lines = [
      '',
      `roadmap-bot web bench — scale ${scale}, ${load.rows.toLocaleString('en-US')} points, ${db.serverVersion.match(/PostgreSQL [\d.]+/)?.[0] ?? db.kind}, Node ${process.version}, ${os.cpus().length} CPUs, load average ${startLoad} → ${out.loadAverage.end}`,
      '',
      `  ${'request'.padEnd(34)}${'p50'.padStart(10)}${'p95'.padStart(10)}${'p99'.padStart(10)}${'max'.padStart(10)}${'runs'.padStart(7)}`,
      ...results.map(
        (r) =>
          `  ${r.command.padEnd(34)}${ms(r.p50).padStart(10)}${ms(r.p95).padStart(10)}${ms(r.p99).padStart(10)}${ms(r.max).padStart(10)}${String(r.runs).padStart(7)}`,
      ),
      `  first chart (loads vega and vega-lite): ${ms(first)}`,
      '',
      `  goal: page p99 < ${PAGE_GOAL_MS} ms in every stage → ${worst.p99 < PAGE_GOAL_MS ? 'MET' : 'NOT MET'} (slowest: ${worst.command}, p99 ${ms(worst.p99)})`,
      `Figures: ${path.relative(process.cwd(), file)}`,
    ];
    console.log(lines.join('\n'));
  } finally {
    closing = true;
    await pool?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error instanceof Error ? (error.stack ?? error.message) : error);
  process.exitCode = 1;
});
