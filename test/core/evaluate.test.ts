import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState, Snapshot } from '../../src/core/evaluate/report.js';
import { currentStage, dataNeeds, evaluateRoadmap } from '../../src/core/evaluate/report.js';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';
import { loadRoadmap } from '../../src/core/roadmap/load.js';
import { statusJson } from '../../src/core/messages/status-json.js';
import {
  shippedRoadmap,
  shippedRoadmapIds,
  snapshotOf,
  someValues,
  stateIn,
} from '../support/roadmaps.js';
import { snapshotWithEveryWindow } from './ladders-support.js';

const roadmap = shippedRoadmap('example');

/** A fixed reference time: no real clock anywhere in this file. */
const NOW = new Date('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const ago = (ms: number, from = NOW) => new Date(from.getTime() - ms);
const MINUTE_AGO = ago(MINUTE);
/** The target's deadline: `month 3` from 2026-01-01 in America/New_York. */
const DEADLINE = new Date('2026-04-01T04:00:00Z');

/** Every recorded metric of the example, fresh, at values that keep tier0 quiet. */
const QUIET = {
  active_users: 100,
  paid_users: 10,
  mrr: 300,
  response_time_p95: 800,
  database_cpu: 40,
  infra_cost: 150,
  cache_hit_rate: 70,
  multi_region_needed: false,
};

/** A snapshot of `values` recorded a minute ago; `when` moves single points elsewhere in time. */
function snapshot(
  values: Record<string, number | boolean>,
  when: Record<string, Date> = {},
): Snapshot {
  const base = snapshotOf(roadmap, values, MINUTE_AGO);
  const latest = new Map(base.latest);
  for (const [name, at] of Object.entries(when)) {
    const point = latest.get(name);
    if (!point) throw new Error(`no value for ${name}`);
    latest.set(name, { ...point, at });
  }
  return { latest, windows: base.windows };
}

function evaluate(
  values: Record<string, number | boolean>,
  opts: { state?: RoadmapState; now?: Date; when?: Record<string, Date> } = {},
): Report {
  return evaluateRoadmap(
    roadmap,
    snapshot(values, opts.when),
    opts.state ?? stateIn(),
    opts.now ?? NOW,
  );
}

const trigger = (report: Report, id: string) => {
  const found = report.triggers.find((t) => t.id === id);
  if (!found) throw new Error(`no trigger ${id} in ${report.triggers.map((t) => t.id).join(', ')}`);
  return found;
};
const metric = (report: Report, name: string) => report.metrics.find((m) => m.name === name);
const gate = (report: Report, id: string) => report.gates.find((g) => g.id === id);

describe('evaluateRoadmap on the example roadmap', () => {
  it('asks for the recorded metrics and the windows its conditions read', () => {
    const needs = dataNeeds(roadmap);
    expect(needs.metrics).toEqual([
      'active_users',
      'paid_users',
      'mrr',
      'response_time_p95',
      'database_cpu',
      'infra_cost',
      'cache_hit_rate',
      'multi_region_needed',
    ]);
    expect(needs.windows).toEqual([{ metric: 'response_time_p95', windowMs: DAY, stats: true }]);
  });

  it('reads every point of a window only for the aggregates that need them', () => {
    const result = loadRoadmap(
      'windows.yaml',
      [
        'id: windows',
        'name: Windows',
        'metrics: { mrr: { unit: usd }, users: { unit: count } }',
        'stages:',
        '  - id: one',
        '    name: One',
        '    upgrade: { when: "change(mrr, 30d) > 50% or last(users, 1h) > 10 or (change(users, 7d) > 5% and max(users, 7d) > 20)" }',
        '  - id: two',
        '    name: Two',
      ].join('\n'),
    );
    if (!result.ok) throw new Error(result.errors.map((e) => e.message).join('; '));
    expect(dataNeeds(result.roadmap, result.roadmap.stages[0]).windows).toEqual([
      { metric: 'mrr', windowMs: 30 * DAY, stats: false },
      { metric: 'users', windowMs: HOUR, stats: false },
      { metric: 'users', windowMs: 7 * DAY, stats: true },
    ]);
    expect(dataNeeds(result.roadmap, result.roadmap.stages[1]).windows).toEqual([]);
  });

  it('reads, in each stage of every shipped roadmap, only the windows of that stage, and evaluates as with them all', () => {
    let fewer = 0;
    // And a v2 file with a window in every v2 part (to-dos, team, budget, tracks, plans, scoped alerts).
    const v2File = path.join(import.meta.dirname, 'fixtures/windows-v2.yaml');
    const v2 = loadRoadmap(v2File, readFileSync(v2File, 'utf8'));
    if (!v2.ok) throw new Error(v2.errors.map((e) => e.message).join('; '));
    for (const shipped of [...shippedRoadmapIds().map(shippedRoadmap), v2.roadmap]) {
      const id = shipped.id;
      const values = someValues(shipped);
      // Every window written in the file, whether dataNeeds knows of it or not.
      const all = snapshotWithEveryWindow(shipped, values, NOW);
      // Every track at its first step, then every track at its second, ...: a track may stand anywhere.
      const steps = Math.max(0, ...shipped.tracks.map((t) => t.steps.length));
      for (const stage of shipped.stages) {
        const wanted = new Set(
          dataNeeds(shipped, stage).windows.map((w) => `${w.metric}@${w.windowMs}`),
        );
        const only = {
          latest: all.latest,
          windows: new Map([...all.windows].filter(([key]) => wanted.has(key))),
        };
        if (only.windows.size < all.windows.size) fewer++;
        for (let i = 0; i < Math.max(1, steps); i++) {
          const trackSteps = new Map(
            shipped.tracks.map((t) => {
              const step = t.steps[Math.min(i, t.steps.length - 1)];
              return [t.id, { step: step?.id ?? '', since: NOW }];
            }),
          );
          const state = { ...stateIn(stage.id), trackSteps };
          expect(evaluateRoadmap(shipped, only, state, NOW), `${id} ${stage.id} step ${i}`).toEqual(
            evaluateRoadmap(shipped, all, state, NOW),
          );
        }
      }
    }
    expect(fewer).toBeGreaterThan(5);
  });

  it('reports a quiet roadmap: first stage, trigger ok, nothing stale', () => {
    const report = evaluate(QUIET);
    expect(report.roadmap).toEqual({
      id: 'example',
      name: 'Example SaaS — scaling roadmap',
      timezone: 'America/New_York',
    });
    expect(report.evaluatedAt).toEqual(NOW);
    expect(report.stage).toEqual({
      id: 'tier0',
      name: 'Tier 0 — MVP launch',
      index: 0,
      users: { min: 0, max: 500 },
    });
    expect(report.next).toEqual({ id: 'tier1', name: 'Tier 1 — Early growth' });
    expect(report.stageCount).toBe(4);
    expect(report.triggers.map((t) => [t.id, t.kind, t.severity, t.state, t.reason])).toEqual([
      ['tier0.upgrade', 'upgrade', 'warning', 'ok', 'condition-false'],
      ['db-cpu-high', 'alert', 'critical', 'ok', 'condition-false'],
    ]);
    expect(report.stale).toEqual([]);
  });

  it('reports an approaching upgrade trigger with its comparisons', () => {
    const t = trigger(evaluate({ ...QUIET, active_users: 330 }), 'tier0.upgrade');
    expect(t.state).toBe('approaching');
    expect(t.condition).toBe('active_users >= 400 or response_time_p95 > 2s');
    expect(t.message).toBe(
      'Approaching Tier 0 capacity (400/500 users). Prepare the Tier 1 upgrade.',
    );
    expect(
      t.comparisons.map((c) => [c.metric, c.op, c.threshold, c.value, c.state, c.progress]),
    ).toEqual([
      ['active_users', '>=', 400, 330, 'approaching', 0.825],
      ['response_time_p95', '>', 2000, 800, 'ok', 0.4],
    ]);
    expect(t.memory).toEqual({ state: 'approaching', since: NOW });
  });

  it('fires the tier0 upgrade at once (no `for`)', () => {
    const t = trigger(evaluate({ ...QUIET, active_users: 400 }), 'tier0.upgrade');
    expect(t.state).toBe('firing');
    expect(t.memory.firingSince).toEqual(NOW);
  });

  describe('stale and missing data', () => {
    it('treats a point older than stale_after as no data, and lists it as stale', () => {
      const lastAt = ago(8 * DAY);
      const report = evaluate(
        { ...QUIET, active_users: 330 },
        { when: { response_time_p95: lastAt } },
      );
      const t = trigger(report, 'tier0.upgrade');
      // 330 < 400 and the other side unknown: the whole `or` is unknown, not false.
      expect(t.state).toBe('unknown');
      expect(t.missing).toEqual(['response_time_p95']);
      expect(t.comparisons[1]).toMatchObject({
        metric: 'response_time_p95',
        value: undefined,
        state: 'unknown',
      });
      expect(report.stale).toEqual([{ metric: 'response_time_p95', lastAt, reason: 'stale' }]);
      // The metric still shows its last value, marked stale.
      expect(metric(report, 'response_time_p95')).toMatchObject({
        value: 800,
        at: lastAt,
        stale: true,
      });
      // A gate checked from a stale metric is neither passed nor open.
      expect(gate(report, 'latency')).toMatchObject({ passed: false, state: 'unknown' });
    });

    it('counts a point exactly stale_after old as fresh, and one millisecond more as stale', () => {
      const exactly = evaluate(QUIET, { when: { response_time_p95: ago(7 * DAY) } });
      expect(exactly.stale).toEqual([]);
      expect(gate(exactly, 'latency')?.state).toBe('passed');
      const older = evaluate(QUIET, { when: { response_time_p95: ago(7 * DAY + 1) } });
      expect(older.stale.map((s) => s.metric)).toEqual(['response_time_p95']);
    });

    it('never makes a flag stale', () => {
      const report = evaluate(
        { ...QUIET, multi_region_needed: true },
        { state: stateIn('tier2'), when: { multi_region_needed: ago(400 * DAY) } },
      );
      expect(report.stale).toEqual([]);
      expect(trigger(report, 'tier2.upgrade').state).toBe('firing');
    });

    it('lists never-recorded metrics as missing, with no last point', () => {
      const { cache_hit_rate: _c, multi_region_needed: _m, ...rest } = QUIET;
      const report = evaluate(rest);
      expect(report.stale).toEqual([
        { metric: 'cache_hit_rate', reason: 'missing' },
        { metric: 'multi_region_needed', reason: 'missing' },
      ]);
      expect(metric(report, 'cache_hit_rate')).toEqual({
        name: 'cache_hit_rate',
        label: 'cache_hit_rate',
        unit: 'percent',
        derived: false,
        stale: false,
        reviewDue: false,
      });
    });

    it('makes an alert unknown when its metric has no data', () => {
      const { database_cpu: _cpu, ...rest } = QUIET;
      const t = trigger(evaluate(rest), 'db-cpu-high');
      expect(t).toMatchObject({ state: 'unknown', reason: 'no-data', missing: ['database_cpu'] });
    });
  });

  describe('derived metric conversion', () => {
    it('is computed from the latest values of its inputs', () => {
      const report = evaluate({ ...QUIET, paid_users: 30, active_users: 400 });
      expect(metric(report, 'conversion')).toEqual({
        name: 'conversion',
        label: 'conversion',
        unit: 'percent',
        value: 7.5,
        derived: true,
        stale: false,
        reviewDue: false,
      });
    });

    it('has no value when an input is stale or zero, and is never listed as stale itself', () => {
      const staleInput = evaluate(QUIET, { when: { paid_users: ago(30 * DAY) } });
      expect(metric(staleInput, 'conversion')?.value).toBeUndefined();
      expect(staleInput.stale.map((s) => s.metric)).toEqual(['paid_users']);
      const zero = evaluate({ ...QUIET, active_users: 0 });
      expect(metric(zero, 'conversion')?.value).toBeUndefined();
      expect(zero.stale).toEqual([]);
    });
  });

  describe('budget (infra_cost against the stage band)', () => {
    /** A v1 budget: its v1 fields, and the same as the one line `infra` and its monthly total. */
    const v1Budget = (
      min: number,
      max: number,
      cost: number | undefined,
      state: 'under' | 'within' | 'over' | 'unknown',
    ) => ({
      min,
      max,
      ...(cost !== undefined ? { cost } : {}),
      state,
      lines: [
        {
          id: 'infra',
          per: 'month',
          min,
          max,
          hasMin: true,
          hasMax: true,
          metric: 'infra_cost',
          ...(cost !== undefined ? { value: cost } : {}),
          state,
          watched: false,
        },
      ],
      totals: [{ per: 'month', min, max, ...(cost !== undefined ? { value: cost } : {}), state }],
    });

    it.each([
      [50, 'under'],
      [100, 'within'],
      [150, 'within'],
      [200, 'within'],
      [250, 'over'],
    ] as const)('infra_cost %i in tier0 ($100–$200) is %s', (cost, state) => {
      expect(evaluate({ ...QUIET, infra_cost: cost }).budget).toEqual(
        v1Budget(100, 200, cost, state),
      );
    });

    it('is unknown without fresh infra_cost', () => {
      const { infra_cost: _cost, ...rest } = QUIET;
      expect(evaluate(rest).budget).toEqual(v1Budget(100, 200, undefined, 'unknown'));
      expect(evaluate(QUIET, { when: { infra_cost: ago(10 * DAY) } }).budget?.state).toBe(
        'unknown',
      );
    });

    it('follows the current stage, and is absent for a stage without one', () => {
      expect(evaluate({ ...QUIET, infra_cost: 250 }, { state: stateIn('tier1') }).budget).toEqual(
        v1Budget(300, 500, 250, 'under'),
      );
      expect(evaluate(QUIET, { state: stateIn('tier2') }).budget).toBeUndefined();
    });
  });

  describe('gates', () => {
    it('leaves a manual gate open until a person ticks it', () => {
      const report = evaluate(QUIET);
      expect(gate(report, 'no-secrets')).toEqual({
        id: 'no-secrets',
        text: 'No hardcoded secrets',
        kind: 'manual',
        passed: false,
        state: 'open',
        comparisons: [],
      });
    });

    it('passes a manual gate ticked in the state, with who and when', () => {
      const tickedAt = new Date('2026-02-20T15:00:00Z');
      const state: RoadmapState = {
        ...stateIn(),
        gateChecks: new Map([['no-secrets', { passed: true, actor: 'alice', at: tickedAt }]]),
      };
      expect(gate(evaluate(QUIET, { state }), 'no-secrets')).toMatchObject({
        passed: true,
        state: 'passed',
        by: 'alice',
        at: tickedAt,
      });
      // An untick is remembered too: open again, with who did it.
      const unticked: RoadmapState = {
        ...stateIn(),
        gateChecks: new Map([['no-secrets', { passed: false, actor: 'bob', at: tickedAt }]]),
      };
      expect(gate(evaluate(QUIET, { state: unticked }), 'no-secrets')).toMatchObject({
        passed: false,
        state: 'open',
        by: 'bob',
      });
    });

    it('checks a gate with `check` from the metrics, ignoring ticks', () => {
      expect(gate(evaluate({ ...QUIET, response_time_p95: 1999 }), 'latency')).toMatchObject({
        kind: 'check',
        passed: true,
        state: 'passed',
      });
      const slow = gate(evaluate({ ...QUIET, response_time_p95: 2500 }), 'latency');
      expect(slow).toMatchObject({ kind: 'check', passed: false, state: 'open' });
      expect(slow?.comparisons.map((c) => [c.metric, c.op, c.threshold, c.value])).toEqual([
        ['response_time_p95', '<', 2000, 2500],
      ]);
      const ticked: RoadmapState = {
        ...stateIn(),
        gateChecks: new Map([['latency', { passed: true, actor: 'alice', at: NOW }]]),
      };
      expect(
        gate(evaluate({ ...QUIET, response_time_p95: 2500 }, { state: ticked }), 'latency')?.passed,
      ).toBe(false);
    });

    it('shows the gates of the current stage only', () => {
      expect(evaluate(QUIET, { state: stateIn('tier1') }).gates.map((g) => g.id)).toEqual([
        'cache-hit',
      ]);
      expect(evaluate(QUIET, { state: stateIn('tier3') }).gates).toEqual([]);
    });
  });

  describe('targets', () => {
    const target = (report: Report) => report.targets[0];

    it('is open before its condition holds, with its deadline', () => {
      expect(target(evaluate({ ...QUIET, paid_users: 30, mrr: 900 }))).toMatchObject({
        id: 'first-100-paid',
        state: 'open',
        by: 'month 3',
        deadline: DEADLINE,
        condition: 'paid_users >= 100 and mrr >= $1.5k',
      });
    });

    it('is met when its condition holds, at the evaluation time', () => {
      const t = target(evaluate({ ...QUIET, paid_users: 100, mrr: 1500 }));
      expect(t).toMatchObject({ state: 'met', metAt: NOW });
    });

    it('stays met once remembered in targetsMet, even when the condition no longer holds or the deadline passed', () => {
      const metAt = new Date('2026-02-10T00:00:00Z');
      const state: RoadmapState = {
        ...stateIn(),
        targetsMet: new Map([['first-100-paid', metAt]]),
      };
      expect(target(evaluate({ ...QUIET, paid_users: 10 }, { state }))).toMatchObject({
        state: 'met',
        metAt,
      });
      expect(
        target(
          evaluate({ ...QUIET, paid_users: 10 }, { state, now: new Date('2026-06-01T00:00:00Z') }),
        ),
      ).toMatchObject({ state: 'met', metAt });
    });

    it('is missed from the deadline on when never met', () => {
      const values = { ...QUIET, paid_users: 30 };
      const before = new Date(DEADLINE.getTime() - 1);
      expect(
        target(
          evaluateRoadmap(
            roadmap,
            snapshotOf(roadmap, values, ago(MINUTE, before)),
            stateIn(),
            before,
          ),
        )?.state,
      ).toBe('open');
      expect(
        target(
          evaluateRoadmap(
            roadmap,
            snapshotOf(roadmap, values, ago(MINUTE, DEADLINE)),
            stateIn(),
            DEADLINE,
          ),
        )?.state,
      ).toBe('missed');
    });

    it('is open, not met, while its data is missing', () => {
      const { mrr: _mrr, ...rest } = QUIET;
      const t = target(evaluate({ ...rest, paid_users: 150 }));
      expect(t).toMatchObject({ state: 'open', missing: ['mrr'] });
      expect(t?.metAt).toBeUndefined();
    });
  });

  describe('the current stage', () => {
    it('is the one in the state, with since and the next stage', () => {
      const since = new Date('2026-02-01T00:00:00Z');
      const report = evaluate(QUIET, { state: stateIn('tier1', since) });
      expect(report.stage).toEqual({
        id: 'tier1',
        name: 'Tier 1 — Early growth',
        index: 1,
        since,
        users: { min: 500, max: 2000 },
      });
      expect(report.next).toEqual({ id: 'tier2', name: 'Tier 2 — Growth' });
      // Only the current stage's upgrade is watched, with the roadmap's alerts.
      expect(report.triggers.map((t) => t.id)).toEqual(['tier1.upgrade', 'db-cpu-high']);
    });

    it('falls back to the first stage when the remembered id is not in the file', () => {
      const state = stateIn('tier-gone');
      expect(currentStage(roadmap, state).id).toBe('tier0');
      const report = evaluate(QUIET, { state });
      expect(report.stage.id).toBe('tier0');
      // The remembered since belonged to another stage: not shown.
      expect(report.stage.since).toBeUndefined();
    });

    it('has no next stage and no upgrade trigger at the last stage', () => {
      const report = evaluate(QUIET, { state: stateIn('tier3') });
      expect(report.next).toBeUndefined();
      expect(report.triggers.map((t) => t.id)).toEqual(['db-cpu-high']);
    });
  });

  describe('trigger memory across evaluations', () => {
    it('waits out the tier1 `for: 1h` before firing', () => {
      const since = new Date('2026-02-01T00:00:00Z');
      const values = { ...QUIET, active_users: 1700 };
      const first = evaluate(values, { state: stateIn('tier1', since) });
      expect(trigger(first, 'tier1.upgrade')).toMatchObject({
        state: 'pending',
        reason: 'for-not-elapsed',
      });

      const withMemory = (memory: TriggerMemory): RoadmapState => ({
        ...stateIn('tier1', since),
        triggers: new Map([['tier1.upgrade', memory]]),
      });
      const later = new Date(NOW.getTime() + HOUR);
      const second = evaluateRoadmap(
        roadmap,
        snapshotOf(roadmap, values, ago(MINUTE, later)),
        withMemory(trigger(first, 'tier1.upgrade').memory),
        later,
      );
      expect(trigger(second, 'tier1.upgrade')).toMatchObject({
        state: 'firing',
        reason: 'for-elapsed',
        memory: { activeSince: NOW, firingSince: later },
      });
    });

    it('keeps db-cpu-high firing until clear_when (cpu < 70%) holds', () => {
      const firing: TriggerMemory = {
        state: 'firing',
        since: ago(HOUR),
        activeSince: ago(HOUR),
        firingSince: ago(HOUR),
      };
      const state: RoadmapState = { ...stateIn(), triggers: new Map([['db-cpu-high', firing]]) };
      expect(
        trigger(evaluate({ ...QUIET, database_cpu: 75 }, { state }), 'db-cpu-high'),
      ).toMatchObject({ state: 'firing', reason: 'clear-condition-not-met' });
      expect(
        trigger(evaluate({ ...QUIET, database_cpu: 65 }, { state }), 'db-cpu-high'),
      ).toMatchObject({ state: 'resolved', reason: 'cleared' });
    });
  });
});

describe('statusJson', () => {
  const report = evaluate(
    { ...QUIET, active_users: 330 },
    { state: stateIn('tier0', new Date('2026-01-15T00:00:00Z')) },
  );
  const json = statusJson(report);

  it('has the contract fields with the right types', () => {
    expect(json.roadmap).toEqual(
      expect.objectContaining({ id: 'example', name: 'Example SaaS — scaling roadmap' }),
    );
    expect(json.stage).toEqual(
      expect.objectContaining({
        id: 'tier0',
        name: 'Tier 0 — MVP launch',
        since: '2026-01-15T00:00:00.000Z',
      }),
    );

    expect(Array.isArray(json.triggers)).toBe(true);
    expect(json.triggers.length).toBeGreaterThan(0);
    for (const t of json.triggers) {
      expect(t).toEqual(
        expect.objectContaining({
          id: expect.any(String),
          state: expect.any(String),
          comparisons: expect.any(Array),
        }),
      );
      expect(['ok', 'approaching', 'pending', 'firing', 'resolved', 'unknown']).toContain(t.state);
      for (const c of t.comparisons) {
        expect(c).toEqual(
          expect.objectContaining({
            metric: expect.any(String),
            op: expect.any(String),
            threshold: expect.any(Number),
            value: expect.any(Number),
            state: expect.any(String),
            progress: expect.any(Number),
          }),
        );
      }
    }
    expect(json.triggers[0]).toEqual(
      expect.objectContaining({
        id: 'tier0.upgrade',
        state: 'approaching',
        comparisons: [
          expect.objectContaining({
            metric: 'active_users',
            op: '>=',
            threshold: 400,
            value: 330,
            state: 'approaching',
            progress: 0.825,
          }),
          expect.objectContaining({
            metric: 'response_time_p95',
            op: '>',
            threshold: 2000,
            value: 800,
            state: 'ok',
            progress: 0.4,
          }),
        ],
      }),
    );

    expect(json.gates).toEqual([
      expect.objectContaining({ id: 'no-secrets', passed: false }),
      expect.objectContaining({ id: 'latency', passed: true }),
    ]);
    expect(json.targets).toEqual([
      expect.objectContaining({ id: 'first-100-paid', state: 'open' }),
    ]);
    expect(json.stale).toEqual([]);
  });

  it('uses null, never undefined, for what is not known, and survives a JSON round trip', () => {
    const { response_time_p95: _p95, ...rest } = QUIET;
    const sparse = statusJson(evaluate(rest, { state: stateIn('tier-gone') }));
    expect(sparse.stage.since).toBeNull();
    const comparison = sparse.triggers[0]?.comparisons[1];
    expect(comparison).toEqual(
      expect.objectContaining({
        metric: 'response_time_p95',
        value: null,
        progress: null,
        state: 'unknown',
      }),
    );
    expect(sparse.stale).toEqual([
      expect.objectContaining({ metric: 'response_time_p95', reason: 'missing' }),
    ]);
    expect(JSON.parse(JSON.stringify(sparse))).toEqual(sparse);
  });

  it('lists a stale metric with its last point', () => {
    const lastAt = ago(8 * DAY);
    const stale = statusJson(evaluate(QUIET, { when: { cache_hit_rate: lastAt } }));
    expect(stale.stale).toEqual([
      expect.objectContaining({
        metric: 'cache_hit_rate',
        reason: 'stale',
        last_at: lastAt.toISOString(),
      }),
    ]);
  });
});
