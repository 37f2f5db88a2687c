/**
 * What a roadmap's web page shows, as plain data with every value already formatted for people
 * (the roadmap's timezone, the metric's unit): the web adapter only lays it out and escapes it.
 * Built from the same report `status` uses, with its forecasts, and the roadmap (for the stages'
 * planned timeline). Pure.
 */
import { createHash } from 'node:crypto';
import type { EpisodeRecord } from '../alerts/episode.js';
import { metricsOf } from '../condition/ast.js';
import type { BudgetLineReport, BudgetReport, Report, TriggerReport } from '../evaluate/report.js';
import type { PlanReport } from '../evaluate/plans.js';
import type { TodoReport } from '../evaluate/todos.js';
import type { TrackReport } from '../evaluate/tracks.js';
import { isForecastOp } from '../forecast/forecast.js';
import type { ForecastedReport } from '../forecast/report.js';
import { comparisonLine, gateLine, triggerLabel, unitsOf } from '../messages/compose.js';
import { stepsText } from '../messages/ladders.js';
import type { Roadmap } from '../roadmap/model.js';
import { daysBetween, formatDate, formatDateTime } from '../time.js';
import { formatValue, type Unit } from '../units.js';

/** How a state reads at a glance; always shown with its words too, never by colour alone. */
export type Tone = 'ok' | 'warn' | 'alert' | 'muted' | 'info';

/** A bar of progress toward a threshold or a limit: `percent` is capped at 100 for drawing. */
export interface Bar {
  percent: number;
  /** The share as people read it: `88%`, `105%`. */
  text: string;
  /** What the bar measures, for screen readers. */
  label: string;
}

export interface Item {
  text: string;
  /** The state in words (`approaching`, `over`, `due`). */
  state: string;
  tone: Tone;
  detail?: string;
  bar?: Bar;
}

export interface StageView {
  id: string;
  name: string;
  /** 1-based position. */
  number: number;
  position: 'past' | 'current' | 'next' | 'later';
  /** `2026-02-01 → 2026-03-31` as planned, absent without `planned`. */
  planned?: string;
  /** The current stage against its plan (`early`, `on time`, `late`); a later stage whose start has passed is `late` too. */
  schedule?: { state: string; tone: Tone };
  /** The current stage: since when and how many days. */
  since?: string;
  goal?: string;
  /** `users 500–2k`. */
  users?: string;
}

export interface TriggerView {
  id: string;
  title: string;
  state: string;
  tone: Tone;
  condition: string;
  message?: string;
  comparisons: Item[];
  missing: string[];
  /** An alert, budget line or track that is ok: listed, folded away. */
  quiet: boolean;
}

export interface ChartRef {
  metric: string;
  title: string;
  /** Changes when the metric gets a newer point, so a cached chart is fetched again. */
  version: string;
}

export interface StatusView {
  roadmap: { id: string; name: string; timezone: string };
  evaluatedAt: string;
  /** The stage, and badges: the upgrade trigger's state, then how many alerts fire or approach. */
  headline: { stage: string; next?: string; badges: { text: string; tone: Tone }[] };
  timeline: StageView[];
  triggers: TriggerView[];
  gates: Item[];
  todos: Item[];
  budget?: { lines: Item[]; totals: Item[]; team: Item[] };
  tracks: (Item & { steps: string; capacity: Item[] })[];
  plans: Item[];
  targets: Item[];
  metrics: Item[];
  stale: Item[];
  collectors: Item[];
  charts: ChartRef[];
}

const TRIGGER_TONE: Record<TriggerReport['state'], Tone> = {
  firing: 'alert',
  pending: 'warn',
  approaching: 'warn',
  unknown: 'muted',
  ok: 'ok',
  resolved: 'ok',
};

const words = (state: string) => state.replaceAll('_', ' ');

const bar = (progress: number | undefined, label: string): Bar | undefined =>
  progress === undefined || !Number.isFinite(progress)
    ? undefined
    : {
        percent: Math.max(0, Math.min(100, Math.round(progress * 100))),
        text: `${Math.round(progress * 100)}%`,
        label,
      };

/** The last day of a period that ends at `end` (an instant): people name that day. */
const lastDay = (end: Date, zone: string) => formatDate(new Date(end.getTime() - 1), zone);

function span(from: Date | undefined, to: Date | undefined, zone: string): string | undefined {
  const a = from ? formatDate(from, zone) : undefined;
  const b = to ? lastDay(to, zone) : undefined;
  if (a && b) return `${a} → ${b}`;
  if (a) return `from ${a}`;
  if (b) return `until ${b}`;
  return undefined;
}

const SCHEDULE_TONE: Record<string, Tone> = { early: 'info', on_time: 'ok', late: 'warn' };

function timeline(roadmap: Roadmap, report: Report): StageView[] {
  const zone = report.roadmap.timezone;
  const now = report.evaluatedAt;
  const current = report.stage.index;
  return roadmap.stages.map((stage) => {
    const position =
      stage.index < current
        ? 'past'
        : stage.index === current
          ? 'current'
          : stage.index === current + 1
            ? 'next'
            : 'later';
    const planned = span(stage.planned?.from?.at, stage.planned?.to?.at, zone);
    let schedule: StageView['schedule'];
    if (position === 'current' && report.stage.planned) {
      const state = report.stage.planned.state;
      schedule = { state: words(state), tone: SCHEDULE_TONE[state] ?? 'info' };
    } else if (
      (position === 'next' || position === 'later') &&
      stage.planned?.from &&
      now.getTime() >= stage.planned.from.at.getTime()
    ) {
      // Planned to have started already, and not reached: the team is behind its plan.
      schedule = { state: 'late', tone: 'warn' };
    }
    const since =
      position === 'current' && report.stage.since
        ? `since ${formatDate(report.stage.since, zone)} (${daysBetween(report.stage.since, now)} days)`
        : undefined;
    const users = stage.users
      ? `users ${formatValue(stage.users.min, 'count')}–${stage.users.max !== undefined ? formatValue(stage.users.max, 'count') : '…'}`
      : undefined;
    return {
      id: stage.id,
      name: stage.name,
      number: stage.index + 1,
      position,
      ...(planned ? { planned } : {}),
      ...(schedule ? { schedule } : {}),
      ...(since ? { since } : {}),
      ...(stage.goal ? { goal: stage.goal } : {}),
      ...(users ? { users } : {}),
    };
  });
}

const COMPARISON_TONE: Record<string, Tone> = {
  met: 'alert',
  approaching: 'warn',
  unknown: 'muted',
  open: 'ok',
};

function triggers(report: ForecastedReport): TriggerView[] {
  const units = unitsOf(report);
  const zone = report.roadmap.timezone;
  const tracks = new Map(report.tracks.map((t) => [t.id, t.name]));
  return report.triggers.map((t) => ({
    id: t.id,
    title: triggerLabel(t, tracks),
    state: t.state,
    tone: TRIGGER_TONE[t.state],
    condition: t.condition,
    ...(t.message ? { message: t.message } : {}),
    comparisons: t.comparisons.map((c, i) => {
      const line = comparisonLine(c, units, {
        f: report.forecasts?.triggers.get(t.id)?.[i],
        zone,
      });
      const state = c.state === 'ok' ? 'not reached' : c.state;
      return {
        text: line.text,
        state,
        tone: COMPARISON_TONE[line.icon ?? 'open'] ?? 'ok',
        ...(line.detail ? { detail: line.detail } : {}),
        ...(bar(line.progress, `${c.metric}: progress toward the threshold`)
          ? { bar: bar(line.progress, `${c.metric}: progress toward the threshold`) as Bar }
          : {}),
      };
    }),
    missing: t.missing,
    quiet: t.kind !== 'upgrade' && t.state === 'ok',
  }));
}

const money = (v: number | undefined) => formatValue(v, 'usd');
const PER: Record<BudgetLineReport['per'], string> = {
  month: '/month',
  year: '/year',
  once: ' once',
};

function bounds(l: { min?: number; max?: number; hasMin: boolean; hasMax: boolean }): string {
  const min = l.hasMin ? (l.min !== undefined ? money(l.min) : '?') : undefined;
  const max = l.hasMax ? (l.max !== undefined ? money(l.max) : '?') : undefined;
  if (min && max) return `${min}–${max}`;
  if (max) return `≤ ${max}`;
  if (min) return `≥ ${min}`;
  return 'no bounds';
}

const BUDGET_TONE: Record<string, Tone> = {
  within: 'ok',
  under: 'warn',
  over: 'alert',
  unknown: 'muted',
  planned: 'info',
};

function budget(report: ForecastedReport, b: BudgetReport): NonNullable<StatusView['budget']> {
  const zone = report.roadmap.timezone;
  const lines = b.lines.map((l): Item => {
    const value =
      l.metric !== undefined ? (l.value !== undefined ? money(l.value) : 'no data') : undefined;
    const burn = report.forecasts?.budgets?.get(l.id);
    const details = [
      l.implicit === 'team' ? 'the team’s roles' : l.metric,
      l.watched && l.state !== 'over' && burn?.status === 'eta'
        ? `burn date: over the max by ${formatDate(burn.eta, zone)}`
        : undefined,
    ].filter((d): d is string => d !== undefined);
    const progress =
      l.value !== undefined && l.max !== undefined && l.max > 0 ? l.value / l.max : undefined;
    const shown = bar(progress, `${l.id}: spend against the max`);
    return {
      text: `${l.id}: ${value !== undefined ? `${value} of ` : ''}${bounds(l)}${PER[l.per]}`,
      state: l.state,
      tone: BUDGET_TONE[l.state] ?? 'info',
      ...(details.length > 0 ? { detail: details.join(' · ') } : {}),
      ...(shown ? { bar: shown } : {}),
    };
  });
  const totals = b.totals.map((t): Item => {
    const shown = bounds({
      ...(t.min !== undefined ? { min: t.min } : {}),
      ...(t.max !== undefined ? { max: t.max } : {}),
      hasMin: t.min !== undefined && t.min > 0,
      hasMax: t.max !== undefined,
    });
    return {
      text: `total${PER[t.per]}: ${t.value !== undefined ? `${money(t.value)} of ` : ''}${shown === 'no bounds' ? 'no max' : shown}`,
      state: t.state,
      tone: BUDGET_TONE[t.state] ?? 'info',
    };
  });
  const team = report.team.map((r): Item => ({
    text: `${r.count} × ${r.role}${r.cost !== undefined ? ` at ${money(r.cost)}/month` : ''}${r.value !== undefined ? ` (${formatValue(r.value, 'count')} now)` : ''}`,
    state: r.state,
    tone: r.state === 'short' ? 'warn' : r.state === 'hired' ? 'ok' : 'info',
  }));
  return { lines, totals, team };
}

const TODO_TONE: Record<TodoReport['state'], Tone> = {
  open: 'info',
  due: 'warn',
  overdue: 'alert',
  done: 'ok',
};

function todo(a: TodoReport, zone: string): Item {
  const detail =
    a.state === 'done' && a.doneBy
      ? `done by ${a.doneBy}${a.doneAt ? ` on ${formatDate(a.doneAt, zone)}` : ''}`
      : a.state === 'overdue' && a.deadline
        ? `overdue since ${formatDate(a.deadline, zone)}${a.by ? ` (by ${a.by})` : ''}`
        : a.state === 'due' && a.dueAt
          ? `due since ${formatDate(a.dueAt, zone)}${a.by ? `, by ${a.by}` : ''}`
          : [a.by ? `by ${a.by}` : undefined, a.condition ? `when ${a.condition}` : undefined]
              .filter(Boolean)
              .join(' · ') || undefined;
  return {
    text: `${a.id}: ${a.text}`,
    state: a.state,
    tone: TODO_TONE[a.state],
    ...(detail ? { detail } : {}),
  };
}

const TRACK_TONE: Record<TrackReport['state'], Tone> = {
  over_capacity: 'alert',
  upgrade_due: 'warn',
  approaching_capacity: 'warn',
  unknown: 'muted',
  ok: 'ok',
};

function track(t: TrackReport, unit: (metric: string) => Unit, zone: string) {
  const step = t.due.id !== t.current.id ? `${t.current.name} → ${t.due.name}` : t.current.name;
  return {
    text: `${t.name}: ${step}`,
    state: words(t.state),
    tone: TRACK_TONE[t.state],
    ...(t.current.since
      ? { detail: `at ${t.current.name} since ${formatDate(t.current.since, zone)}` }
      : {}),
    steps: stepsText(t),
    capacity: t.capacity.map((c): Item => {
      const shown = bar(c.progress, `${c.metric}: use of the step's limit`);
      return {
        text: `${c.metric} ${c.value !== undefined ? formatValue(c.value, unit(c.metric)) : 'no data'} of ${formatValue(c.limit, unit(c.metric))}`,
        state: c.state,
        tone:
          c.state === 'over'
            ? 'alert'
            : c.state === 'approaching'
              ? 'warn'
              : c.state === 'unknown'
                ? 'muted'
                : 'ok',
        ...(shown ? { bar: shown } : {}),
      };
    }),
  };
}

const PLAN_TONE: Record<PlanReport['state'], Tone> = {
  ahead: 'ok',
  on_plan: 'ok',
  behind: 'warn',
  before_plan: 'info',
  unknown: 'muted',
};

function plan(p: PlanReport, unit: Unit, byUnit: Unit | undefined): Item {
  const fmt = (v: number | undefined) => formatValue(v, unit);
  const band =
    p.low !== undefined && p.high !== undefined
      ? p.low === p.high
        ? fmt(p.low)
        : `${fmt(p.low)}–${fmt(p.high)}`
      : undefined;
  const delta =
    p.deltaPct === undefined
      ? undefined
      : p.deltaPct === 0
        ? '±0%'
        : p.deltaPct > 0
          ? `+${p.deltaPct}%`
          : `−${Math.abs(p.deltaPct)}%`;
  const by =
    p.by !== undefined
      ? `at ${p.by} ${p.at !== undefined ? formatValue(p.at, byUnit ?? 'count') : 'no data'}`
      : undefined;
  const detail = [
    delta ? `${delta} against the expected ${fmt(p.expected)}` : undefined,
    p.scenario ? `nearest scenario: ${p.scenario}` : undefined,
    by,
  ].filter((d): d is string => d !== undefined);
  return {
    text: `${p.metric}: ${p.value !== undefined ? fmt(p.value) : 'no data'}${band ? ` vs ${band} planned` : ''}`,
    state: words(p.state),
    tone: PLAN_TONE[p.state],
    ...(detail.length > 0 ? { detail: detail.join(' · ') } : {}),
  };
}

const TARGET_TONE: Record<string, Tone> = {
  met: 'ok',
  on_track: 'ok',
  open: 'info',
  at_risk: 'warn',
  missed: 'alert',
  lapsed: 'alert',
};

function targets(report: ForecastedReport): Item[] {
  const zone = report.roadmap.timezone;
  return report.targets.map((t) => {
    const outlook = report.forecasts?.targets.get(t.id)?.outlook;
    const state = t.state === 'lapsed' ? t.state : (outlook?.state ?? t.state);
    const details = [
      t.deadline ? `by ${lastDay(t.deadline, zone)}${t.by ? ` (${t.by})` : ''}` : undefined,
      state === 'lapsed' && t.lapsedSince
        ? `lapsed since ${formatDate(t.lapsedSince, zone)}`
        : undefined,
      state === 'met' && t.metAt ? `met on ${formatDate(t.metAt, zone)}` : undefined,
      state === 'at_risk' && outlook ? outlook.reason.replaceAll('-', ' ') : undefined,
      state === 'on_track' && outlook?.eta ? `ETA ${formatDate(outlook.eta, zone)}` : undefined,
      t.keep ? 'must keep holding' : undefined,
    ].filter((d): d is string => d !== undefined);
    return {
      text: `${t.id}: ${t.condition}`,
      state: words(state),
      tone: TARGET_TONE[state] ?? 'info',
      ...(details.length > 0 ? { detail: details.join(' · ') } : {}),
    };
  });
}

/** At most this many charts on a page: each is a server-rendered SVG. */
export const MAX_CHARTS = 6;

/**
 * The metrics worth a chart, most pressing first: those the triggers compare with a threshold
 * (triggers not ok first), then the plans', the budget lines' and the tracks' limits, then the
 * rest the triggers and targets read (bare flags, and the inputs of derived metrics, among
 * them); recorded metrics only (a derived one has no history), at most `max`.
 */
export function chartMetrics(report: Report, roadmap?: Roadmap, max = MAX_CHARTS): string[] {
  const recorded = new Set(report.metrics.filter((m) => !m.derived).map((m) => m.name));
  const out: string[] = [];
  const add = (metric: string | undefined) => {
    if (metric !== undefined && recorded.has(metric) && !out.includes(metric)) out.push(metric);
  };
  const byUrgency = [...report.triggers].sort(
    (a, b) => Number(a.state === 'ok') - Number(b.state === 'ok'),
  );
  for (const t of byUrgency)
    for (const c of t.comparisons)
      if (c.threshold !== undefined && isForecastOp(c.op)) add(c.metric);
  for (const p of report.plans) add(p.metric);
  for (const l of report.budget?.lines ?? []) add(l.metric);
  for (const t of report.tracks) for (const c of t.capacity) add(c.metric);
  for (const t of byUrgency) for (const c of t.comparisons) add(c.metric);
  for (const t of report.targets) for (const c of t.comparisons) add(c.metric);
  if (roadmap) {
    // What the watched rules read, through derived metrics down to recorded ones.
    const watched = new Set(report.triggers.map((t) => t.id));
    const rules = [
      ...roadmap.stages.flatMap((s) => (s.upgrade ? [s.upgrade] : [])),
      ...roadmap.alerts,
    ].filter((r) => watched.has(r.id));
    const seen = new Set<string>();
    const read = (names: readonly string[]) => {
      for (const name of names) {
        if (seen.has(name)) continue;
        seen.add(name);
        const derive = roadmap.metrics.get(name)?.derive;
        if (derive) read(metricsOf(derive.expr));
        else add(name);
      }
    };
    for (const rule of rules) read(metricsOf(rule.when.expr));
  }
  return out.slice(0, max);
}

/** Everything but the history, as people read it. */
export function statusView(roadmap: Roadmap, report: ForecastedReport): StatusView {
  const zone = report.roadmap.timezone;
  const units = unitsOf(report);
  const unit = (metric: string) => units.get(metric) ?? 'count';
  const triggerViews = triggers(report);
  const upgrade = report.triggers.find((t) => t.kind === 'upgrade');
  const others = report.triggers.filter((t) => t.kind !== 'upgrade');
  const firing = others.filter((t) => t.state === 'firing').length;
  const coming = others.filter((t) => t.state === 'pending' || t.state === 'approaching').length;
  const badges: { text: string; tone: Tone }[] = [
    upgrade
      ? { text: `Upgrade trigger ${upgrade.state}`, tone: TRIGGER_TONE[upgrade.state] }
      : { text: report.next ? 'No upgrade trigger' : 'Final stage', tone: 'info' },
    ...(firing > 0 ? [{ text: `${firing} firing`, tone: 'alert' as const }] : []),
    ...(coming > 0 ? [{ text: `${coming} pending or approaching`, tone: 'warn' as const }] : []),
  ];
  const metricsByName = new Map(report.metrics.map((m) => [m.name, m]));
  return {
    roadmap: report.roadmap,
    evaluatedAt: `${formatDateTime(report.evaluatedAt, zone)} (${zone})`,
    headline: {
      stage: `Stage ${report.stage.index + 1} of ${report.stageCount}: ${report.stage.name}`,
      ...(report.next ? { next: report.next.name } : {}),
      badges,
    },
    timeline: timeline(roadmap, report),
    triggers: triggerViews,
    gates: report.gates.map((g) => {
      const line = gateLine(g, zone);
      return {
        text: line.text,
        state: g.state,
        tone: g.state === 'passed' ? 'ok' : g.state === 'unknown' ? 'muted' : 'info',
        ...(line.detail ? { detail: line.detail } : {}),
      };
    }),
    todos: report.actions.map((a) => todo(a, zone)),
    ...(report.budget ? { budget: budget(report, report.budget) } : {}),
    tracks: report.tracks.map((t) => track(t, unit, zone)),
    plans: report.plans.map((p) => plan(p, unit(p.metric), p.by ? unit(p.by) : undefined)),
    targets: targets(report),
    metrics: report.metrics.map((m) => {
      const notes = [
        m.derived ? 'derived' : undefined,
        m.at
          ? `last point ${formatDateTime(m.at, zone)}`
          : m.derived
            ? undefined
            : 'never recorded',
        m.reviewDue ? 'review due' : undefined,
      ].filter((d): d is string => d !== undefined);
      const state = m.stale ? 'stale' : m.value === undefined ? 'no data' : 'fresh';
      return {
        text: `${m.label !== m.name ? `${m.label} (${m.name})` : m.name}: ${formatValue(m.value, m.unit)}`,
        state,
        tone: m.stale || m.value === undefined ? 'muted' : m.reviewDue ? 'warn' : 'ok',
        ...(notes.length > 0 ? { detail: notes.join(' · ') } : {}),
      };
    }),
    stale: report.stale.map((s) => ({
      text: s.metric,
      state: s.reason === 'missing' ? 'never recorded' : 'stale',
      tone: 'muted',
      ...(s.lastAt ? { detail: `last point ${formatDateTime(s.lastAt, zone)}` } : {}),
    })),
    collectors: report.collectors.map((c) => ({
      text: c.metric,
      state: 'failing',
      tone: 'alert',
      detail: `since ${formatDateTime(c.failingSince, zone)}: ${c.error}`,
    })),
    charts: chartMetrics(report, roadmap).map((metric) => {
      const m = metricsByName.get(metric);
      return {
        metric,
        title: m && m.label !== metric ? `${m.label} (${metric})` : metric,
        version: m?.at ? String(m.at.getTime()) : 'none',
      };
    }),
  };
}

/**
 * A short hash of what the page shows (its evaluation time left out): the live page reloads
 * its content when this changes, and only then.
 */
export function viewVersion(view: StatusView, extra = ''): string {
  const { evaluatedAt: _at, ...shown } = view;
  return createHash('sha256')
    .update(JSON.stringify(shown))
    .update('\n')
    .update(extra)
    .digest('base64url')
    .slice(0, 16);
}

/** One page of a history, newest first. */
export interface Paged<T> {
  rows: T[];
  /** 1-based. */
  page: number;
  hasOlder: boolean;
}

export interface EpisodeView {
  trigger: string;
  kind: string;
  severity: string;
  fired: string;
  state: string;
  tone: Tone;
  detail?: string;
}

/**
 * An alert episode as it stood at `now`: when replaying, a resolution, acknowledgement or
 * snooze that came later is not shown.
 */
export function episodeView(e: EpisodeRecord, zone: string, now: Date): EpisodeView {
  const by = (d: Date | undefined) => d !== undefined && d.getTime() <= now.getTime();
  const resolved = by(e.resolvedAt);
  const acked = by(e.acknowledgedAt);
  const snoozed = e.snoozedUntil !== undefined && e.snoozedUntil.getTime() > now.getTime();
  const details = [
    resolved && e.resolvedAt ? `resolved ${formatDateTime(e.resolvedAt, zone)}` : undefined,
    acked ? `acknowledged${e.acknowledgedBy ? ` by ${e.acknowledgedBy}` : ''}` : undefined,
    snoozed && e.snoozedUntil
      ? `snoozed${e.snoozedBy ? ` by ${e.snoozedBy}` : ''} until ${formatDateTime(e.snoozedUntil, zone)}`
      : undefined,
    e.message,
  ].filter((d): d is string => d !== undefined);
  return {
    trigger: e.triggerId,
    kind: e.kind,
    severity: e.severity,
    fired: formatDateTime(e.firedAt, zone),
    state: resolved ? 'resolved' : 'firing',
    tone: resolved ? 'ok' : 'alert',
    ...(details.length > 0 ? { detail: details.join(' · ') } : {}),
  };
}

/** An audit row as the web page reads it (the app's AuditRecord has this shape). */
export interface AuditRow {
  at: Date;
  actor: { platform: string; id: string; channel?: string };
  action: string;
  details?: Record<string, unknown>;
}

export interface AuditView {
  at: string;
  who: string;
  action: string;
  details: string;
}

/** Details longer than this are cut: a row is a summary, the audit_log table has the rest. */
const DETAILS_CHARS = 200;

export function auditView(row: AuditRow, zone: string): AuditView {
  const details = Object.entries(row.details ?? {})
    .map(([key, value]) => `${key}: ${typeof value === 'string' ? value : JSON.stringify(value)}`)
    .join(', ');
  return {
    at: formatDateTime(row.at, zone),
    who: `${row.actor.platform}:${row.actor.id}${row.actor.channel ? ` in ${row.actor.channel}` : ''}`,
    action: row.action,
    details: details.length > DETAILS_CHARS ? `${details.slice(0, DETAILS_CHARS - 1)}…` : details,
  };
}
