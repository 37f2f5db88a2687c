/**
 * Least-squares line fits over a metric's history. Time is `x`, in seconds relative to the
 * evaluation time `now` (negative in the past), as Prometheus does, so a fit's intercept is
 * its value now. Pure: no clock, no I/O.
 */

/** One point of a metric's history. */
export interface HistoryPoint {
  t: Date;
  v: number;
}

/** Slope (per second) and intercept (the value at x = 0) of a least-squares line. */
export interface Line {
  slope: number;
  intercept: number;
}

/** A compensated running sum: Kahan summation with Neumaier's improvement, as Prometheus' kahanSumInc. */
class KahanSum {
  sum = 0;
  c = 0;
  add(inc: number): void {
    const t = this.sum + inc;
    if (!Number.isFinite(t)) this.c = 0;
    else if (Math.abs(this.sum) >= Math.abs(inc)) this.c += this.sum - t + inc;
    else this.c += inc - t + this.sum;
    this.sum = t;
  }
  get value(): number {
    return this.sum + this.c;
  }
}

/**
 * Prometheus' `linearRegression` (promql/functions.go), the estimate `deriv` and
 * `predict_linear` make: compensated sums, and a constant series short-cut to slope 0.
 * Needs at least one point.
 */
export function linearRegression(xs: ArrayLike<number>, ys: ArrayLike<number>): Line {
  const n = xs.length;
  const initY = ys[0] as number;
  let constY = true;
  const sumX = new KahanSum();
  const sumY = new KahanSum();
  const sumXY = new KahanSum();
  const sumX2 = new KahanSum();
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const y = ys[i] as number;
    if (constY && i > 0 && y !== initY) constY = false;
    sumX.add(x);
    sumY.add(y);
    sumXY.add(x * y);
    sumX2.add(x * x);
  }
  if (constY)
    return Number.isFinite(initY) ? { slope: 0, intercept: initY } : { slope: NaN, intercept: NaN };
  const [sx, sy, sxy, sx2] = [sumX.value, sumY.value, sumXY.value, sumX2.value];
  const covXY = sxy - (sx * sy) / n;
  const varX = sx2 - (sx * sx) / n;
  const slope = covXY / varX;
  return { slope, intercept: sy / n - (slope * sx) / n };
}

/**
 * What PromQL's `predict_linear(v[range], t)` returns at evaluation time `now` for a range
 * holding `history`: the least-squares line with its intercept at `now`, `horizonSeconds`
 * ahead. Undefined with fewer than two points, where Prometheus returns no sample.
 */
export function predictLinear(
  history: readonly HistoryPoint[],
  now: Date,
  horizonSeconds: number,
): number | undefined {
  if (history.length < 2) return undefined;
  const origin = now.getTime();
  const xs = history.map((p) => (p.t.getTime() - origin) / 1e3);
  const ys = history.map((p) => p.v);
  const { slope, intercept } = linearRegression(xs, ys);
  return slope * horizonSeconds + intercept;
}

/**
 * What the uncertainty of a fitted line rests on: the residual standard error `s` with `df`
 * degrees of freedom, over `count` observations with mean time `meanX` and spread `sxx`
 * (the sum of squared deviations of x). The line's confidence band at x is
 * `t·s·sqrt(1/count + (x − meanX)²/sxx)`.
 */
export interface RegressionBand {
  s: number;
  df: number;
  count: number;
  meanX: number;
  sxx: number;
  /** True when the observations are bucket means rather than the raw points (see fitLine). */
  bucketed: boolean;
}

export interface LineFit extends Line {
  /** Residual and total sums of squares of the raw points, on the fitted scale. */
  sse: number;
  sst: number;
  band: RegressionBand;
}

/**
 * The band of `line` judged on the observations (xs, ys): residuals about that line, so a
 * line the bucket means disagree with (a daily cycle biases a raw fit) gets a wider band;
 * and corrected for lag-1 autocorrelation of those residuals with the effective sample
 * size n·(1 − ρ)/(1 + ρ) (Santer et al. 2000), ρ clamped to [0, 0.9] and n_eff to >= 3.
 */
function bandAbout(
  line: Line,
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  bucketed: boolean,
): RegressionBand {
  const n = xs.length;
  let mx = 0;
  for (let i = 0; i < n; i++) mx += xs[i] as number;
  mx /= n;
  let sxx = 0;
  let sse = 0;
  let lagged = 0;
  let prev = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const r = (ys[i] as number) - line.intercept - line.slope * x;
    sxx += (x - mx) * (x - mx);
    sse += r * r;
    if (i > 0) lagged += r * prev;
    prev = r;
  }
  const rho = sse > 0 ? Math.min(0.9, Math.max(0, lagged / sse)) : 0;
  const effective = Math.max(3, (n * (1 - rho)) / (1 + rho));
  return {
    s: Math.sqrt(sse / (effective - 2)),
    df: effective - 2,
    count: n,
    meanX: mx,
    sxx,
    bucketed,
  };
}

/**
 * Fits a line to (xs, ys), xs ascending, with `linearRegression` (so the point estimate is
 * exactly predict_linear's), and estimates its uncertainty by batch means.
 *
 * Why batch means: metrics sampled every minute or hour have residuals that are strongly
 * correlated (a daily cycle, slow drifts), so the textbook standard error from n raw points
 * is far too small and an "80%" interval would almost never hold. Averaging the points within
 * buckets of `bucketSeconds` (aligned to now: (now − k·b, now − (k−1)·b]) and measuring how
 * far the bucket means stray from the line, with (buckets − 2) degrees of freedom, absorbs
 * the correlation inside a bucket; `bandAbout` corrects for what is left between buckets.
 * With at most one point per bucket (daily pushed data) this is the ordinary standard error
 * (plus that correction); with fewer than 3 buckets it falls back to the raw points.
 */
export function fitLine(
  xs: ArrayLike<number>,
  ys: ArrayLike<number>,
  bucketSeconds: number,
): LineFit {
  const n = xs.length;
  const line = linearRegression(xs, ys);
  let my = 0;
  for (let i = 0; i < n; i++) my += ys[i] as number;
  my /= n;
  let sse = 0;
  let sst = 0;
  for (let i = 0; i < n; i++) {
    const y = ys[i] as number;
    const r = y - line.intercept - line.slope * (xs[i] as number);
    sse += r * r;
    sst += (y - my) * (y - my);
  }

  // Bucket means, in one pass: xs ascending means bucket indexes only ever decrease.
  const bx: number[] = [];
  const by: number[] = [];
  let current = Number.NaN;
  let sx = 0;
  let sy = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const x = xs[i] as number;
    const index = Math.floor(-x / bucketSeconds);
    if (index !== current) {
      if (k > 0) {
        bx.push(sx / k);
        by.push(sy / k);
      }
      current = index;
      sx = sy = k = 0;
    }
    sx += x;
    sy += ys[i] as number;
    k++;
  }
  if (k > 0) {
    bx.push(sx / k);
    by.push(sy / k);
  }
  const band =
    bx.length >= 3 && bx.length < n
      ? bandAbout(line, bx, by, true)
      : bandAbout(line, xs, ys, false);
  return { ...line, sse, sst, band };
}

/** Half the width of the line's confidence band at x, for quantile `tq`. */
export function bandHalfWidth(band: RegressionBand, x: number, tq: number): number {
  const dx = x - band.meanX;
  return tq * band.s * Math.sqrt(1 / band.count + (band.sxx > 0 ? (dx * dx) / band.sxx : 0));
}
