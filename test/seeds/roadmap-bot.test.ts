import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { Report, RoadmapState, Snapshot } from '../../src/core/evaluate/report.js';
import { evaluateRoadmap } from '../../src/core/evaluate/report.js';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';
import { loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { ROADMAPS_DIR, shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';

/**
 * roadmaps/roadmap-bot.yaml: the bot's own scaling roadmap (docs/SCALING.md), walked through
 * the pure evaluator as the scheduler would run it, one evaluation after another with the
 * trigger memory of the previous one.
 */

const T0 = new Date('2026-06-15T12:00:00Z');
const MINUTE = 60_000;
const at = (minutes: number) => new Date(T0.getTime() + minutes * MINUTE);

/** A healthy deployment: every collected and pushed metric has a calm value. */
const HEALTHY = {
  command_p99: 0.12,
  evaluation_p99: 0.03,
  evaluation_busy: 0.05,
  event_loop_lag_p99: 0.012,
  cpu_busy: 0.1,
  resident_memory: 150_000_000,
  outbox_waiting: 0,
  deliveries_failed_1h: 0,
  collector_failures_1h: 0,
  replicas: 1,
  workspaces: 3,
  roadmaps: 7,
  db_connections: 12,
  database_cpu: 15,
  metric_points_bytes: 200_000_000,
} satisfies Record<string, number>;

type Values = Partial<Record<keyof typeof HEALTHY, number>>;

const roadmap: Roadmap = shippedRoadmap('roadmap-bot');

/** Evaluates at `now` with the values (measured a minute before) and the previous report's memory. */
function evaluate(
  stage: string,
  values: Values,
  now: Date,
  previous?: Report,
  snapshot?: Snapshot,
): Report {
  const memory = new Map<string, TriggerMemory>(
    (previous?.triggers ?? []).map((t) => [t.id, t.memory]),
  );
  const state: RoadmapState = { ...stateIn(stage), triggers: memory };
  return evaluateRoadmap(
    roadmap,
    snapshot ?? snapshotOf(roadmap, { ...HEALTHY, ...values }, new Date(now.getTime() - MINUTE)),
    state,
    now,
  );
}

function trigger(report: Report, id: string) {
  const found = report.triggers.find((t) => t.id === id);
  if (!found) throw new Error(`no trigger ${id} in stage ${report.stage.id}`);
  return found;
}

const states = (report: Report) => Object.fromEntries(report.triggers.map((t) => [t.id, t.state]));

describe('roadmaps/roadmap-bot.yaml', () => {
  it('loads without errors or warnings, with its metrics in the units the queries return', () => {
    const file = path.join(ROADMAPS_DIR, 'roadmap-bot.yaml');
    const result = loadRoadmap(file, readFileSync(file, 'utf8'));
    expect(result.ok).toBe(true);
    expect(result.warnings).toEqual([]);
    expect(roadmap.stages.map((s) => s.id)).toEqual(['single', 'replicas', 'pgbouncer', 'cells']);
    const units = Object.fromEntries([...roadmap.metrics.values()].map((m) => [m.name, m.unit]));
    expect(units).toMatchObject({
      command_p99: 's',
      evaluation_busy: 'ratio',
      resident_memory: 'bytes',
      outbox_waiting: 'count',
      database_cpu: 'percent',
      metric_points_bytes: 'bytes',
    });
    // Collected metrics read the bot's own /metrics through Prometheus, every minute.
    const collected = [...roadmap.metrics.values()].filter((m) => m.source);
    expect(collected.length).toBeGreaterThanOrEqual(9);
    for (const metric of collected) {
      expect(metric.source).toMatchObject({
        kind: 'prometheus',
        url: 'ROADMAP_BOT_PROMETHEUS_URL',
        everyMs: MINUTE,
      });
      expect(metric.source?.kind === 'prometheus' ? metric.source.query : '').toMatch(
        /roadmap_bot_/,
      );
    }
    expect(roadmap.alerts.map((a) => a.id)).toEqual(
      expect.arrayContaining(['slack-deadline', 'outbox-backing-up', 'deliveries-failing']),
    );
  });

  it('a quiet single replica: every trigger ok, the scrape gate passes, nothing stale', () => {
    const report = evaluate('single', {}, T0);
    expect(report.stage.id).toBe('single');
    expect(report.next?.id).toBe('replicas');
    expect(new Set(Object.values(states(report)))).toEqual(new Set(['ok']));
    expect(report.gates.find((g) => g.id === 'scraped')?.passed).toBe(true);
    expect(report.gates.filter((g) => g.kind === 'manual').every((g) => !g.passed)).toBe(true);
    expect(report.stale).toEqual([]);
  });

  it('command p99 approaching Slack’s 3 s deadline, then at it for 5 minutes: the critical alert fires', () => {
    // 2.6 s is 87% of the way to 3 s (approaching at 80%).
    const near = evaluate('replicas', { command_p99: 2.6 }, T0);
    const deadline = trigger(near, 'slack-deadline');
    expect(deadline.state).toBe('approaching');
    expect(deadline.comparisons[0]).toMatchObject({
      metric: 'command_p99',
      op: '>=',
      threshold: 3,
      value: 2.6,
      state: 'approaching',
    });
    expect(deadline.severity).toBe('critical');

    // The histogram's top finite bucket is 3 s, so a saturated p99 reads exactly 3.
    const at3 = evaluate('replicas', { command_p99: 3 }, at(1), near);
    expect(trigger(at3, 'slack-deadline').state).toBe('pending');
    const still = evaluate('replicas', { command_p99: 3 }, at(6), at3);
    expect(trigger(still, 'slack-deadline').state).toBe('firing');
    expect(trigger(still, 'slack-deadline').message).toMatch(/Slack's 3 s deadline/);

    // Hysteresis: 1.5 s is better but not good; below 1 s it resolves.
    const better = evaluate('replicas', { command_p99: 1.5 }, at(10), still);
    expect(trigger(better, 'slack-deadline').state).toBe('firing');
    expect(
      trigger(evaluate('replicas', { command_p99: 0.4 }, at(15), better), 'slack-deadline').state,
    ).toBe('resolved');
  });

  it('the outbox backing up for 15 minutes fires an alert, which holds until the backlog is small', () => {
    const start = evaluate('replicas', { outbox_waiting: 800 }, T0);
    expect(trigger(start, 'outbox-backing-up').state).toBe('pending');
    const later = evaluate('replicas', { outbox_waiting: 1200 }, at(15), start);
    expect(trigger(later, 'outbox-backing-up').state).toBe('firing');
    expect(trigger(later, 'outbox-backing-up').comparisons[0]).toMatchObject({
      value: 1200,
      threshold: 500,
    });
    const draining = evaluate('replicas', { outbox_waiting: 200 }, at(20), later);
    expect(trigger(draining, 'outbox-backing-up').state).toBe('firing');
    const drained = evaluate('replicas', { outbox_waiting: 30 }, at(25), draining);
    expect(trigger(drained, 'outbox-backing-up').state).toBe('resolved');
    // A parked delivery is its own alert, at once.
    expect(
      trigger(
        evaluate('replicas', { deliveries_failed_1h: 2 }, at(26), drained),
        'deliveries-failing',
      ).state,
    ).toBe('firing');
  });

  it('a single replica outgrows itself: event-loop lag over 100 ms for 15 minutes fires the upgrade to replicas', () => {
    const first = evaluate('single', { event_loop_lag_p99: 0.15 }, T0);
    const upgrade = trigger(first, 'single.upgrade');
    expect(upgrade.state).toBe('pending');
    expect(upgrade.comparisons.find((c) => c.metric === 'event_loop_lag_p99')).toMatchObject({
      threshold: 0.1,
      value: 0.15,
      state: 'met',
    });
    expect(
      trigger(evaluate('single', { event_loop_lag_p99: 0.15 }, at(15), first), 'single.upgrade')
        .state,
    ).toBe('firing');
    // In stage 2 the database is the next limit: 85 of 100 connections.
    expect(
      trigger(evaluate('replicas', { db_connections: 85, replicas: 4 }, T0), 'replicas.upgrade')
        .state,
    ).toBe('pending');
  });

  it('Prometheus unreachable: collected metrics go stale and their triggers say unknown, never ok', () => {
    const collected = [...roadmap.metrics.values()].filter((m) => m.source).map((m) => m.name);
    const old = snapshotOf(roadmap, HEALTHY, new Date(T0.getTime() - 20 * MINUTE));
    const fresh = snapshotOf(roadmap, HEALTHY, new Date(T0.getTime() - MINUTE));
    const latest = new Map(
      [...fresh.latest].map(([name, point]) => [
        name,
        collected.includes(name) ? (old.latest.get(name) ?? point) : point,
      ]),
    );
    const report = evaluate('single', {}, T0, undefined, { latest, windows: fresh.windows });
    expect(report.stale.map((s) => s.metric).sort()).toEqual([...collected].sort());
    expect(trigger(report, 'slack-deadline').state).toBe('unknown');
    expect(trigger(report, 'slack-deadline').missing).toEqual(['command_p99']);
    // workspaces (pushed, fresh) is below 10, but the collected parts are unknown: so is the upgrade.
    expect(trigger(report, 'single.upgrade').state).toBe('unknown');
    expect(report.gates.find((g) => g.id === 'scraped')?.state).toBe('unknown');
  });
});
