import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { RoadmapRegistry } from '../src/app/registry.js';
import type { Roadmap } from '../src/core/roadmap/model.js';
import { BENCH_ROADMAP_ID, BENCH_ROADMAP_YAML } from './roadmap.js';

/**
 * The bench roadmap in format v2 (docs/ROADMAP_FORMAT.md, "Version 2"): the v1 bench roadmap
 * (./roadmap.ts) word for word, with the same id, metrics, stages, triggers, alerts and target,
 * plus 5 tracks, 5 plans and, in every stage (only the current stage's are evaluated, and status
 * is measured in each), a planned span, 10 budget lines (9 with a metric, most bounds
 * expressions over metrics, one ramp) and 20 to-dos. Same id: loaded in a registry of its own,
 * it reads the same points and the same stage as the v1 roadmap, so the two are measured over
 * the same store, and the difference is what v2 costs.
 */

export const V2_SHAPE = { tracks: 5, plans: 5, budgetLinesPerStage: 10, todosPerStage: 20 };

/** Each stage's planned span (start 2025-01-01; the data ends 2026-01-01, the end of month 12). */
const PLANNED: Record<string, string> = {
  tier0: '{ from: month 1, to: month 14 }',
  tier1: '{ from: month 10, to: month 18 }',
  tier2: '{ from: month 16, to: month 30 }',
};

const BUDGET = [
  'infra: { ramp: [2000, 6000], metric: infra_cost }',
  'ai_api: { max: "0.25 * mrr", metric: ai_api_cost }',
  'ai_per_user: { max: "2 * active_users", metric: ai_api_cost }',
  'payments: { max: "0.029 * mrr + 30", metric: infra_cost }',
  'compute: { max: "1.5 * concurrent_users + 0.01 * api_requests", metric: infra_cost }',
  'support: { min: 200, max: "50 * paid_users", metric: ai_api_cost }',
  'margin: { max: "mrr - ai_api_cost", metric: infra_cost }',
  'growth: { max: "(mrr + 1000) * 0.3", metric: ai_api_cost }',
  'marketing: { min: 500, max: "0.1 * mrr" }',
  'compliance: { max: 20000, per: year, metric: infra_cost }',
];

/** 20 to-dos: by a condition, by a deadline, by both, or only ticked by a person. */
const TODOS = Array.from({ length: V2_SHAPE.todosPerStage }, (_, i) => {
  const n = i + 1;
  const metric = ['active_users', 'api_requests', 'paid_users', 'signups'][(i >> 1) % 4] as string;
  const at = { active_users: 90 * n, api_requests: 5000 * n, paid_users: 8 * n, signups: 2 * n }[
    metric as 'active_users'
  ];
  switch (i % 4) {
    case 0:
      return `{ id: todo-${n}, text: To-do ${n}, when: ${metric} >= ${at} }`;
    case 1:
      return `{ id: todo-${n}, text: To-do ${n}, by: month ${n} }`;
    case 2:
      return `{ id: todo-${n}, text: To-do ${n}, when: ${metric} >= ${at}, by: month ${n + 6} }`;
    default:
      return `{ id: todo-${n}, text: To-do ${n} }`;
  }
});

const TRACKS = `tracks:
  - id: database
    name: Database
    steps:
      - { id: free, name: Free, capacity: { database_cpu: 80, disk_usage: 90 } }
      - { id: pro, name: Pro, when: active_users >= 500, capacity: { database_cpu: 85, disk_usage: 95 }, cost: 25 }
      - { id: team, name: Team, when: "active_users >= 5,000 or api_requests >= 100k", cost: 599 }
      - { id: enterprise, name: Enterprise, when: active_users >= 20k }
  - id: cache
    name: Cache
    steps:
      - { id: none, name: None }
      - { id: small, name: Small, when: "response_time_p95 > 800 or db_query_p95 > 30", capacity: { memory_usage: 75 }, cost: 15 }
      - { id: cluster, name: Cluster, when: concurrent_users >= 2000, capacity: { memory_usage: 85 }, cost: 200 }
  - id: cdn
    name: CDN
    steps:
      - { id: basic, name: Basic, capacity: { api_requests: 200k } }
      - { id: pro, name: Pro, when: api_requests >= 50k, capacity: { api_requests: 1M }, cost: 20 }
      - { id: business, name: Business, when: api_requests >= 500k, cost: 200 }
  - id: api
    name: API gateway
    severity: warning
    steps:
      - { id: lambda, name: Lambda, capacity: { concurrent_users: 1000, response_time_p99: 3000 } }
      - { id: containers, name: Containers, when: concurrent_users >= 800, capacity: { concurrent_users: 10000 }, cost: 150 }
  - id: queue
    name: Queue
    steps:
      - { id: sqs, name: SQS, capacity: { queue_depth: 100 } }
      - { id: kafka, name: Kafka, when: queue_depth >= 80 or signups >= 500, capacity: { queue_depth: 10000 }, cost: 400 }
plan:
  - metric: mrr
    points: [{ at: month 6, value: 5k }, { at: month 12, value: [12k, 16k] }, { at: month 18, value: 40k }]
  - metric: active_users
    tolerance: 15%
    scenarios:
      conservative: [{ at: month 6, value: 600 }, { at: month 18, value: 3000 }]
      optimistic: [{ at: month 6, value: 1000 }, { at: month 18, value: 8000 }]
  - metric: paid_users
    by: active_users
    points: [{ at: 100, value: 5 }, { at: 1000, value: 80 }, { at: 10000, value: 900 }]
  - metric: api_requests
    points: [{ at: month 3, value: [10k, 20k] }, { at: month 15, value: [100k, 150k] }]
  - metric: signups
    points: [{ at: month 1, value: 2 }, { at: month 24, value: 60 }]
`;

/** The v2 additions of one stage, indented to sit under its `name:`. */
function stageAdditions(id: string): string {
  return [
    `    planned: ${PLANNED[id] ?? '{ from: month 1 }'}`,
    '    budget:',
    ...BUDGET.map((line) => `      ${line}`),
    '    actions:',
    ...TODOS.map((todo) => `      - ${todo}`),
    '',
  ].join('\n');
}

function v2Yaml(): string {
  let text = BENCH_ROADMAP_YAML.replace(
    /^# .*\n/,
    '# Written by bench/run.ts: the v1 bench roadmap plus format v2 parts.\n',
  )
    // The v1 `budget: { min, max }` gives way to the map of lines.
    .replace(/^ {4}budget: \{ min: \d+, max: \d+ \}\n/m, '')
    .replace(/^(name: .*)$/m, '$1 (format v2)');
  text = text.replace(
    /^( {2}- id: (tier\d+)\n {4}name: .*\n)/gm,
    (_match, head: string, id: string) => `${head}${stageAdditions(id)}`,
  );
  if (!/^targets:/m.test(text))
    throw new Error('bench roadmap: no targets section to insert before');
  return text.replace(/^targets:/m, `${TRACKS}targets:`);
}

export const BENCH_V2_ROADMAP_YAML = v2Yaml();

/** Writes the v2 bench roadmap into a fresh roadmaps folder and loads it, failing loudly on problems. */
export async function loadBenchRoadmapV2(): Promise<{
  registry: RoadmapRegistry;
  roadmap: Roadmap;
  dir: string;
}> {
  const dir = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-bench-roadmaps-v2-'));
  await writeFile(path.join(dir, `${BENCH_ROADMAP_ID}.yaml`), BENCH_V2_ROADMAP_YAML);
  const registry = new RoadmapRegistry(dir);
  const [status] = await registry.reload();
  if (!status || status.errors.length > 0) {
    throw new Error(
      `v2 bench roadmap does not load:\n${status?.errors.map((e) => `${e.line}:${e.column}: ${e.message}`).join('\n')}`,
    );
  }
  const roadmap = registry.get(BENCH_ROADMAP_ID);
  if (!roadmap) throw new Error('v2 bench roadmap did not load');
  const shape = {
    tracks: roadmap.tracks.length,
    plans: roadmap.plans.length,
    budgetLinesPerStage: Math.min(...roadmap.stages.map((s) => s.budgetLines.length)),
    todosPerStage: Math.min(...roadmap.stages.map((s) => s.todos.length)),
  };
  if (JSON.stringify(shape) !== JSON.stringify(V2_SHAPE))
    throw new Error(
      `v2 bench roadmap: expected ${JSON.stringify(V2_SHAPE)}, got ${JSON.stringify(shape)}`,
    );
  return { registry, roadmap, dir };
}
