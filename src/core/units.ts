/** Units a metric can have, and how values of each are shown to people. */
export const UNITS = ['count', 'usd', 'percent', 'ms', 's', 'bytes', 'ratio', 'flag'] as const;
export type Unit = (typeof UNITS)[number];

/** The kind of unit a literal in a condition carries (`2s`, `99.5%`, `$5k`, `1,600`, `500MB`). */
export type LiteralUnit = 'plain' | 'percent' | 'usd' | 'duration' | 'bytes';

/** Bytes per size suffix: `MB` is decimal (10^6), `MiB` binary (2^20). */
export const SIZE_UNIT_BYTES: Readonly<Record<string, number>> = {
  kB: 1e3,
  KB: 1e3,
  MB: 1e6,
  GB: 1e9,
  TB: 1e12,
  PB: 1e15,
  KiB: 2 ** 10,
  MiB: 2 ** 20,
  GiB: 2 ** 30,
  TiB: 2 ** 40,
  PiB: 2 ** 50,
};

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
      // Decimal, as the format page says sizes display (`10 GB` is 10^10 bytes).
      const steps = ['B', 'KB', 'MB', 'GB', 'TB', 'PB'];
      let v = value;
      let i = 0;
      while (Math.abs(v) >= 1000 && i < steps.length - 1) {
        v /= 1000;
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
    case 'bytes':
      // Sizes are parsed in bytes.
      if (target === 'bytes') return { value };
      return { error: `a size cannot be compared with a metric in ${target}` };
  }
}

/**
 * The largest magnitude a stored metric value may have, in the metric's unit (after `1.5s` or
 * `$2k` is converted). 1e15 is the largest power of ten below 2^53, so every whole count up to
 * it is exact in a JS number, and PostgreSQL's float8 sum and avg (which also sums squares) of
 * any number of such values stays finite, whereas two values near 1.8e308 overflow and fail
 * every read of the roadmap. No real metric comes near it: a quadrillion users or dollars,
 * 31,000 years in ms, a petabyte.
 */
export const VALUE_LIMIT = 1e15;

/** Why `value` cannot be stored (not finite, or beyond ±VALUE_LIMIT); undefined when it can. */
export function valueProblem(value: number, unit?: Unit): string | undefined {
  if (!Number.isFinite(value)) return 'expected a finite number';
  if (Math.abs(value) > VALUE_LIMIT)
    return `expected a value between -1e15 and 1e15${unit ? ` (in ${unit})` : ''}, got ${value}`;
  return undefined;
}
