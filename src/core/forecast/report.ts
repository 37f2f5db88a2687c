/**
 * Forecasts for everything a status shows: each comparison of the report's triggers (the
 * current stage's upgrade and the alerts) and targets, each metric's history fitted once,
 * and each target's outlook. Pure: the shell fetches the histories (`forecastNeeds` says
 * which) and attaches the result where it renders.
 */
import { walk } from '../condition/ast.js';
import type { ComparisonResult } from '../condition/evaluate.js';
import { alertsWatchedIn } from '../evaluate/reads.js';
import type { Report } from '../evaluate/report.js';
import type { Roadmap, Stage } from '../roadmap/model.js';
import type { HistoryPoint } from './fit.js';
import type { Forecast, ForecastOptions, SeriesFit } from './forecast.js';
import { fitHistory, forecastFromFit, isForecastOp } from './forecast.js';
import type { TargetOutlookResult } from './targets.js';
import { targetOutlook } from './targets.js';

/** A report with its forecasts attached (the shell adds them after evaluating). */
export type ForecastedReport = Report & { forecasts?: ReportForecasts };

export interface ReportForecasts {
  /** Per trigger id, one entry per comparison (same order); undefined where none can be made. */
  triggers: Map<string, (Forecast | undefined)[]>;
  /** Per target id: its comparisons' forecasts and its outlook. */
  targets: Map<string, { comparisons: (Forecast | undefined)[]; outlook: TargetOutlookResult }>;
  /**
   * v2: per watched budget line id, when its metric is forecast to pass the line's max (the
   * forecast of its `budget.<line-id>` trigger, against the max as it evaluates now).
   */
  budgets?: Map<string, Forecast | undefined>;
}

/** A comparison can be forecast when it compares one metric (maybe aggregated) with `> >= < <=`. */
const forecastable = (c: ComparisonResult, metrics: ReadonlySet<string>) =>
  c.threshold !== undefined && isForecastOp(c.op) && metrics.has(c.metric);

/**
 * The recorded metrics whose history a forecast of an evaluation in `stage` may read: those
 * its triggers and targets compare, known before the evaluation, so the shell can read the
 * histories while it reads the snapshot. (A derived metric has no stored history.)
 */
export function forecastNeeds(roadmap: Roadmap, stage: Stage): string[] {
  const names = new Set<string>();
  const conditions = [
    ...(stage.upgrade ? [stage.upgrade.when, stage.upgrade.clearWhen] : []),
    ...alertsWatchedIn(roadmap, stage).flatMap((a) => [a.when, a.clearWhen]),
    ...roadmap.targets.map((t) => t.when),
    // v2 tracks' triggers compare the steps' `when`s and the limits (a track stands at any step).
    ...roadmap.tracks.flatMap((t) => t.steps.map((s) => s.when)),
  ];
  for (const track of roadmap.tracks)
    for (const step of track.steps)
      for (const { metric } of step.capacity)
        if (!roadmap.metrics.get(metric)?.derive) names.add(metric);
  // A watched budget line's metric gets a burn date (`over_eta`).
  for (const line of stage.budgetLines)
    if (line.watched && line.metric && !roadmap.metrics.get(line.metric)?.derive)
      names.add(line.metric);
  for (const condition of conditions) {
    if (!condition) continue;
    walk(condition.expr, (node) => {
      const name =
        node.kind === 'metric' ? node.name : node.kind === 'call' ? node.metric : undefined;
      if (
        name !== undefined &&
        roadmap.metrics.get(name)?.derive === undefined &&
        roadmap.metrics.has(name)
      )
        names.add(name);
    });
  }
  return [...names];
}

/** How a metric's history is fitted: fitHistory, or a FitCache's `fit` (fit-cache.ts). */
export type FitSeries = (
  metric: string,
  history: readonly HistoryPoint[],
  now: Date,
  options: ForecastOptions,
) => SeriesFit;

/**
 * Forecasts every comparison of `report` at its evaluation time from `histories` (metric →
 * points over at least the forecast window). A metric without history gets not-enough-data.
 */
export function forecastReport(
  report: Report,
  histories: ReadonlyMap<string, readonly HistoryPoint[]>,
  options: ForecastOptions & { basis?: 'eta' | 'high' } = {},
  fitSeries: FitSeries = (_metric, history, now, o) => fitHistory(history, now, o),
): ReportForecasts {
  const { basis, ...fitOptions } = options;
  const now = report.evaluatedAt;
  const metrics = new Set(report.metrics.map((m) => m.name));
  const fits = new Map<string, SeriesFit>();
  const of = (c: ComparisonResult): Forecast | undefined => {
    if (!forecastable(c, metrics)) return undefined;
    let fit = fits.get(c.metric);
    if (!fit) {
      fit = fitSeries(c.metric, histories.get(c.metric) ?? [], now, fitOptions);
      fits.set(c.metric, fit);
    }
    // An aggregate (`avg(m, 1d) > x`) is reached when the value the evaluator saw is.
    const current = c.fn && c.value !== undefined ? { current: c.value } : {};
    return forecastFromFit(fit, {
      op: c.op as '>' | '>=' | '<' | '<=',
      threshold: c.threshold as number,
      ...current,
    });
  };
  const triggers = new Map(report.triggers.map((t) => [t.id, t.comparisons.map(of)]));
  const targets = new Map(
    report.targets.map((t) => {
      const comparisons = t.comparisons.map(of);
      const outlook = targetOutlook(
        {
          ...(t.metAt ? { metAt: t.metAt } : {}),
          ...(t.deadline ? { deadline: t.deadline } : {}),
          comparisons: t.comparisons.map((c, i) => ({
            state: c.state,
            ...(comparisons[i] ? { forecast: comparisons[i] } : {}),
          })),
        },
        now,
        basis ? { basis } : {},
      );
      return [t.id, { comparisons, outlook }];
    }),
  );
  const budgets = new Map(
    (report.budget?.lines ?? [])
      .filter((l) => l.watched)
      .map((l) => [l.id, triggers.get(`budget.${l.id}`)?.[0]]),
  );
  return { triggers, targets, budgets };
}

/**
 * The `status --json` fields of one comparison's forecast: `forecast` (its status),
 * `eta`, `eta_low`, `eta_high` (ISO instants; `eta_high` null when the interval is open)
 * and `model`, all null when there is no ETA.
 */
export function forecastJson(f: Forecast | undefined) {
  const eta = f?.status === 'eta' ? f : undefined;
  return {
    forecast: f?.status ?? null,
    eta: eta ? eta.eta.toISOString() : null,
    eta_low: eta ? eta.low.toISOString() : null,
    eta_high: eta?.high ? eta.high.toISOString() : null,
    model: eta ? eta.model : null,
  };
}
