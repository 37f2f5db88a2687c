/**
 * The web page's charts: the same vega-lite specs as the PNGs chat gets (src/adapters/charts),
 * rendered to SVG on the server. Rendering costs tens of milliseconds of CPU, so renders are
 * kept (a small LRU keyed by what the chart shows) and at most two run at once.
 */
import pLimit from 'p-limit';
import type { HistoryPoint } from '../../core/forecast/fit.js';
import type { Report } from '../../core/evaluate/report.js';
import type { Roadmap } from '../../core/roadmap/model.js';

/** Renders kept; a page has at most six charts, so this holds a few pages' worth. */
const CACHE_SIZE = 64;

// vega and vega-lite are loaded with the first chart, as for the PNGs (a bot nobody looks at
// stays small).
let modules: Promise<[typeof import('../charts/spec.js'), typeof import('../charts/render.js')]>;

export interface SvgCharts {
  /** The metric's chart as an SVG document. */
  svg(
    roadmap: Roadmap,
    report: Report,
    metric: string,
    history: readonly HistoryPoint[],
  ): Promise<string>;
}

export function svgCharts(): SvgCharts {
  const cache = new Map<string, Promise<string>>();
  const limit = pLimit(2);
  return {
    svg(roadmap, report, metric, history) {
      const last = history[history.length - 1];
      // What the chart shows: its roadmap file, metric, the minute it is drawn at, its data.
      const key = [
        roadmap.id,
        roadmap.file,
        metric,
        Math.floor(report.evaluatedAt.getTime() / 60_000),
        history.length,
        last ? `${last.t.getTime()}:${last.v}` : '',
        report.stage.id,
      ].join('|');
      const hit = cache.get(key);
      if (hit) {
        cache.delete(key);
        cache.set(key, hit);
        return hit;
      }
      const rendering = limit(async () => {
        const [spec, render] = await (modules ??= Promise.all([
          import('../charts/spec.js'),
          import('../charts/render.js'),
        ]));
        // The roadmap goes along as a variable: chart options that draw its plans and budget
        // lines use it where the chart module reads it, and ignore it otherwise.
        const options = {
          usersMetric: roadmap.usersMetric,
          forecast: { windowMs: roadmap.forecastWindowMs },
          roadmap,
        };
        return render.renderSvg(
          spec.chartSpec(spec.metricChartInput(report, metric, history, options)),
        );
      });
      cache.set(key, rendering);
      // A failed render is not kept: the next request tries again.
      rendering.catch(() => cache.delete(key));
      while (cache.size > CACHE_SIZE) cache.delete(cache.keys().next().value as string);
      return rendering;
    },
  };
}
