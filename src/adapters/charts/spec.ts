/**
 * The vega-lite spec of one metric's chart: its history, the thresholds of the current
 * stage's triggers as labelled lines, the forecast as a dashed line inside its confidence
 * band, and the stage's user band shaded when the metric is the users metric. Pure: the
 * renderer (render.ts) turns the spec into SVG and PNG.
 *
 * The chart is CHART_WIDTH × CHART_HEIGHT (800 × 400) pixels in all, axes and titles
 * included (`autosize: fit`). Times are drawn as wall-clock times in the roadmap's timezone
 * on a UTC scale, so the picture does not depend on the machine's TZ.
 */
import { DateTime } from 'luxon';
import type { TopLevelSpec } from 'vega-lite';
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
  subtitle?: string;
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
};

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

/** The vega-lite spec for one metric's chart. */
export function chartSpec(input: ChartInput): TopLevelSpec {
  // Wall-clock time in the roadmap's zone, written as if it were UTC (see the header).
  const wall = (t: Date) => {
    const offset = DateTime.fromJSDate(t, { zone: input.timezone }).offset;
    return new Date(t.getTime() + offset * 60_000).toISOString();
  };
  const history = downsample(input.history);
  const ahead = input.forecast?.points ?? [];

  // The value axis covers the history, the thresholds, the forecast line and the user band
  // (its open top excepted); the forecast band may leave it and is clipped.
  const values = [
    ...history.map((p) => p.v),
    ...input.thresholds.map((t) => t.value),
    ...ahead.map((p) => p.v),
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

  const times = [
    ...history.map((p) => p.t.getTime()),
    ...ahead.map((p) => p.t.getTime()),
    input.now.getTime(),
  ];
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
  const [first, last] = [Math.min(...times), Math.max(...times)];
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
      // v2 budget and track triggers are drawn as alerts (a rule in the alert colour).
      .map((c) => ({
        c,
        kind: trigger.kind === 'upgrade' ? ('upgrade' as const) : ('alert' as const),
        threshold: c.threshold as number,
      })),
  );
  const thresholds = comparisons.map(({ c, kind, threshold }) => ({
    value: threshold,
    label: c.text,
    kind,
  }));

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
    ...(subtitleOf ? { subtitle: subtitleOf } : {}),
  };
}
