/**
 * The calendar of a roadmap (docs/ROADMAP_FORMAT.md, "`planned`" and "Metrics: review cadence"):
 * where the current stage stands against its planned span, and which metrics are due a review.
 * Pure: `now` is passed in; periods are computed in the roadmap's timezone.
 */
import { addCadence } from '../calendar/period.js';
import type { MetricDef, Stage } from '../roadmap/model.js';

export type PlannedState = 'early' | 'on_time' | 'late';

export interface StagePlannedReport {
  /** The start of the `from` period. */
  from?: Date;
  /** The end of the `to` period. */
  to?: Date;
  state: PlannedState;
}

/** The current stage against its plan: `late` once `to` has ended, `early` before `from` starts. */
export function stagePlanned(stage: Stage, now: Date): StagePlannedReport | undefined {
  if (!stage.planned) return undefined;
  const { from, to } = stage.planned;
  const state: PlannedState =
    to && now.getTime() >= to.at.getTime()
      ? 'late'
      : from && now.getTime() < from.at.getTime()
        ? 'early'
        : 'on_time';
  return { ...(from ? { from: from.at } : {}), ...(to ? { to: to.at } : {}), state };
}

/**
 * A metric with a `review` cadence is due a review once one calendar period has passed since its
 * newest point (a month after January 31 is the end of February), or while it has none. A
 * derived metric is computed, never recorded, so nobody reviews it: never due.
 */
export function reviewDue(
  def: MetricDef,
  newest: Date | undefined,
  zone: string,
  now: Date,
): boolean {
  if (!def.review || def.derive) return false;
  if (!newest) return true;
  return now.getTime() >= addCadence(newest, def.review, zone).getTime();
}
