import { describe, expect, it } from 'vitest';
import {
  addCadence,
  parsePeriod,
  periodText,
  resolvePeriod,
  type Period,
} from '../../src/core/calendar/period.js';

/** The span of `text` as ISO instants, with `start` and `zone`. */
function span(text: string, start: string | undefined, zone: string): [string, string] | string {
  const parsed = parsePeriod(text);
  if (!parsed.ok) return parsed.error;
  const placed = resolvePeriod(parsed.period, start, zone);
  if (!placed.ok) return placed.error;
  return [placed.span.start.toISOString(), placed.span.end.toISOString()];
}

describe('periods: parsing', () => {
  it.each<[string, Period]>([
    // An ISO date: that day.
    ['2026-03-31', { kind: 'date', date: '2026-03-31' }],
    // Counted from start, case and spacing as people write them.
    ['month 3', { kind: 'relative', unit: 'month', n: 3 }],
    ['Month  12', { kind: 'relative', unit: 'month', n: 12 }],
    ['week 1', { kind: 'relative', unit: 'week', n: 1 }],
    ['quarter 2', { kind: 'relative', unit: 'quarter', n: 2 }],
    ['year 1', { kind: 'relative', unit: 'year', n: 1 }],
    // v1's `month 0` (= start) stays valid.
    ['month 0', { kind: 'relative', unit: 'month', n: 0 }],
    // A calendar quarter, q in either case.
    ['2026-Q2', { kind: 'quarter', year: 2026, quarter: 2 }],
    ['2026-q4', { kind: 'quarter', year: 2026, quarter: 4 }],
  ])('%s', (text, period) => {
    expect(parsePeriod(text)).toEqual({ ok: true, period });
  });

  it('reads a YAML 1.1 timestamp (a Date) as its UTC day', () => {
    expect(parsePeriod(new Date('2026-03-31T00:00:00Z'))).toEqual({
      ok: true,
      period: { kind: 'date', date: '2026-03-31' },
    });
  });

  it.each([
    // Not a calendar date: refused, not rolled over to March.
    ['2026-02-30', /2026-02-30 is not a calendar date/],
    // Only month 0 has a meaning (start); the other units count from 1.
    ['week 0', /counting starts at week 1/],
    ['year 0', /counting starts at year 1/],
    // There is no fifth quarter.
    ['2026-Q5', /expected a date or period/],
    // Words people might try.
    ['next spring', /expected a date or period such as 2026-03-31, week 2, month 3/],
    ['month -1', /expected a date or period/],
    ['months 4-6', /expected a date or period/],
    ['', /expected a date or period/],
  ])('refuses %j', (text, message) => {
    const parsed = parsePeriod(text);
    expect(parsed.ok).toBe(false);
    if (!parsed.ok) expect(parsed.error).toMatch(message);
  });

  it('writes a period back as people write it', () => {
    for (const text of ['2026-03-31', 'month 3', 'week 1', 'quarter 2', 'year 1', '2026-Q2']) {
      const parsed = parsePeriod(text);
      if (!parsed.ok) throw new Error(parsed.error);
      expect(periodText(parsed.period)).toBe(text);
    }
  });
});

describe('periods: placed on the timeline', () => {
  it.each<[string, string | undefined, string, [string, string] | string]>([
    // The format page's example: start 2026-01-01, month 3 runs 2026-03-01 to 2026-04-01 00:00.
    ['month 3', '2026-01-01', 'UTC', ['2026-03-01T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
    // week 1 is the first seven days.
    ['week 1', '2026-01-01', 'UTC', ['2026-01-01T00:00:00.000Z', '2026-01-08T00:00:00.000Z']],
    ['week 2', '2026-01-01', 'UTC', ['2026-01-08T00:00:00.000Z', '2026-01-15T00:00:00.000Z']],
    // quarter 2 from a January start: April to July.
    ['quarter 2', '2026-01-01', 'UTC', ['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']],
    ['year 1', '2026-01-01', 'UTC', ['2026-01-01T00:00:00.000Z', '2027-01-01T00:00:00.000Z']],
    // month 0 is start itself, as a deadline and as a beginning (v1).
    ['month 0', '2026-01-01', 'UTC', ['2026-01-01T00:00:00.000Z', '2026-01-01T00:00:00.000Z']],
    // Months count from start each time: from January 31, month 1 ends on February 28.
    ['month 1', '2026-01-31', 'UTC', ['2026-01-31T00:00:00.000Z', '2026-02-28T00:00:00.000Z']],
    ['month 2', '2026-01-31', 'UTC', ['2026-02-28T00:00:00.000Z', '2026-03-31T00:00:00.000Z']],
    // A day is that day in the roadmap's zone.
    ['2026-03-31', undefined, 'UTC', ['2026-03-31T00:00:00.000Z', '2026-04-01T00:00:00.000Z']],
    [
      '2026-03-31',
      undefined,
      'America/New_York',
      ['2026-03-31T04:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ],
    // A calendar quarter needs no start.
    ['2026-Q2', undefined, 'UTC', ['2026-04-01T00:00:00.000Z', '2026-07-01T00:00:00.000Z']],
    // Across DST: Berlin's 2026-Q1 begins at +01:00 and ends at +02:00 (summer time from March 29).
    [
      '2026-Q1',
      undefined,
      'Europe/Berlin',
      ['2025-12-31T23:00:00.000Z', '2026-03-31T22:00:00.000Z'],
    ],
    // The DST day itself is 23 hours long in Berlin, and its period still ends at local midnight.
    [
      '2026-03-29',
      undefined,
      'Europe/Berlin',
      ['2026-03-28T23:00:00.000Z', '2026-03-29T22:00:00.000Z'],
    ],
    // A week across New York's DST change (March 8) is 167 hours, midnight to midnight.
    [
      'week 1',
      '2026-03-05',
      'America/New_York',
      ['2026-03-05T05:00:00.000Z', '2026-03-12T04:00:00.000Z'],
    ],
    // month 3 of a New York start: the v1 `by: month 3` deadline (2026-04-01 00:00 EDT).
    [
      'month 3',
      '2026-01-01',
      'America/New_York',
      ['2026-03-01T05:00:00.000Z', '2026-04-01T04:00:00.000Z'],
    ],
    // Relative periods need start.
    ['month 3', undefined, 'UTC', 'needs-start'],
    ['week 1', undefined, 'UTC', 'needs-start'],
    // Past the year 9999 is not a date people mean.
    ['year 9000', '2026-01-01', 'UTC', 'out-of-range'],
  ])('%s from %s in %s', (text, start, zone, expected) => {
    expect(span(text, start, zone)).toEqual(expected);
  });
});

describe('review cadences', () => {
  it.each([
    // A month after January 31 is the last day of February.
    ['monthly', '2026-01-31T10:00:00Z', 'UTC', '2026-02-28T10:00:00.000Z'],
    ['weekly', '2026-01-01T10:00:00Z', 'UTC', '2026-01-08T10:00:00.000Z'],
    ['quarterly', '2026-01-15T10:00:00Z', 'UTC', '2026-04-15T10:00:00.000Z'],
    // A calendar day across Berlin's spring DST change is 23 hours.
    ['daily', '2026-03-28T12:00:00Z', 'Europe/Berlin', '2026-03-29T11:00:00.000Z'],
  ] as const)('%s after %s in %s', (cadence, at, zone, expected) => {
    expect(addCadence(new Date(at), cadence, zone).toISOString()).toBe(expected);
  });
});
