/*
 * The messages people read about the v2 parts (issue 14, item 6): status, the `budget`, `plan`
 * and `tracks` messages, alert titles of budget and track triggers, and the digest. Table tests
 * on the composed Message: titles, lines, icons. Pure: fixed instants, no I/O.
 */
import { describe, expect, it } from 'vitest';
import {
  composeDigest,
  digestSnapshot,
  nextReviews,
  type DigestSnapshot,
} from '../../src/core/digest/compose.js';
import type { Report, RoadmapState } from '../../src/core/evaluate/report.js';
import type { Forecast } from '../../src/core/forecast/forecast.js';
import type { ForecastedReport } from '../../src/core/forecast/report.js';
import { alertMessage } from '../../src/core/messages/alerts.js';
import { statusMessage, unitsOf } from '../../src/core/messages/compose.js';
import {
  budgetMessage,
  deltaText,
  planMessage,
  tracksMessage,
} from '../../src/core/messages/ladders.js';
import type { Line, Message, Section } from '../../src/core/messages/model.js';
import { renderText } from '../../src/core/messages/text.js';
import { formatProblem, loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { bigV2Values, bigV2Yaml } from '../support/big-v2.js';
import { shippedRoadmap } from '../support/roadmaps.js';
import { evaluateAt, roadmapOf, stateWith } from './ladders-support.js';

const V2 = shippedRoadmap('example-v2');
const GROWTH_AT = new Date('2026-05-10T10:00:00Z');
/** Growth, May 10: infra within (90%), team over, 1,800 users (the database track is due `team`). */
const GROWTH_VALUES = {
  active_users: 1800,
  paid_users: 120,
  mrr: 30000,
  infra_cost: 4500,
  ai_api_cost: 300,
  team_cost: 16000,
  db_size: 7e9,
  response_time_p95: 300,
};
const growth = (
  values: Record<string, number> = GROWTH_VALUES,
  extra: Partial<RoadmapState> = {},
) => evaluateAt(V2, values, GROWTH_AT, stateWith(extra, 'growth'));

const sectionOf = (m: Message, title: string | RegExp): Section | undefined =>
  m.sections.find((s) =>
    typeof title === 'string' ? s.title === title : title.test(s.title ?? ''),
  );
const lineOf = (s: Section | undefined, start: string): Line | undefined =>
  s?.lines.find((l) => l.text.startsWith(start));

function eta(at: string): Forecast {
  const d = new Date(at);
  return { status: 'eta', eta: d, low: d, high: d, model: 'linear', r2: 0.9 };
}

/** A report with only burn dates forecast (what `forecasts.budgets` adds). */
function withBurns(report: Report, burns: Record<string, Forecast>): ForecastedReport {
  return {
    ...report,
    forecasts: { triggers: new Map(), targets: new Map(), budgets: new Map(Object.entries(burns)) },
  };
}

describe('status: the stage timeline in the subtitle', () => {
  it.each<[string, string | undefined, string, string]>([
    // Launch is planned for months 1–3: in February it is on time.
    [
      'launch in February',
      undefined,
      '2026-02-10T10:00:00Z',
      'Next: Phase 2 — Growth · planned 2026-01-01 → 2026-03-31, on time',
    ],
    // Still in launch in May: months 1–3 have ended.
    [
      'launch in May',
      undefined,
      '2026-05-10T10:00:00Z',
      'Next: Phase 2 — Growth · planned 2026-01-01 → 2026-03-31, late',
    ],
    // Growth reached in February: before month 4 starts.
    [
      'growth in February',
      'growth',
      '2026-02-10T10:00:00Z',
      'Final stage · planned 2026-04-01 → 2026-06-30, early',
    ],
  ])('%s', (_situation, stage, at, subtitle) => {
    const report = evaluateAt(V2, {}, new Date(at), stateWith({}, stage));
    expect(statusMessage(report).subtitle).toBe(subtitle);
  });

  it('a stage without `planned` keeps the v1 subtitle', () => {
    const v1 = shippedRoadmap('example');
    const report = evaluateAt(v1, {}, GROWTH_AT);
    expect(statusMessage(report).subtitle).toBe('Next: Tier 1 — Early growth');
  });
});

describe('status: budget and track triggers', () => {
  it('titles them for what they are, and counts the ok ones with the quiet alerts', () => {
    // infra 4,500 of 5,000 is approaching; team 16k of 15k fires; the track is due and over capacity.
    const m = statusMessage(growth());
    const titles = m.sections.map((s) => s.title);
    expect(titles).toEqual(
      expect.arrayContaining([
        'Budget infra (warning): APPROACHING — infra_cost > 5000',
        '🔥 Budget team (warning): FIRING — team_cost > 15000',
        '🔥 Track Database: upgrade FIRING — active_users >= 50 or active_users >= 1000',
        '🔥 Track Database: capacity FIRING — db_size > 500000000',
      ]),
    );
    // The `slow` alert is ok: counted, not shown.
    expect(titles.filter((t) => t?.startsWith('Alert'))).toEqual(['Alerts: 1 quiet']);
  });

  it.each<[string, Record<string, number>, string[], string]>([
    // Everything well inside: no budget or track section of its own; with `slow`, five quiet.
    [
      'all quiet',
      { ...GROWTH_VALUES, active_users: 10, infra_cost: 100, team_cost: 100, db_size: 1e6 },
      [],
      'Alerts: 5 quiet',
    ],
    // Only the team line over: its trigger is a section; infra, the track's two and `slow` are quiet.
    [
      'one line over',
      { ...GROWTH_VALUES, active_users: 10, infra_cost: 100, db_size: 1e6 },
      ['🔥 Budget team (warning): FIRING — team_cost > 15000'],
      'Alerts: 4 quiet',
    ],
  ])('%s', (_situation, values, loud, quiet) => {
    const m = statusMessage(growth(values));
    const triggerTitles = m.sections
      .map((s) => s.title ?? '')
      .filter((t) => /Budget \w+ \(|Track |Alert /.test(t));
    expect(triggerTitles).toEqual(loud);
    expect(m.sections.map((s) => s.title)).toContain(quiet);
  });
});

describe('status: the v2 sections', () => {
  it('budget lines as a table with bars, the totals and the team in one line', () => {
    const budget = sectionOf(statusMessage(growth()), 'Budget');
    expect(
      budget?.lines.map((l) => [l.icon, l.text, l.progress && Math.round(l.progress * 100)]),
    ).toEqual([
      ['ok', 'infra: $4,500 of ≤ $5,000/month, within', 90],
      ['missed', 'team: $16k of ≤ $15k/month, over', 107],
      ['open', 'compliance: ≤ $20k/year, planned', undefined],
      ['missed', 'total/month: $20.5k of ≤ $20k, over', 102],
      ['open', 'total/year: ≤ $20k, planned', undefined],
      ['info', 'Team: 3 people needed in 2 roles (1 later), none short', undefined],
    ]);
  });

  it('a burn date under a line forecast to pass its max, never under a line already over', () => {
    const report = withBurns(growth(), {
      infra: eta('2026-06-02T10:00:00Z'),
      team: { status: 'reached' },
    });
    const budget = sectionOf(statusMessage(report), 'Budget');
    expect(lineOf(budget, 'infra:')?.detail).toBe('over by 2026-06-02');
    expect(lineOf(budget, 'team:')?.detail).toBeUndefined();
  });

  it('one line per track: current → due step, state, the tightest capacity as a bar', () => {
    const tracks = sectionOf(statusMessage(growth()), 'Tracks');
    expect(tracks?.lines).toEqual([
      {
        icon: 'missed',
        text: 'Database: Free tier → Team, over capacity',
        progress: 14,
        detail: 'db_size 7 GB of 500 MB',
      },
    ]);
  });

  it('to-dos due and overdue, the rest counted in the title', () => {
    const roadmap = roadmapOf([
      'id: t',
      'name: T',
      'start: 2026-01-01',
      'metrics: { users: { unit: count } }',
      'stages:',
      '  - id: one',
      '    name: One',
      '    actions:',
      '      - Plain text, never listed',
      '      - { id: late, text: Write the runbook, by: month 1 }',
      '      - { id: due, text: Add a replica, when: users >= 10 }',
      '      - { id: open, text: Shard, when: users >= 1000 }',
      '      - { id: done, text: Backups, when: users >= 1 }',
    ]);
    const at = new Date('2026-03-01T10:00:00Z');
    const report = evaluateAt(roadmap, { users: 50 }, at, {
      ...stateWith(),
      todoChecks: new Map([['done', { done: true, actor: 'alice', at }]]),
    });
    const todos = sectionOf(statusMessage(report), /^To-dos/);
    expect(todos?.title).toBe('To-dos: 1 overdue, 1 due, 1 open, 1 done');
    expect(todos?.lines).toEqual([
      {
        icon: 'missed',
        text: 'late: Write the runbook',
        detail: 'overdue since 2026-02-01 (by month 1)',
      },
      { icon: 'pending', text: 'due: Add a replica', detail: 'due since 2026-03-01' },
    ]);
  });

  it('each plan ahead, on plan or behind with its delta and scenario', () => {
    const roadmap = roadmapOf([
      'id: p',
      'name: P',
      'start: 2026-01-01',
      'metrics: { users: { unit: count }, mrr: { unit: usd }, paid: { unit: count } }',
      'stages: [{ id: one, name: One }]',
      'plan:',
      '  - metric: mrr',
      '    points: [{ at: month 1, value: [20k, 30k] }]',
      '  - metric: paid',
      '    by: users',
      '    points: [{ at: 1000, value: 100 }, { at: 10000, value: 1000 }]',
      '  - metric: users',
      '    scenarios:',
      '      conservative: [{ at: month 1, value: 1000 }]',
      '      optimistic: [{ at: month 1, value: 5000 }]',
    ]);
    const at = new Date('2026-03-01T10:00:00Z');
    const plan = sectionOf(
      statusMessage(evaluateAt(roadmap, { mrr: 18000, users: 5200, paid: 700 }, at)),
      'Plan',
    );
    expect(plan?.lines.map((l) => [l.icon, l.text])).toEqual([
      // 18k against 20k–30k: behind, 28% under the 25k expected.
      ['approaching', 'mrr $18k vs $20k–$30k expected: behind (−28%)'],
      // At 5,200 users the plan expects 468–572 paid: 700 is ahead.
      ['met', 'paid 700 vs 468–572 expected at users 5,200: ahead (+35%)'],
      // 5,200 is inside the optimistic band 4,500–5,500: on plan, nearest optimistic.
      ['ok', 'users 5,200 vs 900–5,500 expected: on plan (+63%, optimistic)'],
    ]);
  });

  it('a kept target that lapsed, with since when', () => {
    const lapsedAt = new Date('2026-05-01T00:00:00Z');
    const memory = {
      targetsMet: new Map([['profitable', new Date('2026-04-01T00:00:00Z')]]),
      targetsLapsed: new Map([['profitable', lapsedAt]]),
    };
    // mrr 1k against 4.5k + 300 + 16k of costs: no longer profitable.
    const lapsed = growth({ ...GROWTH_VALUES, mrr: 1000 }, memory);
    const line = lineOf(sectionOf(statusMessage(lapsed), 'Targets'), 'profitable');
    expect(line?.icon).toBe('missed');
    expect(line?.text).toMatch(/^profitable: lapsed since 2026-05-01, by 2026-06-30 — mrr > /);
    // Profitable again (30k): met, the lapse over.
    const held = growth(GROWTH_VALUES, { targetsMet: memory.targetsMet });
    expect(lineOf(sectionOf(statusMessage(held), 'Targets'), 'profitable')?.text).toMatch(
      /^profitable: met, by/,
    );
  });

  it('a team role short, in one line', () => {
    const roadmap = roadmapOf([
      'id: team',
      'name: Team',
      'metrics: { devs: { unit: count }, sres: { unit: count } }',
      'stages:',
      '  - id: one',
      '    name: One',
      '    team:',
      '      - { role: Developer, count: 3, cost: 8000, metric: devs }',
      '      - { role: SRE, count: 1, cost: 9000, metric: sres }',
    ]);
    const report = evaluateAt(roadmap, { devs: 1, sres: 1 }, GROWTH_AT);
    const line = lineOf(sectionOf(statusMessage(report), 'Budget'), 'Team');
    expect(line).toEqual({ icon: 'approaching', text: 'Team: 1 role short — Developer 1 of 3' });
  });

  it('a v1 roadmap shows none of the v2 sections, and its budget as one line as before', () => {
    const v1 = shippedRoadmap('example');
    const report = evaluateAt(v1, { infra_cost: 150 }, GROWTH_AT);
    const m = statusMessage(report);
    expect(m.sections.map((s) => s.title)).not.toEqual(
      expect.arrayContaining([expect.stringMatching(/^(Tracks|Plan|To-dos)/)]),
    );
    expect(sectionOf(m, 'Budget')?.lines).toEqual([
      { icon: 'ok', text: '$150/month against $100–$200/month: within' },
    ]);
  });
});

describe('budgetMessage', () => {
  it('every line with its metric, bounds as they evaluate now, value, state and burn date; totals; roles with costs', () => {
    const launch = evaluateAt(
      V2,
      { active_users: 300, infra_cost: 900, ai_api_cost: 80 },
      new Date('2026-02-10T10:00:00Z'),
    );
    const m = budgetMessage(withBurns(launch, { infra: eta('2026-02-20T10:00:00Z') }));
    expect(m.title).toBe(
      'Example SaaS — roadmap with money, plans and tracks — Phase 1 — Launch: budget',
    );
    expect(m.tone).toBe('alert');
    expect(
      m.sections.map((s) => [s.title, s.lines.map((l) => [l.icon, l.text, l.detail])]),
    ).toEqual([
      [
        'Lines',
        [
          // The ramp's max on February 10: $500 → $1,500 across January–March.
          ['ok', 'infra: $900 of ≤ $949.75/month, within', 'infra_cost · over by 2026-02-20'],
          // 0.25 × 300 users = $75.
          ['missed', 'ai_api: $80 of ≤ $75/month, over', 'ai_api_cost'],
          ['open', 'marketing: $200–$500/month, planned', undefined],
          ['open', 'team: ≤ $0/month, planned', 'the team’s roles'],
        ],
      ],
      ['Totals', [['open', 'total/month: $200–$1524.75, planned', undefined]]],
      ['Team', [['open', '2 × Founders: planned', undefined]]],
    ]);
    expect(m.fallback).toBe('Phase 1 — Launch budget: over on ai_api');
  });

  it('roles with their monthly cost and whether they are needed yet', () => {
    const team = sectionOf(budgetMessage(growth()), 'Team');
    expect(team?.lines.map((l) => l.text)).toEqual([
      '2 × Support rep at $3,000/month: planned',
      '1 × Developer (contract) at $8,000/month: planned',
      '1 × DevOps at $9,000/month: later',
    ]);
  });

  it('a stage without budget or team gets one friendly line', () => {
    const m = budgetMessage(
      evaluateAt(shippedRoadmap('example'), {}, GROWTH_AT, stateWith({}, 'tier3')),
    );
    expect(m.tone).toBe('info');
    expect(m.sections).toHaveLength(1);
    expect(m.sections[0]?.lines[0]?.text).toMatch(/has no budget\. Add `budget:` lines/);
  });
});

describe('planMessage', () => {
  it('each plan: metric, by, expected, low–high, actual, delta, state', () => {
    const m = planMessage(growth());
    expect(m.title).toBe('Example SaaS — roadmap with money, plans and tracks: plan');
    expect(m.sections[0]?.lines).toEqual([
      {
        icon: 'met',
        text: 'mrr $30k vs $22.5k–$27.9k expected: ahead (+19%)',
        detail: 'expected $25.2k',
      },
      {
        icon: 'approaching',
        text: 'paid_users 120 vs 162–198 expected at active_users 1,800: behind (−33%)',
        detail: 'expected 180',
      },
    ]);
    expect(m.tone).toBe('warn');
  });

  it('each named scenario with its band, the nearest one named', () => {
    const roadmap = roadmapOf([
      'id: s',
      'name: S',
      'start: 2026-01-01',
      'metrics: { users: { unit: count } }',
      'stages: [{ id: one, name: One }]',
      'plan:',
      '  - metric: users',
      '    scenarios:',
      '      conservative: [{ at: month 1, value: 1000 }]',
      '      optimistic: [{ at: month 1, value: 5000 }]',
    ]);
    const m = planMessage(evaluateAt(roadmap, { users: 1000 }, GROWTH_AT));
    expect(m.sections[0]?.lines).toEqual([
      {
        icon: 'ok',
        text: 'users 1,000 vs 900–5,500 expected: on plan (−69%, conservative)',
        detail: 'conservative 900–1,100 · optimistic 4,500–5,500',
      },
    ]);
  });

  it('a roadmap without plans gets one friendly line', () => {
    const m = planMessage(evaluateAt(shippedRoadmap('example'), {}, GROWTH_AT));
    expect(m.sections[0]?.lines[0]?.text).toMatch(/has no plan\. Add a `plan:` list/);
  });
});

describe('tracksMessage', () => {
  it('each track: current step with since, due step, every step with cost, capacity with bars, state', () => {
    const report = growth(GROWTH_VALUES, {
      trackSteps: new Map([['database', { step: 'pro', since: new Date('2026-04-15T10:00:00Z') }]]),
    });
    const m = tracksMessage(report);
    expect(m.sections).toEqual([
      {
        title: 'Database (database)',
        lines: [
          { icon: 'pending', text: 'upgrade due: at Pro since 2026-04-15, due Team' },
          { text: 'steps: Free tier → Pro $25/month (current) → Team $599/month (due)' },
          // 7 of 8 GB is 87.5%, past the roadmap's 80% `approaching`.
          { icon: 'approaching', text: 'db_size 7 GB of 8 GB: approaching', progress: 7e9 / 8e9 },
        ],
      },
    ]);
  });

  it('a roadmap without tracks gets one friendly line', () => {
    const m = tracksMessage(evaluateAt(shippedRoadmap('example'), {}, GROWTH_AT));
    expect(m.sections[0]?.lines[0]?.text).toMatch(/has no tracks\. Add `tracks:`/);
  });
});

describe('alert messages of budget lines and tracks', () => {
  const report = growth();
  const units = unitsOf(report);
  const trackNames = new Map(report.tracks.map((t) => [t.id, t.name]));
  const trigger = (id: string) => report.triggers.find((t) => t.id === id)!;

  it.each<[string, string, string, string]>([
    [
      'budget.team',
      'Example SaaS — roadmap with money, plans and tracks: Budget team (warning) 🔥 firing',
      'The budget line team team_cost > 15000 holds.',
      '',
    ],
    [
      'database.upgrade',
      'Example SaaS — roadmap with money, plans and tracks: Track Database: upgrade 🔥 firing',
      'Database: plan the move from Free tier to Pro.',
      '',
    ],
    [
      'database.capacity',
      'Example SaaS — roadmap with money, plans and tracks: Track Database: capacity 🔥 firing',
      'Database: Free tier is near or over its capacity.',
      '',
    ],
  ])('%s', (id, title, subtitle) => {
    const m = alertMessage({
      kind: 'firing',
      roadmap: report.roadmap,
      trigger: trigger(id),
      units,
      trackNames,
      next: { id: 'x', name: 'X' },
    });
    expect([m.title, m.subtitle]).toEqual([title, subtitle]);
    // Only a stage's upgrade trigger advances the stage.
    expect(m.actions?.map((a) => a.id)).toEqual(['ack', 'snooze-1d', 'snooze-1w']);
  });

  it('without track names, the track id', () => {
    const m = alertMessage({
      kind: 'resolved',
      roadmap: report.roadmap,
      trigger: trigger('database.upgrade'),
      units,
    });
    expect(m.title).toBe(
      'Example SaaS — roadmap with money, plans and tracks: Track database: upgrade ✔️ resolved',
    );
  });

  it('a stage upgrade still offers Advance', () => {
    const launch = evaluateAt(V2, {}, GROWTH_AT);
    const m = alertMessage({
      kind: 'firing',
      roadmap: launch.roadmap,
      trigger: launch.triggers.find((t) => t.kind === 'upgrade')!,
      units,
      ...(launch.next ? { next: launch.next } : {}),
    });
    expect(m.title).toBe(
      'Example SaaS — roadmap with money, plans and tracks: launch.upgrade 🔥 firing',
    );
    expect(m.actions?.map((a) => a.id)).toContain('advance');
  });
});

describe('the digest', () => {
  const base = { headline: [], episodes: [], localDate: '2026-05-10', late: false };
  const yesterday = new Date(GROWTH_AT.getTime() - 86_400_000);

  it('reviews due, budget lines over or burning before the next review, and the totals', () => {
    // ai_api_cost was never recorded and infra_cost's point is a month old: both due a review.
    const values = { ...GROWTH_VALUES };
    const report = withBurns(growth(values), { infra: eta('2026-05-20T00:00:00Z') });
    const m = composeDigest({
      ...base,
      report,
      nextReviews: new Map([['infra_cost', new Date('2026-06-01T00:00:00Z')]]),
    });
    expect(
      sectionOf(m, 'Budget lines over or burning')?.lines.map((l) => [l.text, l.detail]),
    ).toEqual([
      ['infra: $4,500 of ≤ $5,000/month, within', 'over by 2026-05-20'],
      ['team: $16k of ≤ $15k/month, over', undefined],
    ]);
    // A burn date after the next review is not news yet.
    const later = composeDigest({
      ...base,
      report,
      nextReviews: new Map([['infra_cost', new Date('2026-05-15T00:00:00Z')]]),
    });
    expect(sectionOf(later, 'Budget lines over or burning')?.lines.map((l) => l.text)).toEqual([
      'team: $16k of ≤ $15k/month, over',
    ]);
    expect(sectionOf(m, 'Gates and budget')?.lines.map((l) => l.text)).toEqual([
      'total/month: $20.5k of ≤ $20k, over',
      'total/year: ≤ $20k, planned',
    ]);
  });

  it('lists the metrics due a review', () => {
    const report = evaluateAt(V2, { infra_cost: 900 }, GROWTH_AT);
    // Recorded a minute ago: infra_cost is not due; the others with `review` never were recorded.
    const m = composeDigest({ ...base, report });
    expect(sectionOf(m, 'Reviews due')?.lines.map((l) => l.text)).toEqual([
      'ai_api_cost: never recorded',
      'team_cost: never recorded',
    ]);
    const month = evaluateAt(V2, {}, GROWTH_AT);
    expect(month.metrics.filter((x) => x.reviewDue).map((x) => x.name)).toEqual([
      'infra_cost',
      'ai_api_cost',
      'team_cost',
    ]);
  });

  it('nextReviews: one period after each review metric’s newest point', () => {
    const report = evaluateAt(V2, { infra_cost: 900, mrr: 1 }, GROWTH_AT);
    expect([...nextReviews(V2, report)]).toEqual([
      ['infra_cost', new Date(GROWTH_AT.getTime() - 60_000 + 31 * 86_400_000)],
    ]);
  });

  it('plan states that changed, to-dos and tracks that became due, since the previous digest', () => {
    const before = growth({ ...GROWTH_VALUES, mrr: 25000, active_users: 40, db_size: 1e6 });
    const previous: DigestSnapshot = {
      ...digestSnapshot(before),
      takenAt: yesterday.toISOString(),
    };
    expect(previous.plans).toEqual({ mrr: 'on_plan', paid_users: 'before_plan' });
    expect(previous.tracksDue).toEqual({});
    const now = growth(GROWTH_VALUES);
    const m = composeDigest({ ...base, report: now, previous });
    const since = sectionOf(m, 'Since the last digest');
    expect(since?.lines.map((l) => [l.icon, l.text])).toEqual([
      ['pending', 'to-do read-replica due: Add a read replica'],
      ['met', 'plan mrr: on plan → ahead (+19%)'],
      ['approaching', 'plan paid_users: before plan → behind (−33%)'],
      ['pending', 'track Database due: Free tier → Team'],
    ]);
    // The next digest, taken after all that: nothing of it is news again.
    const again = composeDigest({
      ...base,
      report: now,
      previous: digestSnapshot(now),
    });
    expect(sectionOf(again, 'Since the last digest')?.lines).toEqual([{ text: 'nothing changed' }]);
  });

  it('a snapshot stored before v2 (no plans, no tracksDue) still composes, reporting no plan or track change', () => {
    const old = JSON.parse(
      JSON.stringify({
        takenAt: yesterday.toISOString(),
        stageId: 'growth',
        gatesPassed: [],
        triggers: {},
        stale: [],
      }),
    ) as DigestSnapshot;
    const m = composeDigest({ ...base, report: growth(), previous: old });
    const texts = sectionOf(m, 'Since the last digest')?.lines.map((l) => l.text) ?? [];
    expect(texts.filter((t) => /^(plan|track) /.test(t))).toEqual([]);
    expect(texts).toContain('to-do read-replica due: Add a read replica');
    // Odd stored values are ignored, never a crash.
    const odd = { ...old, plans: 'x', tracksDue: null } as unknown as DigestSnapshot;
    expect(() => composeDigest({ ...base, report: growth(), previous: odd })).not.toThrow();
  });

  it('an overdue to-do is news once, in the digest after its deadline passed', () => {
    const at = new Date('2026-02-01T08:00:00Z'); // month 1 ended at 2026-02-01 00:00 Berlin
    const report = evaluateAt(V2, {}, at);
    const previous: DigestSnapshot = {
      ...digestSnapshot(report),
      takenAt: '2026-01-31T08:00:00.000Z',
    };
    const lines = sectionOf(composeDigest({ ...base, report, previous }), 'Since the last digest');
    expect(lineOf(lines, 'to-do error-tracking')).toEqual({
      icon: 'missed',
      text: 'to-do error-tracking overdue: Set up error tracking',
      detail: 'overdue since 2026-02-01 (by month 1)',
    });
  });
});

describe('the big synthetic v2 roadmap', () => {
  it('loads, and every part of it shows', () => {
    const result = loadRoadmap('big-v2.yaml', bigV2Yaml());
    if (!result.ok) throw new Error(result.errors.map(formatProblem).join('\n'));
    const roadmap: Roadmap = result.roadmap;
    const report = evaluateAt(roadmap, bigV2Values(), new Date('2026-03-15T10:00:00Z'));
    expect([report.tracks.length, report.budget?.lines.length, report.plans.length]).toEqual([
      5, 11, 5,
    ]);
    expect(report.actions.filter((a) => a.state === 'due' || a.state === 'overdue')).toHaveLength(
      20,
    );
    const text = renderText(statusMessage(report));
    expect(text).toContain('To-dos: 10 overdue, 10 due');
  });
});

describe('deltaText', () => {
  it.each<[number, string]>([
    [12, '+12%'],
    [-28, '−28%'],
    [0, '±0%'],
  ])('%d', (pct, shown) => expect(deltaText(pct)).toBe(shown));
});
