import { DateTime } from 'luxon';

/** A daily digest subscription's schedule. */
export interface DigestSchedule {
  /** `HH:MM`, local. */
  time: string;
  /** IANA zone. */
  timezone: string;
  /** Digests scheduled before the subscription existed are never due. */
  createdAt: Date;
}

export interface DueDigest {
  /** The local date the digest is for (`2026-03-08`): one digest per channel per local day. */
  localDate: string;
  scheduledAt: Date;
  /** Sent well after its time (every replica was down): say so in the message. */
  late: boolean;
}

/** A digest sent more than this after its time is marked late. */
export const LATE_AFTER_MS = 10 * 60_000;

/** The scheduled instant of `time` on a local date; luxon moves a time skipped by DST forward. */
export function scheduledOn(localDate: DateTime, time: string): DateTime {
  const [hour, minute] = time.split(':').map(Number) as [number, number];
  return localDate.set({ hour, minute, second: 0, millisecond: 0 });
}

/**
 * The digest due at `now`: the one for the latest local day whose scheduled time has passed.
 * Only the latest: after a long outage one late digest goes out, not one per missed day.
 * Pure; DST-correct because the time is placed on the local calendar, not added as hours.
 */
export function dueDigest(schedule: DigestSchedule, now: Date): DueDigest | undefined {
  const local = DateTime.fromJSDate(now, { zone: schedule.timezone });
  let day = local.startOf('day');
  let at = scheduledOn(day, schedule.time);
  if (at > local) {
    day = day.minus({ days: 1 });
    at = scheduledOn(day, schedule.time);
  }
  const scheduledAt = at.toJSDate();
  if (scheduledAt < schedule.createdAt) return undefined;
  return {
    localDate: day.toISODate() as string,
    scheduledAt,
    late: now.getTime() - scheduledAt.getTime() > LATE_AFTER_MS,
  };
}
