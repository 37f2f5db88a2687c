import { describe, expect, it } from 'vitest';
import { evaluateRoadmap, type Report } from '../../src/core/evaluate/report.js';
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import { isForecastOp } from '../../src/core/forecast/forecast.js';
import { forecastJson, forecastNeeds, forecastReport } from '../../src/core/forecast/report.js';
import {
  shippedRoadmap,
  shippedRoadmapIds,
  snapshotOf,
  someValues,
  stateIn,
} from '../support/roadmaps.js';
import { DAY, NOW, daysAfter, series } from './support.js';

// The example roadmap at Tier 0: upgrade `active_users >= 400 or response_time_p95 > 2s`,
// alert `database_cpu > 80%`, target `paid_users >= 100 and mrr >= $1.5k` by month 3 (2026-04-01).
function reportFor(histories: Map<string, HistoryPoint[]>): Report {
  const latest = new Map(
    [...histories].map(([metric, points]) => {
      const last = points[points.length - 1] as HistoryPoint;
      return [metric, { value: last.v, at: last.t }];
    }),
  );
  return evaluateRoadmap(
    shippedRoadmap('example'),
    { latest, windows: new Map() },
    { gateChecks: new Map(), triggers: new Map(), targetsMet: new Map() },
    NOW,
  );
}

describe('forecasts for a whole status', () => {
  const histories = new Map([
    ['active_users', series(28, DAY, (d) => 300 + 5 * d)], // 400 in 20 days
    ['response_time_p95', series(28, DAY, () => 700)], // flat
    ['database_cpu', series(28, DAY, (d) => 85 + d)], // already above 80%
    ['paid_users', series(28, DAY, (d) => 70 + 2 * d)], // 100 in 15 days
    ['mrr', series(28, DAY, (d) => 1000 + 25 * d)], // $1.5k in 20 days
  ]);
  const report = reportFor(histories);

  it('names the metrics whose history it needs before evaluating', () => {
    const roadmap = shippedRoadmap('example');
    expect(forecastNeeds(roadmap, roadmap.stages[0]!).sort()).toEqual([
      'active_users',
      'database_cpu',
      'mrr',
      'paid_users',
      'response_time_p95',
    ]);
  });

  it('names, in every stage of every shipped roadmap, each recorded metric a forecast compares', () => {
    let checked = 0;
    for (const id of shippedRoadmapIds()) {
      const roadmap = shippedRoadmap(id);
      const values = someValues(roadmap);
      for (const stage of roadmap.stages) {
        const evaluated = evaluateRoadmap(
          roadmap,
          snapshotOf(roadmap, values, NOW),
          stateIn(stage.id),
          NOW,
        );
        const needs = new Set(forecastNeeds(roadmap, stage));
        const compared = [...evaluated.triggers, ...evaluated.targets].flatMap(
          (t) => t.comparisons,
        );
        for (const c of compared.filter(
          (c) =>
            c.threshold !== undefined &&
            isForecastOp(c.op) &&
            roadmap.metrics.get(c.metric)?.derive === undefined &&
            roadmap.metrics.has(c.metric),
        )) {
          expect(needs, `${id} ${stage.id}: ${c.text}`).toContain(c.metric);
          checked++;
        }
      }
    }
    expect(checked).toBeGreaterThan(50);
  });

  it('forecasts every comparison of the triggers, in order, and each target with its outlook', () => {
    const result = forecastReport(report, histories);
    const upgrade = result.triggers.get('tier0.upgrade');
    expect(upgrade?.map((f) => f?.status)).toEqual(['eta', 'not-trending']);
    expect(upgrade?.[0]?.status === 'eta' && upgrade[0].eta).toEqual(daysAfter(20));
    expect(result.triggers.get('db-cpu-high')).toEqual([{ status: 'reached' }]);
    const target = result.targets.get('first-100-paid');
    expect(target?.outlook).toEqual({ state: 'on_track', reason: 'on-time', eta: daysAfter(20) });
  });

  it('puts a target at risk when a comparison will not make the deadline; a metric without history has no data', () => {
    const slow = new Map(histories).set(
      'mrr',
      series(28, DAY, (d) => 1000 + 5 * d),
    ); // $1.5k in 100 days
    const late = forecastReport(reportFor(slow), slow).targets.get('first-100-paid');
    expect(late?.outlook).toEqual({ state: 'at_risk', reason: 'late', blocking: 1 });
    const none = forecastReport(report, new Map()).targets.get('first-100-paid');
    expect(none?.outlook).toMatchObject({
      state: 'at_risk',
      reason: 'not-enough-data',
      blocking: 0,
    });
  });

  it('gives status JSON its forecast fields', () => {
    const result = forecastReport(report, histories);
    expect(forecastJson(result.triggers.get('tier0.upgrade')?.[0])).toEqual({
      forecast: 'eta',
      eta: '2026-03-21T00:00:00.000Z',
      eta_low: '2026-03-21T00:00:00.000Z',
      eta_high: '2026-03-21T00:00:00.000Z',
      model: 'linear',
    });
    expect(forecastJson({ status: 'not-trending', reason: 'flat' })).toEqual({
      forecast: 'not-trending',
      eta: null,
      eta_low: null,
      eta_high: null,
      model: null,
    });
    expect(forecastJson(undefined)).toEqual({
      forecast: null,
      eta: null,
      eta_low: null,
      eta_high: null,
      model: null,
    });
  });
});
