import { chartRenderer } from '../../src/adapters/charts/renderer.js';
import type { AppDeps, ChartRenderer } from '../../src/app/context.js';

/**
 * The real chart renderer, wired as src/main.ts wires it (vega-lite → SVG → resvg PNG with
 * the bundled font): chat tests attach the same PNG a deployment would. About 0.1 s a chart
 * once warm.
 */
export const realCharts: ChartRenderer = chartRenderer;

/** Wraps a harness's dependencies so `metrics <name>` attaches a chart. */
export function withCharts(charts: ChartRenderer = realCharts): (deps: AppDeps) => AppDeps {
  return (deps) => ({ ...deps, charts });
}

/** The eight bytes every PNG starts with. */
export const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

/** Width and height from a PNG's IHDR chunk (it always comes first). */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (!png.subarray(0, 8).equals(PNG_SIGNATURE) || png.toString('latin1', 12, 16) !== 'IHDR')
    throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
