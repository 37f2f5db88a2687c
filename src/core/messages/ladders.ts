/**
 * The messages of the v2 commands `budget`, `plan` and `tracks`, and the line builders the
 * status and the digest share with them (budget lines, plans, tracks, to-dos, team). Pure.
 */
import type { BudgetLineReport, BudgetReport, Report, TeamRoleReport } from '../evaluate/report.js';
import type { BudgetLineState, BudgetTotalReport } from '../evaluate/budget.js';
import type { PlanReport, PlanState } from '../evaluate/plans.js';
import type { TodoReport } from '../evaluate/todos.js';
import type { CapacityReport, TrackReport, TrackState } from '../evaluate/tracks.js';
import type { Forecast } from '../forecast/forecast.js';
import type { ForecastedReport } from '../forecast/report.js';
import { formatDate } from '../time.js';
import { formatValue, type Unit } from '../units.js';
import type { Icon, Line, Message, Section, Tone } from './model.js';

const money = (v: number | undefined) => formatValue(v, 'usd');

const PER_TEXT: Record<BudgetLineReport['per'], string> = {
  month: '/month',
  year: '/year',
  once: ' once',
};

export const BUDGET_ICON: Record<BudgetLineState, Icon> = {
  within: 'ok',
  under: 'approaching',
  over: 'missed',
  unknown: 'unknown',
  planned: 'open',
};

export const PLAN_ICON: Record<PlanState, Icon> = {
  ahead: 'met',
  on_plan: 'ok',
  behind: 'approaching',
  before_plan: 'open',
  unknown: 'unknown',
};

export const TRACK_ICON: Record<TrackState, Icon> = {
  over_capacity: 'missed',
  upgrade_due: 'pending',
  approaching_capacity: 'approaching',
  unknown: 'unknown',
  ok: 'ok',
};

export const TODO_ICON: Record<TodoReport['state'], Icon> = {
  open: 'open',
  due: 'pending',
  overdue: 'missed',
  done: 'passed',
};

const words = (state: string) => state.replaceAll('_', ' ');

function unitOf(report: Pick<Report, 'metrics'>, metric: string | undefined): Unit {
  return report.metrics.find((m) => m.name === metric)?.unit ?? 'count';
}

/** `+12%`, `−28%`, `±0%`: a plan's delta, with a real minus sign. */
export function deltaText(pct: number): string {
  if (pct === 0) return '±0%';
  return pct > 0 ? `+${pct}%` : `−${Math.abs(pct)}%`;
}

/** "over by 2026-05-01" when a line's metric is forecast to pass its max; else undefined. */
export function burnText(f: Forecast | undefined, zone: string): string | undefined {
  return f?.status === 'eta' ? `over by ${formatDate(f.eta, zone)}` : undefined;
}

/** The bounds of a line as they evaluate now: `$1k–$2k`, `≤ $2k`, `≥ $500`, or `?`. */
function boundsText(l: Pick<BudgetLineReport, 'min' | 'max' | 'hasMin' | 'hasMax'>): string {
  const min = l.hasMin ? (l.min !== undefined ? money(l.min) : '?') : undefined;
  const max = l.hasMax ? (l.max !== undefined ? money(l.max) : '?') : undefined;
  if (min && max) return `${min}–${max}`;
  if (max) return `≤ ${max}`;
  if (min) return `≥ ${min}`;
  return 'no bounds';
}

/**
 * One budget line: `ai_api: $1.5k of ≤ $2k/month, within`, a bar of value against max, and its
 * burn date below ("over by 2026-05-01"); `withMetric` also names the metric it compares.
 * A planned line (no metric) shows its bounds only.
 */
export function budgetLineLine(
  l: BudgetLineReport,
  zone: string,
  burn?: Forecast | undefined,
  opts: { withMetric?: boolean } = {},
): Line {
  const bounds = `${boundsText(l)}${PER_TEXT[l.per]}`;
  const value =
    l.metric !== undefined ? (l.value !== undefined ? money(l.value) : 'no data') : undefined;
  const text = `${l.id}: ${value !== undefined ? `${value} of ${bounds}` : bounds}, ${l.state}`;
  // A line already over has no burn date to give (the forecaster says `reached`).
  const over = l.state !== 'over' ? burnText(burn, zone) : undefined;
  const source = opts.withMetric
    ? l.implicit === 'team'
      ? 'the team’s roles'
      : l.metric
    : undefined;
  const detail = [source, over].filter(Boolean);
  const progress =
    l.value !== undefined && l.max !== undefined && l.max > 0 ? l.value / l.max : undefined;
  return {
    icon: BUDGET_ICON[l.state],
    text,
    ...(progress !== undefined ? { progress } : {}),
    ...(detail.length > 0 ? { detail: detail.join(' · ') } : {}),
  };
}

/** A total per `per`: `total/month: $3.2k of ≤ $5k, within`. */
export function budgetTotalLine(t: BudgetTotalReport): Line {
  const bounds = boundsText({
    ...(t.min !== undefined ? { min: t.min } : {}),
    ...(t.max !== undefined ? { max: t.max } : {}),
    hasMin: t.min !== undefined && t.min > 0,
    hasMax: t.max !== undefined,
  });
  const shown = bounds === 'no bounds' ? 'no max' : bounds;
  const value = t.value !== undefined ? `${money(t.value)} of ${shown}` : shown;
  const progress =
    t.value !== undefined && t.max !== undefined && t.max > 0 ? t.value / t.max : undefined;
  return {
    icon: BUDGET_ICON[t.state],
    text: `total${PER_TEXT[t.per]}: ${value}, ${t.state}`,
    ...(progress !== undefined ? { progress } : {}),
  };
}

/** A role: `2 × backend at $12k/month: hired (2)`. */
export function roleText(r: TeamRoleReport): string {
  const cost = r.cost !== undefined ? ` at ${money(r.cost)}/month` : '';
  const have = r.value !== undefined ? ` (${formatValue(r.value, 'count')})` : '';
  return `${r.count} × ${r.role}${cost}: ${r.state}${have}`;
}

/**
 * The team in one line, saying only what needs doing: `Team: 1 role short — DevOps 0 of 1`,
 * else `Team: 3 people needed in 2 roles, none short` (roles needed later not counted).
 */
export function teamLine(team: readonly TeamRoleReport[]): Line | undefined {
  if (team.length === 0) return undefined;
  const short = team.filter((r) => r.state === 'short');
  if (short.length > 0)
    return {
      icon: 'approaching',
      text: `Team: ${short.length} ${short.length === 1 ? 'role' : 'roles'} short — ${short
        .map((r) => `${r.role} ${formatValue(r.value ?? 0, 'count')} of ${r.count}`)
        .join(', ')}`,
    };
  const needed = team.filter((r) => r.state !== 'later');
  const people = needed.reduce((n, r) => n + r.count, 0);
  const later = team.length - needed.length;
  return {
    icon: 'info',
    text: `Team: ${people} ${people === 1 ? 'person' : 'people'} needed in ${needed.length} ${needed.length === 1 ? 'role' : 'roles'}${later > 0 ? ` (${later} later)` : ''}, none short`,
  };
}

/** A plan in one line: `users 1.2k vs 1k–1.4k expected: on plan (+9%, base)`. */
export function planLine(p: PlanReport, unit: Unit, byUnit?: Unit): Line {
  const fmt = (v: number | undefined) => formatValue(v, unit);
  const actual = p.value !== undefined ? fmt(p.value) : 'no data';
  const band =
    p.low !== undefined && p.high !== undefined
      ? p.low === p.high
        ? fmt(p.low)
        : `${fmt(p.low)}–${fmt(p.high)}`
      : undefined;
  const extras = [p.deltaPct !== undefined ? deltaText(p.deltaPct) : undefined, p.scenario].filter(
    Boolean,
  );
  const by =
    p.by !== undefined
      ? ` at ${p.by} ${p.at !== undefined ? formatValue(p.at, byUnit ?? 'count') : 'no data'}`
      : '';
  return {
    icon: PLAN_ICON[p.state],
    text: `${p.metric} ${actual}${band ? ` vs ${band} expected` : ''}${by}: ${words(p.state)}${extras.length > 0 ? ` (${extras.join(', ')})` : ''}`,
  };
}

/** The capacity limit nearest to (or furthest past) its limit. */
export function tightest(capacity: readonly CapacityReport[]): CapacityReport | undefined {
  let best: CapacityReport | undefined;
  for (const c of capacity) {
    if (c.progress === undefined) continue;
    if (!best || (best.progress as number) < c.progress) best = c;
  }
  return best ?? capacity[0];
}

function capacityText(c: CapacityReport, unit: Unit): string {
  const value = c.value !== undefined ? formatValue(c.value, unit) : 'no data';
  return `${c.metric} ${value} of ${formatValue(c.limit, unit)}`;
}

/**
 * A track in one line: `Database: Postgres (small) → Postgres (large), upgrade due`, with the
 * tightest capacity limit as a bar.
 */
export function trackLine(t: TrackReport, units: (metric: string) => Unit): Line {
  const step = t.due.id !== t.current.id ? `${t.current.name} → ${t.due.name}` : t.current.name;
  const c = tightest(t.capacity);
  return {
    icon: TRACK_ICON[t.state],
    text: `${t.name}: ${step}, ${words(t.state)}`,
    ...(c?.progress !== undefined ? { progress: c.progress } : {}),
    ...(c ? { detail: capacityText(c, units(c.metric)) } : {}),
  };
}

/** A due or overdue to-do: `id: text`, with when it became due or its deadline below. */
export function todoLine(a: TodoReport, zone: string): Line {
  const when =
    a.state === 'overdue' && a.deadline
      ? `overdue since ${formatDate(a.deadline, zone)}${a.by ? ` (by ${a.by})` : ''}`
      : a.state === 'due' && a.dueAt
        ? `due since ${formatDate(a.dueAt, zone)}${a.by ? `, by ${a.by}` : ''}`
        : a.state === 'done' && a.doneBy
          ? `done by ${a.doneBy}${a.doneAt ? ` on ${formatDate(a.doneAt, zone)}` : ''}`
          : a.by
            ? `by ${a.by}`
            : undefined;
  return {
    icon: TODO_ICON[a.state],
    text: `${a.id}: ${a.text}`,
    ...(when ? { detail: when } : {}),
  };
}

function toneOfStates(bad: boolean, warn: boolean): Tone {
  return bad ? 'alert' : warn ? 'warn' : 'ok';
}

const forecastsOf = (report: Report | ForecastedReport) =>
  'forecasts' in report ? report.forecasts : undefined;

/** The lines of a budget with their burn dates. */
export function budgetLines(
  budget: BudgetReport,
  report: Report | ForecastedReport,
  opts: { withMetric?: boolean } = {},
): Line[] {
  const burns = forecastsOf(report)?.budgets;
  const zone = report.roadmap.timezone;
  return budget.lines.map((l) => budgetLineLine(l, zone, burns?.get(l.id), opts));
}

/** `budget`: every line, the totals, the team's roles with their costs. */
export function budgetMessage(report: Report | ForecastedReport): Message {
  const title = `${report.roadmap.name} — ${report.stage.name}: budget`;
  const budget = report.budget;
  if (!budget) {
    return {
      title,
      tone: 'info',
      sections: [
        {
          lines: [
            {
              icon: 'info',
              text: `${report.stage.name} has no budget. Add \`budget:\` lines (or \`team:\`) to the stage in the roadmap file to track spending.`,
            },
          ],
        },
      ],
      fallback: `${report.stage.name}: no budget`,
    };
  }
  const sections: Section[] = [
    { title: 'Lines', lines: budgetLines(budget, report, { withMetric: true }) },
    { title: 'Totals', lines: budget.totals.map(budgetTotalLine) },
  ];
  if (report.team.length > 0)
    sections.push({
      title: 'Team',
      lines: report.team.map((r) => ({
        icon: r.state === 'short' ? 'approaching' : r.state === 'hired' ? 'ok' : 'open',
        text: roleText(r),
      })),
    });
  const over = budget.lines.filter((l) => l.state === 'over').map((l) => l.id);
  const burning = budget.lines.some(
    (l) => l.state !== 'over' && forecastsOf(report)?.budgets?.get(l.id)?.status === 'eta',
  );
  return {
    title,
    tone: toneOfStates(over.length > 0, burning || budget.lines.some((l) => l.state === 'under')),
    sections,
    fallback: `${report.stage.name} budget: ${over.length > 0 ? `over on ${over.join(', ')}` : budget.state}`,
  };
}

/** `plan`: each plan's metric, position, expected band, actual, delta, state and scenario. */
export function planMessage(report: Report): Message {
  const title = `${report.roadmap.name}: plan`;
  if (report.plans.length === 0) {
    return {
      title,
      tone: 'info',
      sections: [
        {
          lines: [
            {
              icon: 'info',
              text: 'This roadmap has no plan. Add a `plan:` list (metric, points or scenarios) to the roadmap file to compare metrics with what you expect.',
            },
          ],
        },
      ],
      fallback: `${report.roadmap.name}: no plan`,
    };
  }
  const lines = report.plans.map((p) => {
    const line = planLine(p, unitOf(report, p.metric), unitOf(report, p.by));
    const unit = unitOf(report, p.metric);
    const named = p.scenarios.filter((s) => s.name !== undefined);
    // Each named scenario's band, so people see which one the metric follows.
    const detail =
      named.length > 0
        ? named
            .map(
              (s) =>
                `${s.name} ${s.low !== undefined && s.high !== undefined ? `${formatValue(s.low, unit)}–${formatValue(s.high, unit)}` : words(s.state)}`,
            )
            .join(' · ')
        : p.expected !== undefined
          ? `expected ${formatValue(p.expected, unit)}`
          : undefined;
    return { ...line, ...(detail ? { detail } : {}) };
  });
  const behind = report.plans.filter((p) => p.state === 'behind');
  return {
    title,
    tone: behind.length > 0 ? 'warn' : 'ok',
    sections: [{ lines }],
    fallback: `${report.roadmap.name} plan: ${report.plans.map((p) => `${p.metric} ${words(p.state)}`).join(', ')}`,
  };
}

/** A track's steps in order with their monthly costs, the current and the due one marked. */
export function stepsText(t: Pick<TrackReport, 'steps' | 'current' | 'due'>): string {
  return t.steps
    .map((s) => {
      const mark = s.id === t.current.id ? ' (current)' : s.id === t.due.id ? ' (due)' : '';
      return `${s.name}${s.cost !== undefined ? ` ${money(s.cost)}/month` : ''}${mark}`;
    })
    .join(' → ');
}

/** `tracks`: each track's current step (since), due step, every step with cost, capacity, state. */
export function tracksMessage(report: Report): Message {
  const title = `${report.roadmap.name}: tracks`;
  const zone = report.roadmap.timezone;
  if (report.tracks.length === 0) {
    return {
      title,
      tone: 'info',
      sections: [
        {
          lines: [
            {
              icon: 'info',
              text: 'This roadmap has no tracks. Add `tracks:` (per-component steps with `when` and `capacity`) to the roadmap file to follow each component’s upgrades.',
            },
          ],
        },
      ],
      fallback: `${report.roadmap.name}: no tracks`,
    };
  }
  const sections: Section[] = report.tracks.map((t) => {
    const lines: Line[] = [
      {
        icon: TRACK_ICON[t.state],
        text: `${words(t.state)}: at ${t.current.name}${t.current.since ? ` since ${formatDate(t.current.since, zone)}` : ''}${t.due.id !== t.current.id ? `, due ${t.due.name}` : ''}`,
      },
      {
        text: `steps: ${stepsText(t)}`,
      },
      ...t.capacity.map((c): Line => ({
        icon:
          c.state === 'over'
            ? 'missed'
            : c.state === 'approaching'
              ? 'approaching'
              : c.state === 'unknown'
                ? 'unknown'
                : 'ok',
        text: `${capacityText(c, unitOf(report, c.metric))}: ${c.state}`,
        ...(c.progress !== undefined ? { progress: c.progress } : {}),
      })),
    ];
    return { title: `${t.name} (${t.id})`, lines };
  });
  const bad = report.tracks.some((t) => t.state === 'over_capacity');
  const warn = report.tracks.some(
    (t) => t.state === 'upgrade_due' || t.state === 'approaching_capacity',
  );
  return {
    title,
    tone: toneOfStates(bad, warn),
    sections,
    fallback: `${report.roadmap.name} tracks: ${report.tracks.map((t) => `${t.name} ${words(t.state)}`).join(', ')}`,
  };
}
