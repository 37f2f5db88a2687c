/**
 * Text widths from a TrueType font's own advance widths (tables `head`, `hhea`, `hmtx`,
 * `cmap`), so vega lays out labels for the font resvg will draw them with, on any machine,
 * instead of guessing (its fallback without a canvas is 0.8 em per character). Kerning is
 * ignored: a fraction of a pixel per label.
 */

export interface FontMetrics {
  /** The advance width of `text` at `size` pixels. */
  width(text: string, size: number): number;
}

interface Table {
  offset: number;
  length: number;
}

function tables(font: DataView): Map<string, Table> {
  const result = new Map<string, Table>();
  const count = font.getUint16(4);
  for (let i = 0; i < count; i++) {
    const record = 12 + 16 * i;
    const tag = String.fromCharCode(
      font.getUint8(record),
      font.getUint8(record + 1),
      font.getUint8(record + 2),
      font.getUint8(record + 3),
    );
    result.set(tag, { offset: font.getUint32(record + 8), length: font.getUint32(record + 12) });
  }
  return result;
}

/** A character → glyph lookup from the best Unicode subtable: format 12 (full range) or 4 (BMP). */
function glyphLookup(font: DataView, cmap: Table): (code: number) => number {
  const count = font.getUint16(cmap.offset + 2);
  let format4: number | undefined;
  for (let i = 0; i < count; i++) {
    const record = cmap.offset + 4 + 8 * i;
    const platform = font.getUint16(record);
    const encoding = font.getUint16(record + 2);
    const sub = cmap.offset + font.getUint32(record + 4);
    const format = font.getUint16(sub);
    const unicode = platform === 0 || (platform === 3 && (encoding === 1 || encoding === 10));
    if (!unicode) continue;
    if (format === 12) {
      const groups = font.getUint32(sub + 12);
      return (code) => {
        let lo = 0;
        let hi = groups - 1;
        while (lo <= hi) {
          const mid = (lo + hi) >> 1;
          const group = sub + 16 + 12 * mid;
          if (code < font.getUint32(group)) hi = mid - 1;
          else if (code > font.getUint32(group + 4)) lo = mid + 1;
          else return font.getUint32(group + 8) + code - font.getUint32(group);
        }
        return 0;
      };
    }
    if (format === 4) format4 ??= sub;
  }
  if (format4 === undefined) throw new Error('font has no Unicode cmap subtable (format 4 or 12)');
  const sub = format4;
  const segments = font.getUint16(sub + 6) / 2;
  const ends = sub + 14;
  const starts = ends + 2 * segments + 2;
  const deltas = starts + 2 * segments;
  const rangeOffsets = deltas + 2 * segments;
  return (code) => {
    if (code > 0xffff) return 0;
    for (let i = 0; i < segments; i++) {
      if (code > font.getUint16(ends + 2 * i)) continue;
      const start = font.getUint16(starts + 2 * i);
      if (code < start) return 0;
      const delta = font.getInt16(deltas + 2 * i);
      const rangeOffset = font.getUint16(rangeOffsets + 2 * i);
      if (rangeOffset === 0) return (code + delta) & 0xffff;
      const glyph = font.getUint16(rangeOffsets + 2 * i + rangeOffset + 2 * (code - start));
      return glyph === 0 ? 0 : (glyph + delta) & 0xffff;
    }
    return 0;
  };
}

/** Reads the metrics a width needs from a TrueType (.ttf) file's bytes. */
export function fontMetrics(bytes: Uint8Array): FontMetrics {
  const font = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const all = tables(font);
  const need = (tag: string): Table => {
    const table = all.get(tag);
    if (!table) throw new Error(`font has no "${tag}" table`);
    return table;
  };
  const unitsPerEm = font.getUint16(need('head').offset + 18);
  const hMetrics = font.getUint16(need('hhea').offset + 34);
  const hmtx = need('hmtx').offset;
  const glyphOf = glyphLookup(font, need('cmap'));
  const advance = (glyph: number) => font.getUint16(hmtx + 4 * Math.min(glyph, hMetrics - 1));
  const cache = new Map<number, number>();
  const em = (code: number): number => {
    let width = cache.get(code);
    if (width === undefined) {
      width = advance(glyphOf(code)) / unitsPerEm;
      cache.set(code, width);
    }
    return width;
  };
  return {
    width(text, size) {
      let total = 0;
      for (const ch of text) total += em(ch.codePointAt(0) as number);
      return total * size;
    },
  };
}
