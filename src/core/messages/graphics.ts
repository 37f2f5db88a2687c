/** Text graphics every renderer shares: progress bars and sparklines. */

const SPARKS = '▁▂▃▄▅▆▇█';

/** `▁▂▄▆█`: one character per value, scaled between the series' min and max. */
export function sparkline(values: number[]): string {
  const finite = values.filter((v) => Number.isFinite(v));
  if (finite.length === 0) return '';
  const min = Math.min(...finite);
  const max = Math.max(...finite);
  const span = max - min;
  return values
    .map((v) =>
      Number.isFinite(v)
        ? (SPARKS[span === 0 ? 3 : Math.round(((v - min) / span) * (SPARKS.length - 1))] as string)
        : ' ',
    )
    .join('');
}

/** `███████░░░`: progress toward a threshold, full at 1 and beyond. */
export function progressBar(progress: number, width = 10): string {
  const filled = Math.max(0, Math.min(width, Math.round(progress * width)));
  return '█'.repeat(filled) + '░'.repeat(width - filled);
}

export function percent(progress: number): string {
  return `${Math.round(progress * 100)}%`;
}
