import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RoadmapRegistry } from '../src/app/registry.js';
import type { Roadmap } from '../src/core/roadmap/model.js';

export const BENCH_ROADMAP_ID = 'bench';

/**
 * How each metric's synthetic series looks: a linear trend from `start` to `end` over the
 * loaded span, a daily sine of amplitude `daily`, uniform noise of width `noise`, clamped to
 * [min, max].
 */
export interface SeriesSpec {
  name: string;
  unit: 'count' | 'ms' | 'percent' | 'usd';
  start: number;
  end: number;
  daily: number;
  noise: number;
  min: number;
  max: number;
}

// Twenty recorded metrics in the four units the issue names. The trends are chosen so that at
// the end of the data some conditions hold, some approach and some do not.
export const SERIES: SeriesSpec[] = [
  {
    name: 'active_users',
    unit: 'count',
    start: 50,
    end: 1800,
    daily: 120,
    noise: 40,
    min: 0,
    max: 1e12,
  },
  { name: 'paid_users', unit: 'count', start: 2, end: 140, daily: 3, noise: 4, min: 0, max: 1e12 },
  { name: 'signups', unit: 'count', start: 1, end: 25, daily: 6, noise: 6, min: 0, max: 1e12 },
  {
    name: 'api_requests',
    unit: 'count',
    start: 2000,
    end: 90000,
    daily: 15000,
    noise: 4000,
    min: 0,
    max: 1e12,
  },
  {
    name: 'queue_depth',
    unit: 'count',
    start: 0,
    end: 40,
    daily: 25,
    noise: 30,
    min: 0,
    max: 1e12,
  },
  {
    name: 'concurrent_users',
    unit: 'count',
    start: 5,
    end: 320,
    daily: 90,
    noise: 20,
    min: 0,
    max: 1e12,
  },
  {
    name: 'response_time_p50',
    unit: 'ms',
    start: 60,
    end: 110,
    daily: 15,
    noise: 20,
    min: 1,
    max: 1e6,
  },
  {
    name: 'response_time_p95',
    unit: 'ms',
    start: 300,
    end: 900,
    daily: 150,
    noise: 200,
    min: 1,
    max: 1e6,
  },
  {
    name: 'response_time_p99',
    unit: 'ms',
    start: 700,
    end: 2400,
    daily: 400,
    noise: 600,
    min: 1,
    max: 1e6,
  },
  { name: 'db_query_p95', unit: 'ms', start: 8, end: 45, daily: 10, noise: 12, min: 0.1, max: 1e6 },
  {
    name: 'cold_start_ms',
    unit: 'ms',
    start: 900,
    end: 700,
    daily: 100,
    noise: 300,
    min: 50,
    max: 1e6,
  },
  {
    name: 'database_cpu',
    unit: 'percent',
    start: 12,
    end: 66,
    daily: 18,
    noise: 10,
    min: 0,
    max: 100,
  },
  {
    name: 'cache_hit_rate',
    unit: 'percent',
    start: 40,
    end: 78,
    daily: 4,
    noise: 6,
    min: 0,
    max: 100,
  },
  {
    name: 'error_rate',
    unit: 'percent',
    start: 0.4,
    end: 0.15,
    daily: 0.05,
    noise: 0.2,
    min: 0,
    max: 100,
  },
  {
    name: 'uptime',
    unit: 'percent',
    start: 99.7,
    end: 99.95,
    daily: 0.02,
    noise: 0.08,
    min: 0,
    max: 100,
  },
  {
    name: 'disk_usage',
    unit: 'percent',
    start: 10,
    end: 71,
    daily: 0.5,
    noise: 1,
    min: 0,
    max: 100,
  },
  {
    name: 'memory_usage',
    unit: 'percent',
    start: 35,
    end: 62,
    daily: 12,
    noise: 8,
    min: 0,
    max: 100,
  },
  { name: 'mrr', unit: 'usd', start: 200, end: 14500, daily: 0, noise: 30, min: 0, max: 1e12 },
  {
    name: 'infra_cost',
    unit: 'usd',
    start: 150,
    end: 2600,
    daily: 0,
    noise: 20,
    min: 0,
    max: 1e12,
  },
  {
    name: 'ai_api_cost',
    unit: 'usd',
    start: 40,
    end: 3100,
    daily: 60,
    noise: 80,
    min: 0,
    max: 1e12,
  },
];

const metricLines = SERIES.map((s) => `  ${s.name}: { unit: ${s.unit} }`).join('\n');

/** A roadmap shaped like the real ones, but with every kind of condition the evaluator reads. */
export const BENCH_ROADMAP_YAML = `# Written by bench/run.ts: 20 metrics, 3 stages, window aggregates, alerts, gates, a target.
id: ${BENCH_ROADMAP_ID}
name: Bench SaaS — scaling roadmap
timezone: America/New_York
start: 2025-01-01
metrics:
${metricLines}
  conversion: { unit: percent, derive: "paid_users / active_users * 100" }
stages:
  - id: tier0
    name: Tier 0 — MVP launch
    users: [0, 2000]
    budget: { min: 100, max: 3000 }
    gates:
      - { id: no-secrets, text: No hardcoded secrets }
      - { id: latency, text: P95 under 2s, check: response_time_p95 < 2s }
      - { id: errors, text: Error rate under 1%, check: error_rate < 1% }
    upgrade:
      when: active_users >= 1,600 or avg(response_time_p95, 1d) > 1s or max(database_cpu, 7d) > 90%
      message: Approaching Tier 0 capacity. Prepare the Tier 1 upgrade.
  - id: tier1
    name: Tier 1 — Growth
    users: [2000, 10000]
    gates:
      - { id: cache-hit, text: Cache hit rate above 60%, check: cache_hit_rate > 60% }
      - { id: uptime, text: Uptime 99.9%, check: "min(uptime, 1d) >= 99.9%" }
    upgrade:
      when: active_users >= 8,000 and avg(api_requests, 1d) >= 200k
      for: 1h
      message: Tier 1 is filling up. Plan the Tier 2 move.
  - id: tier2
    name: Tier 2 — Scale
    users: [10000, 50000]
    gates:
      - { id: db-latency, text: DB p95 under 50ms, check: "avg(db_query_p95, 7d) < 50ms" }
    upgrade:
      when: max(concurrent_users, 7d) >= 5,000 or change(mrr, 30d) > 50%
      message: Beyond Tier 2. Time for a multi-region data layer.
alerts:
  - id: db-cpu-high
    when: avg(database_cpu, 1h) > 80%
    for: 10m
    clear_when: avg(database_cpu, 1h) < 70%
    severity: critical
    message: Database CPU above 80% for an hour.
  - id: error-spike
    when: max(error_rate, 1d) > 2%
    message: Error rate spiked above 2% in the last day.
  - id: ai-cost-vs-revenue
    when: ai_api_cost > mrr * 0.2 or sum(signups, 7d) < 100
    severity: warning
    message: AI spend above 20% of MRR, or signups stalled.
targets:
  - id: growth
    when: active_users >= 5,000 and mrr >= $50k
    by: 2026-06-30
`;

/** Writes the bench roadmap into a fresh roadmaps folder and loads it, failing loudly on problems. */
export async function loadBenchRoadmap(): Promise<{
  registry: RoadmapRegistry;
  roadmap: Roadmap;
  dir: string;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-bench-roadmaps-'));
  await writeFile(path.join(dir, `${BENCH_ROADMAP_ID}.yaml`), BENCH_ROADMAP_YAML);
  const registry = new RoadmapRegistry(dir);
  const [status] = await registry.reload();
  if (!status || status.errors.length > 0) {
    throw new Error(
      `bench roadmap does not load:\n${status?.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n')}`,
    );
  }
  const roadmap = registry.get(BENCH_ROADMAP_ID);
  if (!roadmap) throw new Error('bench roadmap did not load');
  return { registry, roadmap, dir };
}
