import { readFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { fontMetrics } from '../../src/adapters/charts/font-metrics.js';
import { FONTS_DIR, renderPng, renderSvg } from '../../src/adapters/charts/render.js';
import {
  CHART_HEIGHT,
  CHART_WIDTH,
  chartSpec,
  downsample,
  metricChartInput,
  type ChartInput,
} from '../../src/adapters/charts/spec.js';
import { evaluateRoadmap, type Report } from '../../src/core/evaluate/report.js';
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import { shippedRoadmap } from '../support/roadmaps.js';
import { DAY, NOW, decodePng, PNG_SIGNATURE, series } from './support.js';

// The fixed series: 21 daily active-user counts rising 8 a day with a repeating wiggle, so
// the example roadmap's Tier 0 trigger (active_users >= 400) is some weeks away.
const HISTORY: HistoryPoint[] = series(
  21,
  DAY,
  (d) => 260 + 8 * d + [0, 6, -4][Math.round(-d) % 3]!,
);

function reportAt(history: HistoryPoint[]): Report {
  const roadmap = shippedRoadmap('example');
  const last = history[history.length - 1] as HistoryPoint;
  const latest = new Map([
    ['active_users', { value: last.v, at: last.t }],
    ['response_time_p95', { value: 700, at: NOW }],
  ]);
  return evaluateRoadmap(
    roadmap,
    { latest, windows: new Map() },
    { gateChecks: new Map(), triggers: new Map(), targetsMet: new Map() },
    NOW,
  );
}

/** Pixels within `tolerance` of an RGB colour. */
function countColour(
  png: ReturnType<typeof decodePng>,
  [r, g, b]: [number, number, number],
  tolerance = 40,
): number {
  let count = 0;
  for (let i = 0; i < png.pixels.length; i += png.channels) {
    const d =
      Math.abs((png.pixels[i] as number) - r) +
      Math.abs((png.pixels[i + 1] as number) - g) +
      Math.abs((png.pixels[i + 2] as number) - b);
    if (d <= tolerance) count++;
  }
  return count;
}

describe('chart input and spec', () => {
  it('takes thresholds from the current stage, the forecast toward them, and the stage user band', () => {
    const input = metricChartInput(reportAt(HISTORY), 'active_users', HISTORY);
    expect(input.title).toBe('Active users (active_users)');
    expect(input.thresholds).toEqual([
      { value: 400, label: 'active_users >= 400', kind: 'upgrade' },
    ]);
    expect(input.band).toEqual({ min: 0, max: 500, label: 'Tier 0 — MVP launch: 0–500 users' });
    expect(input.forecast?.model).toBe('linear');
    expect(input.forecast?.eta?.toISOString().slice(0, 10)).toBe('2026-03-18');
    expect(input.subtitle).toMatch(
      /^active_users >= 400: ETA 2026-03-1[89] \(80%: .* – .*\) · linear fit, R² 0\.9\d$/,
    );
  });

  it('matches the snapshot for the fixed series', () => {
    const spec = chartSpec(metricChartInput(reportAt(HISTORY), 'active_users', HISTORY));
    expect(spec).toMatchSnapshot();
  });

  it('is the documented size, in the bundled font', () => {
    const spec = chartSpec(
      metricChartInput(reportAt(HISTORY), 'active_users', HISTORY),
    ) as unknown as Record<string, unknown>;
    expect([spec.width, spec.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    expect(spec.autosize).toEqual({ type: 'fit', contains: 'padding' });
    expect((spec.config as { font: string }).font).toBe('DejaVu Sans');
  });

  it('says why there is no forecast, and draws no band for another metric', () => {
    const short = HISTORY.slice(-3);
    const input = metricChartInput(reportAt(short), 'active_users', short);
    expect(input.forecast).toBeUndefined();
    expect(input.subtitle).toBe(
      'active_users >= 400: not enough data to forecast (3 points, 5 needed over 3 days)',
    );
    const p95 = metricChartInput(
      reportAt(HISTORY),
      'response_time_p95',
      series(10, DAY, () => 700),
    );
    expect(p95.band).toBeUndefined();
    expect(p95.subtitle).toBe('response_time_p95 > 2s: not trending toward it');
  });

  it('averages long histories down to at most 400 points', () => {
    const minutes = series(28 * 1440, 60_000, (d) => 100 + d);
    const down = downsample(minutes);
    expect(down.length).toBe(400);
    expect(down[0]?.v).toBeCloseTo(100 - 28 + 28 / 400 / 2, 1);
    expect(downsample(HISTORY)).toEqual(HISTORY);
  });
});

describe('rendering', () => {
  let input: ChartInput;
  let png: Buffer;
  beforeAll(async () => {
    input = metricChartInput(reportAt(HISTORY), 'active_users', HISTORY);
    png = await renderPng(chartSpec(input));
  });

  it('renders a PNG that decodes, at the documented size', () => {
    expect([...png.subarray(0, 8)]).toEqual(PNG_SIGNATURE);
    // IHDR is the first chunk: width and height right after its type.
    expect(png.toString('latin1', 12, 16)).toBe('IHDR');
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    const image = decodePng(png);
    expect([image.width, image.height]).toEqual([CHART_WIDTH, CHART_HEIGHT]);
    // Something was drawn: the history (blue), the threshold (red, a thin anti-aliased rule), the forecast (orange).
    expect(countColour(image, [0x1f, 0x77, 0xb4])).toBeGreaterThan(150);
    expect(countColour(image, [0xd6, 0x27, 0x28])).toBeGreaterThan(30);
    expect(countColour(image, [0xff, 0x7f, 0x0e])).toBeGreaterThan(150);
  });

  it('renders the same bytes every time, and at twice the pixels when asked', async () => {
    const again = await renderPng(chartSpec(input));
    expect(again.equals(png)).toBe(true);
    const double = decodePng(await renderPng(chartSpec(input), { scale: 2 }));
    expect([double.width, double.height]).toEqual([2 * CHART_WIDTH, 2 * CHART_HEIGHT]);
  });

  it('draws text in the bundled font only', async () => {
    const svg = await renderSvg(chartSpec(input));
    const families = new Set([...svg.matchAll(/font-family="([^"]+)"/g)].map((m) => m[1]));
    expect([...families]).toEqual(['DejaVu Sans']);
    expect(svg).toContain('active_users &gt;= 400');
  });
});

describe('font metrics', () => {
  const regular = fontMetrics(readFileSync(path.join(FONTS_DIR, 'DejaVuSans.ttf')));
  const bold = fontMetrics(readFileSync(path.join(FONTS_DIR, 'DejaVuSans-Bold.ttf')));

  it('measures advance widths that scale with size and differ by glyph and weight', () => {
    expect(regular.width('', 12)).toBe(0);
    expect(regular.width('abc', 20)).toBeCloseTo(2 * regular.width('abc', 10), 10);
    expect(regular.width('iiii', 12)).toBeLessThan(regular.width('MMMM', 12));
    expect(bold.width('Tier 0', 12)).toBeGreaterThan(regular.width('Tier 0', 12));
    // DejaVu Sans: 2048 units per em, "0" advances 1303 units.
    expect(regular.width('0', 2048)).toBe(1303);
    // A character outside the font falls back to the missing glyph, not to nothing.
    expect(regular.width('\u{1F600}', 10)).toBeGreaterThan(0);
  });
});
