/**
 * A dated target's state with forecasts: met | on_track | at_risk | missed. Pure.
 *
 * The rule, in order:
 * - `met` once the target has been met (its first time is remembered; see the evaluator);
 * - `missed` when the deadline has passed and it was not met;
 * - otherwise every comparison of the condition that does not hold yet must be forecast to
 *   hold by the deadline: `on_track` when each such comparison has an ETA before the
 *   deadline, `at_risk` as soon as one has none (not trending, not enough data, no forecast
 *   for its operator) or one after it. The ETA compared is the point estimate by default,
 *   "more likely than not"; `basis: 'high'` compares the 80% interval's late end instead
 *   ("confidently on track"), and an open `high` then counts as late.
 * - A target without a deadline is `on_track` when each unmet comparison has an ETA at all.
 *
 * This reads the condition as the conjunction of its comparisons, which is what a target
 * is written as (`active_users >= 500 and mrr >= $5k`). For an `or` it is conservative:
 * it can say at risk when one branch alone would do.
 */
import type { ComparisonState } from '../condition/evaluate.js';
import type { Forecast } from './forecast.js';

export type TargetOutlook = 'met' | 'on_track' | 'at_risk' | 'missed';
export type TargetOutlookReason =
  | 'met'
  | 'deadline-passed'
  | 'on-time'
  | 'late'
  | 'not-trending'
  | 'not-enough-data'
  /** A comparison has no forecast (such as `==`), or no comparison can be forecast at all. */
  | 'no-forecast';

export interface TargetOutlookInput {
  metAt?: Date;
  deadline?: Date;
  /** The target condition's comparisons, in order, each with its forecast if one was made. */
  comparisons: readonly { state: ComparisonState; forecast?: Forecast }[];
}

export interface TargetOutlookResult {
  state: TargetOutlook;
  reason: TargetOutlookReason;
  /** When every unmet comparison is forecast to hold: the latest of their ETAs. */
  eta?: Date;
  /** The index of the first comparison that puts the target at risk. */
  blocking?: number;
}

export function targetOutlook(
  input: TargetOutlookInput,
  now: Date,
  options: { basis?: 'eta' | 'high' } = {},
): TargetOutlookResult {
  if (input.metAt) return { state: 'met', reason: 'met' };
  const { deadline } = input;
  if (deadline && now.getTime() >= deadline.getTime())
    return { state: 'missed', reason: 'deadline-passed' };

  const pending = input.comparisons
    .map((c, index) => ({ ...c, index }))
    .filter((c) => c.state !== 'met' && c.forecast?.status !== 'reached');
  // Every comparison holds, yet the target does not (a flag or a `not` decides): no forecast can say.
  if (pending.length === 0) return { state: 'at_risk', reason: 'no-forecast' };

  let eta: Date | undefined;
  for (const c of pending) {
    const f = c.forecast;
    const risk = (reason: TargetOutlookReason): TargetOutlookResult => ({
      state: 'at_risk',
      reason,
      blocking: c.index,
    });
    if (!f) return risk('no-forecast');
    if (f.status === 'not-enough-data') return risk('not-enough-data');
    if (f.status === 'not-trending') return risk('not-trending');
    if (f.status !== 'eta') continue; // 'reached' was filtered out above
    const when = options.basis === 'high' ? f.high : f.eta;
    if (when === null || (deadline && when.getTime() > deadline.getTime())) return risk('late');
    if (!eta || f.eta > eta) eta = f.eta;
  }
  return { state: 'on_track', reason: 'on-time', ...(eta ? { eta } : {}) };
}
