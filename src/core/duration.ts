/** Durations as written in roadmap files and commands: `500ms`, `10m`, `1h`, `7d`, `2w`. */
const MS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds per duration unit; `m` is minutes (`M` means million in conditions). */
export const DURATION_UNIT_MS: Readonly<Record<string, number>> = MS;

/** Formats milliseconds the way people write them: `1h`, `7d`, `90m`, `1.5s`. */
export function formatDuration(ms: number): string {
  for (const unit of ['w', 'd', 'h', 'm', 's'] as const) {
    const size = MS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  if (ms >= 1000) return `${Number((ms / 1000).toFixed(1))}s`;
  return `${ms}ms`;
}
