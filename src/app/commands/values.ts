import { parseLiteral } from '../../core/condition/parse.js';
import type { MetricDef, Roadmap } from '../../core/roadmap/model.js';
import { parseTime } from '../../core/time.js';
import { convertLiteral, valueProblem } from '../../core/units.js';
import { CommandError } from '../errors.js';

/** Parsing of command arguments into values, with errors that say what was expected. */

export function nowFrom(option: string | true | undefined, zone: string, clockNow: Date): Date {
  if (typeof option !== 'string' || option.toLowerCase() === 'now') return clockNow;
  const at = parseTime(option, zone);
  if (!at)
    throw new CommandError(
      'usage',
      `--now: expected a date or time such as 2026-03-01 or 2026-03-01T09:30, got "${option}"`,
    );
  return at;
}

/** When a point was measured: `--at` or now; never meaningfully in the future. */
export function atFrom(option: string | true | undefined, zone: string, clockNow: Date): Date {
  if (typeof option !== 'string' || option.toLowerCase() === 'now') return clockNow;
  const at = parseTime(option, zone);
  if (!at)
    throw new CommandError(
      'invalid',
      `at: expected a date or time such as 2026-03-01 or 2026-03-01T09:30, got "${option}"`,
    );
  // A few minutes of clock skew between machines is normal; more is a typo.
  if (at.getTime() > clockNow.getTime() + 5 * 60_000)
    throw new CommandError('invalid', `at: ${at.toISOString()} is in the future`);
  return at;
}

export function metricFrom(roadmap: Roadmap, name: string): MetricDef {
  const metric = roadmap.metrics.get(name);
  if (!metric) {
    throw new CommandError(
      'not_found',
      `no metric "${name}" in ${roadmap.id} (metrics: ${[...roadmap.metrics.keys()].join(', ')})`,
    );
  }
  return metric;
}

/** A value typed by a person, in the metric's unit: `1.5s` for an ms metric is 1500. */
export function valueFor(metric: MetricDef, text: string): number {
  const parsed = parseValue(metric, text);
  if ('problem' in parsed) throw new CommandError('invalid', `value: ${parsed.problem}`);
  return parsed.value;
}

/** `valueFor` without throwing: the value, or what is wrong with it (for batches of points). */
export function parseValue(
  metric: MetricDef,
  text: string,
): { value: number } | { problem: string } {
  if (metric.unit === 'flag') {
    const word = text.toLowerCase();
    if (['yes', 'true', 'on', '1'].includes(word)) return { value: 1 };
    if (['no', 'false', 'off', '0'].includes(word)) return { value: 0 };
    return { problem: `${metric.name} is a flag; expected yes or no, got "${text}"` };
  }
  const literal = parseLiteral(text);
  if (!literal)
    return { problem: `expected a number such as 420, 1.5s, 99.5% or $1.2k, got "${text}"` };
  const converted = convertLiteral(literal.value, literal.unit, metric.unit);
  if ('error' in converted)
    return { problem: `${converted.error} (${metric.name} is in ${metric.unit})` };
  if (!Number.isFinite(converted.value)) return { problem: `"${text}" is not a finite number` };
  // The bound every way a point arrives shares (the push API and CSV imports check it too).
  const outOfRange = valueProblem(converted.value, metric.unit);
  if (outOfRange) return { problem: `${outOfRange} ("${text}")` };
  return { value: converted.value };
}
