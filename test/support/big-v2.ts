/*
 * A big synthetic v2 roadmap for the platforms' limits (issue 14, "Messages people read"): 5
 * tracks, 10 budget lines with expressions, 5 plans and 20 to-dos with long texts, with values
 * that make every part as loud as it gets (lines over, tracks over capacity, to-dos due and
 * overdue, plans behind), so every message is as long as it can be.
 */
import { composeDigest, type DigestSnapshot } from '../../src/core/digest/compose.js';
import { evaluateRoadmap, type Report } from '../../src/core/evaluate/report.js';
import type { Forecast } from '../../src/core/forecast/forecast.js';
import type { ForecastedReport } from '../../src/core/forecast/report.js';
import { statusMessage } from '../../src/core/messages/compose.js';
import { budgetMessage, planMessage, tracksMessage } from '../../src/core/messages/ladders.js';
import type { Message } from '../../src/core/messages/model.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { snapshotOf, stateIn } from './roadmaps.js';

export const BIG_V2_ID = 'big-v2';

const LONG =
  'Migrate the write path of the order service to the partitioned tables, then backfill the archive, verify row counts against the ledger, and only then switch the read replicas over — a long to-do text as people really write them in roadmaps';

/** The YAML text of the big roadmap. */
export function bigV2Yaml(): string {
  const out: string[] = [
    `id: ${BIG_V2_ID}`,
    'name: Big synthetic roadmap with every v2 part at its largest — tracks, budget lines, plans, to-dos',
    'timezone: Europe/Berlin',
    'start: 2026-01-01',
    'metrics:',
    '  active_users: { unit: count }',
    '  paid_users: { unit: count }',
    '  mrr: { unit: usd }',
  ];
  for (let i = 0; i < 10; i++) out.push(`  cost_${i}: { unit: usd, review: monthly }`);
  for (let i = 0; i < 5; i++)
    out.push(`  size_${i}: { unit: bytes }`, `  load_${i}: { unit: count }`);
  out.push(
    'stages:',
    '  - id: scale',
    '    name: Phase 1 — Scaling every component of the platform at once, with a long name',
    '    planned: { from: month 1, to: month 2 }',
    '    budget:',
  );
  for (let i = 0; i < 10; i++) {
    const max = i % 3 === 0 ? `"0.25 * active_users + ${i * 10}"` : String(500 + i * 100);
    const per = i === 9 ? ', per: year' : '';
    out.push(`      line_with_a_long_id_${i}: { max: ${max}, metric: cost_${i}${per} }`);
  }
  out.push('    team:');
  for (let i = 0; i < 5; i++)
    out.push(
      `      - { role: Engineer of a long-named kind ${i}, count: ${i + 1}, cost: ${4000 + i * 500}, metric: load_${i} }`,
    );
  out.push('    actions:');
  for (let i = 0; i < 20; i++) {
    const when = i % 2 === 0 ? `, when: active_users >= ${i * 10}` : '';
    const by = i % 2 === 1 ? ', by: month 1' : '';
    out.push(`      - { id: todo-${i}, text: "${i}: ${LONG}"${when}${by} }`);
  }
  out.push(
    '    upgrade:',
    '      when: paid_users >= 100000 and mrr >= $1M',
    '  - id: next',
    '    name: Phase 2',
    'tracks:',
  );
  for (let t = 0; t < 5; t++) {
    out.push(
      `  - id: track_${t}`,
      `    name: Component ${t} with a long descriptive name (managed service)`,
      '    steps:',
      `      - { id: s0, name: Free tier of component ${t}, capacity: { size_${t}: 500MB, load_${t}: 100 } }`,
      `      - { id: s1, name: Pro tier of component ${t}, when: active_users >= 50, capacity: { size_${t}: 8GB }, cost: 25 }`,
      `      - { id: s2, name: Team tier of component ${t}, when: active_users >= 1000, cost: 599 }`,
      `      - { id: s3, name: Enterprise tier of component ${t}, when: active_users >= 100000, cost: 5000 }`,
    );
  }
  out.push('plan:');
  for (let p = 0; p < 5; p++) {
    if (p % 2 === 0)
      out.push(
        `  - metric: ${p === 0 ? 'mrr' : `load_${p}`}`,
        '    scenarios:',
        '      conservative: [{ at: month 1, value: 5000 }, { at: month 12, value: 20000 }]',
        '      optimistic: [{ at: month 1, value: 10000 }, { at: month 12, value: 50000 }]',
      );
    else
      out.push(
        `  - metric: load_${p}`,
        '    by: active_users',
        '    points: [{ at: 1000, value: [100, 200] }, { at: 10000, value: 1000 }]',
      );
  }
  return out.join('\n') + '\n';
}

/** Values that make every part loud: lines over, tracks over capacity, plans behind. */
export function bigV2Values(): Record<string, number> {
  const values: Record<string, number> = { active_users: 5000, paid_users: 10, mrr: 1000 };
  for (let i = 0; i < 10; i++) values[`cost_${i}`] = 100_000 + i;
  for (let i = 0; i < 5; i++) {
    values[`size_${i}`] = 9e8;
    values[`load_${i}`] = 150;
  }
  return values;
}

/** The big roadmap, loaded (failing loudly with its problems). */
export function bigV2Roadmap(): Roadmap {
  const result = loadRoadmap(`${BIG_V2_ID}.yaml`, bigV2Yaml());
  if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
  return result.roadmap;
}

/** Mid-March 2026: the stage late, month-1 to-dos overdue, every `when` holding. */
export const BIG_V2_AT = new Date('2026-03-15T10:00:00Z');

/** The big roadmap evaluated at its loudest, with a burn date for every line that is not over. */
export function bigV2Report(): ForecastedReport {
  const roadmap = bigV2Roadmap();
  const at = new Date(BIG_V2_AT.getTime() - 60_000);
  const report = evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, bigV2Values(), at),
    stateIn(),
    BIG_V2_AT,
  );
  const eta = new Date(BIG_V2_AT.getTime() + 86_400_000);
  const burn: Forecast = { status: 'eta', eta, low: eta, high: null, model: 'linear', r2: 0.5 };
  return {
    ...report,
    forecasts: {
      triggers: new Map(),
      targets: new Map(),
      budgets: new Map((report.budget?.lines ?? []).map((l) => [l.id, burn])),
    },
  };
}

/**
 * Every message that shows the v2 parts, for `report`: status, `budget`, `plan`, `tracks`, and
 * a digest against a previous one where every plan was on plan and no track was due (so every
 * plan change, to-do and track shows in it).
 */
export function v2Messages(report: Report | ForecastedReport): Record<string, Message> {
  const previous: DigestSnapshot = {
    takenAt: new Date(report.evaluatedAt.getTime() - 30 * 86_400_000).toISOString(),
    stageId: report.stage.id,
    gatesPassed: [],
    triggers: {},
    stale: [],
    plans: Object.fromEntries(report.plans.map((p) => [p.metric, 'on_plan'])),
    tracksDue: {},
  };
  return {
    status: statusMessage(report),
    budget: budgetMessage(report),
    plan: planMessage(report),
    tracks: tracksMessage(report),
    digest: composeDigest({
      report,
      headline: [],
      previous,
      episodes: [],
      localDate: '2026-03-15',
      late: true,
    }),
  };
}
