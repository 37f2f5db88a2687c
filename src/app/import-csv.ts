import { parse } from 'csv-parse/sync';
import type { PointInput } from '../adapters/pg/store.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { AppDeps, Invocation } from './context.js';
import { CommandError } from './errors.js';
import { validateBatch, validatePoint, type IngestContext, type PointError, type RawPoint } from './ingest.js';

/** Text that needs a real CSV parser: a quoted field, or a line ended by a lone CR. */
const QUOTE_OR_LONE_CR = /"|\r(?!\n)/;

/**
 * What csv-parse returns with { relax_column_count, skip_empty_lines, trim } for text without
 * quotes or lone CRs, where every comma and every line end is a delimiter; ~4x faster.
 */
function splitPlainCsv(text: string): string[][] {
  const rows: string[][] = [];
  let start = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const line = text.slice(start, end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end);
    start = end + 1;
    if (line.trim() === '') continue;
    const fields = line.split(',');
    for (let i = 0; i < fields.length; i++) fields[i] = (fields[i] as string).trim();
    rows.push(fields);
  }
  return rows;
}

/** Lines listed in an error reply; the count of the rest is given. */
const MAX_LISTED = 50;

export interface CsvRowError {
  line: number;
  field: string;
  message: string;
}

/** Where each field of a line is: indexes into the row, -1 for a column the header lacks. */
interface Columns {
  metric: number;
  value: number;
  at: number;
  source: number;
  roadmap: number;
}

/** The rows of a points CSV (header `metric,value[,at][,source][,roadmap]`, any order), or what is wrong with it. */
function readPointsCsv(text: string, hasFallbackRoadmap: boolean): { rows: string[][]; columns: Columns } | { error: CsvRowError } {
  let rows: string[][];
  try {
    rows = QUOTE_OR_LONE_CR.test(text) ? (parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][]) : splitPlainCsv(text);
  } catch (error) {
    return { error: { line: (error as { lines?: number }).lines ?? 1, field: 'csv', message: (error as Error).message } };
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const [metric, value, at, source, roadmap] = ['metric', 'value', 'at', 'source', 'roadmap'].map((c) => header.indexOf(c)) as [number, number, number, number, number];
  if (metric < 0 || value < 0) {
    return { error: { line: 1, field: 'header', message: `expected a header naming the columns metric,value[,at][,source][,roadmap]; got "${(rows[0] ?? []).join(',')}"` } };
  }
  if (roadmap < 0 && !hasFallbackRoadmap) return { error: { line: 1, field: 'roadmap', message: 'no roadmap column: add one or pass --roadmap <id>' } };
  return { rows, columns: { metric, value, at, source, roadmap } };
}

/** One data row as a point to validate. One object shape for every line (no spreads): ~1M lines per import. */
function rawPoint(row: string[], c: Columns): RawPoint {
  const raw: RawPoint = { metric: row[c.metric] ?? '', value: row[c.value] ?? '' };
  if (c.at >= 0 && row[c.at]) raw.at = row[c.at];
  if (c.source >= 0 && row[c.source]) raw.source = row[c.source];
  if (c.roadmap >= 0 && row[c.roadmap]) raw.roadmap = row[c.roadmap];
  return raw;
}

function ingestContext(roadmaps: (id: string) => Roadmap | undefined, fallbackRoadmap: Roadmap | undefined, now: Date, opts: { defaultSource?: string; allowed?: (roadmapId: string) => boolean }): IngestContext {
  return {
    roadmaps,
    ...(fallbackRoadmap ? { fallbackRoadmap } : {}),
    now,
    defaultSource: opts.defaultSource ?? 'csv',
    ...(opts.allowed ? { allowed: opts.allowed } : {}),
  };
}

/** Line numbers count the header as line 1. */
const lineError = (e: PointError): CsvRowError => ({ line: e.index + 2, field: e.field, message: e.message });

/**
 * Validates a CSV of points (header `metric,value,at[,source][,roadmap]`, any column order),
 * the same shape the push API takes. Returns every bad line, or the points, deduplicated on
 * (roadmap, metric, at, source) with the last line winning.
 */
export function parsePointsCsv(
  text: string,
  roadmaps: (id: string) => Roadmap | undefined,
  fallbackRoadmap: Roadmap | undefined,
  now: Date,
  opts: { defaultSource?: string; allowed?: (roadmapId: string) => boolean } = {},
): { points: PointInput[]; errors: CsvRowError[] } {
  const csv = readPointsCsv(text, fallbackRoadmap !== undefined);
  if ('error' in csv) return { points: [], errors: [csv.error] };
  const { rows, columns } = csv;
  const raws = function* (): Generator<RawPoint> {
    for (let r = 1; r < rows.length; r++) yield rawPoint(rows[r] as string[], columns);
  };
  const { points, errors } = validateBatch(raws(), ingestContext(roadmaps, fallbackRoadmap, now, opts));
  return { points, errors: errors.map(lineError) };
}

/**
 * `roadmap import <file.csv>`: all or nothing; every bad line listed with its number. Lines
 * are validated as they are sent to PostgreSQL (COPY), so both work at once; the first bad
 * line rolls the import back, and the rest of the file is still read to list every bad line.
 */
export async function importCsv(deps: AppDeps, invocation: Invocation, file: string, text: string, fallbackRoadmap: Roadmap | undefined): Promise<{ written: number; points: number }> {
  const now = deps.clock();
  const csv = readPointsCsv(text, fallbackRoadmap !== undefined);
  if ('error' in csv) throw badLines(file, [csv.error]);
  const { rows, columns } = csv;
  const ctx = ingestContext((id) => deps.registry.get(id), fallbackRoadmap, now, {});
  const validate = (r: number) => validatePoint(rawPoint(rows[r] as string[], columns), r - 1, ctx);
  const errors: CsvRowError[] = [];
  const invalid = new Error('a bad line: the import is rolled back');
  let r = 1;
  function* valid(): Generator<PointInput> {
    for (; r < rows.length; r++) {
      const result = validate(r);
      if ('error' in result) {
        errors.push(lineError(result.error));
        r++;
        throw invalid;
      }
      yield result.point;
    }
  }
  let written = 0;
  try {
    written = await deps.store.importPoints(valid(), {
      actor: invocation.actor,
      ...(fallbackRoadmap ? { roadmapId: fallbackRoadmap.id } : {}),
      action: 'import',
      details: { file, points: rows.length - 1 },
      at: now,
    });
  } catch (error) {
    if (error !== invalid) throw error;
  }
  // After a bad line: the rest of the file, so that every bad line is listed at once.
  for (; r < rows.length; r++) {
    const result = validate(r);
    if ('error' in result) errors.push(lineError(result.error));
  }
  if (errors.length > 0) throw badLines(file, errors);
  return { written, points: rows.length - 1 };
}

function badLines(file: string, errors: CsvRowError[]): CommandError {
  const listed = errors.slice(0, MAX_LISTED).map((e) => `${file}:${e.line}: ${e.field}: ${e.message}`);
  if (errors.length > MAX_LISTED) listed.push(`… and ${errors.length - MAX_LISTED} more bad lines`);
  return new CommandError('invalid', `${errors.length} bad line${errors.length === 1 ? '' : 's'} in ${file}; nothing was imported`, listed);
}
