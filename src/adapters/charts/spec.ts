/**
 * The vega-lite spec of one metric's chart: its history, the thresholds of the current
 * stage's triggers as labelled lines, the forecast as a dashed line inside its confidence
 * band, the stage's user band shaded when the metric is the users metric, and (format v2) the
 * metric's plan as a band around its expected line and the max of the current stage's budget
 * lines on it as labelled rules. Pure: the renderer (render.ts) turns the spec into SVG and PNG.
 *
 * The chart is CHART_WIDTH × CHART_HEIGHT (800 × 400) pixels in all, axes and titles
 * included (`autosize: fit`). Times are drawn as wall-clock times in the roadmap's timezone
 * on a UTC scale, so the picture does not depend on the machine's TZ.
 */
import { DateTime } from 'luxon';
import type { TopLevelSpec } from 'vega-lite';
import { rampAt } from '../../core/evaluate/budget.js';
import type { ConditionInputs } from '../../core/condition/evaluate.js';
import { bandAt, scenarioBands, type BandPoint } from '../../core/evaluate/plans.js';
import type { Report } from '../../core/evaluate/report.js';
import type { HistoryPoint } from '../../core/forecast/fit.js';
import type { Forecast, ForecastModel, ForecastOptions } from '../../core/forecast/forecast.js';
import {
  fitHistory,
  forecastFromFit,
  isForecastOp,
  modelsFor,
  projection,
} from '../../core/forecast/forecast.js';
import type { BudgetPer, Roadmap } from '../../core/roadmap/model.js';
import { formatDate } from '../../core/time.js';
import type { Unit } from '../../core/units.js';
import { formatValue } from '../../core/units.js';

export const CHART_WIDTH = 800;
export const CHART_HEIGHT = 400;
/** The font every chart names; render.ts bundles it (assets/fonts). */
export const CHART_FONT = 'DejaVu Sans';
/** History is averaged into at most this many time bins: about one per two pixels. */
export const MAX_HISTORY_POINTS = 400;

export interface ChartThreshold {
  value: number;
  label: string;
  kind: 'upgrade' | 'alert';
}

export interface ChartInput {
  title: string;
  unit: Unit;
  timezone: string;
  now: Date;
  history: readonly HistoryPoint[];
  thresholds: readonly ChartThreshold[];
  /** The fitted curve ahead of now with its band, and the ETA to mark, if any. */
  forecast?: {
    model: ForecastModel;
    points: readonly { t: Date; v: number; low: number; high: number }[];
    eta?: Date;
  };
  /** The stage's user band, shaded. */
  band?: { min: number; max?: number; label: string };
  /** v2: the metric's plans by time, one per scenario, named in the chart's legend. */
  plans?: readonly ChartPlan[];
  /** v2: the max of each of the current stage's budget lines on this metric. */
  budgets?: readonly ChartBudget[];
  subtitle?: string;
}

/** One scenario of a plan by time (or the plan itself when written with `points`). */
export interface ChartPlan {
  /** The legend entry: `plan`, or `plan: <scenario>`. */
  name: string;
  /**
   * The points (`at` in epoch ms) with their bands as the evaluator bands them: the chart
   * interpolates them with the evaluator's `bandAt`, holding the last one after it.
   */
  points: readonly BandPoint[];
}

/** A budget line's max, drawn as a labelled rule. */
export interface ChartBudget {
  label: string;
  /** The max as it evaluates now: a level rule, unless the line ramps. */
  value: number;
  /** A `ramp`: the max across the stage's planned span, held at its ends outside it (rampAt). */
  ramp?: { from: number; to: number; span: { from: Date; to: Date } };
}

/** Six significant digits: far below a pixel, and keeps specs small and snapshots stable. */
const round = (v: number) => (Number.isFinite(v) ? Number(v.toPrecision(6)) : v);

const COLORS = {
  history: '#1f77b4',
  forecast: '#ff7f0e',
  upgrade: '#d62728',
  alert: '#9467bd',
  band: '#2ca02c',
  now: '#7f7f7f',
  budget: '#8c564b',
};
/** One colour per plan scenario, in file order (cycled past four). */
const PLAN_COLORS = ['#17becf', '#bcbd22', '#e377c2', '#393b79'];
/**
 * Roughly the plot's height in pixels (the chart less its title, legend and axis): only used to
 * tell whether two labels at the right edge would overlap.
 */
const PLOT_HEIGHT_PX = CHART_HEIGHT - 110;
/** Labels whose baselines are closer than this many pixels would overlap. */
const LABEL_GAP_PX = 14;

/** Averages history into at most `max` equal time bins (bins without points are skipped). */
export function downsample(
  history: readonly HistoryPoint[],
  max = MAX_HISTORY_POINTS,
): HistoryPoint[] {
  if (history.length <= max) return [...history];
  const first = (history[0] as HistoryPoint).t.getTime();
  const span = (history[history.length - 1] as HistoryPoint).t.getTime() - first || 1;
  const sums = new Float64Array(max);
  const times = new Float64Array(max);
  const counts = new Uint32Array(max);
  for (const p of history) {
    const bin = Math.min(max - 1, Math.floor(((p.t.getTime() - first) / span) * max));
    sums[bin] = (sums[bin] as number) + p.v;
    times[bin] = (times[bin] as number) + p.t.getTime();
    counts[bin] = (counts[bin] as number) + 1;
  }
  const out: HistoryPoint[] = [];
  for (let i = 0; i < max; i++) {
    const n = counts[i] as number;
    if (n > 0)
      out.push({ t: new Date(Math.round((times[i] as number) / n)), v: (sums[i] as number) / n });
  }
  return out;
}

/** Axis labels in the metric's unit, as vega expressions. */
function axisLabels(unit: Unit, max: number): { format?: string; labelExpr?: string } {
  const big = Math.abs(max) >= 10_000;
  const num = big ? "format(datum.value, '.3~s')" : "format(datum.value, ',~f')";
  switch (unit) {
    case 'usd':
      return { format: big ? '$.3~s' : '$,~f' };
    case 'ratio':
      return { format: '.0%' };
    case 'percent':
      return { labelExpr: `${num} + '%'` };
    case 'ms':
      return { labelExpr: `${num} + ' ms'` };
    case 's':
      return { labelExpr: `${num} + ' s'` };
    case 'bytes':
      return { labelExpr: "format(datum.value, '.3~s') + 'B'" };
    default:
      return { format: big ? '.3~s' : ',~f' };
  }
}

const planColor = (i: number) => PLAN_COLORS[i % PLAN_COLORS.length] as string;

/**
 * Where each plan is drawn on [first, last]: its band at the chart's ends and at every point in
 * between, interpolated by the evaluator's own `bandAt` (linear between points, so these
 * vertices are the whole line), from its first point on and held after its last. A plan whose
 * band needs data it has not (an expression over a metric without data) is not drawn, as the
 * evaluator calls it unknown.
 */
function planRows(plans: readonly ChartPlan[], first: number, last: number) {
  const names: string[] = [];
  const rows: { at: number; series: string; low: number; high: number }[] = [];
  for (const plan of plans) {
    const xs = [first, ...plan.points.map((p) => p.at).filter((t) => t > first && t < last), last];
    const drawn: typeof rows = [];
    let known = true;
    for (const at of [...new Set(xs)].sort((a, b) => a - b)) {
      const band = bandAt(plan.points, at, 'hold');
      if (band === 'unknown') known = false;
      if (typeof band !== 'string') drawn.push({ at, series: plan.name, ...band });
    }
    if (!known || drawn.length < 2) continue;
    names.push(plan.name);
    rows.push(...drawn);
  }
  return { names, rows };
}

/** A budget rule on [first, last]: `end`, its value at the right edge, and a ramp's vertices. */
function budgetRule(
  budget: ChartBudget,
  first: number,
  last: number,
): { label: string; end: number; points?: { t: number; v: number }[] } {
  const { ramp } = budget;
  if (!ramp) return { label: budget.label, end: budget.value };
  const at = (t: number) => rampAt(ramp, ramp.span, new Date(t));
  const inside = [ramp.span.from.getTime(), ramp.span.to.getTime()].filter(
    (t) => t > first && t < last,
  );
  const points = [first, ...inside, last].map((t) => ({ t, v: at(t) }));
  return { label: budget.label, end: at(last), points };
}

/** The vega-lite spec for one metric's chart. */
export function chartSpec(input: ChartInput): TopLevelSpec {
  // Wall-clock time in the roadmap's zone, written as if it were UTC (see the header).
  const wall = (t: Date) => {
    const offset = DateTime.fromJSDate(t, { zone: input.timezone }).offset;
    return new Date(t.getTime() + offset * 60_000).toISOString();
  };
  const history = downsample(input.history);
  const ahead = input.forecast?.points ?? [];
  const times = [
    ...history.map((p) => p.t.getTime()),
    ...ahead.map((p) => p.t.getTime()),
    input.now.getTime(),
  ];
  const [first, last] = [Math.min(...times), Math.max(...times)];
  const plans = planRows(input.plans ?? [], first, last);
  const budgets = (input.budgets ?? []).map((b) => budgetRule(b, first, last));

  // The value axis covers the history, the thresholds, the forecast line, the user band (its
  // open top excepted), the plans and the budget rules where they are drawn; the forecast band
  // may leave it and is clipped.
  const values = [
    ...history.map((p) => p.v),
    ...input.thresholds.map((t) => t.value),
    ...ahead.map((p) => p.v),
    ...plans.rows.flatMap((r) => [r.low, r.high]),
    ...budgets.flatMap((b) => (b.points ? b.points.map((p) => p.v) : [b.end])),
  ];
  if (input.band)
    values.push(input.band.min, ...(input.band.max !== undefined ? [input.band.max] : []));
  const finite = values.filter((v) => Number.isFinite(v));
  let lo = finite.length ? Math.min(...finite) : 0;
  let hi = finite.length ? Math.max(...finite) : 1;
  if (lo >= 0 && lo <= 0.25 * hi) lo = 0;
  const pad = (hi - lo || Math.abs(hi) || 1) * 0.08;
  hi = round(hi + pad);
  if (lo !== 0) lo = round(lo - pad);

  const x = {
    field: 't',
    type: 'temporal' as const,
    title: null,
    scale: {
      type: 'utc' as const,
      domain: [wall(new Date(Math.min(...times))), wall(new Date(Math.max(...times)))],
    },
    axis: { grid: false, labelFontSize: 11, tickCount: 8 },
  };
  const y = {
    type: 'quantitative' as const,
    title: null,
    scale: { domain: [lo, hi], nice: false, zero: false },
    axis: { labelFontSize: 11, ...axisLabels(input.unit, hi) },
  };

  const layers: unknown[] = [];
  if (input.band) {
    const top = input.band.max ?? hi;
    layers.push(
      {
        data: { values: [{ y: input.band.min, y2: top }] },
        mark: { type: 'rect', color: COLORS.band, opacity: 0.08, clip: true },
        encoding: { y: { ...y, field: 'y' }, y2: { field: 'y2' } },
      },
      {
        data: { values: [{ y: Math.min(top, hi), label: input.band.label }] },
        mark: {
          type: 'text',
          align: 'left',
          baseline: 'top',
          dx: 6,
          dy: 4,
          fontSize: 11,
          color: COLORS.band,
        },
        encoding: { x: { value: 0 }, y: { ...y, field: 'y' }, text: { field: 'label' } },
      },
    );
  }
  if (plans.rows.length) {
    // Each scenario's band (a single value widened by the tolerance, a range as written) around
    // its expected line, under the history so that stays readable; one legend names them (both
    // layers' colour channels must agree on it, or vega-lite drops it).
    const color = {
      field: 'series',
      type: 'nominal' as const,
      scale: { domain: plans.names, range: plans.names.map((_, i) => planColor(i)) },
      legend: {
        title: null,
        orient: 'top' as const,
        direction: 'horizontal' as const,
        symbolType: 'stroke',
        symbolOpacity: 1,
        symbolStrokeWidth: 3,
        labelFontSize: 11,
      },
    };
    const rows = plans.rows.map((r) => ({
      t: wall(new Date(r.at)),
      series: r.series,
      low: round(r.low),
      high: round(r.high),
      mid: round((r.low + r.high) / 2),
    }));
    layers.push(
      {
        data: { values: rows },
        mark: { type: 'area', opacity: 0.15, clip: true },
        encoding: {
          x,
          y: { ...y, field: 'low' },
          y2: { field: 'high' },
          color,
          detail: { field: 'series' },
        },
      },
      {
        data: { values: rows },
        mark: { type: 'line', strokeWidth: 1.5, clip: true },
        encoding: {
          x,
          y: { ...y, field: 'mid' },
          color,
        },
      },
    );
  }
  if (ahead.length) {
    const band = ahead.map((p) => ({
      t: wall(p.t),
      low: round(Math.max(p.low, lo)),
      high: round(Math.min(p.high, hi)),
    }));
    layers.push({
      data: { values: band },
      mark: { type: 'area', color: COLORS.forecast, opacity: 0.18, clip: true },
      encoding: { x, y: { ...y, field: 'low' }, y2: { field: 'high' } },
    });
  }
  layers.push({
    data: { values: history.map((p) => ({ t: wall(p.t), v: round(p.v) })) },
    mark: { type: 'line', color: COLORS.history, strokeWidth: 1.5, clip: true },
    encoding: { x, y: { ...y, field: 'v' } },
  });
  if (ahead.length) {
    layers.push({
      data: { values: ahead.map((p) => ({ t: wall(p.t), v: round(p.v) })) },
      mark: {
        type: 'line',
        color: COLORS.forecast,
        strokeWidth: 2,
        strokeDash: [6, 4],
        clip: true,
      },
      encoding: { x, y: { ...y, field: 'v' } },
    });
  }
  const markers = [{ at: input.now, label: 'now', color: COLORS.now }];
  if (input.forecast?.eta)
    markers.push({
      at: input.forecast.eta,
      label: `ETA ${formatDate(input.forecast.eta, input.timezone)}`,
      color: COLORS.forecast,
    });
  const marks = markers.map((m) => ({
    t: wall(m.at),
    label: m.label,
    color: m.color,
    right: (m.at.getTime() - first) / (last - first || 1) > 0.85,
  }));
  layers.push({
    data: { values: marks },
    mark: { type: 'rule', strokeDash: [2, 3] },
    encoding: { x, color: { field: 'color', type: 'nominal', scale: null } },
  });
  // A marker's label sits at the foot of its line (thresholds label the top right), right of
  // it, or left of it near the chart's right edge.
  for (const right of [false, true]) {
    const values = marks.filter((m) => m.right === right);
    if (!values.length) continue;
    layers.push({
      data: { values },
      mark: {
        type: 'text',
        align: right ? 'right' : 'left',
        baseline: 'bottom',
        dx: right ? -4 : 4,
        dy: -4,
        fontSize: 11,
      },
      encoding: {
        x,
        y: { value: 'height' },
        text: { field: 'label' },
        color: { field: 'color', type: 'nominal', scale: null },
      },
    });
  }
  if (input.thresholds.length) {
    const rules = input.thresholds.map((t) => ({
      y: t.value,
      label: t.label,
      color: COLORS[t.kind],
    }));
    layers.push(
      {
        data: { values: rules },
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: {
          y: { ...y, field: 'y' },
          color: { field: 'color', type: 'nominal', scale: null },
        },
      },
      {
        data: { values: rules },
        mark: { type: 'text', align: 'right', baseline: 'bottom', dx: -4, dy: -3, fontSize: 11 },
        encoding: {
          x: { value: 'width' },
          y: { ...y, field: 'y' },
          text: { field: 'label' },
          color: { field: 'color', type: 'nominal', scale: null },
        },
      },
    );
  }
  if (budgets.length) {
    // A level max is a rule across the chart, as thresholds are; a ramp is its segments.
    const level = budgets.filter((b) => !b.points).map((b) => ({ y: round(b.end) }));
    if (level.length)
      layers.push({
        data: { values: level },
        mark: { type: 'rule', strokeWidth: 1.5, strokeDash: [8, 3], color: COLORS.budget },
        encoding: { y: { ...y, field: 'y' } },
      });
    budgets.forEach((b) => {
      if (!b.points) return;
      layers.push({
        data: { values: b.points.map((p) => ({ t: wall(new Date(p.t)), v: round(p.v) })) },
        mark: {
          type: 'line',
          strokeWidth: 1.5,
          strokeDash: [8, 3],
          color: COLORS.budget,
          clip: true,
        },
        encoding: { x, y: { ...y, field: 'v' } },
      });
    });
    // Labelled at the right edge like thresholds, above the rule where it stands there, or
    // below it when that would overlap a threshold's label or an earlier budget's.
    const taken = input.thresholds.map((t) => t.value);
    const px = (v: number) => ((v - lo) / (hi - lo || 1)) * PLOT_HEIGHT_PX;
    const labels = budgets.map((b) => {
      const below = taken.some((v) => Math.abs(px(v) - px(b.end)) < LABEL_GAP_PX);
      if (!below) taken.push(b.end);
      return { y: round(b.end), label: b.label, below };
    });
    for (const below of [false, true]) {
      const values = labels.filter((l) => l.below === below);
      if (!values.length) continue;
      layers.push({
        data: { values },
        mark: {
          type: 'text',
          align: 'right',
          baseline: below ? 'top' : 'bottom',
          dx: -4,
          dy: below ? 3 : -3,
          fontSize: 11,
          color: COLORS.budget,
        },
        encoding: { x: { value: 'width' }, y: { ...y, field: 'y' }, text: { field: 'label' } },
      });
    }
  }

  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    width: CHART_WIDTH,
    height: CHART_HEIGHT,
    autosize: { type: 'fit', contains: 'padding' },
    padding: 12,
    background: 'white',
    title: {
      text: input.title,
      ...(input.subtitle ? { subtitle: input.subtitle } : {}),
      anchor: 'start',
      fontSize: 16,
      subtitleFontSize: 12,
      subtitleColor: '#444',
    },
    config: {
      font: CHART_FONT,
      view: { stroke: null },
      axis: { labelColor: '#333', domainColor: '#999', tickColor: '#999', gridColor: '#eee' },
    },
    layer: layers,
  } as TopLevelSpec;
}

/** How a forecast reads in the chart's subtitle. */
function describe(f: Forecast, text: string, unit: Unit, zone: string, threshold: number): string {
  switch (f.status) {
    case 'eta': {
      const high = f.high ? formatDate(f.high, zone) : 'open';
      return `${text}: ETA ${formatDate(f.eta, zone)} (80%: ${formatDate(f.low, zone)} – ${high}) · ${f.model} fit, R² ${f.r2.toFixed(2)}`;
    }
    case 'reached':
      return `${text}: reached (${formatValue(threshold, unit)})`;
    case 'not-trending':
      return `${text}: not trending toward it`;
    case 'not-enough-data':
      return `${text}: not enough data to forecast (${f.points} points, ${f.needed} needed over ${Math.round(f.neededSpanMs / 86_400_000)} days)`;
  }
}

export interface MetricChartOptions {
  /** The metric the stages' `users: [min, max]` bands describe. Default `active_users`. */
  usersMetric?: string;
  forecast?: ForecastOptions;
  /** The roadmap the report is of: its plans and the current stage's budget lines are drawn. */
  roadmap?: Pick<Roadmap, 'plans' | 'stages'>;
}

/** The values the report saw: a stale metric has none, as for the evaluator. */
function reportInputs(report: Report): ConditionInputs {
  const values = new Map(
    report.metrics.flatMap((m) => (m.stale || m.value === undefined ? [] : [[m.name, m.value]])),
  );
  // Windows are not in the report: a plan point over an aggregate has no band here (not drawn).
  return { value: (name) => values.get(name), window: () => undefined };
}

/**
 * The metric's plans by time, a ChartPlan per scenario. A plan `by` another metric places its
 * points on that metric's values, not in time: it has no place on this chart's time axis and
 * is left out (`plan` and `status` show it).
 */
function chartPlans(report: Report, roadmap: Pick<Roadmap, 'plans'>, metric: string): ChartPlan[] {
  const inputs = reportInputs(report);
  const plans = roadmap.plans.filter((p) => p.metric === metric && p.by === undefined);
  const seen = new Set<string>();
  return plans.flatMap((plan) =>
    plan.scenarios.map((s) => {
      let name = s.name !== undefined ? `plan: ${s.name}` : 'plan';
      // Two plans of one metric: the file's order tells their entries apart.
      if (seen.has(name)) name = `${name} (#${plan.index + 1})`;
      seen.add(name);
      return { name, points: scenarioBands(plan, s, inputs) };
    }),
  );
}

const PER: Record<BudgetPer, string> = { month: '/mo', year: '/yr', once: '' };

/**
 * The max of each of the current stage's budget lines that compares this metric: as it
 * evaluates now (the report's), or a ramp across the stage's planned span. A line without a
 * max, or whose max has no data now, draws nothing.
 */
function chartBudgets(
  report: Report,
  roadmap: Pick<Roadmap, 'stages'>,
  metric: string,
  unit: Unit,
): ChartBudget[] {
  const stage = roadmap.stages.find((s) => s.id === report.stage.id);
  if (!stage) return [];
  const money = (v: number) => formatValue(v, unit);
  return stage.budgetLines.flatMap((line) => {
    const now = report.budget?.lines.find((l) => l.id === line.id && !l.implicit);
    if (line.metric !== metric || now?.max === undefined) return [];
    const from = stage.planned?.from?.at;
    const to = stage.planned?.to?.at;
    if (line.ramp && from && to)
      return [
        {
          label: `budget ${line.id}: max ${money(line.ramp.from)}→${money(line.ramp.to)}${PER[line.per]}`,
          value: now.max,
          ramp: { ...line.ramp, span: { from, to } },
        },
      ];
    return [{ label: `budget ${line.id}: max ${money(now.max)}${PER[line.per]}`, value: now.max }];
  });
}

/**
 * Everything a metric's chart shows, from an evaluation report and the metric's history:
 * thresholds of the report's triggers (the current stage's upgrade and the alerts) on this
 * metric, the forecast toward the soonest of them, and the stage's user band.
 */
export function metricChartInput(
  report: Report,
  metric: string,
  history: readonly HistoryPoint[],
  options: MetricChartOptions = {},
): ChartInput {
  const now = report.evaluatedAt;
  const def = report.metrics.find((m) => m.name === metric);
  const zone = report.roadmap.timezone;
  const unit = def?.unit ?? 'count';
  const seen = new Set<string>();
  const comparisons = report.triggers.flatMap((trigger) =>
    trigger.comparisons
      .filter((c) => c.metric === metric && c.threshold !== undefined && isForecastOp(c.op))
      .filter((c) => !seen.has(`${c.text}@${c.threshold}`) && seen.add(`${c.text}@${c.threshold}`))
      .map((c) => ({
        c,
        kind: trigger.kind === 'upgrade' ? ('upgrade' as const) : ('alert' as const),
        threshold: c.threshold as number,
        budget: trigger.kind === 'budget',
      })),
  );
  // v2 track triggers are drawn as alerts (a rule in the alert colour); a budget trigger's
  // max is the budget rule below (a ramp slopes), so it is forecast toward but not drawn twice.
  const drawBudgets = options.roadmap !== undefined;
  const thresholds = comparisons
    .filter(({ budget }) => !(budget && drawBudgets))
    .map(({ c, kind, threshold }) => ({ value: threshold, label: c.text, kind }));

  const fit = fitHistory(history, now, options.forecast);
  const forecasts = comparisons.map(({ c, threshold }) =>
    forecastFromFit(fit, {
      op: c.op as '>' | '>=' | '<' | '<=',
      threshold,
      ...(c.value !== undefined && c.fn ? { current: c.value } : {}),
    }),
  );
  // The forecast shown is toward the soonest ETA; the subtitle says why there is none otherwise.
  let soonest = -1;
  forecasts.forEach((f, i) => {
    const best = forecasts[soonest];
    if (f.status === 'eta' && (!best || best.status !== 'eta' || f.eta < best.eta)) soonest = i;
  });
  const shown = soonest >= 0 ? soonest : 0;
  const subtitleOf =
    comparisons[shown] && forecasts[shown]
      ? describe(
          forecasts[shown],
          comparisons[shown].c.text,
          unit,
          zone,
          comparisons[shown].threshold,
        )
      : undefined;

  let forecast: ChartInput['forecast'];
  if (fit.kind === 'fit') {
    const f = forecasts[soonest];
    // Any positive threshold picks the series' best model when there is none to aim at.
    const threshold = comparisons[shown]?.threshold ?? 1;
    // Far enough ahead to show the interval's end, but the future never takes more than
    // about half the chart: at least a quarter of the window, at most 1.25 windows ahead.
    const window = fit.options.windowMs;
    const wanted =
      f?.status === 'eta' ? ((f.high ?? f.eta).getTime() - now.getTime()) * 1.1 : window / 4;
    const until = new Date(now.getTime() + Math.min(1.25 * window, Math.max(window / 4, wanted)));
    forecast = {
      model: modelsFor(fit, threshold).model.model,
      points: projection(fit, threshold, until, 60),
      ...(f?.status === 'eta' ? { eta: f.eta } : {}),
    };
  }

  const users = report.stage.users;
  const band =
    users && metric === (options.usersMetric ?? 'active_users')
      ? {
          min: users.min,
          ...(users.max !== undefined ? { max: users.max } : {}),
          label: `${report.stage.name}: ${formatValue(users.min, unit)}–${users.max !== undefined ? formatValue(users.max, unit) : '…'} users`,
        }
      : undefined;
  const plans = options.roadmap ? chartPlans(report, options.roadmap, metric) : [];
  const budgets = options.roadmap ? chartBudgets(report, options.roadmap, metric, unit) : [];
  return {
    title: def?.label && def.label !== metric ? `${def.label} (${metric})` : metric,
    unit,
    timezone: zone,
    now,
    history: history.filter(
      (p) => p.t.getTime() <= now.getTime() && p.t.getTime() > now.getTime() - fit.options.windowMs,
    ),
    thresholds,
    ...(forecast ? { forecast } : {}),
    ...(band ? { band } : {}),
    ...(plans.length ? { plans } : {}),
    ...(budgets.length ? { budgets } : {}),
    ...(subtitleOf ? { subtitle: subtitleOf } : {}),
  };
}
