import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';
import { describeLedgerAgreement } from './fidelity-ledger.js';

/**
 * roadmaps/oviya.yaml walked through its document (seed 002, "Oviya Scaling Roadmap: 0 → 10k+
 * Users"): each test names the document line whose number it checks. The file's `start` is
 * 2026-12-01 (an assumed launch day), in UTC: week 4 ends 2026-12-29, month N runs from
 * 2026-12-01 + (N − 1) months.
 */

const roadmap = shippedRoadmap('oviya');
const DAY = 86_400_000;
const at = (iso: string) => new Date(`${iso}T12:00:00Z`);
/** A day inside each tier's planned span (doc L7-11). */
const IN_PLAN = {
  tier0: at('2026-12-15'),
  tier1: at('2027-02-15'),
  tier2: at('2027-05-01'),
  tier3: at('2027-08-01'),
  tier4: at('2027-10-01'),
} as const;
type TierId = keyof typeof IN_PLAN;
const TIERS = Object.keys(IN_PLAN) as TierId[];

function evaluate(
  stage: TierId,
  values: Record<string, number | boolean>,
  options: { now?: Date; recordedAt?: Date; state?: Partial<RoadmapState> } = {},
): Report {
  const now = options.now ?? IN_PLAN[stage];
  const recordedAt = options.recordedAt ?? new Date(now.getTime() - 60_000);
  return evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, values, recordedAt),
    { ...stateIn(stage), ...options.state },
    now,
  );
}

const trigger = (r: Report, id: string) => r.triggers.find((t) => t.id === id)?.state;
const todo = (r: Report, id: string) => r.actions.find((a) => a.id === id)?.state;
const target = (r: Report, id: string) => r.targets.find((t) => t.id === id)?.state;
const plan = (r: Report, metric: string) => r.plans.find((p) => p.metric === metric)?.state;

describe('oviya: each tier moves on at its own trigger, and not before', () => {
  it('Tier 0 → 1 at 400+ users (doc L64: "400+ users OR response time >2s")', () => {
    const users = (n: number) =>
      trigger(evaluate('tier0', { active_users: n, response_time_p95: 900 }), 'tier0.upgrade');
    expect(users(399)).toBe('approaching');
    expect(users(400)).toBe('firing');
  });

  it('Tier 0 → 1 on a response time over 2s, strictly (doc L64: "response time >2s")', () => {
    const p95 = (ms: number) =>
      trigger(evaluate('tier0', { active_users: 50, response_time_p95: ms }), 'tier0.upgrade');
    expect(p95(2000)).not.toBe('firing');
    expect(p95(2001)).toBe('firing');
  });

  it('Tier 1 → 2 at 1,600+ users or DB CPU over 70% (doc L118: "1,600+ users OR DB CPU >70%")', () => {
    const t = (active_users: number, database_cpu: number) =>
      trigger(evaluate('tier1', { active_users, database_cpu }), 'tier1.upgrade');
    expect(t(1599, 70)).not.toBe('firing');
    expect(t(1600, 40)).toBe('firing');
    expect(t(900, 71)).toBe('firing');
  });

  it('Tier 2 → 3 at 4,000+ users or a response time over 1s (doc L170: "4,000+ users OR response time >1s")', () => {
    const t = (active_users: number, response_time_p95: number) =>
      trigger(evaluate('tier2', { active_users, response_time_p95 }), 'tier2.upgrade');
    expect(t(3999, 1000)).not.toBe('firing');
    expect(t(4000, 600)).toBe('firing');
    expect(t(3000, 1001)).toBe('firing');
  });

  it('Tier 3 → 4 at 8,000+ users or when multi-region is needed (doc L277: "8,000+ users OR need multi-region")', () => {
    const t = (active_users: number, multi_region_needed: boolean) =>
      trigger(evaluate('tier3', { active_users, multi_region_needed }), 'tier3.upgrade');
    expect(t(7999, false)).toBe('approaching');
    expect(t(8000, false)).toBe('firing');
    expect(t(6000, true)).toBe('firing');
  });
});

describe('oviya: the "Automated Upgrade Triggers" fire only in the tier they leave', () => {
  it('tier1_to_tier2 is watched in Tier 1 only (doc L347-350: "threshold: 1500, // 1.5s")', () => {
    const slow = { active_users: 300, response_time_p95: 1600 };
    expect(trigger(evaluate('tier1', slow), 'tier1_to_tier2')).toBe('firing');
    expect(
      trigger(evaluate('tier1', { ...slow, response_time_p95: 1500 }), 'tier1_to_tier2'),
    ).not.toBe('firing');
    // The old reading fired "Consider Tier 2 upgrade" in Tier 0 and Tier 3 (#15).
    for (const tier of ['tier0', 'tier2', 'tier3', 'tier4'] as const)
      expect({ tier, state: trigger(evaluate(tier, slow), 'tier1_to_tier2') }).toEqual({
        tier,
        state: undefined,
      });
  });

  it('tier2_to_tier3 is watched in Tier 2 only (doc L352-355: "threshold: 80")', () => {
    const hot = { active_users: 2500, database_cpu: 85 };
    expect(trigger(evaluate('tier2', hot), 'tier2_to_tier3')).toBe('firing');
    expect(trigger(evaluate('tier2', { ...hot, database_cpu: 80 }), 'tier2_to_tier3')).not.toBe(
      'firing',
    );
    for (const tier of ['tier0', 'tier1', 'tier3', 'tier4'] as const)
      expect({ tier, state: trigger(evaluate(tier, hot), 'tier2_to_tier3') }).toEqual({
        tier,
        state: undefined,
      });
  });
});

describe('oviya: the timeline (doc L7-11), counted from the assumed launch day', () => {
  it('says the launch day is assumed where people read it, and asks for the real one (doc L15: "Pre-Launch")', () => {
    expect(roadmap.start).toBe('2026-12-01');
    expect(roadmap.name).toContain('assume launch on 2026-12-01');
    const r = evaluate('tier0', {}, { now: at('2026-12-09') });
    expect(todo(r, 'confirm-launch-date')).toBe('overdue');
    expect(todo(evaluate('tier0', {}, { now: at('2026-12-07') }), 'confirm-launch-date')).toBe(
      'open',
    );
  });

  it('a team on plan is on time in every tier (doc L7-11: "Week 1-4", "Month 2-3", "Month 4-6", "Month 7-9", "Month 10+")', () => {
    for (const tier of TIERS)
      expect({ tier, state: evaluate(tier, {}).stage.planned?.state }).toEqual({
        tier,
        state: 'on_time',
      });
  });

  it('a team still in Tier 0 after week 4 is late (doc L7: "Week 1-4")', () => {
    expect(evaluate('tier0', {}, { now: at('2026-12-28') }).stage.planned?.state).toBe('on_time');
    expect(evaluate('tier0', {}, { now: at('2026-12-29') }).stage.planned?.state).toBe('late');
  });

  it('Tier 1 is early before month 2 and late after month 3 (doc L8: "Month 2-3")', () => {
    expect(evaluate('tier1', {}, { now: at('2026-12-20') }).stage.planned?.state).toBe('early');
    expect(evaluate('tier1', {}, { now: at('2027-02-28') }).stage.planned?.state).toBe('on_time');
    expect(evaluate('tier1', {}, { now: at('2027-03-01') }).stage.planned?.state).toBe('late');
  });

  it('Tiers 2 and 3 are late after months 6 and 9; Tier 4 is never late (doc L9-11)', () => {
    expect(evaluate('tier2', {}, { now: at('2027-06-01') }).stage.planned?.state).toBe('late');
    expect(evaluate('tier3', {}, { now: at('2027-08-31') }).stage.planned?.state).toBe('on_time');
    expect(evaluate('tier3', {}, { now: at('2027-09-01') }).stage.planned?.state).toBe('late');
    expect(evaluate('tier4', {}, { now: at('2027-08-31') }).stage.planned?.state).toBe('early');
    expect(evaluate('tier4', {}, { now: at('2030-01-01') }).stage.planned?.state).toBe('on_time');
  });
});

describe('oviya: the monthly cost of each tier (doc L7-11, "Cost/Month")', () => {
  const COST: Record<TierId, [number, number]> = {
    tier0: [100, 200], // L7 "$100-200"
    tier1: [300, 500], // L8 "$300-500"
    tier2: [800, 1200], // L9 "$800-1.2k"
    tier3: [2000, 3000], // L10 "$2k-3k"
    tier4: [8000, 15000], // L11 "$8k-15k"
  };
  it.each(TIERS)('%s: within at the document figures, over above, under below', (tier) => {
    const [min, max] = COST[tier];
    const budget = (infra_cost: number) => evaluate(tier, { infra_cost }).budget?.state;
    expect(budget(min)).toBe('within');
    expect(budget(max)).toBe('within');
    expect(budget(max + 1)).toBe('over');
    expect(budget(min - 1)).toBe('under');
  });

  it('a cost entered once a month stays in force for the month (doc L5: "Cost/Month")', () => {
    const now = IN_PLAN.tier1;
    const r = evaluate(
      'tier1',
      { infra_cost: 450 },
      { recordedAt: new Date(now.getTime() - 20 * DAY) },
    );
    expect(r.budget?.state).toBe('within');
  });
});

describe('oviya: Tier 0 to-dos come due at their number or their week', () => {
  it('"Deploy and test with 10-50 users" is due at 10 users, not before (doc L50)', () => {
    const now = at('2026-12-10');
    expect(todo(evaluate('tier0', { active_users: 9 }, { now }), 'test-10-50')).toBe('open');
    const due = evaluate('tier0', { active_users: 10 }, { now });
    expect(todo(due, 'test-10-50')).toBe('due');
    expect(due.actions.find((a) => a.id === 'test-10-50')?.newlyDue).toBe(true);
    // Latched: it stays due when the count dips.
    const later = evaluate(
      'tier0',
      { active_users: 8 },
      { now: at('2026-12-12'), state: { todosDue: new Map([['test-10-50', now]]) } },
    );
    expect(todo(later, 'test-10-50')).toBe('due');
  });

  it('pagination (50 messages) and rate limiting (10 msg/min) are overdue after week 4 (doc L48-49, L34)', () => {
    for (const id of ['pagination-50', 'rate-limit-10']) {
      expect(todo(evaluate('tier0', {}, { now: at('2026-12-28') }), id)).toBe('open');
      expect(todo(evaluate('tier0', {}, { now: at('2026-12-29') }), id)).toBe('overdue');
      const ticked = evaluate(
        'tier0',
        {},
        {
          now: at('2027-01-05'),
          state: {
            todoChecks: new Map([[id, { done: true, actor: 'rita', at: at('2026-12-20') }]]),
          },
        },
      );
      expect(todo(ticked, id)).toBe('done');
    }
  });

  it('the component moves of Tiers 1-3 are overdue after their tier (doc L79, L139, L197, L203, L258-259)', () => {
    const cases: [TierId, string, string, string][] = [
      ['tier1', 'add-redis', '2027-02-28', '2027-03-01'],
      ['tier2', 'memorystore-5gb', '2027-05-31', '2027-06-01'],
      ['tier3', 'redis-cluster-15gb', '2027-08-31', '2027-09-01'],
      ['tier3', 'second-read-replica', '2027-08-31', '2027-09-01'],
      ['tier3', 'hpa', '2027-08-31', '2027-09-01'],
    ];
    for (const [tier, id, before, after] of cases) {
      expect({ id, state: todo(evaluate(tier, {}, { now: at(before) }), id) }).toEqual({
        id,
        state: 'open',
      });
      expect({ id, state: todo(evaluate(tier, {}, { now: at(after) }), id) }).toEqual({
        id,
        state: 'overdue',
      });
    }
  });
});

describe('oviya: the tier goals', () => {
  it('"Get 100 beta users" by the end of week 4 (doc L36, L34)', () => {
    const r = (active_users: number, now: Date) =>
      target(evaluate('tier0', { active_users }, { now }), 'tier0-beta-users');
    expect(r(99, at('2026-12-20'))).toBe('open');
    expect(r(100, at('2026-12-20'))).toBe('met');
    expect(r(99, at('2026-12-29'))).toBe('missed');
  });

  it('"Handle 10,000 concurrent users" is a capacity, not a count of active users (doc L176)', () => {
    const r = (values: Record<string, number>, now = IN_PLAN.tier3) =>
      target(evaluate('tier3', values, { now }), 'tier3-capacity');
    // The old reading: 10,000 active users met it. A load test at 5,000 does not.
    expect(r({ active_users: 10000, load_tested_users: 5000 })).toBe('open');
    expect(r({ active_users: 6000, load_tested_users: 10000 })).toBe('met');
    expect(r({ load_tested_users: 9999 }, at('2027-09-01'))).toBe('missed');
  });

  it('"Stabilize for 2,000 users" by month 3 and "Scale to 5,000 users" by month 6 (doc L70, L124)', () => {
    const t1 = (load_tested_users: number, now: Date) =>
      target(evaluate('tier1', { load_tested_users }, { now }), 'tier1-capacity');
    expect(t1(1999, at('2027-02-20'))).toBe('open');
    expect(t1(2000, at('2027-02-20'))).toBe('met');
    expect(t1(1999, at('2027-03-01'))).toBe('missed');
    const t2 = (load_tested_users: number, now: Date) =>
      target(evaluate('tier2', { load_tested_users }, { now }), 'tier2-capacity');
    expect(t2(5000, at('2027-05-20'))).toBe('met');
    expect(t2(4999, at('2027-06-01'))).toBe('missed');
  });

  it('response caching saves 30% of AI calls by month 3 (doc L87)', () => {
    const r = (ai_calls_cached: number) =>
      target(evaluate('tier1', { ai_calls_cached }), 'tier1-response-caching');
    expect(r(29)).toBe('open');
    expect(r(30)).toBe('met');
  });

  it('"Scale to 50k+ users globally" has no deadline (doc L283)', () => {
    const r = (active_users: number) =>
      evaluate('tier4', { active_users }, { now: at('2031-01-01') }).targets.find(
        (t) => t.id === 'tier4-users',
      );
    expect(r(49999)?.state).toBe('open');
    expect(r(49999)?.deadline).toBeUndefined();
    expect(r(50000)?.state).toBe('met');
  });
});

describe('oviya: the revenue model (doc L297-331)', () => {
  // doc L324-328: users, paid, revenue, cost (the tier's budget max), profit
  const ROWS: [TierId, number, number, number, number, number][] = [
    ['tier0', 500, 25, 300, 200, 100], // L324
    ['tier1', 2000, 140, 2500, 500, 2000], // L325
    ['tier2', 5000, 400, 6000, 1200, 4800], // L326
    ['tier3', 10000, 800, 12000, 3000, 9000], // L327
    ['tier4', 50000, 5000, 65000, 15000, 50000], // L328
  ];

  it.each(ROWS)(
    '%s: a team at the projection row is on plan, and within its budget (doc L324-328)',
    (tier, active_users, paid_users, mrr, infra_cost) => {
      const r = evaluate(tier, { active_users, paid_users, mrr, infra_cost });
      expect(plan(r, 'paid_users')).toBe('on_plan');
      expect(plan(r, 'mrr')).toBe('on_plan');
      expect(plan(r, 'profit')).toBe('on_plan');
      expect(r.budget?.state).toBe('within');
    },
  );

  it('a team 20% short of the revenue row is told it is behind (doc L325: "$2,500")', () => {
    const r = evaluate('tier1', {
      active_users: 2000,
      paid_users: 140,
      mrr: 2000,
      infra_cost: 500,
    });
    expect(plan(r, 'mrr')).toBe('behind');
    expect(plan(r, 'profit')).toBe('behind');
    expect(r.plans.find((p) => p.metric === 'mrr')?.deltaPct).toBe(-20);
  });

  it('projections never block advance: the gates are the checklist only (doc L320)', () => {
    const r = evaluate('tier1', { active_users: 2000, mrr: 100, paid_users: 1 });
    expect(r.gates.map((g) => g.id)).toEqual([
      'redis-caching',
      'connection-pooling',
      'monitoring-dashboard',
      'cache-hit',
      'latency',
      'uptime',
    ]);
  });

  it('revenue per paid user lies between Pro $9.99 and Premium $19.99 (doc L307, L313)', () => {
    const arpu = (mrr: number) => plan(evaluate('tier1', { mrr, paid_users: 100 }), 'arpu');
    expect(arpu(999)).toBe('on_plan');
    expect(arpu(1500)).toBe('on_plan');
    expect(arpu(1999)).toBe('on_plan');
    expect(arpu(900)).toBe('behind');
    expect(arpu(2100)).toBe('ahead');
  });

  it('break-even by month 1 (doc L330: "Month 1 (500 users)")', () => {
    const r = (mrr: number, now: Date) =>
      target(evaluate('tier0', { mrr, infra_cost: 200 }, { now }), 'break-even');
    expect(r(300, at('2026-12-20'))).toBe('met');
    expect(r(150, at('2026-12-20'))).toBe('open');
    expect(r(150, at('2027-01-01'))).toBe('missed');
  });

  it('profitable with 400%+ ROI from month 2 on, lapsing when it stops (doc L331: "Month 2+ (400%+ ROI)")', () => {
    const now = at('2027-01-20');
    const met = evaluate('tier1', { mrr: 2500, infra_cost: 500 }, { now });
    expect(target(met, 'profitable')).toBe('met');
    expect(target(evaluate('tier1', { mrr: 2400, infra_cost: 500 }, { now }), 'profitable')).toBe(
      'open',
    );
    const lapsed = evaluate(
      'tier1',
      { mrr: 1500, infra_cost: 500 },
      { now: at('2027-02-20'), state: { targetsMet: new Map([['profitable', now]]) } },
    );
    expect(target(lapsed, 'profitable')).toBe('lapsed');
  });
});

describe('oviya: component capacities, watched only in their tier', () => {
  it('Memorystore 5GB in Tier 2 (doc L139: "Memorystore 5GB")', () => {
    const r = (redis_memory: number, tier: TierId = 'tier2') =>
      trigger(evaluate(tier, { redis_memory }), 'redis-memory-5gb');
    expect(r(3_900_000_000)).toBe('ok');
    expect(r(4_000_000_000)).toBe('approaching');
    expect(r(5_000_000_000)).not.toBe('firing');
    expect(r(5_000_000_001)).toBe('firing');
    expect(r(6_000_000_000, 'tier1')).toBeUndefined();
    expect(r(6_000_000_000, 'tier3')).toBeUndefined();
  });

  it('Redis Cluster 15GB in Tier 3 (doc L197: "(15GB)")', () => {
    const r = (redis_memory: number, tier: TierId = 'tier3') =>
      trigger(evaluate(tier, { redis_memory }), 'redis-memory-15gb');
    expect(r(6_000_000_000)).toBe('ok');
    expect(r(15_000_000_001)).toBe('firing');
    expect(r(16_000_000_000, 'tier2')).toBeUndefined();
  });

  it('chat-service at its HPA ceiling of 20 pods in Tier 3 (doc L258-259: "maxReplicas: 20")', () => {
    const r = (chat_service_pods: number, tier: TierId = 'tier3') =>
      trigger(evaluate(tier, { chat_service_pods }), 'hpa-max-replicas');
    expect(r(5)).toBe('ok'); // minReplicas: 5
    expect(r(16)).toBe('approaching');
    expect(r(19)).toBe('approaching');
    expect(r(20)).toBe('firing');
    expect(r(20, 'tier2')).toBeUndefined();
  });
});

describe('oviya: the quality checklists (doc L362-397)', () => {
  it('response time gates pass under each tier threshold and not at it (doc L372, L379, L385, L394)', () => {
    const cases: [TierId, number][] = [
      ['tier0', 2000], // "Response time < 2s"
      ['tier1', 1500], // "Response time < 1.5s"
      ['tier2', 1000], // "Response time < 1s"
      ['tier3', 500], // "Response time < 500ms"
    ];
    for (const [tier, ms] of cases) {
      const gate = (response_time_p95: number) =>
        evaluate(tier, { response_time_p95 }).gates.find((g) => g.id === 'latency')?.passed;
      expect({ tier, under: gate(ms - 1), at: gate(ms) }).toEqual({ tier, under: true, at: false });
    }
  });

  it('uptime over 99.5% in Tier 1 and over 99.95% in Tier 3 (doc L380, L395)', () => {
    const uptime = (tier: TierId, value: number) =>
      evaluate(tier, { uptime: value }).gates.find((g) => g.id === 'uptime')?.passed;
    expect(uptime('tier1', 99.5)).toBe(false);
    expect(uptime('tier1', 99.51)).toBe(true);
    expect(uptime('tier3', 99.95)).toBe(false);
    expect(uptime('tier3', 99.96)).toBe(true);
  });

  it('cache hit rate over 60% in Tier 1 (doc L378)', () => {
    const hit = (cache_hit_rate: number) =>
      evaluate('tier1', { cache_hit_rate }).gates.find((g) => g.id === 'cache-hit')?.passed;
    expect(hit(60)).toBe(false);
    expect(hit(61)).toBe(true);
  });

  it('Tier 0 keeps its 8-item launch checklist; load tests are ticked by a person (doc L364-372, L388, L396)', () => {
    expect(evaluate('tier0', {}).gates).toHaveLength(8);
    for (const [tier, id] of [
      ['tier0', 'beta-tested'],
      ['tier2', 'load-test-5k'],
      ['tier3', 'load-test-10k'],
    ] as const)
      expect(evaluate(tier, {}).gates.find((g) => g.id === id)?.kind).toBe('manual');
  });
});

describeLedgerAgreement('oviya');
