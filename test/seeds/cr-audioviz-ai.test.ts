import { describe, expect, it } from 'vitest';
import type { RoadmapState, Report } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';
import { describeLedgerAgreement } from './fidelity-ledger.js';

/**
 * roadmaps/cr-audioviz-ai.yaml walked through its document (seed 000, "CR AudioViz AI -
 * Scaling Roadmap"): each test names the document line whose number it checks. Month N counts
 * from `start` (2025-11-21, the document's Month 0) in America/New_York.
 */

const roadmap = shippedRoadmap('cr-audioviz-ai');

// The ends of the document's months, in New York (EST in winter, EDT in summer).
const MONTH_0 = new Date('2025-11-21T05:00:00Z');
const END_M3 = new Date('2026-02-21T05:00:00Z');
const END_M6 = new Date('2026-05-21T04:00:00Z');
const END_M9 = new Date('2026-08-21T04:00:00Z');
const END_M14 = new Date('2027-01-21T05:00:00Z');
// A day inside each projection period: Month 1-3, 4-6, 7-9, 10-14.
const IN_M1_3 = new Date('2026-01-10T12:00:00Z');
const IN_M4_6 = new Date('2026-04-10T12:00:00Z');
const IN_M7_9 = new Date('2026-07-10T12:00:00Z');
const IN_M10_14 = new Date('2026-11-10T12:00:00Z');
const MINUTE = 60_000;
const DAY = 86_400_000;

const before = (d: Date, ms = MINUTE) => new Date(d.getTime() - ms);

/** The roadmap evaluated at `now` in `stage`, every value recorded a minute earlier. */
function evaluate(
  stage: string,
  values: Record<string, number | boolean>,
  now: Date,
  state: Partial<RoadmapState> = {},
): Report {
  return evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, values, before(now)),
    { ...stateIn(stage, MONTH_0), ...state },
    now,
  );
}

const trigger = (r: Report, id: string) => r.triggers.find((t) => t.id === id)?.state;
const line = (r: Report, id: string) => r.budget?.lines.find((l) => l.id === id);
const plan = (r: Report, metric: string) => r.plans.find((p) => p.metric === metric);
const track = (r: Report, id: string) => r.tracks.find((t) => t.id === id);

describe('cr-audioviz-ai: phases, targets and the timeline', () => {
  it('each phase is planned on its months and its target falls due at the end of them', () => {
    const spans = roadmap.stages.map((s) => [
      s.id,
      s.planned?.from?.at.toISOString(),
      s.planned?.to?.at.toISOString(),
    ]);
    expect(spans).toEqual([
      ['phase1', MONTH_0.toISOString(), END_M3.toISOString()], // doc L28 "(Months 1-3)"
      ['phase2', END_M3.toISOString(), END_M6.toISOString()], // doc L54 "(Months 4-6)"
      ['phase3', END_M6.toISOString(), END_M9.toISOString()], // doc L81 "(Months 7-9)"
      ['phase4', END_M9.toISOString(), END_M14.toISOString()], // doc L108 "(Months 10-14)"
      ['phase5', undefined, undefined], // after the 14-month plan: no months in the document
    ]);
    const deadlines = Object.fromEntries(
      roadmap.targets.map((t) => [t.id, t.deadline?.toISOString()]),
    );
    expect(deadlines).toEqual({
      'phase1-target': END_M3.toISOString(),
      'phase2-target': END_M6.toISOString(),
      'phase3-target': END_M9.toISOString(),
      'phase4-target': END_M14.toISOString(),
      vision: END_M14.toISOString(), // doc L3 "$1M ARR in 14 Months"
      'read-replicas': END_M6.toISOString(), // doc L368 "Implement read replicas by Month 6"
    });
  });

  it('a team still in Phase 1 after month 3 is told it is late; one in Phase 2 early, early', () => {
    // doc L28 "Phase 1: Launch (Months 1-3)"
    expect(evaluate('phase1', {}, before(END_M3)).stage.planned?.state).toBe('on_time');
    expect(evaluate('phase1', {}, END_M3).stage.planned?.state).toBe('late');
    // doc L54 "Phase 2: Growth (Months 4-6)"
    expect(evaluate('phase2', {}, IN_M1_3).stage.planned?.state).toBe('early');
    expect(evaluate('phase2', {}, IN_M4_6).stage.planned?.state).toBe('on_time');
  });

  it.each([
    // [stage, doc line, just short of the target, at the target]
    [
      'phase1',
      'L30 "100 paying users | $10K MRR"',
      { paying_users: 99, mrr: 10000 },
      { paying_users: 100, mrr: 10000 },
    ],
    [
      'phase2',
      'L56 "500 users | $50K MRR"',
      { active_users: 500, mrr: 49999 },
      { active_users: 500, mrr: 50000 },
    ],
    [
      'phase3',
      'L83 "2,000 users | $150K MRR"',
      { active_users: 1999, mrr: 150000 },
      { active_users: 2000, mrr: 150000 },
    ],
    [
      'phase4',
      'L110 "10,000 users | $1M MRR"',
      { active_users: 10000, mrr: 999999 },
      { active_users: 10000, mrr: 1e6 },
    ],
  ])('%s moves on at its target, doc %s, and not before', (stage, _doc, short, reached) => {
    expect(trigger(evaluate(stage, short, IN_M4_6), `${stage}.upgrade`)).not.toBe('firing');
    expect(trigger(evaluate(stage, reached, IN_M4_6), `${stage}.upgrade`)).toBe('firing');
  });

  it('the team on the MRR path is on plan, a team behind it is told so', () => {
    // doc L14 "$0 MRR" at Month 0, L30 "$10K MRR" by month 3, L56 "$50K MRR" by month 6
    expect(plan(evaluate('phase1', { mrr: 10000 }, END_M3), 'mrr')?.state).toBe('on_plan');
    expect(plan(evaluate('phase1', { mrr: 7000 }, END_M3), 'mrr')?.state).toBe('behind');
    expect(plan(evaluate('phase2', { mrr: 50000 }, END_M6), 'mrr')?.state).toBe('on_plan');
    expect(plan(evaluate('phase2', { mrr: 30000 }, END_M6), 'mrr')?.state).toBe('behind');
    // doc L83 "2,000 users" by month 9, L110 "10,000 users" by month 14
    expect(plan(evaluate('phase3', { active_users: 2000 }, END_M9), 'active_users')?.state).toBe(
      'on_plan',
    );
    expect(plan(evaluate('phase4', { active_users: 6000 }, END_M14), 'active_users')?.state).toBe(
      'behind',
    );
    // The target itself: open until the end of month 3, missed after.
    const target = (r: Report) => r.targets.find((t) => t.id === 'phase1-target')?.state;
    const short = { paying_users: 80, mrr: 8000 };
    expect(target(evaluate('phase1', short, before(END_M3)))).toBe('open');
    expect(target(evaluate('phase1', short, END_M3))).toBe('missed');
  });

  it('keeps the performance goals per phase (doc L310-313, L320-323, L327)', () => {
    const goals = {
      phase1: [500, 99.5],
      phase2: [300, 99.7],
      phase3: [200, 99.9],
      phase4: [150, 99.95],
    };
    for (const [stage, [p95, uptime]] of Object.entries(goals) as [string, [number, number]][]) {
      const met = evaluate(
        stage,
        { response_time_p95: p95 - 1, uptime, error_rate: 0.09 },
        IN_M4_6,
      );
      expect(met.gates.map((g) => [g.id, g.passed])).toEqual([
        ['p95', true],
        ['uptime', true],
        ['error-rate', true],
      ]);
      const missed = evaluate(
        stage,
        { response_time_p95: p95, uptime: uptime - 0.01, error_rate: 0.1 },
        IN_M4_6,
      );
      expect(
        missed.gates.every((g) => !g.passed),
        stage,
      ).toBe(true);
    }
  });
});

describe('cr-audioviz-ai: money', () => {
  it('a team spending the document\'s infrastructure projection is within budget, never "under"', () => {
    // doc L258 "Total: ~$1,500/month" (months 4-6) against L79 "Cost: $2,000/month → $5,000/month";
    // L267 ~$5,000 against L106; L277 ~$15,000 against L133. The old file read "under" (#15).
    // From the first instant of the phase to its last; the cost plan steps up to the period's
    // figure during its first day, so it is on plan from the second.
    const cases: [string, number, Date, Date][] = [
      ['phase2', 1500, END_M3, END_M6],
      ['phase3', 5000, END_M6, END_M9],
      ['phase4', 15000, END_M9, END_M14],
    ];
    for (const [stage, projected, start, end] of cases) {
      const middle = new Date((start.getTime() + end.getTime()) / 2);
      for (const now of [start, new Date(start.getTime() + DAY), middle, before(end)]) {
        const report = evaluate(stage, { infra_cost: projected }, now);
        expect({ stage, now, state: report.budget?.state }).toEqual({
          stage,
          now,
          state: 'within',
        });
        expect(report.budget?.min).toBeUndefined();
        if (now !== start) expect(plan(report, 'infra_cost')?.state).toBe('on_plan');
      }
    }
  });

  it.each([
    // [stage, doc line, ramp from, ramp to, start, end]
    ['phase1', 'L52', 500, 1500, MONTH_0, END_M3],
    ['phase2', 'L79', 2000, 5000, END_M3, END_M6],
    ['phase3', 'L106', 10000, 20000, END_M6, END_M9],
    ['phase4', 'L133', 50000, 100000, END_M9, END_M14],
  ] as const)(
    '%s "Cost:" (doc %s) is a ceiling rising from %d to %d across the phase',
    (stage, _doc, from, to, start, end) => {
      expect(line(evaluate(stage, { infra_cost: from }, start), 'infra')).toMatchObject({
        max: from,
        state: 'within',
      });
      expect(line(evaluate(stage, { infra_cost: from + 1 }, start), 'infra')?.state).toBe('over');
      expect(line(evaluate(stage, { infra_cost: to }, end), 'infra')).toMatchObject({
        max: to,
        state: 'within',
      });
      const over = evaluate(stage, { infra_cost: to + 1 }, end);
      expect(line(over, 'infra')?.state).toBe('over');
      expect(trigger(over, 'budget.infra')).toBe('firing');
      // Halfway through the phase the ceiling is halfway up.
      const middle = new Date((start.getTime() + end.getTime()) / 2);
      expect(line(evaluate(stage, { infra_cost: 1 }, middle), 'infra')?.max).toBeCloseTo(
        (from + to) / 2,
        0,
      );
    },
  );

  it('infrastructure spend by month follows the projection, a step per period (doc L246-277)', () => {
    // Each period's figure holds from its first day to its last; ~ is read as ±10%.
    const periods: [Date, Record<string, number | undefined>][] = [
      // doc L247-250 "Vercel: $200/month", "Supabase: $25/month", "APIs (AI): $200/month", "~$500"
      [
        IN_M1_3,
        {
          infra_cost: 500,
          vercel_cost: 200,
          supabase_cost: 25,
          ai_api_cost: 200,
          redis_cost: undefined,
          cdn_cost: undefined,
          monitoring_cost: undefined,
        },
      ],
      // doc L253-258
      [
        IN_M4_6,
        {
          infra_cost: 1500,
          vercel_cost: 500,
          supabase_cost: 50,
          ai_api_cost: 800,
          redis_cost: 30,
          cdn_cost: 50,
          monitoring_cost: undefined,
        },
      ],
      // doc L261-267
      [
        IN_M7_9,
        {
          infra_cost: 5000,
          vercel_cost: 1500,
          supabase_cost: 200,
          ai_api_cost: 2500,
          redis_cost: 100,
          cdn_cost: 200,
          monitoring_cost: 100,
        },
      ],
      // doc L270-277
      [
        IN_M10_14,
        {
          infra_cost: 15000,
          vercel_cost: 4000,
          supabase_cost: 1000,
          ai_api_cost: 8000,
          redis_cost: 300,
          cdn_cost: 500,
          monitoring_cost: 300,
        },
      ],
    ];
    for (const [now, figures] of periods) {
      const values = Object.fromEntries(Object.entries(figures).map(([m, v]) => [m, v ?? 1]));
      const onPlan = evaluate('phase1', values, now);
      const ahead = evaluate(
        'phase1',
        Object.fromEntries(Object.entries(values).map(([m, v]) => [m, v * 1.2])),
        now,
      );
      const behind = evaluate(
        'phase1',
        Object.fromEntries(Object.entries(values).map(([m, v]) => [m, v * 0.8])),
        now,
      );
      for (const [metric, figure] of Object.entries(figures)) {
        const where = { now, metric };
        if (figure === undefined) {
          // Not in the document's breakdown for this period yet.
          expect({ ...where, state: plan(onPlan, metric)?.state }).toEqual({
            ...where,
            state: 'before_plan',
          });
          continue;
        }
        expect({ ...where, expected: plan(onPlan, metric)?.expected }).toEqual({
          ...where,
          expected: figure,
        });
        expect({ ...where, state: plan(onPlan, metric)?.state }).toEqual({
          ...where,
          state: 'on_plan',
        });
        expect({ ...where, state: plan(ahead, metric)?.state }).toEqual({
          ...where,
          state: 'ahead',
        });
        expect({ ...where, state: plan(behind, metric)?.state }).toEqual({
          ...where,
          state: 'behind',
        });
      }
    }
    // The step: ~$1,500 is ahead on the last day of month 3 and on plan from the second of month 4.
    expect(
      plan(evaluate('phase1', { infra_cost: 1500 }, before(END_M3, DAY / 2)), 'infra_cost')?.state,
    ).toBe('ahead');
    expect(
      plan(evaluate('phase2', { infra_cost: 1500 }, new Date(END_M3.getTime() + DAY)), 'infra_cost')
        ?.state,
    ).toBe('on_plan');
  });

  it.each([
    // [stage, doc line, the team line]
    ['phase1', 'L281 "$0 (founders only)"', 0],
    ['phase2', 'L283 "$15,000/month"', 15000],
    ['phase3', 'L289-292 (adds to $48,000; L288 says $40,000)', 48000],
    ['phase4', 'L294 "$150,000/month"', 150000],
  ] as const)('%s team costs, doc %s: within at the figure, over above it', (stage, _doc, max) => {
    expect(line(evaluate(stage, { team_cost: max }, IN_M4_6), 'team')).toMatchObject({
      max,
      state: 'within',
    });
    const over = evaluate(stage, { team_cost: max + 1 }, IN_M4_6);
    expect(line(over, 'team')?.state).toBe('over');
    expect(trigger(over, 'budget.team')).toBe('firing');
  });

  it('each phase needs the people its team costs name, and they add up to its team line', () => {
    const roles = (stage: string) =>
      evaluate(stage, {}, IN_M4_6).team.map((r) => [r.role, r.count, r.cost]);
    // doc L50 "Train support team (1 person)"; L281 "$0 (founders only)"
    expect(roles('phase1')).toEqual([['Support', 1, 0]]);
    // doc L73 "Hire 2 support reps"; L284-285
    expect(roles('phase2')).toEqual([
      ['Support rep', 2, 3000],
      ['Developer (contract)', 1, 8000],
    ]);
    // doc L100 "5-person support team", L101 "Sales team (2 people)"; L289-291
    expect(roles('phase3')).toEqual([
      ['Support rep', 5, 3000],
      ['Developer', 2, 10000],
      ['Sales rep', 2, 5000],
    ]);
    // doc L295-298
    expect(roles('phase4')).toEqual([
      ['Support', 10, 3500],
      ['Developer', 5, 12000],
      ['Sales/Marketing', 5, 7000],
      ['Ops', 2, 5000],
    ]);
    // doc L127 "20-person team": support, developers and sales/marketing; Ops on top (L298).
    expect(
      evaluate('phase4', {}, IN_M4_6)
        .team.filter((r) => r.role !== 'Ops')
        .reduce((n, r) => n + r.count, 0),
    ).toBe(20);
    // People plus "Tools/Software" (doc L286, L292, L299) make each phase's team line.
    const tools = { phase2: 1000, phase3: 3000, phase4: 10000 };
    for (const [stage, t] of Object.entries(tools)) {
      const report = evaluate(stage, {}, IN_M4_6);
      const people = report.team.reduce((sum, r) => sum + r.count * (r.cost ?? 0), 0);
      expect({ stage, total: people + t }).toEqual({ stage, total: line(report, 'team')?.max });
    }
  });

  it('tracks AI cost per user (doc L372 "Implement cost per user tracking")', () => {
    const report = evaluate('phase2', { ai_api_cost: 800, active_users: 400 }, IN_M4_6);
    expect(report.metrics.find((m) => m.name === 'ai_cost_per_user')?.value).toBe(2);
  });
});

describe("cr-audioviz-ai: component upgrades come due at the document's users, not before", () => {
  it.each([
    // doc L143 "Phase 1-2 (0-500 users)", L149 "Phase 3 (500-2,000 users)",
    // L155 "Phase 4 (2,000-10,000 users)", L161 "Phase 5 (10,000+ users)"
    [0, 'single'],
    [499, 'single'],
    [500, 'read-replicas'],
    [1999, 'read-replicas'],
    [2000, 'sharding'],
    [9999, 'sharding'],
    [10000, 'multi-region'],
  ])('database at %d active users: %s', (users, step) => {
    expect(track(evaluate('phase1', { active_users: users }, IN_M1_3), 'database')?.due.id).toBe(
      step,
    );
  });

  it('the Phase 5 database move comes at 10,000 users whatever the revenue (doc L161)', () => {
    // The old file reached it only through the $1M MRR Phase 4 target: 12,000 users at $400k
    // MRR said nothing about the databases (#15).
    const report = evaluate('phase4', { active_users: 12000, mrr: 400000 }, IN_M10_14, {
      trackSteps: new Map([['database', { step: 'sharding', since: IN_M7_9 }]]),
    });
    expect(trigger(report, 'phase4.upgrade')).not.toBe('firing');
    expect(track(report, 'database')).toMatchObject({
      current: { id: 'sharding' },
      due: { id: 'multi-region' },
      state: 'upgrade_due',
    });
    expect(trigger(report, 'database.upgrade')).toBe('firing');
    // A team that made the move is told nothing more.
    const moved = evaluate('phase4', { active_users: 12000, mrr: 400000 }, IN_M10_14, {
      trackSteps: new Map([['database', { step: 'multi-region', since: IN_M10_14 }]]),
    });
    expect(track(moved, 'database')?.state).toBe('ok');
    expect(trigger(moved, 'database.upgrade')).toBeUndefined();
  });

  it('hybrid serverless + containers comes due at 10,000 users (doc L186)', () => {
    expect(
      track(evaluate('phase4', { active_users: 9999 }, IN_M10_14), 'application')?.due.id,
    ).toBe('serverless');
    const at = evaluate('phase4', { active_users: 10000 }, IN_M10_14);
    expect(track(at, 'application')?.due.id).toBe('hybrid');
    expect(trigger(at, 'application.upgrade')).toBe('firing');
  });

  it("each phase's numbered to-dos are open until the end of the phase's months, overdue after", () => {
    const cases: [string, string[], Date][] = [
      // doc L33 "Fix all 6 failing applications", L35 "first 10 revenue-generating tools",
      // L43 "Basic load testing (100 concurrent)", L50 "Train support team (1 person)"
      ['phase1', ['fix-failing-apps', 'first-10-tools', 'load-test-100', 'train-support'], END_M3],
      // doc L59 "Complete all 60 tools", L66 "Scale to 500 concurrent users"
      ['phase2', ['all-60-tools', 'scale-500-concurrent'], END_M6],
      // doc L87 "1,200 games integration", L93 "Scale to 2,000 concurrent users"
      ['phase3', ['games-1200', 'scale-2000-concurrent'], END_M9],
      // doc L115 "Advanced integrations (1000+)", L120 "Scale to 10,000+ concurrent users"
      ['phase4', ['integrations-1000', 'scale-10000-concurrent'], END_M14],
    ];
    for (const [stage, ids, end] of cases) {
      const states = (now: Date, state: Partial<RoadmapState> = {}) =>
        evaluate(stage, {}, now, state).actions.map((a) => [a.id, a.state]);
      expect(states(before(end))).toEqual(ids.map((id) => [id, 'open']));
      expect(states(end)).toEqual(ids.map((id) => [id, 'overdue']));
      const ticked = new Map(ids.map((id) => [id, { done: true, actor: 'roy', at: before(end) }]));
      expect(states(end, { todoChecks: ticked })).toEqual(ids.map((id) => [id, 'done']));
    }
  });
});

describe('cr-audioviz-ai: alerts in their phases', () => {
  it('warns at the Month 0 capacity of ~100 concurrent users in Phase 1 only (doc L22)', () => {
    expect(
      trigger(evaluate('phase1', { concurrent_users: 99 }, IN_M1_3), 'concurrent-capacity'),
    ).toBe('approaching');
    expect(
      trigger(evaluate('phase1', { concurrent_users: 100 }, IN_M1_3), 'concurrent-capacity'),
    ).toBe('firing');
    // doc L66 "Scale to 500 concurrent users" in Phase 2: from there the 500+ bottleneck (L359) watches.
    const phase2 = evaluate('phase2', { concurrent_users: 300 }, IN_M4_6);
    expect(trigger(phase2, 'concurrent-capacity')).toBeUndefined();
    expect(trigger(phase2, 'real-time-features')).toBe('ok');
  });

  it('keeps serverless at 80% of the workload in phases 1-4 (doc L183), not after (L186)', () => {
    expect(
      trigger(evaluate('phase3', { serverless_share: 80 }, IN_M7_9), 'serverless-share'),
    ).not.toBe('firing');
    expect(trigger(evaluate('phase3', { serverless_share: 79 }, IN_M7_9), 'serverless-share')).toBe(
      'firing',
    );
    expect(
      trigger(evaluate('phase5', { serverless_share: 50 }, IN_M10_14), 'serverless-share'),
    ).toBeUndefined();
  });

  it('warns at the 60-second function timeout (doc L178) and at P95 back at 1000ms (doc L307)', () => {
    expect(
      trigger(evaluate('phase2', { function_duration_max: 47 }, IN_M4_6), 'function-timeout'),
    ).toBe('ok');
    expect(
      trigger(evaluate('phase2', { function_duration_max: 50 }, IN_M4_6), 'function-timeout'),
    ).toBe('approaching');
    expect(
      trigger(evaluate('phase2', { function_duration_max: 60 }, IN_M4_6), 'function-timeout'),
    ).toBe('firing');
    expect(
      trigger(evaluate('phase2', { response_time_p95: 999 }, IN_M4_6), 'p95-worse-than-month-0'),
    ).not.toBe('firing');
    expect(
      trigger(evaluate('phase2', { response_time_p95: 1000 }, IN_M4_6), 'p95-worse-than-month-0'),
    ).toBe('firing');
  });
});

describe('cr-audioviz-ai: review cadences (doc L393-406, L332)', () => {
  /** Evaluates with each metric recorded `ago` before now. */
  function recordedAgo(stage: string, values: Record<string, number>, ago: number, now: Date) {
    return evaluateRoadmap(
      roadmap,
      snapshotOf(roadmap, values, new Date(now.getTime() - ago)),
      stateIn(stage, MONTH_0),
      now,
    );
  }

  it('a monthly infra cost entered 10 days ago still counts against the budget', () => {
    // doc L401-402 "Review Monthly: Infrastructure costs"; the old file read `unknown` after 7 days.
    const report = recordedAgo('phase2', { infra_cost: 1500 }, 10 * DAY, IN_M4_6);
    expect(report.budget?.state).toBe('within');
    expect(report.metrics.find((m) => m.name === 'infra_cost')?.reviewDue).toBe(false);
    // A month and a week later it is stale, and due a review.
    const late = recordedAgo('phase2', { infra_cost: 1500 }, 40 * DAY, IN_M4_6);
    expect(late.budget?.state).toBe('unknown');
    expect(late.metrics.find((m) => m.name === 'infra_cost')?.reviewDue).toBe(true);
  });

  it('churn and LTV/CAC are reviewed monthly, the weekly metrics weekly', () => {
    // doc L405-406 "Churn rate", "LTV/CAC ratio"; L394-399 "Track Weekly"
    const monthly = recordedAgo('phase2', { monthly_churn: 3, ltv_cac: 3 }, 20 * DAY, IN_M4_6);
    expect(monthly.stale.map((s) => s.metric)).not.toContain('monthly_churn');
    expect(monthly.stale.map((s) => s.metric)).not.toContain('ltv_cac');
    const review = Object.fromEntries([...roadmap.metrics.values()].map((m) => [m.name, m.review]));
    expect(review).toMatchObject({
      active_users: 'weekly',
      mrr: 'weekly',
      response_time_p95: 'weekly',
      support_tickets: 'weekly',
      nps: 'weekly',
      infra_cost: 'monthly',
      team_efficiency: 'monthly',
      feature_velocity: 'monthly',
      monthly_churn: 'monthly',
      ltv_cac: 'monthly',
      error_rate: 'daily', // doc L332 "Daily error review"
    });
  });

  it('the error rate is due a review daily but its gates keep their 7 days of data (doc L332)', () => {
    const report = recordedAgo('phase2', { error_rate: 0.05 }, 2 * DAY, IN_M4_6);
    expect(report.metrics.find((m) => m.name === 'error_rate')?.reviewDue).toBe(true);
    expect(report.gates.find((g) => g.id === 'error-rate')?.passed).toBe(true);
  });
});

describeLedgerAgreement('cr-audioviz-ai');
