import type { BudgetReport, Report, TargetReport } from '../evaluate/report.js';
import type { ReportForecasts } from '../forecast/report.js';

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/**
 * The `status --json` fields of budgets, team, the stage's timeline and kept targets
 * (docs/ROADMAP_FORMAT.md, "What `status --json` adds"). Every field the page shows is present;
 * what a file does not have is null (or an empty list).
 */

/** `stage.planned`: `{ from, to, state }` (instants; early | on_time | late), null without `planned`. */
export function plannedJson(planned: Report['stage']['planned']) {
  return planned ? { from: iso(planned.from), to: iso(planned.to), state: planned.state } : null;
}

/**
 * `budget`: the v1 fields (`min`, `max`, `cost`, `state`) first, as they always were, then the
 * lines with their burn dates and the totals; null when the stage has neither budget nor team.
 */
export function budgetJson(
  budget: BudgetReport | undefined,
  forecasts: Pick<ReportForecasts, 'budgets'> | undefined,
) {
  if (!budget) return null;
  return {
    min: budget.min ?? null,
    max: budget.max ?? null,
    cost: budget.cost ?? null,
    state: budget.state,
    lines: budget.lines.map((l) => {
      const f = forecasts?.budgets?.get(l.id);
      return {
        id: l.id,
        per: l.per,
        min: l.min ?? null,
        // The bound as it evaluates now (a ramp where it stands, an expression over today's values).
        max: l.max ?? null,
        metric: l.metric ?? null,
        value: l.value ?? null,
        // under | within | over | unknown | planned
        state: l.state,
        // When the metric is forecast to pass the max; null when not forecast or already over.
        over_eta:
          l.watched && l.state !== 'over' && f?.status === 'eta' ? f.eta.toISOString() : null,
      };
    }),
    totals: budget.totals.map((t) => ({
      per: t.per,
      min: t.min ?? null,
      max: t.max ?? null,
      value: t.value ?? null,
    })),
  };
}

/** `team`: the current stage's roles (planned | later | hired | short). */
export function teamJson(team: Report['team']) {
  return team.map((r) => ({
    role: r.role,
    count: r.count,
    cost: r.cost ?? null,
    metric: r.metric ?? null,
    value: r.value ?? null,
    state: r.state,
  }));
}

/** `targets[].lapsed_since`: when a kept target stopped holding; null unless it is lapsed. */
export function lapsedJson(target: TargetReport) {
  return { lapsed_since: target.state === 'lapsed' ? iso(target.lapsedSince) : null };
}
