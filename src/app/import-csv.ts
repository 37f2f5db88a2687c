import { parse } from 'csv-parse/sync';
import type { PointInput } from './ports/points.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { AppDeps, Invocation } from './context.js';
import { CommandError } from './errors.js';
import {
  validateBatch,
  validatePoint,
  type IngestContext,
  type PointError,
  type RawPoint,
} from './ingest.js';

/** Text that needs a real CSV parser: a quoted field, or a line ended by a lone CR. */
const QUOTE_OR_LONE_CR = /"|\r(?!\n)/;

/** One record of a CSV file and the line it is on (1-based; the last line of a quoted multi-line record). */
interface CsvRow {
  line: number;
  fields: string[];
}

/**
 * What csv-parse yields with { relax_column_count, skip_empty_lines, trim } for text without
 * quotes or lone CRs, where every comma and every line end is a delimiter; ~4x faster, and
 * lazily: an import never holds every row at once.
 */
function* plainCsvRows(text: string): Generator<CsvRow> {
  let start = 0;
  let line = 0;
  while (start < text.length) {
    let end = text.indexOf('\n', start);
    if (end < 0) end = text.length;
    const content = text.slice(
      start,
      end > start && text.charCodeAt(end - 1) === 13 ? end - 1 : end,
    );
    start = end + 1;
    line++;
    if (content.trim() === '') continue;
    const fields = content.split(',');
    for (let i = 0; i < fields.length; i++) fields[i] = (fields[i] as string).trim();
    yield { line, fields };
  }
}

/** Every record of `text` with its line number, read again from the start on each call. */
function csvRows(text: string): () => Iterable<CsvRow> {
  if (!QUOTE_OR_LONE_CR.test(text)) return () => plainCsvRows(text);
  const records = parse(text, {
    relax_column_count: true,
    skip_empty_lines: true,
    trim: true,
    info: true,
  }) as unknown as { record: string[]; info: { lines: number } }[];
  const rows = records.map((r) => ({ line: r.info.lines, fields: r.record }));
  return () => rows;
}

/** Lines listed in an error reply; the count of the rest is given. */
const MAX_LISTED = 50;

export interface CsvRowError {
  line: number;
  field: string;
  message: string;
  /** As for a point: `forbidden` when the sender may not write to the line's roadmap. */
  code: PointError['code'];
}

/** Where each field of a line is: indexes into the row, -1 for a column the header lacks. */
interface Columns {
  metric: number;
  value: number;
  at: number;
  source: number;
  roadmap: number;
}

/**
 * The data rows of a points CSV (header `metric,value[,at][,source][,roadmap]`, any order),
 * read again from the start on each call, or what is wrong with the file.
 */
function readPointsCsv(
  text: string,
  hasFallbackRoadmap: boolean,
): { rows: () => Iterable<CsvRow>; columns: Columns } | { error: CsvRowError } {
  let all: () => Iterable<CsvRow>;
  try {
    all = csvRows(text);
  } catch (error) {
    return {
      error: {
        line: (error as { lines?: number }).lines ?? 1,
        field: 'csv',
        message: (error as Error).message,
        code: 'invalid',
      },
    };
  }
  const first = all()[Symbol.iterator]().next();
  const headerRow = first.done ? [] : first.value.fields;
  const header = headerRow.map((h) => h.toLowerCase());
  const [metric, value, at, source, roadmap] = ['metric', 'value', 'at', 'source', 'roadmap'].map(
    (c) => header.indexOf(c),
  ) as [number, number, number, number, number];
  if (metric < 0 || value < 0) {
    return {
      error: {
        line: first.done ? 1 : first.value.line,
        field: 'header',
        message: `expected a header naming the columns metric,value[,at][,source][,roadmap]; got "${headerRow.join(',')}"`,
        code: 'invalid',
      },
    };
  }
  if (roadmap < 0 && !hasFallbackRoadmap)
    return {
      error: {
        line: 1,
        field: 'roadmap',
        message: 'no roadmap column: add one or pass --roadmap <id>',
        code: 'invalid',
      },
    };
  const rows = function* (): Generator<CsvRow> {
    let header = true;
    for (const row of all()) {
      if (header) header = false;
      else yield row;
    }
  };
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

function ingestContext(
  roadmaps: (id: string) => Roadmap | undefined,
  fallbackRoadmap: Roadmap | undefined,
  now: Date,
  opts: { defaultSource?: string; allowed?: (roadmapId: string) => boolean },
): IngestContext {
  return {
    roadmaps,
    ...(fallbackRoadmap ? { fallbackRoadmap } : {}),
    now,
    defaultSource: opts.defaultSource ?? 'csv',
    ...(opts.allowed ? { allowed: opts.allowed } : {}),
  };
}

const lineError = (line: number, e: PointError): CsvRowError => ({
  line,
  field: e.field,
  message: e.message,
  code: e.code,
});

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
  const rows = [...csv.rows()];
  const { points, errors } = validateBatch(
    rows.map((row) => rawPoint(row.fields, csv.columns)),
    ingestContext(roadmaps, fallbackRoadmap, now, opts),
  );
  return { points, errors: errors.map((e) => lineError((rows[e.index] as CsvRow).line, e)) };
}

/**
 * `roadmap import <file.csv>`: all or nothing; every bad line listed with its number. Lines
 * are validated as they are sent to PostgreSQL (COPY), so both work at once; the first bad
 * line rolls the import back, and the rest of the file is still read to list every bad line.
 */
export async function importCsv(
  deps: AppDeps,
  invocation: Invocation,
  file: string,
  text: string,
  fallbackRoadmap: Roadmap | undefined,
): Promise<{ written: number; points: number }> {
  const now = deps.clock();
  const csv = readPointsCsv(text, fallbackRoadmap !== undefined);
  if ('error' in csv) throw badLines(file, [csv.error]);
  const ctx = ingestContext((id) => deps.registry.get(id), fallbackRoadmap, now, {});
  const errors: CsvRowError[] = [];
  const invalid = new Error('a bad line: the import is rolled back');
  /** The rows after the first bad line, still to check. */
  let rest: Iterator<CsvRow> | undefined;
  let points = 0;
  // Each pass reads the file from the start: the store reads it twice when it falls back to the upsert.
  const pass = function* (): Generator<PointInput> {
    points = 0;
    const rows = csv.rows()[Symbol.iterator]();
    for (let r = rows.next(); !r.done; r = rows.next()) {
      const result = validatePoint(rawPoint(r.value.fields, csv.columns), points, ctx);
      if ('error' in result) {
        errors.push(lineError(r.value.line, result.error));
        rest = rows;
        throw invalid;
      }
      points++;
      yield result.point;
    }
  };
  let written = 0;
  try {
    written = await deps.store.points.import(pass, {
      actor: invocation.actor,
      ...(fallbackRoadmap ? { roadmapId: fallbackRoadmap.id } : {}),
      action: 'import',
      details: { file },
      at: now,
    });
  } catch (error) {
    if (error !== invalid) throw error;
  }
  // After a bad line: the rest of the file, so that every bad line is listed at once.
  if (rest) {
    for (let r = rest.next(); !r.done; r = rest.next()) {
      const result = validatePoint(rawPoint(r.value.fields, csv.columns), 0, ctx);
      if ('error' in result) errors.push(lineError(r.value.line, result.error));
    }
  }
  if (errors.length > 0) throw badLines(file, errors);
  return { written, points };
}

/** Why a CSV file could not be read, in words a person can act on. */
export function unreadable(file: string, error: unknown): CommandError {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  // Node holds a string of at most ~512 MB (at the bench file's 40 bytes a line, ~12 million lines): past that,
  // reading a file as text fails with a RangeError (or ERR_FS_FILE_TOO_LARGE past 2 GB).
  if (
    error instanceof RangeError ||
    code === 'ERR_STRING_TOO_LONG' ||
    code === 'ERR_FS_FILE_TOO_LARGE'
  ) {
    return new CommandError(
      'invalid',
      `${file} is too large to import at once: split it into files under 500 MB (each is imported all or nothing)`,
    );
  }
  return new CommandError('not_found', `cannot read ${file}${code ? ` (${code})` : ''}`);
}

function badLines(file: string, errors: CsvRowError[]): CommandError {
  const listed = errors
    .slice(0, MAX_LISTED)
    .map((e) => `${file}:${e.line}: ${e.field}: ${e.message}`);
  if (errors.length > MAX_LISTED) listed.push(`… and ${errors.length - MAX_LISTED} more bad lines`);
  return new CommandError(
    'invalid',
    `${errors.length} bad line${errors.length === 1 ? '' : 's'} in ${file}; nothing was imported`,
    listed,
  );
}
