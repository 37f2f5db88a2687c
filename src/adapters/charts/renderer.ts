import type { ChartRenderer } from '../../app/context.js';
import { chartSpec, metricChartInput } from './spec.js';

// vega and vega-lite hold ~40 MB resident once loaded: they are loaded with the first chart,
// not at start, so a bot nobody asks for a chart stays small.
let renderer: Promise<typeof import('./render.js')> | undefined;

/** The chart renderer the app injects: vega-lite spec → SVG → PNG with the bundled font. */
export const chartRenderer: ChartRenderer = async (report, metric, history, options) => {
  const { renderPng } = await (renderer ??= import('./render.js'));
  return renderPng(
    chartSpec(
      metricChartInput(report, metric, history, {
        usersMetric: options.usersMetric,
        forecast: { windowMs: options.windowMs },
        roadmap: options.roadmap,
      }),
    ),
  );
};
