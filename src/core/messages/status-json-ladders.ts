import type { Report } from '../evaluate/report.js';

const iso = (d: Date | undefined) => (d ? d.toISOString() : null);

/**
 * The `status --json` fields of tracks, to-dos and plans (docs/ROADMAP_FORMAT.md, "What
 * `status --json` adds"): `tracks`, `actions`, `plan`. Empty lists in a file without them.
 */
export function laddersJson(report: Pick<Report, 'tracks' | 'actions' | 'plans'>) {
  return {
    tracks: report.tracks.map((t) => ({
      id: t.id,
      name: t.name,
      current: { id: t.current.id, since: iso(t.current.since) },
      due: { id: t.due.id },
      steps: t.steps.map((s) => ({ id: s.id, name: s.name, cost: s.cost ?? null })),
      // over_capacity | upgrade_due | approaching_capacity | unknown | ok
      state: t.state,
      capacity: t.capacity.map((c) => ({
        metric: c.metric,
        limit: c.limit,
        value: c.value ?? null,
        progress: c.progress ?? null,
        state: c.state,
      })),
    })),
    actions: report.actions.map((a) => ({
      id: a.id,
      text: a.text,
      // open | due | overdue | done
      state: a.state,
      due_at: iso(a.dueAt),
      // As written (`month 9`); `deadline` is the instant it passes, as for targets.
      by: a.by ?? null,
      deadline: iso(a.deadline),
      done_by: a.doneBy ?? null,
      done_at: iso(a.doneAt),
    })),
    plan: report.plans.map((p) => ({
      metric: p.metric,
      by: p.by ?? null,
      expected: p.expected ?? null,
      low: p.low ?? null,
      high: p.high ?? null,
      value: p.value ?? null,
      delta_pct: p.deltaPct ?? null,
      // ahead | on_plan | behind | before_plan | unknown
      state: p.state,
      scenario: p.scenario ?? null,
    })),
  };
}
