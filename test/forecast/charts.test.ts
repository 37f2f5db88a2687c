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
import { rampAt } from '../../src/core/evaluate/budget.js';
import { evaluateRoadmap, type Report } from '../../src/core/evaluate/report.js';
import type { HistoryPoint } from '../../src/core/forecast/fit.js';
import { loadRoadmap } from '../../src/core/roadmap/load.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { shippedRoadmap, snapshotOf, stateIn } from '../support/roadmaps.js';
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

// Format v2: plans (a band around the expected line) and budget lines' max (a rule).

/** A layer of a spec as the tests read it. */
interface Layer {
  data: { values: Record<string, unknown>[] };
  mark: { type: string; color?: string; baseline?: string };
  encoding: Record<string, { field?: string; scale?: { domain?: unknown[]; range?: unknown[] } }>;
}
const layersOf = (spec: unknown) => (spec as { layer: Layer[] }).layer;
const layerWith = (spec: unknown, type: string, field: string) =>
  layersOf(spec).filter((l) => l.mark.type === type && l.encoding.y?.field === field);
/** The wall-clock instant a chart draws `t` at (Berlin is UTC+1 in winter, +2 in summer). */
const wallOf = (t: Date, offsetHours: number) =>
  new Date(t.getTime() + offsetHours * 3_600_000).toISOString();

const V2 = shippedRoadmap('example-v2');
/** Every recorded metric of example-v2 at a plain value, `over` overriding some. */
function v2Report(now: Date, over: Record<string, number>, roadmap: Roadmap = V2): Report {
  const values = {
    active_users: 1200,
    paid_users: 80,
    mrr: 12_000,
    infra_cost: 900,
    ai_api_cost: 100,
    team_cost: 0,
    db_size: 1e8,
    response_time_p95: 300,
    ...over,
  };
  return evaluateRoadmap(roadmap, snapshotOf(roadmap, values, now), stateIn('launch'), now);
}
const lastOf = (h: HistoryPoint[]) => (h[h.length - 1] as HistoryPoint).v;

// mrr in mid-May, between the plan's points (month 3: 10k ± 10%; month 6: [40k, 50k]).
const MRR_NOW = new Date('2026-05-15T10:00:00Z');
const MRR_HISTORY = series(21, DAY, (d) => 14_000 + 250 * d, MRR_NOW);
const mrrInput = () =>
  metricChartInput(v2Report(MRR_NOW, { mrr: lastOf(MRR_HISTORY) }), 'mrr', MRR_HISTORY, {
    roadmap: V2,
  });
// infra_cost on 20 March, late in the launch stage's planned span (months 1–3) its ramp covers.
const INFRA_NOW = new Date('2026-03-20T10:00:00Z');
const INFRA_HISTORY = series(
  21,
  DAY,
  (d) => 1100 + 25 * d + [0, 20, -15][Math.round(-d) % 3]!,
  INFRA_NOW,
);
const infraInput = () =>
  metricChartInput(
    v2Report(INFRA_NOW, { infra_cost: lastOf(INFRA_HISTORY) }),
    'infra_cost',
    INFRA_HISTORY,
    { roadmap: V2 },
  );

describe('plans on charts', () => {
  it("draws example-v2's mrr plan as a band around its expected line, interpolated as the evaluator does", () => {
    const report = v2Report(MRR_NOW, { mrr: lastOf(MRR_HISTORY) });
    const input = metricChartInput(report, 'mrr', MRR_HISTORY, { roadmap: V2 });
    // The points as the evaluator bands them: a single value widened by the 10% tolerance, a range as written.
    expect(input.plans).toEqual([
      {
        name: 'plan',
        points: [
          { at: Date.parse('2026-03-31T22:00:00Z'), band: { low: 9000, high: 11_000 } },
          { at: Date.parse('2026-06-30T22:00:00Z'), band: { low: 40_000, high: 50_000 } },
        ],
      },
    ]);
    const spec = chartSpec(input);
    const [area] = layerWith(spec, 'area', 'low').filter(
      (l) => l.encoding.color?.field === 'series',
    );
    const [line] = layerWith(spec, 'line', 'mid');
    expect(area && line).toBeTruthy();
    const rows = (area as Layer).data.values as {
      t: string;
      low: number;
      high: number;
      mid: number;
    }[];
    // Both points are outside the chart's four weeks: the band is drawn at its two edges.
    expect(rows.map((r) => r.t)).toEqual([
      wallOf((MRR_HISTORY[0] as HistoryPoint).t, 2),
      expect.stringMatching(/^2026-05-2/),
    ]);
    // Linear between the points: where the chart puts `now`, the evaluator's own band.
    const plan = report.plans[0]!;
    const [a, b] = rows as [(typeof rows)[0], (typeof rows)[0]];
    const share =
      (Date.parse(wallOf(MRR_NOW, 2)) - Date.parse(a.t)) / (Date.parse(b.t) - Date.parse(a.t));
    expect(a.low + (b.low - a.low) * share).toBeCloseTo(plan.low!, -1);
    expect(a.high + (b.high - a.high) * share).toBeCloseTo(plan.high!, -1);
    expect(rows.every((r) => r.mid === (r.low + r.high) / 2)).toBe(true);
    expect((line as Layer).data.values).toBe((area as Layer).data.values);
    // The legend names it, and the value axis reaches the band's top.
    expect(line?.encoding.color?.scale).toEqual({ domain: ['plan'], range: ['#17becf'] });
    const domain = (line?.encoding.y as { scale: { domain: number[] } }).scale.domain;
    expect(domain[1]).toBeGreaterThan(b.high);
  });

  it('draws a plan from its first point on, holds its last after it, and leaves out a plan by another metric', () => {
    // Mid-March to mid-April: the plan starts at the end of March (month 3).
    const now = new Date('2026-04-15T10:00:00Z');
    const history = series(21, DAY, (d) => 12_000 + 100 * d, now);
    const input = metricChartInput(v2Report(now, { mrr: lastOf(history) }), 'mrr', history, {
      roadmap: V2,
    });
    const [area] = layerWith(chartSpec(input), 'area', 'low').filter(
      (l) => l.encoding.color?.field === 'series',
    );
    const rows = area?.data.values as { t: string; low: number; high: number }[];
    expect(rows[0]).toEqual({
      t: '2026-04-01T00:00:00.000Z', // the end of month 3, Berlin time
      series: 'plan',
      low: 9000,
      high: 11_000,
      mid: 10_000,
    });
    expect(rows).toHaveLength(2);

    // After the last point (month 6) a plan by time holds it.
    const late = new Date('2026-08-15T10:00:00Z');
    const lateHistory = series(21, DAY, () => 45_000, late);
    const held = metricChartInput(v2Report(late, { mrr: 45_000 }), 'mrr', lateHistory, {
      roadmap: V2,
    });
    const [heldArea] = layerWith(chartSpec(held), 'area', 'low').filter(
      (l) => l.encoding.color?.field === 'series',
    );
    expect(heldArea?.data.values.map((r) => [r.low, r.high])).toEqual([
      [40_000, 50_000],
      [40_000, 50_000],
    ]);

    // paid_users is planned by active_users: not a time axis, so not drawn.
    const paid = metricChartInput(
      v2Report(MRR_NOW, {}),
      'paid_users',
      series(21, DAY, (d) => 80 + d, MRR_NOW),
      { roadmap: V2 },
    );
    expect(paid.plans).toBeUndefined();
    expect(layersOf(chartSpec(paid)).some((l) => l.encoding.color?.field === 'series')).toBe(false);
  });

  it('draws one band per scenario, each named in the legend', () => {
    const text = readFileSync(
      path.join(import.meta.dirname, '../../roadmaps/example-v2.yaml'),
      'utf8',
    ).replace(
      'targets:\n',
      `  - metric: active_users
    scenarios:
      conservative: [{ at: month 3, value: 800 }, { at: month 6, value: 2000 }]
      optimistic: [{ at: month 3, value: 1000 }, { at: month 6, value: 5000 }]
targets:\n`,
    );
    const loaded = loadRoadmap('scenarios.yaml', text);
    if (!loaded.ok) throw new Error(JSON.stringify(loaded.errors));
    const now = new Date('2026-04-20T10:00:00Z');
    const history = series(21, DAY, (d) => 1100 + 20 * d, now);
    const input = metricChartInput(
      v2Report(now, { active_users: lastOf(history) }, loaded.roadmap),
      'active_users',
      history,
      { roadmap: loaded.roadmap },
    );
    expect(input.plans?.map((p) => p.name)).toEqual(['plan: conservative', 'plan: optimistic']);
    const spec = chartSpec(input);
    const [line] = layerWith(spec, 'line', 'mid');
    expect(line?.encoding.color?.scale).toEqual({
      domain: ['plan: conservative', 'plan: optimistic'],
      range: ['#17becf', '#bcbd22'],
    });
    const rows = line?.data.values as { series: string; t: string; low: number }[];
    // Each scenario from its first point (the end of March) to the chart's right edge.
    expect(rows.filter((r) => r.series === 'plan: conservative')[0]).toMatchObject({
      t: '2026-04-01T00:00:00.000Z',
      low: 720,
    });
    expect(rows.filter((r) => r.series === 'plan: optimistic')[0]).toMatchObject({
      t: '2026-04-01T00:00:00.000Z',
      low: 900,
    });
  });
});

describe('budget lines on charts', () => {
  it("draws example-v2's infra ramp as a sloped rule across the launch stage's planned span", () => {
    const input = infraInput();
    const span = { from: new Date('2025-12-31T23:00:00Z'), to: new Date('2026-03-31T22:00:00Z') };
    expect(input.budgets).toEqual([
      {
        label: 'budget infra: max $500→$1,500/mo',
        value: rampAt({ from: 500, to: 1500 }, span, INFRA_NOW),
        ramp: { from: 500, to: 1500, span },
      },
    ]);
    // Its `budget.infra` trigger is forecast toward, but not drawn a second time as a threshold.
    expect(input.thresholds).toEqual([]);
    expect(input.subtitle).toMatch(/^infra_cost > ramp \[500, 1500\]: ETA/);

    const spec = chartSpec(input);
    const ramp = layersOf(spec).find(
      (l) => l.mark.type === 'line' && l.mark.color === '#8c564b',
    ) as Layer;
    const points = ramp.data.values as { t: string; v: number }[];
    // From the chart's left edge to the end of the span (31 March, midnight in Berlin), then held.
    expect(points).toHaveLength(3);
    expect(points[1]).toEqual({ t: '2026-04-01T00:00:00.000Z', v: 1500 });
    expect(points[2]?.v).toBe(1500);
    const first = (INFRA_HISTORY[0] as HistoryPoint).t;
    expect(points[0]).toEqual({
      t: wallOf(first, 1),
      v: rampAt({ from: 500, to: 1500 }, span, first),
    });
    const label = layersOf(spec).find(
      (l) => l.mark.type === 'text' && l.mark.color === '#8c564b',
    ) as Layer;
    expect(label.data.values).toEqual([
      { y: 1500, label: 'budget infra: max $500→$1,500/mo', below: false },
    ]);
  });

  it('draws a max as it evaluates now as a level rule, labelled clear of a threshold label', () => {
    // ai_api's max is 0.25 × active_users: $300 at 1,200 users.
    const history = series(21, DAY, (d) => 280 + 0.5 * d, INFRA_NOW);
    const report = v2Report(INFRA_NOW, { ai_api_cost: lastOf(history) });
    const input = metricChartInput(report, 'ai_api_cost', history, { roadmap: V2 });
    expect(input.budgets).toEqual([{ label: 'budget ai_api: max $300/mo', value: 300 }]);
    const rule = layersOf(chartSpec(input)).find(
      (l) => l.mark.type === 'rule' && l.mark.color === '#8c564b',
    );
    expect(rule?.data.values).toEqual([{ y: 300 }]);

    // A threshold at nearly the same height: the budget's label goes below its rule.
    const crowded = chartSpec({
      ...input,
      thresholds: [{ value: 299, label: 'ai_api_cost > $299', kind: 'alert' }],
    });
    const labels = layersOf(crowded).filter(
      (l) => l.mark.type === 'text' && l.mark.color === '#8c564b',
    );
    expect(labels.map((l) => [l.mark.baseline, l.data.values])).toEqual([
      ['top', [{ y: 300, label: 'budget ai_api: max $300/mo', below: true }]],
    ]);
  });

  it("draws a v1 budget's max on infra_cost, and nothing without the roadmap", () => {
    const roadmap = shippedRoadmap('example');
    const history = series(21, DAY, (d) => 150 + d, NOW);
    const report = evaluateRoadmap(
      roadmap,
      snapshotOf(roadmap, { infra_cost: lastOf(history) }, NOW),
      stateIn(),
      NOW,
    );
    const input = metricChartInput(report, 'infra_cost', history, { roadmap });
    expect(input.budgets).toEqual([{ label: 'budget infra: max $200/mo', value: 200 }]);
    expect(metricChartInput(report, 'infra_cost', history).budgets).toBeUndefined();
  });
});

/** vega numbers clip paths with a counter across the process: renumbered from 1 per picture. */
function pinned(svg: string): string {
  const ids = new Map<string, string>();
  return svg.replace(/\bclip\d+\b/g, (id) => {
    if (!ids.has(id)) ids.set(id, `clip${ids.size + 1}`);
    return ids.get(id) as string;
  });
}

describe('rendering plans and budget rules', () => {
  // The picture is pinned as SVG (text, reviewable in a diff); render.ts turns it into the PNG.
  it("renders example-v2's mrr plan band", async () => {
    const svg = await renderSvg(chartSpec(mrrInput()));
    expect(svg).toContain('>plan<');
    await expect(pinned(svg)).toMatchFileSnapshot('__snapshots__/example-v2-mrr.svg');
    const png = decodePng(await renderPng(chartSpec(mrrInput())));
    // The band and the expected line, in the first plan colour.
    expect(countColour(png, [0x17, 0xbe, 0xcf], 30)).toBeGreaterThan(300);
  });

  it("renders example-v2's infra_cost ramp", async () => {
    const svg = await renderSvg(chartSpec(infraInput()));
    expect(svg).toContain('budget infra: max $500→$1,500/mo');
    await expect(pinned(svg)).toMatchFileSnapshot('__snapshots__/example-v2-infra_cost.svg');
    const png = decodePng(await renderPng(chartSpec(infraInput())));
    expect(countColour(png, [0x8c, 0x56, 0x4b], 30)).toBeGreaterThan(150);
  });
});
