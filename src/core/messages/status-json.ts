import type { Report } from '../evaluate/report.js';
import { forecastJson, type ForecastedReport } from '../forecast/report.js';
import { laddersJson } from './status-json-ladders.js';
import { budgetJson, lapsedJson, plannedJson, teamJson } from './status-json-money.js';

/**
 * The `status --json` document: a stable contract (documented in the README). Fields may be
 * added; none is renamed or removed without a major version.
 */
export function statusJson(report: Report | ForecastedReport) {
  const forecasts = 'forecasts' in report ? report.forecasts : undefined;
  const iso = (d: Date | undefined) => (d ? d.toISOString() : null);
  return {
    roadmap: { id: report.roadmap.id, name: report.roadmap.name },
    evaluated_at: report.evaluatedAt.toISOString(),
    stage: {
      id: report.stage.id,
      name: report.stage.name,
      index: report.stage.index,
      since: iso(report.stage.since),
      planned: plannedJson(report.stage.planned),
    },
    next_stage: report.next ? { id: report.next.id, name: report.next.name } : null,
    triggers: report.triggers.map((t) => ({
      id: t.id,
      kind: t.kind,
      severity: t.severity,
      state: t.state,
      condition: t.condition,
      comparisons: t.comparisons.map((c, i) => ({
        metric: c.metric,
        ...(c.fn ? { fn: c.fn } : {}),
        ...(c.window ? { window: c.window } : {}),
        op: c.op,
        threshold: c.threshold ?? null,
        value: c.value ?? null,
        state: c.state,
        progress: c.progress ?? null,
        // When it will be reached: `eta` with its 80% interval, or why there is none (`forecast`).
        ...forecastJson(forecasts?.triggers.get(t.id)?.[i]),
      })),
      missing: t.missing,
    })),
    gates: report.gates.map((g) => ({
      id: g.id,
      text: g.text,
      passed: g.passed,
      state: g.state,
      kind: g.kind,
      by: g.by ?? null,
      at: iso(g.at),
    })),
    budget: budgetJson(report.budget, forecasts),
    team: teamJson(report.team),
    targets: report.targets.map((t) => {
      const outlook = forecasts?.targets.get(t.id);
      return {
        id: t.id,
        // met | on_track | at_risk | missed with a forecast; met | open | missed without one;
        // lapsed: a kept target no longer holding (its outlook knows only that it was met).
        state: t.state === 'lapsed' ? t.state : (outlook?.outlook.state ?? t.state),
        ...(outlook ? { reason: outlook.outlook.reason, eta: iso(outlook.outlook.eta) } : {}),
        by: t.by ?? null,
        deadline: iso(t.deadline),
        met_at: iso(t.metAt),
        comparisons: t.comparisons.map((c, i) => ({
          metric: c.metric,
          op: c.op,
          threshold: c.threshold ?? null,
          value: c.value ?? null,
          state: c.state,
          ...forecastJson(outlook?.comparisons[i]),
        })),
        ...lapsedJson(t),
      };
    }),
    metrics: report.metrics.map((m) => ({
      name: m.name,
      unit: m.unit,
      value: m.value ?? null,
      at: iso(m.at),
      stale: m.stale,
      review_due: m.reviewDue,
    })),
    stale: report.stale.map((s) => ({
      metric: s.metric,
      reason: s.reason,
      last_at: iso(s.lastAt),
    })),
    collectors: report.collectors.map((c) => ({
      metric: c.metric,
      failing_since: c.failingSince.toISOString(),
      error: c.error,
    })),
    ...laddersJson(report),
  };
}

export type StatusJson = ReturnType<typeof statusJson>;
