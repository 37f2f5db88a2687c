import { CronExpressionParser } from 'cron-parser';
import type { MetricSource } from '../roadmap/model.js';

/** When a collector runs next after `after`: every N, or the next cron match in the roadmap's zone. */
export function nextRun(source: MetricSource, after: Date, zone: string): Date {
  if (source.cron !== undefined) {
    return CronExpressionParser.parse(source.cron, { currentDate: after, tz: zone })
      .next()
      .toDate();
  }
  return new Date(after.getTime() + (source.everyMs ?? 3_600_000));
}

/** True when a cron expression is one cron-parser understands (checked when a roadmap loads). */
export function cronIsValid(expression: string): boolean {
  try {
    CronExpressionParser.parse(expression);
    return true;
  } catch {
    return false;
  }
}
