/** Units a metric can have, and how values of each are shown to people. */
export const UNITS = ['count', 'usd', 'percent', 'ms', 's', 'bytes', 'ratio', 'flag'] as const;
export type Unit = (typeof UNITS)[number];

/** The kind of unit a literal in a condition carries (`2s`, `99.5%`, `$5k`, `1,600`). */
export type LiteralUnit = 'plain' | 'percent' | 'usd' | 'duration';

function compact(value: number, digits = 1): string {
  const abs = Math.abs(value);
  const fmt = (n: number, suffix: string) => `${Number(n.toFixed(digits))}${suffix}`;
  if (abs >= 1e9) return fmt(value / 1e9, 'B');
  if (abs >= 1e6) return fmt(value / 1e6, 'M');
  if (abs >= 1e4) return fmt(value / 1e3, 'k');
  return Number.isInteger(value) ? value.toLocaleString('en-US') : String(Number(value.toFixed(2)));
}

/** Formats a value for people: `$12.5k`, `99.5%`, `1.2 s`, `420`, `yes`. */
export function formatValue(value: number | undefined, unit: Unit): string {
  if (value === undefined || Number.isNaN(value)) return '—';
  switch (unit) {
    case 'usd':
      return (value < 0 ? '-$' : '$') + compact(Math.abs(value));
    case 'percent':
      return `${Number(value.toFixed(2))}%`;
    case 'ratio':
      return `${Number((value * 100).toFixed(2))}%`;
    case 'ms':
      return Math.abs(value) >= 1000
        ? `${Number((value / 1000).toFixed(2))} s`
        : `${Number(value.toFixed(1))} ms`;
    case 's':
      return Math.abs(value) < 1
        ? `${Number((value * 1000).toFixed(1))} ms`
        : `${Number(value.toFixed(2))} s`;
    case 'bytes': {
      const steps = ['B', 'KB', 'MB', 'GB', 'TB'];
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1024 && i < steps.length - 1) {
        v /= 1024;
        i++;
      }
      return `${Number(v.toFixed(1))} ${steps[i]}`;
    }
    case 'flag':
      return value !== 0 ? 'yes' : 'no';
    case 'count':
      return compact(value);
  }
}

/**
 * Converts a literal written in a condition into the unit of the metric it is compared
 * with: `2s` against an `ms` metric is 2000, `99.5%` against a `ratio` metric is 0.995.
 * Returns an error sentence when the two cannot meet (`2s` against a count).
 */
export function convertLiteral(
  value: number,
  literal: LiteralUnit,
  target: Unit | undefined,
): { value: number } | { error: string } {
  if (literal === 'plain' || target === undefined) return { value };
  switch (literal) {
    case 'percent':
      if (target === 'percent') return { value };
      if (target === 'ratio') return { value: value / 100 };
      return { error: `a percentage cannot be compared with a metric in ${target}` };
    case 'usd':
      if (target === 'usd') return { value };
      return { error: `a dollar amount cannot be compared with a metric in ${target}` };
    case 'duration':
      // Durations are parsed in milliseconds.
      if (target === 'ms') return { value };
      if (target === 's') return { value: value / 1000 };
      return { error: `a duration cannot be compared with a metric in ${target}` };
  }
}
