import { parse } from 'csv-parse/sync';
import type { PointInput } from '../adapters/pg/store.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { AppDeps, Invocation } from './context.js';
import { CommandError } from './errors.js';
import { valueFor } from './commands/values.js';
import { parseTime } from '../core/time.js';

/** Lines listed in an error reply; the count of the rest is given. */
const MAX_LISTED = 50;

export interface CsvRowError {
  line: number;
  field: string;
  message: string;
}

/**
 * Validates a CSV of points (header `metric,value,at[,source][,roadmap]`, any column order).
 * Returns every bad line, or the points, deduplicated on (roadmap, metric, at, source) with the
 * last line winning.
 */
export function parsePointsCsv(text: string, roadmaps: (id: string) => Roadmap | undefined, fallbackRoadmap: Roadmap | undefined, now: Date): { points: PointInput[]; errors: CsvRowError[] } {
  let rows: string[][];
  try {
    rows = parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][];
  } catch (error) {
    return { points: [], errors: [{ line: (error as { lines?: number }).lines ?? 1, field: 'csv', message: (error as Error).message }] };
  }
  const header = (rows[0] ?? []).map((h) => h.toLowerCase());
  const col = (name: string) => header.indexOf(name);
  const [iMetric, iValue, iAt, iSource, iRoadmap] = ['metric', 'value', 'at', 'source', 'roadmap'].map(col) as [number, number, number, number, number];
  const errors: CsvRowError[] = [];
  if (iMetric < 0 || iValue < 0) {
    return { points: [], errors: [{ line: 1, field: 'header', message: `expected a header naming the columns metric,value[,at][,source][,roadmap]; got "${(rows[0] ?? []).join(',')}"` }] };
  }
  if (iRoadmap < 0 && !fallbackRoadmap) {
    return { points: [], errors: [{ line: 1, field: 'roadmap', message: 'no roadmap column: add one or pass --roadmap <id>' }] };
  }
  const byKey = new Map<string, PointInput>();
  const zoneCache = new Map<string, string>();
  for (let r = 1; r < rows.length; r++) {
    const row = rows[r] as string[];
    const line = r + 1;
    const fail = (field: string, message: string) => errors.push({ line, field, message });
    const roadmapId = iRoadmap >= 0 && row[iRoadmap] ? (row[iRoadmap] as string) : fallbackRoadmap?.id;
    const roadmap = roadmapId ? roadmaps(roadmapId) : undefined;
    if (!roadmap) {
      fail('roadmap', `no roadmap "${roadmapId ?? ''}" is loaded`);
      continue;
    }
    const metric = roadmap.metrics.get(row[iMetric] ?? '');
    if (!metric) {
      fail('metric', `no metric "${row[iMetric] ?? ''}" in ${roadmap.id}`);
      continue;
    }
    if (metric.derive) {
      fail('metric', `${metric.name} is derived; import its inputs instead`);
      continue;
    }
    let value: number;
    const raw = row[iValue] ?? '';
    // Fast path for plain numbers: imports are large and most values are.
    const plain = Number(raw);
    if (raw !== '' && Number.isFinite(plain) && metric.unit !== 'flag') value = plain;
    else {
      try {
        value = valueFor(metric, raw);
      } catch (error) {
        fail('value', (error as Error).message.replace(/^value: /, ''));
        continue;
      }
    }
    let at = now;
    const rawAt = iAt >= 0 ? (row[iAt] ?? '') : '';
    if (rawAt !== '') {
      // Full ISO timestamps with an offset parse natively (fast); others in the roadmap's zone.
      const native = /[zZ]|[+-]\d\d:?\d\d$/.test(rawAt) ? Date.parse(rawAt) : Number.NaN;
      const zone = zoneCache.get(roadmap.id) ?? (zoneCache.set(roadmap.id, roadmap.timezone), roadmap.timezone);
      const parsed = Number.isNaN(native) ? parseTime(rawAt, zone) : new Date(native);
      if (!parsed) {
        fail('at', `expected an ISO time such as 2026-03-01T09:30:00Z, got "${rawAt}"`);
        continue;
      }
      if (parsed.getTime() > now.getTime() + 5 * 60_000) {
        fail('at', `${parsed.toISOString()} is in the future`);
        continue;
      }
      at = parsed;
    }
    const source = iSource >= 0 && row[iSource] ? (row[iSource] as string) : 'csv';
    byKey.set(`${roadmap.id}\u0000${metric.name}\u0000${at.getTime()}\u0000${source}`, { roadmapId: roadmap.id, metric: metric.name, value, at, source });
  }
  return { points: [...byKey.values()], errors };
}

/** `roadmap import <file.csv>`: all or nothing; every bad line listed with its number. */
export async function importCsv(deps: AppDeps, invocation: Invocation, file: string, text: string, fallbackRoadmap: Roadmap | undefined): Promise<{ written: number; points: number }> {
  const now = deps.clock();
  const { points, errors } = parsePointsCsv(text, (id) => deps.registry.get(id), fallbackRoadmap, now);
  if (errors.length > 0) {
    const listed = errors.slice(0, MAX_LISTED).map((e) => `${file}:${e.line}: ${e.field}: ${e.message}`);
    if (errors.length > MAX_LISTED) listed.push(`… and ${errors.length - MAX_LISTED} more bad lines`);
    throw new CommandError('invalid', `${errors.length} bad line${errors.length === 1 ? '' : 's'} in ${file}; nothing was imported`, listed);
  }
  const written = await deps.store.importPoints(points, {
    actor: invocation.actor,
    ...(fallbackRoadmap ? { roadmapId: fallbackRoadmap.id } : {}),
    action: 'import',
    details: { file, points: points.length },
    at: now,
  });
  return { written, points: points.length };
}
