import type { ChartRenderer } from '../../app/context.js';
import { renderPng } from './render.js';
import { chartSpec, metricChartInput } from './spec.js';

/** The chart renderer the app injects: vega-lite spec → SVG → PNG with the bundled font. */
export const chartRenderer: ChartRenderer = (report, metric, history, options) =>
  renderPng(chartSpec(metricChartInput(report, metric, history, { usersMetric: options.usersMetric, forecast: { windowMs: options.windowMs } })));
