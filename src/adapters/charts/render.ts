/**
 * Chart spec → SVG (vega-lite compiles, vega renders headless: no canvas, no browser) →
 * PNG (resvg). Text is measured (font-metrics.ts) and drawn with the DejaVu Sans files in
 * assets/fonts and nothing else: system fonts are off, so a chart comes out the same,
 * pixel for pixel, on a laptop, in CI and in the container.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import { Resvg } from '@resvg/resvg-js';
import * as vega from 'vega';
import { compile, type TopLevelSpec } from 'vega-lite';
import { fontMetrics, type FontMetrics } from './font-metrics.js';
import { CHART_FONT } from './spec.js';

/** Where the bundled fonts are: `assets/fonts` at the repository root. */
export const FONTS_DIR = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../assets/fonts',
);
const FONT_FILES = { regular: 'DejaVuSans.ttf', bold: 'DejaVuSans-Bold.ttf' };

interface Fonts {
  files: string[];
  regular: FontMetrics;
  bold: FontMetrics;
}
let fonts: Fonts | undefined;

/** Vega's text item, as much of it as measuring needs. */
interface TextItem {
  text?: unknown;
  fontSize?: number;
  fontWeight?: string | number;
}
type TextMetrics = { width: (item: TextItem, text?: unknown) => number };

/**
 * Loads the fonts once and makes vega measure text with them. vega keeps its text measurer
 * in module state (`textMetrics`, the hook vl-convert uses too); no one else in this process
 * renders vega, so setting it once is safe.
 */
function loadFonts(): Fonts {
  if (fonts) return fonts;
  const files = [FONT_FILES.regular, FONT_FILES.bold].map((f) => path.join(FONTS_DIR, f));
  const [regular, bold] = files.map((f) => fontMetrics(readFileSync(f))) as [
    FontMetrics,
    FontMetrics,
  ];
  const metrics = (vega as unknown as { textMetrics: TextMetrics }).textMetrics;
  metrics.width = (item, text) => {
    const value = text ?? item.text;
    const line = value == null ? '' : String(value).trim();
    const weight = item.fontWeight;
    const isBold =
      weight === 'bold' ||
      weight === 'bolder' ||
      (typeof weight === 'number' && weight >= 600) ||
      (typeof weight === 'string' && Number(weight) >= 600);
    return (isBold ? bold : regular).width(line, item.fontSize ?? 11);
  };
  fonts = { files, regular, bold };
  return fonts;
}

/** Compiles a vega-lite spec and renders it to an SVG document. */
export async function renderSvg(spec: TopLevelSpec): Promise<string> {
  loadFonts();
  const { spec: compiled } = compile(spec);
  // No loader: every chart carries its data inline, so nothing may be fetched or read.
  const loader = vega.loader();
  loader.load = () => Promise.reject(new Error('charts carry their data inline'));
  const view = new vega.View(vega.parse(compiled), {
    renderer: 'none',
    loader,
    logLevel: vega.Warn,
  });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface PngOptions {
  /** Pixel density: 2 renders the CHART_WIDTH × CHART_HEIGHT chart at twice the pixels. Default 1. */
  scale?: number;
}

/** Rasterizes an SVG with the bundled fonts only. */
export function svgToPng(svg: string, options: PngOptions = {}): Buffer {
  const { files } = loadFonts();
  const scale = options.scale ?? 1;
  const resvg = new Resvg(svg, {
    font: {
      loadSystemFonts: false,
      fontFiles: files,
      defaultFontFamily: CHART_FONT,
      sansSerifFamily: CHART_FONT,
    },
    ...(scale !== 1 ? { fitTo: { mode: 'zoom' as const, value: scale } } : {}),
    background: 'white',
  });
  return resvg.render().asPng();
}

/** A chart spec as PNG bytes. */
export async function renderPng(spec: TopLevelSpec, options: PngOptions = {}): Promise<Buffer> {
  return svgToPng(await renderSvg(spec), options);
}
