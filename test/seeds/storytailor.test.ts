import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import type { PlanReport } from '../../src/core/evaluate/plans.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';
import { describeLedgerAgreement } from './fidelity-ledger.js';

/**
 * roadmaps/storytailor.yaml walked through its document (seed 004, Storytailor "Path to Scale"):
 * each test names the document line whose number it checks. Year 1 is 2026 (doc L22-24), so the
 * end of Q1 is 2026-04-01 00:00 UTC and "Year 2" ends 2028-01-01.
 */

const roadmap = shippedRoadmap('storytailor');
const NOW = new Date('2026-05-15T12:00:00Z');
const END_OF = {
  q1: new Date('2026-04-01T00:00:00Z'),
  q2: new Date('2026-07-01T00:00:00Z'),
  q4: new Date('2027-01-01T00:00:00Z'),
  year2: new Date('2028-01-01T00:00:00Z'),
  year3: new Date('2029-01-01T00:00:00Z'),
};
type StageId = 'current' | 'optimized' | 'scaled' | 'enterprise' | 'global';

function evaluate(
  stage: StageId,
  values: Record<string, number | boolean>,
  options: { now?: Date; state?: Partial<RoadmapState> } = {},
): Report {
  const now = options.now ?? NOW;
  return evaluateRoadmap(
    roadmap,
    snapshotOf(roadmap, values, new Date(now.getTime() - 60_000)),
    { ...stateIn(stage), ...options.state },
    now,
  );
}

const trigger = (r: Report, id: string) => r.triggers.find((t) => t.id === id)?.state;
const target = (r: Report, id: string) => r.targets.find((t) => t.id === id)?.state;
const line = (r: Report, id: string) => r.budget?.lines.find((l) => l.id === id);
/** The plan of `metric` by time (no `by`) or by the named metric. */
const planOf = (r: Report, metric: string, by?: string): PlanReport | undefined =>
  r.plans.find((p) => p.metric === metric && p.by === by);
const track = (r: Report, id: string) => r.tracks.find((t) => t.id === id);

describe('storytailor: the infrastructure bands move on at their user counts (doc L505-511)', () => {
  const BANDS: [StageId, number][] = [
    ['current', 1000], // L507-508 "0-1,000" → "1,000-10,000"
    ['optimized', 10000], // L508-509
    ['scaled', 50000], // L509-510
    ['enterprise', 100000], // L510-511
  ];
  it.each(BANDS)('%s → next at %i users, and not one before', (stage, users) => {
    const at = (active_users: number) =>
      trigger(evaluate(stage, { active_users }), `${stage}.upgrade`);
    expect(at(users - 1)).toBe('approaching');
    expect(at(users)).toBe('firing');
  });

  it('no band waits for revenue: the revenue milestones are not exit gates (doc L513-520)', () => {
    for (const stage of ['current', 'optimized', 'scaled', 'enterprise', 'global'] as const)
      expect({ stage, gates: evaluate(stage, {}).gates }).toEqual({ stage, gates: [] });
  });
});

describe('storytailor: the monthly infrastructure cost of each band (doc L505-511)', () => {
  const COST: [StageId, number, number | undefined][] = [
    ['current', 0, 500], // L507 "$500" (~$500, L158)
    ['optimized', 1000, 2000], // L508 "$1,000-2,000"
    ['scaled', 5000, 10000], // L509 "$5,000-10,000"
    ['enterprise', 20000, 40000], // L510 "$20,000-40,000"
    ['global', 50000, undefined], // L511 "$50,000+"
  ];
  it.each(COST)(
    '%s: within at the document figures, over above, under below',
    (stage, min, max) => {
      const infra = (infra_cost: number) => evaluate(stage, { infra_cost }).budget?.state;
      expect(infra(min)).toBe('within');
      if (min > 0) expect(infra(min - 1)).toBe('under');
      if (max !== undefined) {
        expect(infra(max)).toBe('within');
        expect(infra(max + 1)).toBe('over');
        expect(trigger(evaluate(stage, { infra_cost: max + 1 }), 'budget.infra')).toBe('firing');
      } else {
        // "$50,000+": no ceiling, so no overrun.
        expect(infra(500000)).toBe('within');
        expect(trigger(evaluate(stage, { infra_cost: 500000 }), 'budget.infra')).toBeUndefined();
      }
    },
  );
});

describe('storytailor: AI and voice cost per story (doc L179-190)', () => {
  // 2,000 free and 500 paid stories this month.
  const stories = { free_stories: 2000, paid_stories: 500 };

  it('AI: $0.15 per free story and $1.00 per paid story (doc L183-184)', () => {
    const ai = 2000 * 0.15 + 500 * 1.0; // $800
    for (const stage of ['current', 'scaled', 'global'] as const) {
      const at = (ai_cost: number) => line(evaluate(stage, { ...stories, ai_cost }), 'ai');
      expect(at(ai)?.max).toBeCloseTo(ai);
      expect(at(ai)?.state).toBe('within');
      expect(at(ai + 1)?.state).toBe('over');
      expect(trigger(evaluate(stage, { ...stories, ai_cost: ai + 1 }), 'budget.ai')).toBe('firing');
    }
  });

  it('voice: $0.02 per free story (Polly) and $0.90 per paid story (ElevenLabs) (doc L189-190)', () => {
    const voice = 2000 * 0.02 + 500 * 0.9; // $490
    const at = (voice_cost: number) =>
      line(evaluate('optimized', { ...stories, voice_cost }), 'voice');
    expect(at(voice)?.max).toBeCloseTo(voice);
    expect(at(voice)?.state).toBe('within');
    expect(at(voice + 1)?.state).toBe('over');
  });

  it('the infra line keeps the v1 budget fields of status (compatibility)', () => {
    const r = evaluate('optimized', {
      infra_cost: 1500,
      ...stories,
      ai_cost: 700,
      voice_cost: 400,
    });
    expect(r.budget).toMatchObject({ min: 1000, max: 2000, cost: 1500, state: 'within' });
    expect(r.budget?.totals).toEqual([
      { per: 'month', min: 1000, max: 2000 + 800 + 490, value: 2600, state: 'within' },
    ]);
  });
});

describe('storytailor: each component moves at its own user count, and not before (doc L67-151)', () => {
  // [track, step, users] from each component's "Scaling Strategy"
  const STEPS: [string, string, number][] = [
    ['lambda', 'monitor', 1000], // L76 "1,000-10,000 users: Monitor concurrency"
    ['lambda', 'provisioned', 10000], // L77 "10,000-100,000 users: Provisioned concurrency"
    ['lambda', 'multi-region', 100000], // L78 "100,000+ users: Multi-region deployment"
    ['database', 'optimize', 1000], // L92
    ['database', 'team', 10000], // L93 "10,000-50,000 users: Upgrade to Team plan, read replicas"
    ['database', 'enterprise', 50000], // L94 "50,000+ users: Enterprise plan"
    ['redis', 'optimize', 1000], // L114
    ['redis', 'larger-instance', 10000], // L115 "Upgrade Redis instance size"
    ['redis', 'cluster', 50000], // L116 "Redis Cluster, sharding"
    ['cdn', 'cloudfront', 10000], // L129 "10,000-100,000 users: CloudFront CDN"
    ['cdn', 'multi-region', 100000], // L130
    ['api-gateway', 'limits', 1000], // L146
    ['api-gateway', 'caching', 10000], // L147 "API Gateway caching, usage plans"
    ['api-gateway', 'edge', 100000], // L148
  ];

  it.each(STEPS)('%s: %s is due at %i users, not one before', (id, step, users) => {
    const due = (active_users: number) => track(evaluate('current', { active_users }), id)?.due.id;
    expect(due(users - 1)).not.toBe(step);
    expect(due(users)).toBe(step);
  });

  it('below 1,000 users every component is where the document starts it (doc L75, L91, L113, L128, L145)', () => {
    const r = evaluate('current', { active_users: 999 });
    expect(r.tracks.map((t) => [t.id, t.due.id, t.state])).toEqual([
      ['lambda', 'current', 'ok'],
      ['database', 'pro', 'ok'],
      ['redis', 'current', 'ok'],
      ['cdn', 's3', 'ok'],
      ['api-gateway', 'current', 'ok'],
    ]);
    // "0-10,000 users: S3 direct access" (L128): the CDN does not move at 1,000 users.
    const at1000 = evaluate('current', { active_users: 1000 });
    expect(trigger(at1000, 'cdn.upgrade')).not.toBe('firing');
    expect(trigger(at1000, 'lambda.upgrade')).toBe('firing');
  });

  it('a component moved by its team stops announcing (doc L93: "Upgrade to Team plan")', () => {
    const since = new Date('2026-05-01T00:00:00Z');
    const r = evaluate(
      'scaled',
      { active_users: 12000 },
      { state: { trackSteps: new Map([['database', { step: 'team', since }]]) } },
    );
    expect(track(r, 'database')?.state).toBe('ok');
    expect(trigger(r, 'database.upgrade')).not.toBe('firing');
    expect(track(r, 'redis')?.state).toBe('upgrade_due');
  });

  it('Supabase Pro at $25/month is the database track’s first step (doc L86)', () => {
    expect(track(evaluate('current', {}), 'database')?.steps[0]).toEqual({
      id: 'pro',
      name: 'Pro plan sufficient (0-1,000 users)',
      cost: 25,
    });
  });
});

describe('storytailor: the growth milestones, both ends of each range (doc L20-62)', () => {
  it('a team inside every Q1 range is on plan and meets the Q1 target (doc L25-27)', () => {
    const r = evaluate(
      'current',
      { active_users: 750, paid_subscribers: 75, mrr: 7500 },
      {
        now: END_OF.q1,
      },
    );
    expect(planOf(r, 'active_users')?.state).toBe('on_plan');
    expect(planOf(r, 'paid_subscribers')?.state).toBe('on_plan');
    expect(planOf(r, 'mrr')?.state).toBe('on_plan');
    expect(target(r, 'q1-2026')).toBe('met');
  });

  it('a team below the Q1 floors is behind and misses Q1 (doc L25: "500-1,000 users")', () => {
    const r = evaluate(
      'current',
      { active_users: 400, paid_subscribers: 40, mrr: 4000 },
      {
        now: END_OF.q1,
      },
    );
    expect(planOf(r, 'active_users')?.state).toBe('behind');
    expect(planOf(r, 'paid_subscribers')?.state).toBe('behind');
    expect(planOf(r, 'mrr')?.state).toBe('behind');
    expect(target(r, 'q1-2026')).toBe('missed');
  });

  it('the ranges keep their upper ends: above them a team is ahead (doc L25-26)', () => {
    const r = evaluate(
      'optimized',
      { active_users: 1200, paid_subscribers: 120 },
      {
        now: END_OF.q1,
      },
    );
    expect(planOf(r, 'active_users')).toMatchObject({ low: 500, high: 1000, state: 'ahead' });
    expect(planOf(r, 'paid_subscribers')).toMatchObject({ low: 50, high: 100, state: 'ahead' });
  });

  it('the Q2 and Q4 ranges and deadlines (doc L31-33, L43-45)', () => {
    const q2 = evaluate(
      'optimized',
      { active_users: 1500, paid_subscribers: 150, mrr: 12000 },
      {
        now: END_OF.q2,
      },
    );
    expect(planOf(q2, 'active_users')).toMatchObject({ low: 1000, high: 2000, state: 'on_plan' });
    expect(target(q2, 'q2-2026')).toBe('met');
    const q4 = evaluate(
      'optimized',
      { active_users: 2900, paid_subscribers: 450, mrr: 25000 },
      {
        now: END_OF.q4,
      },
    );
    expect(planOf(q4, 'active_users')?.state).toBe('behind');
    expect(target(q4, 'q4-2026')).toBe('missed');
  });

  it('Year 2 and Year 3 ranges (doc L54-56, L60-62)', () => {
    const y2 = evaluate(
      'scaled',
      { active_users: 15000, paid_subscribers: 2000, mrr: 150000 },
      {
        now: END_OF.year2,
      },
    );
    expect(planOf(y2, 'active_users')).toMatchObject({ low: 10000, high: 20000, state: 'on_plan' });
    expect(planOf(y2, 'paid_subscribers')).toMatchObject({ low: 1500, high: 3000 });
    expect(planOf(y2, 'mrr')).toMatchObject({ low: 100000, high: 200000, state: 'on_plan' });
    expect(target(y2, 'year-2')).toBe('met');
    const y3 = evaluate(
      'enterprise',
      { active_users: 60000, paid_subscribers: 8000, mrr: 400000 },
      {
        now: END_OF.year3,
      },
    );
    expect(planOf(y3, 'mrr')).toMatchObject({ low: 500000, high: 1000000, state: 'behind' });
    expect(target(y3, 'year-3')).toBe('missed');
  });
});

describe('storytailor: the revenue growth scenarios (doc L219-240)', () => {
  const q2 = (mrr: number) => planOf(evaluate('optimized', { mrr }, { now: END_OF.q2 }), 'mrr');

  it('Q2 MRR names the scenario the team follows (doc L223, L230, L237: $10,000 / $15,000 / $25,000)', () => {
    expect(q2(10000)).toMatchObject({ state: 'on_plan', scenario: 'conservative' });
    expect(q2(15000)).toMatchObject({ state: 'on_plan', scenario: 'moderate' });
    expect(q2(25000)).toMatchObject({ state: 'on_plan', scenario: 'optimistic' });
  });

  it('below the conservative scenario a team is behind, above the optimistic one ahead (doc L223, L237)', () => {
    expect(q2(9999)?.state).toBe('behind');
    expect(q2(25001)?.state).toBe('ahead');
    // The milestone range "$10,000-15,000" (L33) says ahead above $15,000.
    expect(q2(20000)?.scenarios.find((s) => s.name === 'milestones')?.state).toBe('ahead');
  });

  it('the scenarios do not hold their Q4 figures into Year 2 (doc L225, L56)', () => {
    const mid2027 = planOf(
      evaluate('optimized', { mrr: 25000 }, { now: new Date('2027-07-01T00:00:00Z') }),
      'mrr',
    );
    expect(mid2027?.low).toBeGreaterThan(25000);
    expect(mid2027?.state).toBe('behind');
  });

  it('Year 1 revenue: $150,000 / $300,000 / $600,000 (doc L226, L233, L240)', () => {
    const year1 = (annual_revenue: number) =>
      planOf(evaluate('optimized', { annual_revenue }, { now: END_OF.q4 }), 'annual_revenue');
    expect(year1(150000)).toMatchObject({ state: 'on_plan', scenario: 'conservative' });
    expect(year1(300000)).toMatchObject({ state: 'on_plan', scenario: 'moderate' });
    expect(year1(600000)).toMatchObject({ state: 'on_plan', scenario: 'optimistic' });
    expect(year1(140000)?.state).toBe('behind');
    expect(
      planOf(evaluate('optimized', { annual_revenue: 1 }, { now: NOW }), 'annual_revenue')?.state,
    ).toBe('before_plan');
  });
});

describe('storytailor: revenue and cost by scale (doc L153-214, L513-520)', () => {
  // doc L517-520: users, paid, MRR, margin
  const ROWS: [StageId, number, number, number, number][] = [
    ['optimized', 1000, 100, 1500, 60], // L517
    ['scaled', 10000, 1000, 15000, 70], // L518
    ['enterprise', 50000, 5000, 75000, 75], // L519
    ['global', 100000, 10000, 150000, 75], // L520 "75%+"
  ];

  it.each(ROWS)(
    '%s: a team at the revenue milestone row for %i users is on plan (doc L517-520)',
    (stage, active_users, paid_subscribers, mrr, gross_margin) => {
      const r = evaluate(stage, { active_users, paid_subscribers, mrr, gross_margin });
      expect(planOf(r, 'paid_subscribers', 'active_users')?.state).toBe('on_plan');
      expect(planOf(r, 'mrr', 'active_users')?.state).toBe('on_plan');
      expect(planOf(r, 'gross_margin', 'active_users')?.state).toBe('on_plan');
    },
  );

  it('a team short of the 1,000-user row is told it is behind, and may still advance (doc L517)', () => {
    const r = evaluate('current', {
      active_users: 1000,
      paid_subscribers: 80,
      mrr: 1200,
      gross_margin: 55,
    });
    expect(planOf(r, 'paid_subscribers', 'active_users')?.state).toBe('behind');
    expect(planOf(r, 'mrr', 'active_users')?.state).toBe('behind');
    expect(planOf(r, 'gross_margin', 'active_users')?.state).toBe('behind');
    expect(trigger(r, 'current.upgrade')).toBe('firing');
    expect(r.gates).toEqual([]);
  });

  it('10% paid conversion (doc L164, L169, L174)', () => {
    const paid = (active_users: number, paid_subscribers: number) =>
      planOf(
        evaluate('scaled', { active_users, paid_subscribers }),
        'paid_subscribers',
        'active_users',
      )?.state;
    expect(paid(10000, 1000)).toBe('on_plan');
    expect(paid(10000, 850)).toBe('behind');
    expect(paid(100000, 10000)).toBe('on_plan');
  });

  it('blended ARPU $15/month: MRR by paid subscribers (doc L202-213)', () => {
    const arpu = (paid_subscribers: number, mrr: number) =>
      planOf(evaluate('optimized', { paid_subscribers, mrr }), 'mrr', 'paid_subscribers')?.state;
    expect(arpu(100, 1500)).toBe('on_plan');
    expect(arpu(1000, 15000)).toBe('on_plan');
    expect(arpu(10000, 150000)).toBe('on_plan');
    expect(arpu(1000, 12000)).toBe('behind');
  });

  it('infrastructure cost projections at 1,000 / 10,000 / 100,000 users (doc L162, L167, L172)', () => {
    const cost = (active_users: number, infra_cost: number) =>
      planOf(evaluate('scaled', { active_users, infra_cost }), 'infra_cost', 'active_users')?.state;
    expect(cost(1000, 1000)).toBe('on_plan');
    expect(cost(1000, 1500)).toBe('on_plan');
    expect(cost(10000, 8000)).toBe('on_plan');
    expect(cost(10000, 9000)).toBe('ahead');
    expect(cost(100000, 30000)).toBe('on_plan');
    expect(cost(100000, 25000)).toBe('behind');
  });
});

describe('storytailor: team size by stage of users (doc L263-283)', () => {
  const team = (active_users: number, team_size: number) =>
    planOf(evaluate('current', { active_users, team_size }), 'team_size', 'active_users');

  it('each band holds its range flat, and the next band starts at its count (doc L266, L271, L276, L281)', () => {
    expect(team(500, 7)).toMatchObject({ low: 5, high: 10, state: 'on_plan' }); // "5-10 people"
    expect(team(999, 7)?.state).toBe('on_plan');
    expect(team(1000, 7)).toMatchObject({ low: 10, high: 20, state: 'behind' }); // "10-20 people"
    expect(team(50000, 30)).toMatchObject({ low: 20, high: 50, state: 'on_plan' }); // "20-50 people"
    expect(team(100000, 60)).toMatchObject({ low: 50, high: 200, state: 'on_plan' }); // "50-200 people"
    expect(team(400000, 60)).toMatchObject({ low: 50, high: 200, state: 'on_plan' });
    expect(team(5000, 25)?.state).toBe('ahead');
  });
});

describe('storytailor: geographic expansion by year (doc L338-352)', () => {
  it('English markets by the end of Year 1, EU and Spanish-speaking by Year 2, global by Year 3', () => {
    const r = (values: Record<string, boolean>, now: Date) => evaluate('scaled', values, { now });
    expect(target(r({ english_markets_live: true }, NOW), 'markets-year-1')).toBe('met');
    expect(target(r({ english_markets_live: false }, NOW), 'markets-year-1')).toBe('open');
    expect(target(r({ english_markets_live: false }, END_OF.q4), 'markets-year-1')).toBe('missed');
    const eu = { eu_markets_live: true, spanish_markets_live: false };
    expect(target(r(eu, NOW), 'markets-year-2')).toBe('open');
    expect(target(r({ ...eu, spanish_markets_live: true }, NOW), 'markets-year-2')).toBe('met');
    expect(target(r(eu, END_OF.year2), 'markets-year-2')).toBe('missed');
    expect(target(r({ global_markets_live: false }, END_OF.year3), 'markets-year-3')).toBe(
      'missed',
    );
  });
});

describeLedgerAgreement('storytailor');
