import { rememberedState } from '../alerts/episode.js';
import type { Report } from '../evaluate/report.js';
import type { ForecastedReport } from '../forecast/report.js';
import type { TriggerMemory, TriggerState } from '../evaluate/transition.js';
import { addCadence } from '../calendar/period.js';
import type { PlanReport, PlanState } from '../evaluate/plans.js';
import type { TrackReport } from '../evaluate/tracks.js';
import { targetIcon, v1Shaped, type MetricChange } from '../messages/compose.js';
import {
  budgetLine,
  collectorLines,
  comparisonLine,
  metricLine,
  unitsOf,
} from '../messages/compose.js';
import {
  budgetLineLine,
  budgetTotalLine,
  deltaText,
  PLAN_ICON,
  todoLine,
} from '../messages/ladders.js';
import type { Line, Message, Section } from '../messages/model.js';
import type { Roadmap } from '../roadmap/model.js';
import { daysBetween, formatDate, formatDateTime } from '../time.js';

/** What a digest saw, kept so the next digest can say what changed since. */
export interface DigestSnapshot {
  takenAt: string;
  stageId: string;
  gatesPassed: string[];
  triggers: Record<string, TriggerState>;
  stale: string[];
  /** ETAs the digest showed, by `<trigger>#<comparison>` and `target:<id>` (ISO instants). */
  etas?: Record<string, string>;
  /**
   * v2: each plan's state, by `planKey`. Optional, as every field added after the first
   * snapshots were stored: an older snapshot lacks it, and then no plan change is reported.
   */
  plans?: Record<string, PlanState>;
  /** v2: the due step of each track whose due step was past its current one, by track id. */
  tracksDue?: Record<string, string>;
}

/** An episode that fired or resolved since the previous digest. */
export interface EpisodeChange {
  triggerId: string;
  firedAt: Date;
  resolvedAt?: Date;
}

export interface DigestInput {
  report: Report | ForecastedReport;
  /** Trigger states the alert engine remembers: remembered firing and pending ones are shown. */
  remembered?: ReadonlyMap<string, Pick<TriggerMemory, 'state'>>;
  headline: MetricChange[];
  previous?: DigestSnapshot;
  episodes: EpisodeChange[];
  localDate: string;
  late: boolean;
  /**
   * v2: when each metric with a `review` cadence is next reviewed (its newest point plus one
   * period), by name: a budget line forecast to go over before then is news (`nextReviews`).
   */
  nextReviews?: ReadonlyMap<string, Date>;
}

/**
 * When each `review` metric is next due a review: one calendar period after its newest point
 * (a metric never recorded is due already, so it has none).
 */
export function nextReviews(roadmap: Roadmap, report: Report): Map<string, Date> {
  const out = new Map<string, Date>();
  for (const m of report.metrics) {
    const review = roadmap.metrics.get(m.name)?.review;
    if (review && m.at) out.set(m.name, addCadence(m.at, review, roadmap.timezone));
  }
  return out;
}

/** A burn date counts when it falls before the next review; without a cadence, within 30 days. */
const BURN_HORIZON_MS = 30 * 86_400_000;

/** A plan's key in a snapshot: its metric, with `#2`, `#3`… for a metric planned twice. */
function planKeys(plans: readonly PlanReport[]): string[] {
  const seen = new Map<string, number>();
  return plans.map((p) => {
    const n = (seen.get(p.metric) ?? 0) + 1;
    seen.set(p.metric, n);
    return n === 1 ? p.metric : `${p.metric}#${n}`;
  });
}

/**
 * A track whose due step is past its current one, whatever else its state says (a track over
 * capacity is `over_capacity` even when an upgrade is due as well).
 */
function upgradeDue(t: TrackReport): boolean {
  const index = (id: string) => t.steps.findIndex((s) => s.id === id);
  return index(t.due.id) > index(t.current.id);
}

/** A stored record field, or undefined when it is missing or not an object (an old or odd snapshot). */
function recordOf(value: unknown): Record<string, unknown> | undefined {
  return value !== null && typeof value === 'object' && !Array.isArray(value)
    ? (value as Record<string, unknown>)
    : undefined;
}

/** Headline metrics are the ones the current stage's trigger, the alerts and the targets read. */
export function headlineMetrics(report: Report, max = 8): string[] {
  const names = new Set<string>();
  for (const t of report.triggers) for (const c of t.comparisons) names.add(c.metric);
  if (report.budget) names.add('infra_cost');
  const known = new Set(report.metrics.map((m) => m.name));
  return [...names].filter((n) => known.has(n)).slice(0, max);
}

/** The ETAs of a forecasted report, keyed as the snapshot keeps them. */
export function etasOf(report: Report | ForecastedReport): Record<string, string> {
  const etas: Record<string, string> = {};
  const forecasts = 'forecasts' in report ? report.forecasts : undefined;
  for (const [trigger, list] of forecasts?.triggers ?? []) {
    list.forEach((f, i) => {
      if (f?.status === 'eta') etas[`${trigger}#${i}`] = f.eta.toISOString();
    });
  }
  for (const [target, { outlook }] of forecasts?.targets ?? [])
    if (outlook.eta) etas[`target:${target}`] = outlook.eta.toISOString();
  return etas;
}

export function digestSnapshot(
  report: Report | ForecastedReport,
  remembered?: DigestInput['remembered'],
): DigestSnapshot {
  return {
    etas: etasOf(report),
    takenAt: report.evaluatedAt.toISOString(),
    stageId: report.stage.id,
    gatesPassed: report.gates.filter((g) => g.passed).map((g) => g.id),
    triggers: Object.fromEntries(
      report.triggers.map((t) => [t.id, rememberedState(t, remembered)]),
    ),
    stale: report.stale.map((s) => s.metric),
    ...(report.plans.length > 0
      ? {
          plans: Object.fromEntries(
            planKeys(report.plans).map((key, i) => [key, report.plans[i]?.state as PlanState]),
          ),
        }
      : {}),
    ...(report.tracks.length > 0
      ? {
          tracksDue: Object.fromEntries(
            report.tracks.filter(upgradeDue).map((t) => [t.id, t.due.id]),
          ),
        }
      : {}),
  };
}

/** To-dos that became due or overdue after `since`. */
function todoChanges(report: Report, since: Date): Line[] {
  const zone = report.roadmap.timezone;
  return report.actions.flatMap((a): Line[] => {
    if (a.state === 'overdue' && a.deadline && a.deadline > since)
      return [{ ...todoLine(a, zone), text: `to-do ${a.id} overdue: ${a.text}` }];
    if (a.state === 'due' && a.dueAt && a.dueAt > since)
      return [{ ...todoLine(a, zone), text: `to-do ${a.id} due: ${a.text}` }];
    return [];
  });
}

/** Plans whose state changed, and tracks that became due, since the previous snapshot. */
function ladderChanges(
  report: Report,
  previous: Pick<DigestSnapshot, 'plans' | 'tracksDue'>,
): Line[] {
  const lines: Line[] = [];
  const plans = recordOf(previous.plans);
  if (plans) {
    const keys = planKeys(report.plans);
    report.plans.forEach((p, i) => {
      const was = plans[keys[i] as string];
      if (typeof was !== 'string' || was === p.state) return;
      const delta = p.deltaPct !== undefined ? ` (${deltaText(p.deltaPct)})` : '';
      lines.push({
        icon: PLAN_ICON[p.state],
        text: `plan ${p.metric}: ${was.replaceAll('_', ' ')} → ${p.state.replaceAll('_', ' ')}${delta}`,
      });
    });
  }
  const tracks = recordOf(previous.tracksDue);
  if (tracks) {
    for (const t of report.tracks) {
      if (!upgradeDue(t) || tracks[t.id] === t.due.id) continue;
      lines.push({
        icon: 'pending',
        text: `track ${t.name} due: ${t.current.name} → ${t.due.name}`,
      });
    }
  }
  return lines;
}

function changesSince(input: DigestInput): Line[] {
  const { report, previous } = input;
  const zone = report.roadmap.timezone;
  const lines: Line[] = [];
  for (const e of input.episodes) {
    if (previous === undefined || e.firedAt.toISOString() > previous.takenAt)
      lines.push({ icon: 'firing', text: `${e.triggerId} fired ${formatDate(e.firedAt, zone)}` });
    if (e.resolvedAt)
      lines.push({
        icon: 'resolved',
        text: `${e.triggerId} resolved ${formatDate(e.resolvedAt, zone)}`,
      });
  }
  // Without a previous digest, every to-do and track that is due now is news.
  const since = previous ? new Date(previous.takenAt) : new Date(0);
  if (!Number.isNaN(since.getTime())) lines.push(...todoChanges(report, since));
  lines.push(...ladderChanges(report, previous ?? { tracksDue: {} }));
  if (!previous) return lines;
  if (previous.stageId !== report.stage.id)
    lines.push({
      icon: 'info',
      text: `stage moved from ${previous.stageId} to ${report.stage.id}`,
    });
  else {
    const before = new Set(previous.gatesPassed);
    const now = new Set(report.gates.filter((g) => g.passed).map((g) => g.id));
    for (const g of now)
      if (!before.has(g)) lines.push({ icon: 'passed', text: `gate ${g} passed` });
    for (const g of before)
      if (!now.has(g)) lines.push({ icon: 'open', text: `gate ${g} no longer passes` });
  }
  // An ETA that moved by more than a week since the last digest is news.
  const now = etasOf(report);
  for (const [key, was] of Object.entries(previous.etas ?? {})) {
    const is = now[key];
    if (!is) continue;
    const days = Math.round((Date.parse(is) - Date.parse(was)) / 86_400_000);
    if (Math.abs(days) > 7) {
      const name = key.startsWith('target:') ? `target ${key.slice(7)}` : key.split('#')[0];
      lines.push({
        icon: 'info',
        text: `ETA of ${name} moved ${Math.abs(days)} days ${days < 0 ? 'earlier' : 'later'}, to ${formatDate(new Date(is), zone)} (was ${formatDate(new Date(was), zone)})`,
      });
    }
  }
  const wasStale = new Set(previous.stale);
  const gone = report.stale.filter((s) => !wasStale.has(s.metric)).map((s) => s.metric);
  if (gone.length > 0)
    lines.push({ icon: 'unknown', text: `no fresh data any more: ${gone.join(', ')}` });
  const back = previous.stale.filter((m) => !report.stale.some((s) => s.metric === m));
  if (back.length > 0) lines.push({ icon: 'ok', text: `data flowing again: ${back.join(', ')}` });
  return lines;
}

/**
 * Budget lines over their max, or forecast to go over before their metric's next review
 * (within 30 days for a metric without a `review` cadence).
 */
function budgetNews(input: DigestInput): Line[] {
  const { report } = input;
  const budget = report.budget;
  if (!budget) return [];
  const forecasts = 'forecasts' in report ? report.forecasts : undefined;
  const zone = report.roadmap.timezone;
  return budget.lines.flatMap((l) => {
    const burn = forecasts?.budgets?.get(l.id);
    if (l.state === 'over') return [budgetLineLine(l, zone)];
    if (burn?.status !== 'eta') return [];
    const review =
      (l.metric ? input.nextReviews?.get(l.metric) : undefined)?.getTime() ??
      report.evaluatedAt.getTime() + BURN_HORIZON_MS;
    return burn.eta.getTime() < review ? [budgetLineLine(l, zone, burn)] : [];
  });
}

/** The daily standup digest (DESIGN.md "Digests"). Pure: the shell gathers the input. */
export function composeDigest(input: DigestInput): Message {
  const { report } = input;
  const zone = report.roadmap.timezone;
  const units = unitsOf(report);
  const sections: Section[] = [];

  if (input.headline.length > 0)
    sections.push({
      title: 'Headline metrics',
      lines: input.headline.map((h) => metricLine(h, zone)),
    });

  const forecasts = 'forecasts' in report ? report.forecasts : undefined;
  const soonest = (id: string) =>
    Math.min(
      ...(forecasts?.triggers.get(id) ?? []).map((f) =>
        f?.status === 'eta' ? f.eta.getTime() : Number.POSITIVE_INFINITY,
      ),
      Number.POSITIVE_INFINITY,
    );
  const triggers = report.triggers.map((t) => ({
    ...t,
    state: rememberedState(t, input.remembered),
  }));
  const active = triggers.filter(
    (t) => t.state === 'firing' || t.state === 'pending' || t.state === 'approaching',
  );
  const order = { firing: 0, pending: 1, approaching: 2 } as Record<string, number>;
  // Firing first, then pending, then approaching ones by when they will fire.
  active.sort(
    (a, b) => (order[a.state] ?? 3) - (order[b.state] ?? 3) || soonest(a.id) - soonest(b.id),
  );
  sections.push({
    title: active.length > 0 ? 'Triggers firing and approaching' : 'Triggers',
    lines:
      active.length > 0
        ? active.flatMap((t) => [
            {
              icon:
                t.state === 'firing'
                  ? ('firing' as const)
                  : t.state === 'pending'
                    ? ('pending' as const)
                    : ('approaching' as const),
              text: `${t.id}: ${t.state} — ${t.condition}`,
            },
            ...t.comparisons
              .map((c, i) => ({ c, f: forecasts?.triggers.get(t.id)?.[i] }))
              .filter(({ c }) => c.state !== 'ok')
              .map(({ c, f }) => comparisonLine(c, units, { f, zone })),
          ])
        : [{ icon: 'ok', text: 'all quiet' }],
  });
  const unknown = triggers.filter((t) => t.state === 'unknown');
  if (unknown.length > 0) {
    sections.push({
      title: 'Unknown (missing data)',
      lines: unknown.map((t) => ({
        icon: 'unknown',
        text: `${t.id}: no fresh data for ${t.missing.join(', ')}`,
      })),
    });
  }
  if (report.targets.length > 0) {
    const outlookOf = (id: string) => forecasts?.targets.get(id)?.outlook;
    const ranked = [...report.targets].sort(
      (a, b) =>
        (outlookOf(a.id)?.eta?.getTime() ?? Number.POSITIVE_INFINITY) -
        (outlookOf(b.id)?.eta?.getTime() ?? Number.POSITIVE_INFINITY),
    );
    sections.push({
      title: 'Targets',
      lines: ranked.map((t) => {
        const o = outlookOf(t.id);
        const state = o?.state ?? t.state;
        return {
          icon: targetIcon(state),
          text: `${t.id}: ${state.replace('_', ' ')}${o?.eta && state === 'on_track' ? ` (ETA ${formatDate(o.eta, zone)})` : ''}${t.deadline ? `, by ${formatDate(new Date(t.deadline.getTime() - 1), zone)}` : ''}`,
        };
      }),
    });
  }
  const passed = report.gates.filter((g) => g.passed).length;
  const summary: Line[] = [];
  if (report.gates.length > 0)
    summary.push({
      icon: passed === report.gates.length ? 'passed' : 'open',
      text: `gates: ${passed} of ${report.gates.length} passed`,
      progress: passed / report.gates.length,
    });
  if (report.budget && v1Shaped(report.budget)) summary.push(budgetLine(report.budget));
  else if (report.budget) summary.push(...report.budget.totals.map(budgetTotalLine));
  if (summary.length > 0) sections.push({ title: 'Gates and budget', lines: summary });
  const burning = budgetNews(input);
  if (burning.length > 0) sections.push({ title: 'Budget lines over or burning', lines: burning });
  const reviews = report.metrics.filter((m) => m.reviewDue);
  if (reviews.length > 0)
    sections.push({
      title: 'Reviews due',
      lines: reviews.map((m) => ({
        icon: 'pending',
        text: `${m.label}: ${m.at ? `last recorded ${formatDateTime(m.at, zone)}` : 'never recorded'}`,
      })),
    });

  if (report.collectors.length > 0)
    sections.push({ title: 'Collectors failing', lines: collectorLines(report) });
  const changes = changesSince(input);
  sections.push({
    title: input.previous ? 'Since the last digest' : 'Since the start',
    lines: changes.length > 0 ? changes : [{ text: 'nothing changed' }],
  });

  const days = report.stage.since
    ? `, day ${daysBetween(report.stage.since, report.evaluatedAt) + 1}`
    : '';
  const firing = triggers.filter((t) => t.state === 'firing').length;
  return {
    title: `Daily digest — ${report.roadmap.name} — ${input.localDate}${input.late ? ' (late)' : ''}`,
    subtitle: `${report.stage.name} (stage ${report.stage.index + 1} of ${report.stageCount}${days})`,
    tone: firing > 0 ? 'alert' : active.length > 0 ? 'warn' : 'info',
    sections,
    fallback: `${report.roadmap.name} digest ${input.localDate}: ${report.stage.name}, ${firing} firing, ${passed}/${report.gates.length} gates`,
    ...(input.late ? { footer: 'Sent late: the bot was down at the scheduled time.' } : {}),
  };
}
