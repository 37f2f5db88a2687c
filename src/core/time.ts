import { DateTime } from 'luxon';

/**
 * Parses a moment as people type it: `2026-03-01`, `2026-03-01T09:30`, `2026-03-01 09:30`,
 * or a full ISO timestamp with offset. Without an offset it is read in `zone` (the roadmap's
 * timezone), so "March 1" means March 1 where the team is.
 */
export function parseTime(text: string, zone: string): Date | undefined {
  const trimmed = text.trim();
  if (trimmed.toLowerCase() === 'now') return undefined;
  const iso = trimmed.replace(/^(\d{4}-\d{2}-\d{2}) (\d)/, '$1T$2');
  const parsed = DateTime.fromISO(iso, { zone, setZone: true });
  // PostgreSQL's timestamptz stops at 4713 BC; people mean years 1 to 9999.
  if (!parsed.isValid || parsed.year < 1 || parsed.year > 9999) return undefined;
  return parsed.toJSDate();
}

/** A date in the roadmap's timezone, for people: `2026-03-01`. */
export function formatDate(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toISODate() ?? date.toISOString().slice(0, 10);
}

/** A moment in the roadmap's timezone, for people: `2026-03-01 09:30`. */
export function formatDateTime(date: Date, zone: string): string {
  return DateTime.fromJSDate(date, { zone }).toFormat('yyyy-LL-dd HH:mm');
}

/** Whole days from `since` to `now`. */
export function daysBetween(since: Date, now: Date): number {
  return Math.floor((now.getTime() - since.getTime()) / 86_400_000);
}
