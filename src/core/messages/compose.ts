import type { ComparisonResult } from '../condition/evaluate.js';
import type { GateReport, MetricReport, Report, TriggerReport } from '../evaluate/report.js';
import type { Forecast } from '../forecast/forecast.js';
import type { ForecastedReport } from '../forecast/report.js';
import { daysBetween, formatDate, formatDateTime } from '../time.js';
import { formatValue, type Unit } from '../units.js';
import {
  budgetLines,
  budgetTotalLine,
  planLine,
  teamLine,
  todoLine,
  trackLine,
} from './ladders.js';
import type { Icon, Line, Message, Section, Tone } from './model.js';

/** Composes the messages of the command layer from evaluation reports. Pure. */

/** A target's icon: met, missed, at risk (approaching), or still open. */
export function targetIcon(state: string): Icon {
  if (state === 'met' || state === 'missed') return state;
  // A kept target that stopped holding went back on a promise: as loud as a missed one.
  if (state === 'lapsed') return 'missed';
  return state === 'at_risk' ? 'approaching' : 'open';
}

const TRIGGER_ICON: Record<TriggerReport['state'], Icon> = {
  ok: 'ok',
  approaching: 'approaching',
  pending: 'pending',
  firing: 'firing',
  resolved: 'resolved',
  unknown: 'unknown',
};

export function unitsOf(report: Report): Map<string, Unit> {
  return new Map(report.metrics.map((m) => [m.name, m.unit]));
}

/** "ETA 2026-03-18 (80%: 03-17 – 03-21)", or why there is no ETA. */
export function forecastText(f: Forecast | undefined, zone: string): string | undefined {
  if (!f) return undefined;
  switch (f.status) {
    case 'eta': {
      const day = (d: Date) => formatDate(d, zone);
      const range = f.high ? `${day(f.low)} – ${day(f.high)}` : `not before ${day(f.low)}`;
      return `ETA ${day(f.eta)} (80%: ${range}, ${f.model})`;
    }
    case 'reached':
      return undefined;
    case 'not-trending':
      return `not trending toward it (${f.reason})`;
    case 'not-enough-data':
      return `not enough data to forecast (${f.points} of ${f.needed} points)`;
  }
}

export function comparisonLine(
  c: ComparisonResult,
  units: Map<string, Unit>,
  forecast?: { f: Forecast | undefined; zone: string },
): Line {
  const unit = units.get(c.metric) ?? 'count';
  const name = c.fn ? `${c.fn}(${c.metric}${c.window ? `, ${c.window}` : ''})` : c.metric;
  const shown = c.fn === 'count' ? 'count' : c.fn === 'change' ? 'percent' : unit;
  const value = c.value === undefined ? 'no data' : formatValue(c.value, shown);
  const icon: Icon =
    c.state === 'met'
      ? 'met'
      : c.state === 'approaching'
        ? 'approaching'
        : c.state === 'unknown'
          ? 'unknown'
          : 'open';
  const eta = c.state !== 'met' && forecast ? forecastText(forecast.f, forecast.zone) : undefined;
  return {
    icon,
    text: `${name} ${value} ${c.op} ${c.threshold === undefined ? '?' : formatValue(c.threshold, shown)}`,
    ...(c.progress !== undefined ? { progress: c.progress } : {}),
    ...(eta ? { detail: eta } : {}),
  };
}

/**
 * What a trigger is, for people: `Upgrade trigger`, `Alert slow (warning)`, `Budget ai_api
 * (warning)`, `Track Database: upgrade`. `trackNames` maps track ids to names (the id is shown
 * without one).
 */
export function triggerLabel(
  t: Pick<TriggerReport, 'id' | 'kind' | 'severity'>,
  trackNames?: ReadonlyMap<string, string>,
): string {
  switch (t.kind) {
    case 'upgrade':
      return 'Upgrade trigger';
    case 'budget':
      return `Budget ${t.id.replace(/^budget\./, '')} (${t.severity})`;
    case 'track': {
      // `<track-id>.upgrade` or `<track-id>.capacity`; track ids have no dot.
      const dot = t.id.lastIndexOf('.');
      const track = dot > 0 ? t.id.slice(0, dot) : t.id;
      const what = dot > 0 ? t.id.slice(dot + 1) : 'alert';
      return `Track ${trackNames?.get(track) ?? track}: ${what}`;
    }
    default:
      return `Alert ${t.id} (${t.severity})`;
  }
}

function triggerTitle(t: TriggerReport, trackNames: ReadonlyMap<string, string>): string {
  const label = triggerLabel(t, trackNames);
  // `Track Database: upgrade` already ends in what it is: no second colon.
  return `${label}${t.kind === 'track' ? ' ' : ': '}${t.state.toUpperCase()} — ${t.condition}`;
}

/** Alerts, budget lines and tracks that are ok are counted, not shown: only trouble takes room. */
const quietTrigger = (t: TriggerReport) => t.kind !== 'upgrade' && t.state === 'ok';

/** A v1 `budget: { min, max }` (or a v2 file's lone unwatched `infra` line): one line, as before v2. */
export function v1Shaped(b: NonNullable<Report['budget']>): boolean {
  const [only] = b.lines;
  return b.lines.length === 1 && only?.id === 'infra' && !only.watched && only.per === 'month';
}

/** `Next: … · planned 2026-04-01 → 2026-06-30, on time`: the stage against its timeline. */
function timelineText(report: Report): string | undefined {
  const p = report.stage.planned;
  if (!p) return undefined;
  const zone = report.roadmap.timezone;
  // `to` is the instant the period ends; people name its last day.
  const to = p.to ? formatDate(new Date(p.to.getTime() - 1), zone) : undefined;
  const from = p.from ? formatDate(p.from, zone) : undefined;
  const span = from && to ? `${from} → ${to}` : from ? `from ${from}` : `until ${to}`;
  return `planned ${span}, ${p.state.replace('_', ' ')}`;
}

/** The v2 parts of a status, each only where the roadmap has it. */
function v2Sections(report: Report | ForecastedReport): Section[] {
  const zone = report.roadmap.timezone;
  const units = unitsOf(report);
  const sections: Section[] = [];
  const budget = report.budget;
  if (budget && !v1Shaped(budget)) {
    const team = teamLine(report.team);
    sections.push({
      title: 'Budget',
      lines: [
        ...budgetLines(budget, report),
        ...budget.totals.map(budgetTotalLine),
        ...(team ? [team] : []),
      ],
    });
  }
  if (report.tracks.length > 0)
    sections.push({
      title: 'Tracks',
      lines: report.tracks.map((t) => trackLine(t, (m) => units.get(m) ?? 'count')),
    });
  if (report.actions.length > 0) {
    const pressing = [
      ...report.actions.filter((a) => a.state === 'overdue'),
      ...report.actions.filter((a) => a.state === 'due'),
    ];
    const count = (state: string) => report.actions.filter((a) => a.state === state).length;
    const counts = (['overdue', 'due', 'open', 'done'] as const)
      .map((state) => [state, count(state)] as const)
      .filter(([, n]) => n > 0)
      .map(([state, n]) => `${n} ${state}`);
    sections.push({
      title: `To-dos: ${counts.join(', ')}`,
      lines: pressing.map((a) => todoLine(a, zone)),
    });
  }
  if (report.plans.length > 0)
    sections.push({
      title: 'Plan',
      lines: report.plans.map((p) =>
        planLine(p, units.get(p.metric) ?? 'count', p.by ? units.get(p.by) : undefined),
      ),
    });
  return sections;
}

function toneOf(report: Report): Tone {
  if (report.triggers.some((t) => t.state === 'firing')) return 'alert';
  if (report.triggers.some((t) => t.state === 'pending' || t.state === 'approaching'))
    return 'warn';
  return 'ok';
}

export function gateLine(g: GateReport, zone: string): Line {
  const icon: Icon = g.state === 'passed' ? 'passed' : g.state === 'unknown' ? 'unknown' : 'open';
  const how =
    g.kind === 'check'
      ? 'checked from metrics'
      : g.by
        ? `${g.passed ? 'ticked' : 'unticked'} by ${g.by}${g.at ? ` on ${formatDate(g.at, zone)}` : ''}`
        : undefined;
  return { icon, text: `${g.id}: ${g.text}`, ...(how ? { detail: how } : {}) };
}

/** "collector failing since …" for each failing collector. */
export function collectorLines(report: Report): Line[] {
  return report.collectors.map((c) => ({
    icon: 'error',
    text: `${c.metric}: collector failing since ${formatDateTime(c.failingSince, report.roadmap.timezone)}`,
    detail: c.error,
  }));
}

/** Actual infra cost against the stage's budget. */
export function budgetLine(b: NonNullable<Report['budget']>): Line {
  const range = `${b.min !== undefined ? formatValue(b.min, 'usd') : '?'}–${b.max !== undefined ? formatValue(b.max, 'usd') : '?'}/month`;
  const cost = b.cost !== undefined ? `${formatValue(b.cost, 'usd')}/month` : 'no infra_cost data';
  const icon: Icon =
    b.state === 'within' ? 'ok' : b.state === 'unknown' ? 'unknown' : 'approaching';
  return { icon, text: `${cost} against ${range}: ${b.state}` };
}

/** `/roadmap status`: stage, triggers, gates, budget, targets, what is stale. */
export function statusMessage(report: Report | ForecastedReport): Message {
  const forecasts = 'forecasts' in report ? report.forecasts : undefined;
  const zone = report.roadmap.timezone;
  const units = unitsOf(report);
  const since = report.stage.since
    ? ` since ${formatDate(report.stage.since, zone)} (${daysBetween(report.stage.since, report.evaluatedAt)} days)`
    : '';
  const sections: Section[] = [];
  const trackNames = new Map(report.tracks.map((t) => [t.id, t.name]));

  for (const t of report.triggers) {
    if (quietTrigger(t)) continue;
    // The ETA shows where it helps decide: under an approaching or pending trigger.
    const withEta = t.state === 'approaching' || t.state === 'pending';
    const lines = t.comparisons.map((c, i) =>
      comparisonLine(
        c,
        units,
        withEta ? { f: forecasts?.triggers.get(t.id)?.[i], zone } : undefined,
      ),
    );
    if (t.missing.length > 0)
      lines.push({ icon: 'unknown', text: `no fresh data for ${t.missing.join(', ')}` });
    if (t.message && (t.state === 'firing' || t.state === 'pending' || t.state === 'approaching'))
      lines.push({ icon: 'info', text: t.message });
    sections.push({
      title: `${TRIGGER_ICON[t.state] === 'firing' ? '🔥 ' : ''}${triggerTitle(t, trackNames)}`,
      lines,
    });
  }
  const quiet = report.triggers.filter(quietTrigger).length;
  if (quiet > 0) sections.push({ title: `Alerts: ${quiet} quiet`, lines: [] });

  if (report.gates.length > 0) {
    const passed = report.gates.filter((g) => g.passed).length;
    sections.push({
      title: `Gates: ${passed} of ${report.gates.length} passed`,
      lines: report.gates.filter((g) => !g.passed).map((g) => gateLine(g, zone)),
    });
  }
  if (report.budget && v1Shaped(report.budget))
    sections.push({ title: 'Budget', lines: [budgetLine(report.budget)] });
  sections.push(...v2Sections(report));
  if (report.targets.length > 0) {
    sections.push({
      title: 'Targets',
      lines: report.targets.map((t) => {
        const outlook = forecasts?.targets.get(t.id)?.outlook;
        // A lapsed kept target was met once, so its outlook says `met`: the lapse is the news.
        const state = t.state === 'lapsed' ? t.state : (outlook?.state ?? t.state);
        const why =
          state === 'lapsed' && t.lapsedSince
            ? ` since ${formatDate(t.lapsedSince, zone)}`
            : outlook && state === 'at_risk'
              ? ` (${outlook.reason.replaceAll('-', ' ')})`
              : outlook?.eta && state === 'on_track'
                ? ` (ETA ${formatDate(outlook.eta, zone)})`
                : '';
        return {
          icon: targetIcon(state),
          text: `${t.id}: ${state.replace('_', ' ')}${why}${t.deadline ? `, by ${formatDate(new Date(t.deadline.getTime() - 1), zone)}` : ''} — ${t.condition}`,
        };
      }),
    });
  }
  if (report.stale.length > 0) {
    const never = report.stale.filter((s) => s.reason === 'missing').map((s) => s.metric);
    const lines: Line[] = report.stale
      .filter((s) => s.reason === 'stale')
      .map((s) => ({
        icon: 'unknown',
        text: `${s.metric}: stale, last point ${formatDateTime(s.lastAt as Date, zone)}`,
      }));
    if (never.length > 0)
      lines.push({ icon: 'unknown', text: `never recorded: ${never.join(', ')}` });
    sections.push({ title: 'No fresh data', lines });
  }
  if (report.collectors.length > 0)
    sections.push({ title: 'Collectors failing', lines: collectorLines(report) });
  const upgrade = report.triggers.find((t) => t.kind === 'upgrade');
  const fallback = `${report.roadmap.name}: ${report.stage.name}${upgrade ? `, upgrade trigger ${upgrade.state}` : ''}`;
  const timeline = timelineText(report);
  const next = report.next ? `Next: ${report.next.name}` : 'Final stage';
  return {
    title: `${report.roadmap.name} — ${report.stage.name} (stage ${report.stage.index + 1} of ${report.stageCount})${since}`,
    subtitle: timeline ? `${next} · ${timeline}` : next,
    tone: toneOf(report),
    sections,
    fallback,
  };
}

/** `/roadmap gates`: the whole checklist of the current stage. */
export function gatesMessage(report: Report): Message {
  const passed = report.gates.filter((g) => g.passed).length;
  const lines = report.gates.map((g) => gateLine(g, report.roadmap.timezone));
  return {
    title: `${report.stage.name}: gates ${passed} of ${report.gates.length} passed`,
    tone: passed === report.gates.length ? 'ok' : 'info',
    sections: [
      { lines: lines.length > 0 ? lines : [{ icon: 'info', text: 'This stage has no gates.' }] },
    ],
    fallback: `${report.stage.name}: ${passed}/${report.gates.length} gates passed`,
  };
}

export interface MetricChange {
  metric: MetricReport;
  dayAgo?: number;
  weekAgo?: number;
  series: number[];
}

function change(now: number | undefined, before: number | undefined): string | undefined {
  if (now === undefined || before === undefined || before === 0) return undefined;
  const pct = ((now - before) / Math.abs(before)) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

/** One metric with its latest value, day-over-day and week-over-week change, and sparkline. */
export function metricLine({ metric, dayAgo, weekAgo, series }: MetricChange, zone: string): Line {
  const value = metric.value === undefined ? 'no data' : formatValue(metric.value, metric.unit);
  const changes = [
    change(metric.value, dayAgo) && `day ${change(metric.value, dayAgo)}`,
    change(metric.value, weekAgo) && `week ${change(metric.value, weekAgo)}`,
  ].filter(Boolean);
  const when = metric.at
    ? `at ${formatDateTime(metric.at, zone)}`
    : metric.derived
      ? 'derived'
      : undefined;
  return {
    icon: metric.stale ? 'unknown' : metric.value === undefined ? 'unknown' : 'ok',
    text: `${metric.label}: ${value}${metric.stale ? ' (stale)' : ''}`,
    ...(changes.length > 0 || when
      ? { detail: [...changes, when].filter(Boolean).join(' · ') }
      : {}),
    series,
  };
}

/** `/roadmap metrics`: latest values, day and week change, sparkline. */
export function metricsMessage(roadmapName: string, zone: string, rows: MetricChange[]): Message {
  const lines: Line[] = rows.map((row) => metricLine(row, zone));
  return {
    title: `${roadmapName}: metrics`,
    tone: 'info',
    sections: [{ lines }],
    fallback: `${roadmapName}: ${rows.length} metrics`,
  };
}

/** `/roadmap metrics <name>`: one metric's history. */
export function metricHistoryMessage(
  roadmapName: string,
  zone: string,
  metric: MetricReport,
  history: { at: Date; value: number }[],
  window: string,
): Message {
  const values = history.map((h) => h.value);
  const lines: Line[] = [
    {
      icon: metric.value === undefined ? 'unknown' : 'ok',
      text: `latest: ${metric.value === undefined ? 'no data' : formatValue(metric.value, metric.unit)}${metric.at ? ` at ${formatDateTime(metric.at, zone)}` : ''}`,
      series: values,
    },
  ];
  if (values.length > 0) {
    lines.push({
      text: `over ${window}: min ${formatValue(Math.min(...values), metric.unit)}, max ${formatValue(Math.max(...values), metric.unit)}, ${history.length} buckets`,
    });
  }
  return {
    title: `${roadmapName}: ${metric.label}`,
    tone: 'info',
    sections: [{ lines }],
    fallback: `${metric.label}: ${metric.value ?? 'no data'}`,
  };
}

export function infoMessage(title: string, lines: string[] = [], tone: Tone = 'ok'): Message {
  return {
    title,
    tone,
    sections: lines.length > 0 ? [{ lines: lines.map((text) => ({ text })) }] : [],
    fallback: title,
  };
}

export function errorMessage(title: string, lines: string[] = []): Message {
  return {
    title,
    tone: 'error',
    sections:
      lines.length > 0 ? [{ lines: lines.map((text) => ({ icon: 'error' as const, text })) }] : [],
    fallback: title,
  };
}
