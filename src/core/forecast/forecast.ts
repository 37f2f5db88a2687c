/**
 * When will a comparison (`metric op threshold`) become true? Fits the metric's recent
 * history with two models and reads off the date the fitted curve crosses the threshold,
 * with an interval. Pure: `now` is a parameter, nothing is read or written.
 *
 * The rules, in the order they apply:
 * 1. Window: only points with now − windowMs < t ≤ now and a finite value count.
 * 2. Reached: the latest value (or `current`, the value the evaluator saw, for comparisons
 *    on an aggregate) already satisfies the comparison.
 * 3. Not enough data: fewer than `minPoints` points, or less than `minSpanMs` between the
 *    first and the last. Defaults: 5 points over 3 days, enough to see past a daily cycle.
 * 4. Models: linear least squares (exactly Prometheus' predict_linear, intercept at now),
 *    and exponential growth (least squares on ln v, v = exp(α + β·x); only for a strictly
 *    positive series, and only for a positive threshold). The one with the higher R² on the
 *    original scale (the smaller residual sum of squares: both have two parameters, so AICc
 *    or BIC would choose the same) is chosen; linear on a tie. Each also gets its Akaike
 *    weight (see exponentialWeight), how far the data favour it.
 * 5. Not trending: the slope is zero (`flat`) or points away from the threshold
 *    (`receding`), or is under `minTrendT` standard errors (default 1: `weak`, it cannot be
 *    told from noise), or the crossing is further than `maxHorizonMs` (default 5 years:
 *    `beyond-horizon`).
 * 6. ETA: where the fitted curve meets the threshold (now, if the fit is already past it).
 *    The interval [low, high] is where the `level` (default 80%) confidence band of the
 *    fitted curve first meets the threshold: `low` where its optimistic edge does, `high`
 *    where its pessimistic edge does (inverse regression, as in Fieller's method). The band
 *    is ŷ(x) ± t·s·√(1/m + (x − x̄)²/Sxx), Student's t at the band's degrees of freedom,
 *    with s from daily bucket means corrected for autocorrelation (see fitLine in fit.ts).
 *    When the other model keeps a weight of at least MIN_MODEL_WEIGHT, the interval is
 *    widened to the model average: where the two models, weighted, have reached the
 *    threshold with probability 10% and 90%, each model's crossing time distributed as its
 *    band says (Student's t). The data cannot settle the choice, so the interval allows
 *    for either curve in proportion; it is never narrower than the chosen model's own.
 *    `high` is null, an open interval meaning "not before `low`, and possibly never", when
 *    the pessimistic edge never reaches the threshold (the slope's own interval includes
 *    zero) or reaches it only beyond the horizon.
 *
 * Measured on seeded simulations (test/forecast/calibration.test.ts: 14 and 28 days of daily
 * or hourly points, linear and exponential truths, noise from an eighth of a day's growth to
 * four days'), the 80% interval held the true crossing 81–83% of the time for daily points
 * and 82–90% for hourly ones; for 14 daily points with noise of about half a day's growth
 * it held 81% (73.7% for linear series before the model average, when the exponential
 * model, chosen for a quarter of them, held the truth 46% of the time). Noise that is
 * autocorrelated from day to day is not caught by 14 points: with AR(1) noise (ρ = 0.5) the
 * interval held it ~70% of the time, even with the right model alone.
 */
import type { CompareOp } from '../condition/ast.js';
import type { HistoryPoint, LineFit, RegressionBand } from './fit.js';
import { bandHalfWidth, fitLine } from './fit.js';
import { studentTCdf, studentTQuantile } from './stats.js';

export type ForecastOp = '>' | '>=' | '<' | '<=';
export type ForecastModel = 'linear' | 'exponential';
export type NotTrendingReason = 'flat' | 'receding' | 'weak' | 'beyond-horizon';

/** What a forecast says about one comparison. `high: null` is an open interval (see above). */
export type Forecast =
  | { status: 'eta'; eta: Date; low: Date; high: Date | null; model: ForecastModel; r2: number }
  | { status: 'reached' }
  | { status: 'not-trending'; reason: NotTrendingReason }
  | {
      status: 'not-enough-data';
      points: number;
      needed: number;
      spanMs: number;
      neededSpanMs: number;
    };

export interface ForecastOptions {
  /** How much history to fit, ending at now. Default 28 days. */
  windowMs?: number;
  /** Default 5; at least 3 (two parameters and one degree of freedom). */
  minPoints?: number;
  /** Default 3 days. */
  minSpanMs?: number;
  /** Two-sided confidence of the interval. Default 0.8. */
  level?: number;
  /** Bucket width for the residual error (batch means). Default 1 day. */
  bucketMs?: number;
  /** Minimum slope, in standard errors, to count as a trend. Default 1. */
  minTrendT?: number;
  /** Crossings further ahead are not forecast. Default 5 years (5 × 365 days). */
  maxHorizonMs?: number;
}

const DAY_MS = 86_400_000;
export const FORECAST_DEFAULTS: Required<ForecastOptions> = {
  windowMs: 28 * DAY_MS,
  minPoints: 5,
  minSpanMs: 3 * DAY_MS,
  level: 0.8,
  bucketMs: DAY_MS,
  minTrendT: 1,
  maxHorizonMs: 5 * 365 * DAY_MS,
};
/**
 * A model whose Akaike weight is below this is left out of the average: it would move the
 * interval's ends by well under 1% of its width, and leaving it out keeps the closed-form
 * interval (no search) for the usual series where one model clearly fits better.
 */
export const MIN_MODEL_WEIGHT = 1e-3;

export const isForecastOp = (op: CompareOp): op is ForecastOp =>
  op === '>' || op === '>=' || op === '<' || op === '<=';

/** One fitted model. Slope and intercept are per second from now, on ln v for the exponential. */
export interface ModelFit {
  model: ForecastModel;
  slope: number;
  intercept: number;
  /** Share of the variance explained, on the original scale for both models. */
  r2: number;
  /** Akaike weight: how far the data favour this model over the other (the two sum to 1). */
  weight: number;
  band: RegressionBand;
  /** Student's t quantile for the band at the options' level. */
  tq: number;
}

/** A metric's history, fitted once and asked about any number of thresholds. */
export type SeriesFit =
  | {
      kind: 'fit';
      now: Date;
      points: number;
      spanMs: number;
      /** The newest value in the window. */
      last: number;
      linear: ModelFit;
      exponential?: ModelFit;
      /** The model the rules above prefer for this series. */
      best: ModelFit;
      options: Required<ForecastOptions>;
    }
  | {
      kind: 'sparse';
      now: Date;
      points: number;
      spanMs: number;
      last?: number;
      options: Required<ForecastOptions>;
    };

function resolve(options: ForecastOptions): Required<ForecastOptions> {
  const o = { ...FORECAST_DEFAULTS, ...options };
  if (!(o.minPoints >= 3)) throw new RangeError('forecast: minPoints must be at least 3');
  if (!(o.level > 0 && o.level < 1))
    throw new RangeError('forecast: level must be between 0 and 1');
  if (!(o.windowMs > 0 && o.bucketMs > 0 && o.maxHorizonMs > 0 && o.minSpanMs >= 0))
    throw new RangeError('forecast: durations must be positive');
  return o;
}

function modelFit(
  model: ForecastModel,
  line: LineFit,
  r2: number,
  weight: number,
  level: number,
): ModelFit {
  return {
    model,
    slope: line.slope,
    intercept: line.intercept,
    r2,
    weight,
    band: line.band,
    tq: studentTQuantile((1 + level) / 2, line.band.df),
  };
}

/** The window's points as seconds from now (ascending) and values, in typed arrays. */
function collect(
  history: readonly HistoryPoint[],
  start: number,
  end: number,
): { xs: Float64Array; ys: Float64Array; positive: boolean } {
  let xs = new Float64Array(history.length);
  let ys = new Float64Array(history.length);
  let n = 0;
  let sorted = true;
  let positive = true;
  for (let i = 0; i < history.length; i++) {
    const p = history[i] as HistoryPoint;
    const t = p.t.getTime();
    const v = p.v;
    if (!(t > start && t <= end) || !Number.isFinite(v)) continue;
    const x = (t - end) / 1e3;
    if (n > 0 && x < (xs[n - 1] as number)) sorted = false;
    if (!(v > 0)) positive = false;
    xs[n] = x;
    ys[n] = v;
    n++;
  }
  xs = xs.subarray(0, n);
  ys = ys.subarray(0, n);
  if (!sorted) {
    const order = Array.from({ length: n }, (_, i) => i).sort(
      (a, b) => (xs[a] as number) - (xs[b] as number),
    );
    xs = Float64Array.from(order, (i) => xs[i] as number);
    ys = Float64Array.from(order, (i) => ys[i] as number);
  }
  return { xs, ys, positive };
}

function logsOf(ys: Float64Array): Float64Array {
  const logs = new Float64Array(ys.length);
  for (let i = 0; i < ys.length; i++) logs[i] = Math.log(ys[i] as number);
  return logs;
}

/** Residual sum of squares of an exponential curve exp(a + b·x), on the original scale. */
function exponentialSse(xs: Float64Array, ys: Float64Array, a: number, b: number): number {
  let sse = 0;
  for (let i = 0; i < xs.length; i++) {
    const r = (ys[i] as number) - Math.exp(a + b * (xs[i] as number));
    sse += r * r;
  }
  return sse;
}

/**
 * The exponential model's Akaike weight against the linear one, from their residual sums of
 * squares on the raw points and the original scale (those R² compares), counted as the
 * bands' effective number of observations n (daily buckets, fewer when their residuals are
 * autocorrelated: minute points are not 40,320 independent observations).
 * Both models have two parameters, so AICc's difference is n·ln(SSE_exp / SSE_lin) and the
 * weight 1 / (1 + e^(Δ/2)): an SSE 10% smaller is a weight of only 0.68 with 14 daily
 * points (0.81 with 28). Short series rarely settle the choice.
 */
function exponentialWeight(sseLinear: number, sseExponential: number, n: number): number {
  const halfDelta = (n / 2) * Math.log(sseExponential / sseLinear);
  // 0/0: both fit exactly (a constant series), so neither is preferred.
  return Number.isNaN(halfDelta) ? 0.5 : 1 / (1 + Math.exp(halfDelta));
}

/** Fits the window of `history` ending at `now` with both models (when there is enough of it). */
export function fitHistory(
  history: readonly HistoryPoint[],
  now: Date,
  options: ForecastOptions = {},
): SeriesFit {
  const o = resolve(options);
  const end = now.getTime();
  const { xs, ys, positive } = collect(history, end - o.windowMs, end);
  const n = xs.length;
  const spanMs = n > 0 ? ((xs[n - 1] as number) - (xs[0] as number)) * 1e3 : 0;
  const last = n > 0 ? (ys[n - 1] as number) : undefined;
  if (last === undefined || n < o.minPoints || spanMs < o.minSpanMs) {
    return {
      kind: 'sparse',
      now,
      points: n,
      spanMs,
      ...(last !== undefined ? { last } : {}),
      options: o,
    };
  }

  const bucketSeconds = o.bucketMs / 1e3;
  const lin = fitLine(xs, ys, bucketSeconds);
  const r2 = (sse: number) => (lin.sst > 0 ? 1 - sse / lin.sst : 1);
  let linear = modelFit('linear', lin, r2(lin.sse), 1, o.level);
  let exponential: ModelFit | undefined;
  if (positive) {
    const exp = fitLine(xs, logsOf(ys), bucketSeconds);
    const sse = exponentialSse(xs, ys, exp.intercept, exp.slope);
    // The larger effective count: a model that misfits leaves autocorrelated residuals, which
    // must not discount the evidence against it.
    const n = Math.max(lin.band.df, exp.band.df) + 2;
    const weight = exponentialWeight(lin.sse, sse, n);
    linear = { ...linear, weight: 1 - weight };
    exponential = modelFit('exponential', exp, r2(sse), weight, o.level);
  }
  const best = exponential && exponential.r2 > linear.r2 ? exponential : linear;
  return {
    kind: 'fit',
    now,
    points: n,
    spanMs,
    last,
    linear,
    ...(exponential ? { exponential } : {}),
    best,
    options: o,
  };
}

function satisfies(op: ForecastOp, value: number, threshold: number): boolean {
  return op === '>'
    ? value > threshold
    : op === '>='
      ? value >= threshold
      : op === '<'
        ? value < threshold
        : value <= threshold;
}

type Crossing =
  { eta: number; low: number; high: number | null } | { notTrending: NotTrendingReason };

/**
 * Where the `tq` confidence band of a line (value a now, slope b) first meets `y` at or
 * after now, in seconds: `low` where its optimistic (upper) edge does, `high` where its
 * pessimistic (lower) edge does; null where that edge never does.
 */
function edgeCrossings(
  a: number,
  b: number,
  y: number,
  band: RegressionBand,
  tq: number,
): { low: number | null; high: number | null } {
  const k = tq * band.s;
  if (!(k > 0)) {
    // An exact fit: both edges are the line itself.
    const at = a >= y ? 0 : b > 0 ? (y - a) / b : null;
    return { low: at, high: at };
  }
  // Solve (a + b·x − y)² = k²·(1/m + (x − x̄)²/Sxx): where either band edge meets y.
  const d = a - y;
  const k2s = (k * k) / band.sxx;
  const A = b * b - k2s;
  const B = 2 * b * d + 2 * k2s * band.meanX;
  const C = d * d - (k * k) / band.count - k2s * band.meanX * band.meanX;
  const roots: number[] = [];
  if (A === 0) {
    if (B !== 0) roots.push(-C / B);
  } else {
    const disc = B * B - 4 * A * C;
    if (disc >= 0) {
      const q = -0.5 * (B + Math.sign(B || 1) * Math.sqrt(disc));
      roots.push(q / A);
      if (q !== 0) roots.push(C / q);
    }
  }
  roots.sort((p, q) => p - q);
  const line = (x: number) => a + b * x;
  const half = (x: number) => bandHalfWidth(band, x, tq);
  // A root where the line is still below y is the optimistic (upper) edge meeting it.
  const upperRoots = roots.filter((r) => r > 0 && line(r) <= y);
  const lowerRoots = roots.filter((r) => r > 0 && line(r) > y);
  return {
    low: line(0) + half(0) >= y ? 0 : (upperRoots[0] ?? null),
    high: line(0) - half(0) >= y ? 0 : (lowerRoots[0] ?? null),
  };
}

/**
 * Where a rising line (slope b, value a now) and its confidence band meet `y`, in seconds
 * from now. A falling comparison is passed in negated, which leaves the band's width alone.
 */
function crossing(a: number, b: number, y: number, fit: ModelFit, minTrendT: number): Crossing {
  if (b === 0 || !Number.isFinite(b)) return { notTrending: 'flat' };
  if (b < 0) return { notTrending: 'receding' };
  const { band, tq } = fit;
  const se = band.sxx > 0 ? band.s / Math.sqrt(band.sxx) : 0;
  if (se > 0 && b / se < minTrendT) return { notTrending: 'weak' };
  const eta = Math.max(0, (y - a) / b);
  const { low, high } = edgeCrossings(a, b, y, band, tq);
  return { eta, low: Math.min(low ?? eta, eta), high: high === null ? null : Math.max(high, eta) };
}

/** One model of the average, along the comparison's direction (see `crossing`). */
interface Weighted {
  fit: ModelFit;
  a: number;
  b: number;
  y: number;
}

/** P(the model's true curve has reached y by x): its band's Student t at y. */
function reachedBy({ fit, a, b, y }: Weighted, x: number): number {
  const gap = a + b * x - y;
  const se = bandHalfWidth(fit.band, x, 1);
  return se > 0 ? studentTCdf(gap / se, fit.band.df) : gap >= 0 ? 1 : 0;
}

/**
 * The first x in [0, horizon] by which the weighted models have reached y with probability
 * `p`, or null. Each model's own probability rises with x, so their mixture's first reaches
 * p between the candidate points (each model's band crossings); bisection to a second.
 */
function averagedCrossing(
  models: readonly Weighted[],
  p: number,
  candidates: readonly (number | null)[],
  horizon: number,
): number | null {
  const reached = (x: number) => models.reduce((sum, m) => sum + m.fit.weight * reachedBy(m, x), 0);
  if (reached(0) >= p) return 0;
  const points = candidates
    .filter((x): x is number => x !== null && x > 0 && x < horizon)
    .concat(horizon)
    .sort((u, v) => u - v);
  let before = 0;
  for (const x of points) {
    if (reached(x) < p) {
      before = x;
      continue;
    }
    let lo = before;
    let hi = x;
    for (let i = 0; i < 64 && hi - lo > 1; i++) {
      const mid = (lo + hi) / 2;
      if (reached(mid) >= p) hi = mid;
      else lo = mid;
    }
    return hi;
  }
  return null;
}

const yOf = (fit: ModelFit, threshold: number) =>
  fit.model === 'exponential' ? Math.log(threshold) : threshold;

/** A series with enough data to fit. */
export type FittedSeries = Extract<SeriesFit, { kind: 'fit' }>;

/**
 * The model a threshold is forecast with, and the other one when the data leave it a say
 * (an Akaike weight of at least MIN_MODEL_WEIGHT): then the interval and the band average
 * the two by their weights.
 */
export function modelsFor(
  fit: FittedSeries,
  threshold: number,
): { model: ModelFit; alternative?: ModelFit } {
  // The exponential model cannot reach a threshold at or below zero.
  if (!fit.exponential || !(threshold > 0)) return { model: fit.linear };
  const model = fit.best;
  const other = model === fit.linear ? fit.exponential : fit.linear;
  return other.weight >= MIN_MODEL_WEIGHT ? { model, alternative: other } : { model };
}

/** Reads the forecast for one comparison off a series fit. */
export function forecastFromFit(
  fit: SeriesFit,
  target: { op: ForecastOp; threshold: number; current?: number },
): Forecast {
  const { op, threshold } = target;
  const current = target.current ?? fit.last;
  if (current !== undefined && satisfies(op, current, threshold)) return { status: 'reached' };
  const o = fit.options;
  if (fit.kind === 'sparse') {
    return {
      status: 'not-enough-data',
      points: fit.points,
      needed: o.minPoints,
      spanMs: fit.spanMs,
      neededSpanMs: o.minSpanMs,
    };
  }
  const { model, alternative } = modelsFor(fit, threshold);
  const dir = op === '>' || op === '>=' ? 1 : -1;
  const result = crossing(
    dir * model.intercept,
    dir * model.slope,
    dir * yOf(model, threshold),
    model,
    o.minTrendT,
  );
  if ('notTrending' in result) return { status: 'not-trending', reason: result.notTrending };
  const horizon = o.maxHorizonMs / 1e3;
  if (alternative) {
    // Model averaging: where the two models, weighted, have reached the threshold with
    // probability (1 ∓ level)/2. The chosen model's interval alone ignores the chance that
    // the choice is wrong, which 14 points often leave open (issue 12: the exponential model
    // won for a quarter of linear series, and its interval alone held the truth 40–46%).
    const models = [model, alternative].map((m) => ({
      fit: m,
      a: dir * m.intercept,
      b: dir * m.slope,
      y: dir * yOf(m, threshold),
    }));
    const candidates = models.flatMap((m) => {
      const { low, high } = edgeCrossings(m.a, m.b, m.y, m.fit.band, m.fit.tq);
      return [low, high];
    });
    const tail = (1 - o.level) / 2;
    const low = averagedCrossing(models, tail, candidates, horizon);
    const high = averagedCrossing(models, 1 - tail, candidates, horizon);
    // Never narrower than the chosen model's own interval, so an end it leaves open stays open.
    if (low !== null) result.low = Math.min(low, result.low);
    result.high = high === null || result.high === null ? null : Math.max(high, result.high);
  }
  if (result.eta > horizon) return { status: 'not-trending', reason: 'beyond-horizon' };
  const at = (x: number) => new Date(fit.now.getTime() + Math.round(x * 1e3));
  return {
    status: 'eta',
    eta: at(result.eta),
    low: at(result.low),
    high: result.high === null || result.high > horizon ? null : at(result.high),
    model: model.model,
    r2: model.r2,
  };
}

/**
 * The forecast for `metric op threshold` from the metric's history at `now`. `current` is
 * the value the comparison saw, when it reads an aggregate rather than the latest point.
 */
export function forecast(
  history: readonly HistoryPoint[],
  target: { op: ForecastOp; threshold: number; current?: number },
  now: Date,
  options: ForecastOptions = {},
): Forecast {
  return forecastFromFit(fitHistory(history, now, options), target);
}

/** A fitted model's value at `at`, with its confidence band (original scale). */
export function modelValueAt(
  fit: ModelFit,
  now: Date,
  at: Date,
): { v: number; low: number; high: number } {
  const x = (at.getTime() - now.getTime()) / 1e3;
  const y = fit.intercept + fit.slope * x;
  const half = bandHalfWidth(fit.band, x, fit.tq);
  return fit.model === 'exponential'
    ? { v: Math.exp(y), low: Math.exp(y - half), high: Math.exp(y + half) }
    : { v: y, low: y - half, high: y + half };
}

/**
 * The `p` quantile of the models' averaged value `x` seconds from now (original scale):
 * between the models' own quantiles, found by bisection.
 */
function averagedValue(models: readonly ModelFit[], x: number, p: number, own: number[]): number {
  const below = (v: number) =>
    models.reduce((sum, m) => {
      const center = m.intercept + m.slope * x;
      const se = bandHalfWidth(m.band, x, 1);
      const at = m.model === 'exponential' ? (v > 0 ? Math.log(v) : -Infinity) : v;
      const share = se > 0 ? studentTCdf((at - center) / se, m.band.df) : at >= center ? 1 : 0;
      return sum + m.weight * share;
    }, 0);
  let lo = Math.min(...own);
  let hi = Math.max(...own);
  for (let i = 0; i < 64 && hi - lo > 1e-9 * Math.max(Math.abs(lo), Math.abs(hi)); i++) {
    const mid = (lo + hi) / 2;
    if (below(mid) >= p) hi = mid;
    else lo = mid;
  }
  return (lo + hi) / 2;
}

/**
 * `steps + 1` evenly spaced points from now until `until` of the curve a threshold is
 * forecast with, for charts: the model's values, and its band, widened to the band the two
 * models make averaged by their weights when the other one has a say (the same rule as the
 * interval, so the band's edges meet the threshold at the interval's ends).
 */
export function projection(
  fit: FittedSeries,
  threshold: number,
  until: Date,
  steps = 48,
): { t: Date; v: number; low: number; high: number }[] {
  const { model, alternative } = modelsFor(fit, threshold);
  const from = fit.now.getTime();
  const span = Math.max(0, until.getTime() - from);
  return Array.from({ length: steps + 1 }, (_, i) => {
    const t = new Date(from + Math.round((span * i) / steps));
    const point = modelValueAt(model, fit.now, t);
    if (!alternative) return { t, ...point };
    const alt = modelValueAt(alternative, fit.now, t);
    const x = (t.getTime() - from) / 1e3;
    const tail = (1 - fit.options.level) / 2;
    const models = [model, alternative];
    return {
      t,
      v: point.v,
      low: Math.min(point.low, averagedValue(models, x, tail, [point.low, alt.low])),
      high: Math.max(point.high, averagedValue(models, x, 1 - tail, [point.high, alt.high])),
    };
  });
}
