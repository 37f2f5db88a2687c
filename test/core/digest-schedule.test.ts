import { DateTime } from 'luxon';
import { describe, expect, it } from 'vitest';
import { dueDigest } from '../../src/core/digest/schedule.js';

const NY = 'America/New_York';
const created = new Date('2026-01-01T00:00:00Z');

/** Walks a clock in steps and records when each local day's digest first becomes due. */
function firstDue(from: string, to: string, stepMinutes: number, time = '09:00', zone = NY) {
  const seen = new Map<string, Date>();
  const firstDay = DateTime.fromISO(from, { zone }).toISODate() as string;
  for (let t = Date.parse(from); t <= Date.parse(to); t += stepMinutes * 60_000) {
    const due = dueDigest({ time, timezone: zone, createdAt: created }, new Date(t));
    // The day before the walk is already due at its start: not part of what is checked.
    if (due && due.localDate >= firstDay && !seen.has(due.localDate))
      seen.set(due.localDate, new Date(t));
  }
  return [...seen.entries()].map(([day, at]) => [
    day,
    DateTime.fromJSDate(at, { zone }).toFormat('HH:mm'),
  ]);
}

describe('dueDigest', () => {
  it('is due at 09:00 New York time every day across the start of DST (2026-03-08)', () => {
    expect(firstDue('2026-03-06T05:00:00Z', '2026-03-10T20:00:00Z', 1)).toEqual([
      ['2026-03-06', '09:00'],
      ['2026-03-07', '09:00'],
      ['2026-03-08', '09:00'],
      ['2026-03-09', '09:00'],
      ['2026-03-10', '09:00'],
    ]);
  });

  it('is due at 09:00 New York time every day across the end of DST (2026-11-01)', () => {
    expect(firstDue('2026-10-30T04:00:00Z', '2026-11-03T20:00:00Z', 1)).toEqual([
      ['2026-10-30', '09:00'],
      ['2026-10-31', '09:00'],
      ['2026-11-01', '09:00'],
      ['2026-11-02', '09:00'],
      ['2026-11-03', '09:00'],
    ]);
  });

  it('moves a time that DST skips to the first moment that exists (02:30 on 2026-03-08 → 03:30)', () => {
    const due = dueDigest(
      { time: '02:30', timezone: NY, createdAt: created },
      new Date('2026-03-08T08:00:00Z'),
    );
    expect(due?.localDate).toBe('2026-03-08');
    expect(DateTime.fromJSDate(due!.scheduledAt, { zone: NY }).toFormat('HH:mm')).toBe('03:30');
  });

  it('after an outage names only the latest missed day, marked late', () => {
    // Down from 08:00 on March 2 until 10:00 on March 4 (UTC-5): one digest, for March 4, late.
    const due = dueDigest(
      { time: '09:00', timezone: NY, createdAt: created },
      new Date('2026-03-04T15:00:00Z'),
    );
    expect(due).toMatchObject({ localDate: '2026-03-04', late: true });
    // Back before today's time: yesterday's missed digest, late.
    expect(
      dueDigest(
        { time: '09:00', timezone: NY, createdAt: created },
        new Date('2026-03-04T13:00:00Z'),
      ),
    ).toMatchObject({ localDate: '2026-03-03', late: true });
    // On time: not late.
    expect(
      dueDigest(
        { time: '09:00', timezone: NY, createdAt: created },
        new Date('2026-03-04T14:01:00Z'),
      ),
    ).toMatchObject({ localDate: '2026-03-04', late: false });
  });

  it('is never due for a time before the subscription existed', () => {
    const subscribedAt = new Date('2026-03-04T15:00:00Z'); // 10:00 New York
    expect(
      dueDigest(
        { time: '09:00', timezone: NY, createdAt: subscribedAt },
        new Date('2026-03-04T15:30:00Z'),
      ),
    ).toBeUndefined();
    expect(
      dueDigest(
        { time: '09:00', timezone: NY, createdAt: subscribedAt },
        new Date('2026-03-05T14:00:00Z'),
      )?.localDate,
    ).toBe('2026-03-05');
  });
});
