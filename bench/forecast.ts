/**
 * `npx tsx bench/forecast.ts`: forecasting and chart rendering speed (issue 7).
 *
 * Takes the seed roadmap with the most comparisons, gives every metric its comparisons read
 * 28 days of minute-level points (40,320 each, generated in memory from a seeded PRNG:
 * a trend toward its thresholds, a daily cycle, noise), and measures
 *   - time per status: `forecastReport`, forecasting every comparison `status` shows (the
 *     current stage's upgrade, the alerts, the targets), each metric's history fitted once,
 *     and the targets' outlooks; goal < 20 ms;
 *   - the same for every stage as current, and without sharing fits between comparisons;
 *   - chart rendering time per PNG (spec, vega → SVG, resvg → PNG), cold and warm.
 *
 *   FORECAST_BENCH_RUNS=30   timed runs per figure (after 3 untimed ones)
 */
import { readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { chartSpec, metricChartInput } from '../src/adapters/charts/spec.js';
import { renderPng } from '../src/adapters/charts/render.js';
import { walk } from '../src/core/condition/ast.js';
import type { ComparisonResult } from '../src/core/condition/evaluate.js';
import {
  evaluateRoadmap,
  type MetricPoint,
  type Report,
  type RoadmapState,
} from '../src/core/evaluate/report.js';
import type { HistoryPoint } from '../src/core/forecast/fit.js';
import {
  fitHistory,
  forecast,
  isForecastOp,
  type Forecast,
} from '../src/core/forecast/forecast.js';
import { forecastReport } from '../src/core/forecast/report.js';
import { loadRoadmap } from '../src/core/roadmap/load.js';
import type { Roadmap } from '../src/core/roadmap/model.js';

const GOAL_MS = 20;
const RUNS = Math.max(1, Number(process.env.FORECAST_BENCH_RUNS ?? 30) || 30);
const NOW = new Date('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;
const POINTS = (28 * DAY) / MINUTE;
const ROADMAPS = fileURLToPath(new URL('../roadmaps/', import.meta.url));

function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

function comparisonCount(roadmap: Roadmap): number {
  let count = 0;
  const conditions = [
    ...roadmap.stages.flatMap((s) => [s.upgrade?.when, ...s.gates.map((g) => g.check)]),
    ...roadmap.alerts.map((a) => a.when),
    ...roadmap.targets.map((t) => t.when),
  ];
  for (const c of conditions)
    if (c) walk(c.expr, (node) => void (node.kind === 'compare' && count++));
  return count;
}

function largestSeed(): Roadmap {
  const loaded = readdirSync(ROADMAPS)
    .filter((f) => f.endsWith('.yaml'))
    .map((f) => loadRoadmap(path.join('roadmaps', f), readFileSync(path.join(ROADMAPS, f), 'utf8')))
    .flatMap((r) => (r.ok ? [r.roadmap] : []));
  return loaded.reduce((a, b) => (comparisonCount(b) > comparisonCount(a) ? b : a));
}

const stateAt = (stageId: string): RoadmapState => ({
  stage: { id: stageId, since: new Date(NOW.getTime() - 30 * DAY) },
  gateChecks: new Map(),
  triggers: new Map(),
  targetsMet: new Map(),
});

/** Comparisons `status` forecasts: the current stage's upgrade, the alerts, the targets. */
function statusComparisons(report: Report): ComparisonResult[] {
  return [
    ...report.triggers.flatMap((t) => t.comparisons),
    ...report.targets.flatMap((t) => t.comparisons),
  ].filter((c) => c.threshold !== undefined && isForecastOp(c.op));
}

/** Minute points that head from ~45% toward ~95% of the metric's nearest threshold over the window. */
function generate(roadmap: Roadmap): Map<string, HistoryPoint[]> {
  const thresholds = new Map<string, number[]>();
  for (const stage of roadmap.stages) {
    const report = evaluateRoadmap(
      roadmap,
      { latest: new Map(), windows: new Map() },
      stateAt(stage.id),
      NOW,
    );
    for (const c of statusComparisons(report))
      thresholds.set(c.metric, [...(thresholds.get(c.metric) ?? []), c.threshold as number]);
  }
  const series = new Map<string, HistoryPoint[]>();
  let seed = 1;
  for (const [metric, values] of thresholds) {
    const random = mulberry32(seed++);
    const target = Math.min(...values.map(Math.abs).filter((v) => v > 0)) || 100;
    const start = 0.45 * target;
    const end = 0.95 * target;
    const points: HistoryPoint[] = new Array(POINTS);
    for (let i = 0; i < POINTS; i++) {
      const t = NOW.getTime() - (POINTS - 1 - i) * MINUTE;
      const share = i / (POINTS - 1);
      const daily = 0.04 * target * Math.sin((2 * Math.PI * (t % DAY)) / DAY);
      points[i] = {
        t: new Date(t),
        v: Math.max(
          0.001,
          start + (end - start) * share + daily + 0.02 * target * (random() - 0.5),
        ),
      };
    }
    series.set(metric, points);
  }
  return series;
}

function latestOf(series: Map<string, HistoryPoint[]>): Map<string, MetricPoint> {
  return new Map(
    [...series].map(([metric, points]) => {
      const last = points[points.length - 1] as HistoryPoint;
      return [metric, { value: last.v, at: last.t }];
    }),
  );
}

/** One status' forecasts, as the shell would make them: every comparison, each metric fitted once, target outlooks. */
function forecastStatus(report: Report, series: Map<string, HistoryPoint[]>): Forecast[] {
  const result = forecastReport(report, series);
  return [...result.triggers.values(), ...[...result.targets.values()].map((t) => t.comparisons)]
    .flat()
    .filter((f): f is Forecast => f !== undefined);
}

/**
 * Wall time and CPU time (user + system) per run. This machine may be shared: CPU time is
 * what the work costs, wall time what a caller waits while others compete for the cores.
 */
function time(
  runs: number,
  fn: () => void,
): { median: number; p95: number; min: number; cpu: number } {
  for (let i = 0; i < 3; i++) fn();
  const wall: number[] = [];
  const cpu: number[] = [];
  for (let i = 0; i < runs; i++) {
    const start = performance.now();
    const used = process.cpuUsage();
    fn();
    const spent = process.cpuUsage(used);
    wall.push(performance.now() - start);
    cpu.push((spent.user + spent.system) / 1000);
  }
  wall.sort((a, b) => a - b);
  cpu.sort((a, b) => a - b);
  const at = (xs: number[], q: number) =>
    xs[Math.min(xs.length - 1, Math.floor(q * xs.length))] as number;
  return { median: at(wall, 0.5), p95: at(wall, 0.95), min: wall[0] as number, cpu: at(cpu, 0.5) };
}

const ms = (v: number) => `${v.toFixed(2)} ms`;

async function main(): Promise<void> {
  const roadmap = largestSeed();
  const series = generate(roadmap);
  const latest = latestOf(series);
  const first = roadmap.stages[0];
  if (!first) throw new Error('roadmap without stages');
  const report = evaluateRoadmap(roadmap, { latest, windows: new Map() }, stateAt(first.id), NOW);
  const compared = statusComparisons(report);
  const metrics = new Set(compared.map((c) => c.metric));

  console.log(
    `roadmap ${roadmap.id} (${roadmap.file}): ${comparisonCount(roadmap)} comparisons in all, ${roadmap.stages.length} stages`,
  );
  console.log(
    `data: ${series.size} metrics × ${POINTS.toLocaleString('en-US')} minute points (28 days), now = ${NOW.toISOString()}`,
  );
  console.log(
    `status at stage ${first.id}: ${compared.length} comparisons over ${metrics.size} metrics`,
  );

  const counts = new Map<string, number>();
  for (const f of forecastStatus(report, series)) {
    const key = f.status === 'not-trending' ? `not-trending (${f.reason})` : f.status;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  console.log(`  forecasts: ${[...counts].map(([s, n]) => `${n} ${s}`).join(', ')}`);

  const perStatus = time(RUNS, () => forecastStatus(report, series));
  console.log(
    `forecast per status (fit once per metric): median ${ms(perStatus.median)}, p95 ${ms(perStatus.p95)}, min ${ms(perStatus.min)}; CPU median ${ms(perStatus.cpu)} · goal < ${GOAL_MS} ms: ${perStatus.median < GOAL_MS ? 'met' : 'NOT met'}`,
  );

  const unshared = time(RUNS, () => {
    for (const c of compared)
      forecast(
        series.get(c.metric) ?? [],
        { op: c.op as '>' | '>=' | '<' | '<=', threshold: c.threshold as number },
        NOW,
      );
  });
  console.log(
    `forecast per status (one fit per comparison): median ${ms(unshared.median)}, p95 ${ms(unshared.p95)}; CPU median ${ms(unshared.cpu)}`,
  );

  const reports = roadmap.stages.map((s) =>
    evaluateRoadmap(roadmap, { latest, windows: new Map() }, stateAt(s.id), NOW),
  );
  for (const r of reports) {
    const t = time(Math.max(5, Math.round(RUNS / 3)), () => forecastStatus(r, series));
    const n = statusComparisons(r).length;
    console.log(
      `  stage ${r.stage.id.padEnd(16)} ${String(n).padStart(3)} comparisons over ${String(new Set(statusComparisons(r).map((c) => c.metric)).size).padStart(2)} metrics: median ${ms(t.median)}, CPU ${ms(t.cpu)}`,
    );
  }
  const oneFit = time(RUNS, () => fitHistory(series.get([...metrics][0] as string) ?? [], NOW));
  console.log(
    `one metric's fit (40,320 points, both models): median ${ms(oneFit.median)}, min ${ms(oneFit.min)}, CPU ${ms(oneFit.cpu)}`,
  );

  // Charts: one PNG per metric the status compares.
  const charts = [...metrics];
  const render = async (metric: string) => {
    const start = performance.now();
    const used = process.cpuUsage();
    const png = await renderPng(
      chartSpec(metricChartInput(report, metric, series.get(metric) ?? [])),
    );
    const spent = process.cpuUsage(used);
    return {
      ms: performance.now() - start,
      cpu: (spent.user + spent.system) / 1000,
      bytes: png.length,
    };
  };
  const cold = await render(charts[0] as string);
  const warm: { ms: number; cpu: number; bytes: number }[] = [];
  for (let round = 0; round < 3; round++)
    for (const metric of charts) warm.push(await render(metric));
  const sorted = warm.map((w) => w.ms).sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] as number;
  const bytes = warm.reduce((sum, w) => sum + w.bytes, 0) / warm.length;
  const cpu = warm.map((w) => w.cpu).sort((a, b) => a - b)[Math.floor(warm.length / 2)] as number;
  console.log(
    `chart per PNG (800×400, ${charts.length} metrics × 3): first ${ms(cold.ms)} (loads vega and fonts), then median ${ms(median)}, max ${ms(sorted[sorted.length - 1] as number)}, CPU median ${ms(cpu)}, ~${Math.round(bytes / 1024)} KiB each`,
  );
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
