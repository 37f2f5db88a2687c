import { DateTime } from 'luxon';

/**
 * Periods as roadmap files write them (docs/ROADMAP_FORMAT.md, "Literals and periods"): an ISO
 * date, `week N`, `month N`, `quarter N`, `year N` counted from the roadmap's `start`, or a
 * calendar quarter `2026-Q2`. Pure: no clock; every instant is computed in the roadmap's zone.
 */

export type PeriodUnit = 'week' | 'month' | 'quarter' | 'year';

export type Period =
  /** That day, `2026-03-31`. */
  | { kind: 'date'; date: string }
  /** The Nth unit counted from `start`; `month 0` is `start` itself (its v1 meaning). */
  | { kind: 'relative'; unit: PeriodUnit; n: number }
  /** A calendar quarter, `2026-Q2`: April 1 to July 1. */
  | { kind: 'quarter'; year: number; quarter: number };

/** A period placed on the timeline: it runs from `start` (included) to `end` (excluded). */
export interface Span {
  start: Date;
  end: Date;
}

export const PERIOD_EXAMPLES = '2026-03-31, week 2, month 3, quarter 1, year 1 or 2026-Q2';

/** Beyond this the instants stop being dates people mean (and timestamptz's range). */
const MAX_YEAR = 9999;

const RELATIVE = /^(week|month|quarter|year)\s+(\d{1,6})$/i;
const CALENDAR_QUARTER = /^(\d{4})-Q([1-4])$/i;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}$/;

/** A real calendar date: `2026-02-30` is refused, not rolled over to March. */
export function isCalendarDate(text: string): boolean {
  return ISO_DATE.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
}

/**
 * Reads a period as written. A YAML 1.1 timestamp (a `Date`) is read as its UTC day, as the
 * loader always did for `by`.
 */
export function parsePeriod(
  raw: string | Date,
): { ok: true; period: Period } | { ok: false; error: string } {
  const text = raw instanceof Date ? raw.toISOString().slice(0, 10) : raw.trim();
  const expected = `expected a date or period such as ${PERIOD_EXAMPLES}, got ${JSON.stringify(raw instanceof Date ? text : raw)}`;
  if (ISO_DATE.test(text)) {
    return isCalendarDate(text)
      ? { ok: true, period: { kind: 'date', date: text } }
      : { ok: false, error: `${text} is not a calendar date (${expected})` };
  }
  const quarter = CALENDAR_QUARTER.exec(text);
  if (quarter)
    return {
      ok: true,
      period: { kind: 'quarter', year: Number(quarter[1]), quarter: Number(quarter[2]) },
    };
  const relative = RELATIVE.exec(text);
  if (relative) {
    const unit = (relative[1] as string).toLowerCase() as PeriodUnit;
    const n = Number(relative[2]);
    // `month 0` is `start` (v1); the page counts every other unit from 1.
    if (n === 0 && unit !== 'month')
      return { ok: false, error: `"${text}": counting starts at ${unit} 1 (the first ${unit})` };
    return { ok: true, period: { kind: 'relative', unit, n } };
  }
  return { ok: false, error: expected };
}

/** The text a period is written as, normalized (`month 3`, `2026-Q2`, `2026-03-31`). */
export function periodText(period: Period): string {
  switch (period.kind) {
    case 'date':
      return period.date;
    case 'relative':
      return `${period.unit} ${period.n}`;
    case 'quarter':
      return `${period.year}-Q${period.quarter}`;
  }
}

export type ResolveError = 'needs-start' | 'out-of-range';

/**
 * Places a period in the roadmap's timezone. Relative periods need `start` (an ISO date); the
 * Nth unit runs from `start + (N−1) units` to `start + N units`, each counted from `start`
 * (so month 2 of a January 31 start begins on February 28), at local midnight.
 */
export function resolvePeriod(
  period: Period,
  start: string | undefined,
  zone: string,
): { ok: true; span: Span } | { ok: false; error: ResolveError } {
  let from: DateTime;
  let to: DateTime;
  switch (period.kind) {
    case 'date':
      from = DateTime.fromISO(period.date, { zone });
      to = from.plus({ days: 1 }).startOf('day');
      break;
    case 'quarter':
      from = DateTime.fromObject(
        { year: period.year, month: (period.quarter - 1) * 3 + 1, day: 1 },
        { zone },
      );
      to = from.plus({ months: 3 }).startOf('day');
      break;
    case 'relative': {
      if (start === undefined) return { ok: false, error: 'needs-start' };
      const base = DateTime.fromISO(start, { zone });
      const units = `${period.unit}s` as const;
      from = period.n === 0 ? base : base.plus({ [units]: period.n - 1 }).startOf('day');
      to = base.plus({ [units]: period.n }).startOf('day');
      break;
    }
  }
  if (!from.isValid || !to.isValid || to.year > MAX_YEAR || from.year < 1)
    return { ok: false, error: 'out-of-range' };
  return { ok: true, span: { start: from.toJSDate(), end: to.toJSDate() } };
}

/** How often people review a metric (`review:` on a metric). */
export const CADENCES = ['daily', 'weekly', 'monthly', 'quarterly'] as const;
export type Cadence = (typeof CADENCES)[number];

/** The grace a reviewed metric gets past one period before it counts as stale. */
export const REVIEW_GRACE_MS: Readonly<Record<Cadence, number>> = {
  daily: 86_400_000,
  weekly: 2 * 86_400_000,
  monthly: 7 * 86_400_000,
  quarterly: 14 * 86_400_000,
};

const CADENCE_UNIT = { daily: 'days', weekly: 'weeks', monthly: 'months', quarterly: 'quarters' };

/**
 * `at` plus `n` calendar periods of `cadence` in `zone` (a month after January 31 is the end
 * of February; a day across a DST change is 23 or 25 hours).
 */
export function addCadence(at: Date, cadence: Cadence, zone: string, n = 1): Date {
  return DateTime.fromJSDate(at, { zone })
    .plus({ [CADENCE_UNIT[cadence]]: n })
    .toJSDate();
}
