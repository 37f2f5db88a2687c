import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState, Snapshot } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';

/**
 * roadmaps/mirai.yaml walked through its document, "MIRAI SaaS Platform - Scaling Roadmap"
 * (/work/shared/seeds/001_f3a35f0d719f0415.txt): each test names the line it checks. The
 * ledger docs/seeds/mirai.md lists every commitment; the last block checks it against the file.
 */

const roadmap = shippedRoadmap('mirai');
const NOW = new Date('2026-06-15T12:00:00Z');
const MINUTE_AGO = new Date(NOW.getTime() - 60_000);
const MONTH_AGO = new Date(NOW.getTime() - 30 * 86_400_000);
const DAY = 86_400_000;

type Values = Record<string, number | boolean>;
interface Memory {
  /** Track id → its current step (a track not listed stands at its first step). */
  tracks?: Record<string, string>;
  /** To-dos latched due a month ago. */
  due?: string[];
  /** To-dos ticked. */
  done?: string[];
  /** Metrics whose only point is this many days old. */
  olderByDays?: Record<string, number>;
}

function evaluate(stage: string, values: Values, memory: Memory = {}): Report {
  const base = snapshotOf(roadmap, values, MINUTE_AGO);
  const latest = new Map(base.latest);
  for (const [metric, days] of Object.entries(memory.olderByDays ?? {})) {
    const point = latest.get(metric);
    if (point) latest.set(metric, { ...point, at: new Date(NOW.getTime() - days * DAY) });
  }
  const snapshot: Snapshot = { latest, windows: base.windows };
  const state: RoadmapState = {
    ...stateIn(stage),
    trackSteps: new Map(
      Object.entries(memory.tracks ?? {}).map(([id, step]) => [id, { step, since: MONTH_AGO }]),
    ),
    todosDue: new Map((memory.due ?? []).map((id) => [id, MONTH_AGO])),
    todoChecks: new Map(
      (memory.done ?? []).map((id) => [id, { done: true, actor: 'test', at: MONTH_AGO }]),
    ),
  };
  return evaluateRoadmap(roadmap, snapshot, state, NOW);
}

const trigger = (r: Report, id: string) => r.triggers.find((t) => t.id === id);
const todo = (r: Report, id: string) => r.actions.find((a) => a.id === id);
const track = (r: Report, id: string) => r.tracks.find((t) => t.id === id);
const line = (r: Report, id: string) => r.budget?.lines.find((l) => l.id === id);
const total = (r: Report, per: string) => r.budget?.totals.find((t) => t.per === per);
const plan = (r: Report, metric: string) => r.plans.find((p) => p.metric === metric);
const role = (r: Report, name: string) => r.team.find((t) => t.role === name);
const gate = (r: Report, id: string) => r.gates.find((g) => g.id === id);

describe('the Supabase decision tree is one track: one leaf due at a time', () => {
  // [doc line, users below, step due below, users at, step due at]
  it.each([
    ['L97, L431-432: "Stay on Free Tier until 50 users"', 49, 'free', 50, 'pro'],
    ['L433-434: "< 1000 users? Yes → Supabase Pro"', 999, 'pro', 1000, 'team'],
    [
      'L435-437: "< 10000 users? Yes → Team; No → Enterprise/Self-hosted"',
      9999,
      'team',
      10000,
      'enterprise',
    ],
    [
      'L356, L400: Phase 5 (100,000+) on Aurora or CockroachDB',
      99999,
      'enterprise',
      100000,
      'global',
    ],
  ] as const)('%s', (_doc, below, dueBelow, at, dueAt) => {
    expect(track(evaluate('phase2', { active_users: below }), 'database')?.due.id).toBe(dueBelow);
    expect(track(evaluate('phase2', { active_users: at }), 'database')?.due.id).toBe(dueAt);
  });

  it('L429-437, L616-625: at 20,000 users in Phase 4 one move and one migration step are due, not six alerts at once', () => {
    // The shipped v1 file fired supabase-pro, -team, -enterprise and migration-007, -008,
    // -009-011 together here. Now: the tree's one next leaf, and Phase 4's migrations.
    const report = evaluate('phase4', { active_users: 20000 }, { tracks: { database: 'team' } });
    expect(report.triggers.map((t) => t.id).filter((id) => /supabase|migration/.test(id))).toEqual(
      [],
    );
    const database = report.triggers.filter(
      (t) => t.id.startsWith('database.') && t.state === 'firing',
    );
    expect(database.map((t) => t.id)).toEqual(['database.upgrade']);
    expect(database[0]?.message).toMatch(/from Supabase Team \(\$599\/mo\) to Supabase Enterprise/);
    expect(todo(report, 'apply-009-011')?.state).toBe('due');
    for (const other of ['apply-007', 'apply-008', 'apply-012'])
      expect(todo(report, other), other).toBeUndefined();
    // Once the team records the move, nothing more is asked of the database.
    const moved = evaluate(
      'phase4',
      { active_users: 20000 },
      { tracks: { database: 'enterprise' } },
    );
    expect(trigger(moved, 'database.upgrade')?.state).toBe('ok');
    expect(track(moved, 'database')?.state).toBe('ok');
  });

  it('L26, L695: the Free tier holds 500MB of database: approaching at 450MB, over at 600MB', () => {
    const near = evaluate('phase0', { active_users: 8, db_size: 450e6 });
    expect(track(near, 'database')?.state).toBe('approaching_capacity');
    const over = evaluate('phase0', { active_users: 8, db_size: 600e6 });
    expect(track(over, 'database')?.state).toBe('over_capacity');
    expect(trigger(over, 'database.capacity')?.state).toBe('firing');
  });

  it('L126-127: Pro "handles up to ~1,000 users easily" (8GB): approaching at 900 users, over at 9GB', () => {
    const pro = { tracks: { database: 'pro' } };
    expect(
      track(evaluate('phase2', { active_users: 900, db_size: 1e9 }, pro), 'database')?.state,
    ).toBe('approaching_capacity');
    expect(
      track(evaluate('phase2', { active_users: 600, db_size: 9e9 }, pro), 'database')?.state,
    ).toBe('over_capacity');
  });

  it('L697: the Team plan holds 16GB, 250GB bandwidth and 250GB storage', () => {
    const report = evaluate(
      'phase3',
      { active_users: 3000, db_size: 17e9, db_bandwidth: 100e9, file_storage: 100e9 },
      { tracks: { database: 'team' } },
    );
    expect(track(report, 'database')?.capacity.map((c) => [c.metric, c.limit, c.state])).toEqual([
      ['db_size', 16e9, 'over'],
      ['db_bandwidth', 250e9, 'ok'],
      ['file_storage', 250e9, 'ok'],
    ]);
  });
});

describe('"When You Actually Need It": each component comes due at its number and not before', () => {
  // [doc line, track, values below, step due below, values at, step due at]
  it.each([
    [
      'L708: "Redis: 1,000+ concurrent users"',
      'cache',
      { concurrent_users: 999 },
      'none',
      { concurrent_users: 1000 },
      'redis-sessions',
    ],
    [
      'L709: "Elasticsearch: 10,000+ users"',
      'search',
      { active_users: 9999, complex_search: false },
      'postgres-fts',
      { active_users: 10000, complex_search: false },
      'elasticsearch',
    ],
    [
      'L709: "… or complex search"',
      'search',
      { active_users: 500, complex_search: false },
      'postgres-fts',
      { active_users: 500, complex_search: true },
      'elasticsearch',
    ],
    [
      'L710: "Kubernetes: 50,000+ users"',
      'orchestration',
      { active_users: 49999 },
      'managed',
      { active_users: 50000 },
      'kubernetes',
    ],
    [
      'L712: "Microservices: 50+ engineers"',
      'architecture',
      { engineers: 49, active_users: 20000 },
      'monolith',
      { engineers: 50, active_users: 20000 },
      'microservices',
    ],
    [
      'L526: "Monolith until 10,000+ users", even with 50 engineers',
      'architecture',
      { engineers: 60, active_users: 9999 },
      'monolith',
      { engineers: 60, active_users: 10000 },
      'microservices',
    ],
    [
      'L713: "Data warehouse: 1M+ events/day"',
      'analytics',
      { events_per_day: 999_999 },
      'postgres',
      { events_per_day: 1_000_000 },
      'warehouse',
    ],
  ] as const)('%s', (_doc, id, below, dueBelow, at, dueAt) => {
    const before = evaluate('phase4', below);
    expect(track(before, id)?.due.id).toBe(dueBelow);
    expect(trigger(before, `${id}.upgrade`)?.state).not.toBe('firing');
    const after = evaluate('phase4', at);
    expect(track(after, id)?.due.id).toBe(dueAt);
    expect(trigger(after, `${id}.upgrade`)?.state).toBe('firing');
  });
});

describe('"at N users" to-dos come due at the document\'s number, only in their phase', () => {
  // [doc line, stage, to-do, values just below, values at]
  it.each([
    [
      'L98: "Consider Supabase Pro at 75+ users"',
      'phase1',
      'consider-supabase-pro',
      { active_users: 74 },
      { active_users: 75 },
    ],
    [
      'L445: "Payment Processing | 50 users | First customer | Phase 1"',
      'phase1',
      'payment-processing',
      { active_users: 49, paying_users: 0 },
      { active_users: 50, paying_users: 0 },
    ],
    [
      'L445: … or the first customer',
      'phase1',
      'payment-processing',
      { active_users: 20, paying_users: 0 },
      { active_users: 20, paying_users: 1 },
    ],
    [
      'L456: "100-1,000 users: +1 engineer"',
      'phase2',
      'hire-engineer',
      { active_users: 99 },
      { active_users: 100 },
    ],
    [
      'L622: "007_initial_scaling | At 500 users"',
      'phase2',
      'apply-007',
      { active_users: 499 },
      { active_users: 500 },
    ],
    [
      'L269, L623: "008_team_features | At 2,000 users"',
      'phase3',
      'apply-008',
      { active_users: 1999 },
      { active_users: 2000 },
    ],
    [
      'L238: "Consider Supabase Team plan ($599/month) at 5,000 users"',
      'phase3',
      'consider-supabase-team',
      { active_users: 4999 },
      { active_users: 5000 },
    ],
    [
      'L253: "Consider first DevOps hire at 8,000 users"',
      'phase3',
      'devops-hire',
      { active_users: 7999 },
      { active_users: 8000 },
    ],
    [
      'L446: "Team Features | 500 users | $5k MRR | Phase 3"',
      'phase3',
      'team-features',
      { active_users: 499, mrr: 4999 },
      { active_users: 499, mrr: 5000 },
    ],
    [
      'L447: "API Access | 1,000 users | Enterprise request | Phase 3"',
      'phase3',
      'api-access',
      { active_users: 999, enterprise_customer_interest: false },
      { active_users: 1000, enterprise_customer_interest: false },
    ],
    [
      'L457: "1,000-5,000 users: +2 engineers, +1 customer success"',
      'phase3',
      'hire-1k-5k',
      { active_users: 999 },
      { active_users: 1000 },
    ],
    [
      'L458: "5,000-10,000 users: +3 engineers, +1 DevOps, +2 CS"',
      'phase3',
      'hire-5k-10k',
      { active_users: 4999 },
      { active_users: 5000 },
    ],
    [
      'L624: "009-011_enterprise | At 15,000 users"',
      'phase4',
      'apply-009-011',
      { active_users: 14999 },
      { active_users: 15000 },
    ],
    [
      'L318: "SOC 2 Type I (start process at 20,000 users)"',
      'phase4',
      'soc2-type1',
      { active_users: 19999 },
      { active_users: 20000 },
    ],
    [
      'L448: "SSO/SAML | 5,000 users | $50k MRR | Phase 4"',
      'phase4',
      'sso-saml',
      { active_users: 4999, mrr: 49999 },
      { active_users: 5000, mrr: 49999 },
    ],
    [
      'L449: "Audit Logs | 10,000 users | Compliance need | Phase 4"',
      'phase4',
      'audit-logs',
      { active_users: 9999, compliance_need: false },
      { active_users: 9999, compliance_need: true },
    ],
    [
      'L459: "10,000-50,000 users: Double the team"',
      'phase4',
      'double-team',
      { active_users: 9999 },
      { active_users: 10000 },
    ],
    [
      'L460: "50,000+ users: Departmental structure"',
      'phase4',
      'departmental-structure',
      { active_users: 49999 },
      { active_users: 50000 },
    ],
    [
      'L625: "012+_global_scale | At 100,000 users"',
      'phase5',
      'apply-012',
      { active_users: 99999 },
      { active_users: 100000 },
    ],
    [
      'L450: "Multi-region | 50,000 users | International customers | Phase 5"',
      'phase5',
      'multi-region',
      { active_users: 49999, international_expansion: false },
      { active_users: 50000, international_expansion: false },
    ],
  ] as const)('%s', (_doc, stage, id, below, at) => {
    expect(todo(evaluate(stage, below), id)?.state).toBe('open');
    const due = todo(evaluate(stage, at), id);
    expect(due?.state).toBe('due');
    expect(due?.newlyDue).toBe(true);
  });

  it('L622: the Phase 2 message no longer says to apply 007 at 100 users; 007 is not a Phase 1 to-do', () => {
    const phase1 = evaluate('phase1', {
      active_users: 500,
      messages_per_day: 1200,
      paying_users: 12,
      mrr: 600,
    });
    const upgrade = trigger(phase1, 'phase1.upgrade');
    expect(upgrade?.state).toBe('firing');
    expect(upgrade?.message).not.toMatch(/apply 007/i);
    expect(upgrade?.message).toMatch(/007_initial_scaling comes due at 500 users/);
    expect(todo(phase1, 'apply-007')).toBeUndefined();
  });

  it('L624 over L289: the Phase 4 message says 009-011 come due at 15,000 users, not at Phase 4 entry', () => {
    const report = evaluate('phase3', {
      active_users: 10000,
      mrr: 50000,
      enterprise_customer_interest: true,
      series_a_consideration: true,
    });
    expect(trigger(report, 'phase3.upgrade')?.message).toMatch(/009-011 come due at 15,000 users/);
  });

  it('L622: a due to-do stays due (latched) when users dip, and is done once ticked', () => {
    expect(
      todo(evaluate('phase2', { active_users: 450 }, { due: ['apply-007'] }), 'apply-007')?.state,
    ).toBe('due');
    expect(
      todo(evaluate('phase2', { active_users: 600 }, { done: ['apply-007'] }), 'apply-007')?.state,
    ).toBe('done');
  });
});

describe("budget lines at the document's figures are within, and over above them", () => {
  it('L166-171: Phase 2 at its own estimate: every line within, total $555-1,055 + 2.9% of MRR', () => {
    const report = evaluate('phase2', {
      infra_cost: 25, // L167
      monitoring_cost: 0, // L168
      mrr: 3000,
      payment_fees: 30 + 0.029 * 3000, // L169
      marketing_spend: 750, // L170
      team_cost: 0,
      initial_budget_spent: 4000, // L6
    });
    for (const id of ['infra', 'monitoring', 'payments', 'marketing', 'team', 'initial'])
      expect({ id, state: line(report, id)?.state }).toEqual({ id, state: 'within' });
    expect(total(report, 'month')).toMatchObject({ min: 555, max: 1055 + 87, state: 'within' });
    expect(report.budget?.state).toBe('within'); // the v1 field: the infra line
  });

  it('L170: Phase 2 marketing at $1,200 of "$500-1,000" is over, and the budget alert fires', () => {
    const report = evaluate('phase2', { marketing_spend: 1200 });
    expect(line(report, 'marketing')?.state).toBe('over');
    expect(trigger(report, 'budget.marketing')?.state).toBe('firing');
  });

  it('L169: payment fees above ~$30 + 2.9% of revenue are over', () => {
    expect(line(evaluate('phase2', { mrr: 3000, payment_fees: 118 }), 'payments')?.state).toBe(
      'over',
    );
  });

  it('L101-102: Phase 1 pays $0 until 50 users, then up to $25 (Supabase Pro)', () => {
    const early = evaluate('phase1', { active_users: 40, infra_cost: 25 });
    expect(trigger(early, 'phase1-free-tier-spend')?.state).toBe('firing');
    const later = evaluate('phase1', { active_users: 60, infra_cost: 25 });
    expect(trigger(later, 'phase1-free-tier-spend')?.state).not.toBe('firing');
    expect(line(later, 'infra')?.state).toBe('within');
    expect(line(evaluate('phase1', { active_users: 60, infra_cost: 30 }), 'infra')?.state).toBe(
      'over',
    );
    // The alert belongs to Phase 1 only.
    expect(
      trigger(evaluate('phase2', { active_users: 40, infra_cost: 25 }), 'phase1-free-tier-spend'),
    ).toBeUndefined();
  });

  it('L103-104: Phase 1 marketing $200-500, monthly total up to $525', () => {
    const report = evaluate('phase1', { infra_cost: 25, marketing_spend: 500, team_cost: 0 });
    expect(line(report, 'marketing')?.state).toBe('within');
    expect(total(report, 'month')).toMatchObject({ max: 525, value: 525, state: 'within' });
  });

  it('L41: Phase 0 costs $0 a month: $25 is over and the budget alert fires', () => {
    const report = evaluate('phase0', { infra_cost: 25 });
    expect(report.budget?.state).toBe('over');
    expect(trigger(report, 'budget.infra')?.state).toBe('firing');
  });

  it('L6: the $5k initial budget, once, in Phases 0-2: $5,500 spent is over; Phase 3 has no such line', () => {
    expect(line(evaluate('phase0', { initial_budget_spent: 5500 }), 'initial')).toMatchObject({
      per: 'once',
      state: 'over',
    });
    expect(line(evaluate('phase3', { initial_budget_spent: 5500 }), 'initial')).toBeUndefined();
  });

  it("L255-260: Phase 3 lines add up to the document's total, $12,025-25,699/month", () => {
    const report = evaluate('phase3', {
      infra_cost: 599,
      monitoring_cost: 100,
      team_cost: 15000,
      marketing_spend: 3000,
    });
    expect(total(report, 'month')).toMatchObject({ min: 12025, max: 25699, state: 'within' });
    expect(line(evaluate('phase3', { infra_cost: 700 }), 'infra')?.state).toBe('over');
  });

  it('L330-335: Phase 4 totals $107,000-220,000/month, compliance $50,000-100,000/year', () => {
    const report = evaluate('phase4', {
      infra_cost: 10000,
      monitoring_cost: 3000,
      team_cost: 150000,
      compliance_cost: 80000,
    });
    expect(total(report, 'month')).toMatchObject({ min: 107000, max: 220000, state: 'within' });
    expect(total(report, 'year')).toMatchObject({ min: 50000, max: 100000, state: 'within' });
    expect(line(evaluate('phase4', { infra_cost: 16000 }), 'infra')?.state).toBe('over');
  });

  it('L415-419: Phase 5 from $1,050,000/month (team $1M+, no ceiling) and $500,000/year compliance', () => {
    const report = evaluate('phase5', {
      infra_cost: 100000,
      team_cost: 1_200_000,
      compliance_cost: 500000,
    });
    const month = total(report, 'month');
    expect(month?.min).toBe(1_050_000);
    expect(month?.max).toBeUndefined();
    expect(month?.state).toBe('within');
    expect(line(evaluate('phase5', { team_cost: 900_000 }), 'team')?.state).toBe('under');
  });

  it('L166 "Estimated Monthly Costs": an infra cost entered 20 days ago is still this month\'s figure', () => {
    const report = evaluate('phase2', { infra_cost: 25 }, { olderByDays: { infra_cost: 20 } });
    expect(report.budget?.state).toBe('within');
    expect(report.stale.map((s) => s.metric)).not.toContain('infra_cost');
  });
});

describe('projections by users: the team on plan is on plan, a team behind it is told so', () => {
  // [doc line, metric, users, value, state]
  it.each([
    ['L174: "Target MRR: $1,000-5,000" (100-1,000 users)', 'mrr', 500, 3000, 'on_plan'],
    ['L174: … $800 at 500 users is behind', 'mrr', 500, 800, 'behind'],
    ['L174: … $6,000 at 500 users is ahead', 'mrr', 500, 6000, 'ahead'],
    ['L263: "Target MRR: $10,000-50,000" (1,000-10,000 users)', 'mrr', 5000, 20000, 'on_plan'],
    ['L263: … $8,000 at 5,000 users is behind', 'mrr', 5000, 8000, 'behind'],
    [
      'L338: "Target MRR: $200,000-1,000,000" (10,000-100,000 users)',
      'mrr',
      50000,
      500000,
      'on_plan',
    ],
    [
      'L420: "Target MRR: $3,000,000-10,000,000" (100,000+ users)',
      'mrr',
      150000,
      5_000_000,
      'on_plan',
    ],
    ['L420: … $2M at 150,000 users is behind', 'mrr', 150000, 2_000_000, 'behind'],
    ['L264: "Target Gross Margin: 70-80%" (Phase 3)', 'gross_margin', 5000, 75, 'on_plan'],
    ['L264: … 65% is behind', 'gross_margin', 5000, 65, 'behind'],
    ['L340: "Gross Margin: 75-85%" (Phase 4)', 'gross_margin', 20000, 80, 'on_plan'],
    ['L421: "Target Gross Margin: 80-90%" (Phase 5)', 'gross_margin', 200000, 78, 'behind'],
    ['L689-690: "1,000 users ≈ 1GB of data"', 'db_size', 1000, 1e9, 'on_plan'],
    [
      'L690: … 1.5GB at 1,000 users grows faster than the estimate',
      'db_size',
      1000,
      1.5e9,
      'ahead',
    ],
    ['L691: "10,000 users ≈ 10GB of data"', 'db_size', 10000, 10e9, 'on_plan'],
  ] as const)('%s', (_doc, metric, users, value, state) => {
    expect(plan(evaluate('phase2', { active_users: users, [metric]: value }), metric)?.state).toBe(
      state,
    );
  });

  it('L100-104: below 100 users there is no MRR target yet', () => {
    expect(plan(evaluate('phase1', { active_users: 60, mrr: 100 }), 'mrr')?.state).toBe(
      'before_plan',
    );
  });

  // infra_cost_per_user is derived: infra_cost / active_users.
  it.each([
    ['L42, L701: "0-50 users: $0/user"', 40, 0, 'on_plan'],
    ['L702: "50-1,000 users: $0.025-0.25/user"', 200, 30, 'on_plan'],
    ['L702: … $0.50 a user at 200 users costs more than planned', 200, 100, 'ahead'],
    ['L703: "1,000-10,000 users: $0.25-0.60/user"', 2000, 1000, 'on_plan'],
    ['L704: "10,000-100,000 users: $0.50-1.50/user"', 20000, 20000, 'on_plan'],
    ['L705: "100,000+ users: $0.50-1.00/user"', 200000, 300000, 'ahead'],
  ] as const)('%s', (_doc, users, infra, state) => {
    const report = evaluate('phase2', { active_users: users, infra_cost: infra });
    expect(plan(report, 'infra_cost_per_user')?.state).toBe(state);
  });
});

describe('alerts scoped to a phase fire only in it', () => {
  it('L175: "Price per user: $10-50/month" in Phase 2 only', () => {
    const cheap = { mrr: 800, paying_users: 100 }; // $8 a paying user
    expect(trigger(evaluate('phase2', cheap), 'phase2-price-per-user')?.state).toBe('firing');
    expect(
      trigger(evaluate('phase2', { mrr: 3000, paying_users: 100 }), 'phase2-price-per-user')?.state,
    ).toBe('ok');
    expect(trigger(evaluate('phase3', cheap), 'phase2-price-per-user')).toBeUndefined();
  });

  it('L176: "Conversion rate target: 5-10%" in Phase 2 (3% and 12% are outside, 7% inside)', () => {
    const at = (paying: number) =>
      trigger(
        evaluate('phase2', { active_users: 1000, paying_users: paying }),
        'phase2-conversion-target',
      )?.state;
    expect([at(30), at(70), at(120)]).toEqual(['firing', 'ok', 'firing']);
  });

  it('L212-215: Phase 3 tiers $19-$99 a paying user, not checked in Phase 2', () => {
    const low = { mrr: 1500, paying_users: 100 }; // $15
    expect(trigger(evaluate('phase3', low), 'phase3-pricing-tiers')?.state).toBe('firing');
    expect(
      trigger(evaluate('phase3', { mrr: 4900, paying_users: 100 }), 'phase3-pricing-tiers')?.state,
    ).toBe('ok');
    expect(trigger(evaluate('phase2', low), 'phase3-pricing-tiers')).toBeUndefined();
  });

  it('L339: "Enterprise deals: $10,000-50,000/year" in Phase 4', () => {
    expect(
      trigger(evaluate('phase4', { enterprise_deal_size: 8000 }), 'phase4-enterprise-deals')?.state,
    ).toBe('firing');
    expect(
      trigger(evaluate('phase4', { enterprise_deal_size: 30000 }), 'phase4-enterprise-deals')
        ?.state,
    ).toBe('ok');
  });

  it('L455, L542: "0-100 users: Founder only" in Phases 0-1', () => {
    expect(
      trigger(evaluate('phase1', { engineers: 2, active_users: 60 }), 'founder-only')?.state,
    ).toBe('firing');
    expect(
      trigger(evaluate('phase1', { engineers: 2, active_users: 100 }), 'founder-only')?.state,
    ).not.toBe('firing');
    expect(
      trigger(evaluate('phase2', { engineers: 2, active_users: 60 }), 'founder-only'),
    ).toBeUndefined();
  });

  it('L543: "Stay lean until $10k+ MRR": Phase 3 team spend at $8k MRR warns; Phases 0-2 budget no team', () => {
    expect(trigger(evaluate('phase3', { mrr: 8000, team_cost: 12000 }), 'stay-lean')?.state).toBe(
      'firing',
    );
    expect(
      trigger(evaluate('phase3', { mrr: 12000, team_cost: 12000 }), 'stay-lean')?.state,
    ).not.toBe('firing');
    const phase2 = evaluate('phase2', { mrr: 3000, team_cost: 1000 });
    expect(trigger(phase2, 'stay-lean')).toBeUndefined();
    expect(trigger(phase2, 'budget.team')?.state).toBe('firing');
  });

  it('L551 and L644: a 10-month CAC payback passes Phase 2 (< 12) and is told the 3-6 month rule', () => {
    const report = evaluate('phase2', { cac_payback_months: 10 });
    expect(gate(report, 'cac-payback')?.passed).toBe(true);
    expect(trigger(report, 'cac-payback-rule')?.state).toBe('firing');
    expect(trigger(evaluate('phase2', { cac_payback_months: 4 }), 'cac-payback-rule')?.state).toBe(
      'ok',
    );
  });

  it('L612: "mean_exec_time > 100" after deployment', () => {
    expect(trigger(evaluate('phase2', { slowest_query_ms: 150 }), 'slow-queries')?.state).toBe(
      'firing',
    );
    expect(trigger(evaluate('phase2', { slowest_query_ms: 60 }), 'slow-queries')?.state).toBe('ok');
  });

  it('L480-494: unused indexes and 6-month-old messages, in Phases 3-4', () => {
    const values = { unused_indexes: 3, messages_to_archive: 1200 };
    for (const stage of ['phase3', 'phase4']) {
      const report = evaluate(stage, values);
      expect(trigger(report, 'unused-indexes')?.state).toBe('firing');
      expect(trigger(report, 'archive-old-messages')?.state).toBe('firing');
    }
    expect(trigger(evaluate('phase2', values), 'unused-indexes')).toBeUndefined();
  });
});

describe('the team of each phase', () => {
  it('L162-164: Phase 2 is the founder and a part-time customer success', () => {
    const report = evaluate('phase2', { engineers: 1, customer_success: 0.5 });
    expect(role(report, 'Full-stack developer (founder)')?.state).toBe('hired');
    expect(role(report, 'Customer success (part-time, could be founder)')?.state).toBe('hired');
  });

  it('L253: Phase 3 needs its first DevOps from 8,000 users', () => {
    expect(role(evaluate('phase3', { active_users: 7999 }), 'DevOps (first hire)')?.state).toBe(
      'later',
    );
    expect(
      role(evaluate('phase3', { active_users: 8000, devops_engineers: 0 }), 'DevOps (first hire)')
        ?.state,
    ).toBe('short');
    expect(
      role(evaluate('phase3', { active_users: 8000, devops_engineers: 1 }), 'DevOps (first hire)')
        ?.state,
    ).toBe('hired');
  });

  it('L324-328: Phase 4 "5-10 engineers": 4 is short, 5 hired, 11 above the plan', () => {
    expect(role(evaluate('phase4', { engineers: 4 }), 'Engineers (5-10)')?.state).toBe('short');
    expect(role(evaluate('phase4', { engineers: 5 }), 'Engineers (5-10)')?.state).toBe('hired');
    expect(trigger(evaluate('phase4', { engineers: 11 }), 'phase4-team-above-plan')?.state).toBe(
      'firing',
    );
    expect(
      trigger(evaluate('phase5', { engineers: 11 }), 'phase4-team-above-plan'),
    ).toBeUndefined();
  });

  it('L408-413: Phase 5 "50+ engineers … 10+ product team"', () => {
    const report = evaluate('phase5', {
      engineers: 50,
      devops_engineers: 10,
      customer_success: 20,
      sales: 15,
      security_engineers: 5,
      product_team: 9,
    });
    expect(report.team.map((r) => [r.role, r.state])).toEqual([
      ['Engineers (50+)', 'hired'],
      ['DevOps/SRE (10+)', 'hired'],
      ['Customer success (20+)', 'hired'],
      ['Sales (15+)', 'hired'],
      ['Security team (5+)', 'hired'],
      ['Product team (10+)', 'short'],
    ]);
  });
});

describe('Phase 5 architecture gates', () => {
  it.each([
    [
      'L371: "<100ms latency globally"',
      'global-latency',
      { global_latency: 90 },
      { global_latency: 100 },
    ],
    [
      'L378: "Read replicas: 3+ per region"',
      'read-replicas',
      { read_replicas_per_region: 3 },
      { read_replicas_per_region: 2 },
    ],
    [
      'L379: "Failover: <30 seconds RTO"',
      'failover-rto',
      { failover_rto: 25 },
      { failover_rto: 30 },
    ],
    [
      'L390: "Penetration testing quarterly"',
      'penetration-testing',
      { penetration_tests_12m: 4 },
      { penetration_tests_12m: 3 },
    ],
  ] as const)('%s', (_doc, id, passing, failing) => {
    expect(gate(evaluate('phase5', passing), id)?.passed).toBe(true);
    expect(gate(evaluate('phase5', failing), id)?.state).toBe('open');
  });

  it('L390: a penetration-test count not renewed for a quarter is due a review, then unknown', () => {
    const report = evaluate(
      'phase5',
      { penetration_tests_12m: 4 },
      { olderByDays: { penetration_tests_12m: 120 } },
    );
    expect(gate(report, 'penetration-testing')?.state).toBe('unknown');
    expect(report.metrics.find((m) => m.name === 'penetration_tests_12m')?.reviewDue).toBe(true);
  });

  it('L93: "Weekly user interviews": a count not updated for 8 days is due a review', () => {
    const report = evaluate(
      'phase1',
      { user_interviews: 12 },
      { olderByDays: { user_interviews: 8 } },
    );
    expect(report.metrics.find((m) => m.name === 'user_interviews')?.reviewDue).toBe(true);
  });
});

describe('the ledger docs/seeds/mirai.md agrees with the file', () => {
  const ledger = readFileSync(
    path.resolve(import.meta.dirname, '../../docs/seeds/mirai.md'),
    'utf8',
  );
  /** The ledger's table rows, cells split on unescaped pipes. */
  const rows = ledger
    .split('\n')
    .filter((l) => /^\| \d+ \|/.test(l))
    .map((l) =>
      l
        .slice(1, -1)
        .split(/(?<!\\)\|/)
        .map((c) => c.trim()),
    );
  const summary = (label: string) =>
    Number(new RegExp(`\\| ${label} \\| (\\d+) \\|`).exec(ledger)?.[1] ?? Number.NaN);

  /** Whether a key path of the ledger names something in the loaded roadmap. */
  function resolves(keyPath: string): boolean {
    const [head, first = '', kind, ...rest] = keyPath.split('.');
    const name = rest.join('.');
    switch (head) {
      case 'metrics': {
        const def = roadmap.metrics.get(first);
        if (!def) return false;
        if (kind === undefined) return true;
        return kind === 'source' ? def.source !== undefined : kind === 'review' && !!def.review;
      }
      case 'alerts':
        return roadmap.alerts.some((a) => a.id === first);
      case 'plan':
        return roadmap.plans.some((p) => p.metric === first && kind === undefined);
      case 'tracks': {
        const t = roadmap.tracks.find((x) => x.id === first);
        if (!t || kind !== 'steps') return !!t && kind === undefined;
        const [stepId, capacity, metric] = rest;
        const step = t.steps.find((s) => s.id === stepId);
        if (!step) return false;
        if (capacity === undefined) return true;
        return capacity === 'capacity' && step.capacity.some((c) => c.metric === metric);
      }
      case 'stages': {
        const stage = roadmap.stages.find((s) => s.id === first);
        if (!stage) return false;
        switch (kind) {
          case 'users':
            return stage.users !== undefined;
          case 'upgrade':
            return stage.upgrade !== undefined;
          case 'gates':
            return stage.gates.some((g) => g.id === name && g.check !== undefined);
          case 'actions':
            return stage.todos.some((t) => t.id === name && t.when !== undefined);
          case 'budget':
            return stage.budgetLines.some((l) => l.id === name && l.metric !== undefined);
          case 'totals':
            return stage.budgetLines.some((l) => l.per === name);
          case 'team':
            return stage.team.some((r) => r.role === name);
          default:
            return false;
        }
      }
      default:
        return false;
    }
  }

  it('counts every row once, and the summary adds up to at least 90%', () => {
    expect(rows.map((r) => Number(r[0]))).toEqual(rows.map((_, i) => i + 1));
    const captured = rows.filter((r) => r[5] === 'captured').length;
    const left = rows.filter((r) => r[5] === 'left out').length;
    expect(captured + left).toBe(rows.length);
    expect(summary('Commitments counted')).toBe(rows.length);
    expect(summary('Captured and evaluated')).toBe(captured);
    expect(summary('Left out')).toBe(left);
    const share = /\*\*Share\*\* \| \*\*([\d.]+) %\*\*/.exec(ledger)?.[1];
    expect(Number(share)).toBeCloseTo((100 * captured) / rows.length, 1);
    expect(captured / rows.length).toBeGreaterThanOrEqual(0.9);
  });

  it('every captured row names key paths, and each exists in the loaded roadmap (with a check, a when or a metric)', () => {
    const unresolved: string[] = [];
    for (const row of rows.filter((r) => r[5] === 'captured')) {
      const paths = [...(row[3] ?? '').matchAll(/`([^`]+)`/g)].map((m) => m[1] as string);
      if (paths.length === 0) unresolved.push(`row ${row[0]}: no key path`);
      for (const p of paths) if (!resolves(p)) unresolved.push(`row ${row[0]}: ${p}`);
    }
    expect(unresolved).toEqual([]);
  });

  it('cites lines that exist in the document (713 lines; the last has no newline)', () => {
    for (const row of rows)
      for (const m of (row[1] ?? '').matchAll(/L(\d+)/g))
        expect(Number(m[1]), `row ${row[0]}`).toBeLessThanOrEqual(713);
  });
});
