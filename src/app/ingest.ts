import type { PointInput } from './ports/points.js';
import type { Roadmap } from '../core/roadmap/model.js';
import { parseTime } from '../core/time.js';
import { valueProblem } from '../core/units.js';
import { parseValue } from './commands/values.js';
import type { FieldProblem } from './errors.js';

/** A point as people and scripts send it: the API's JSON, a CSV line, a chat command. */
export interface RawPoint {
  roadmap?: string;
  metric: string;
  value: number | string;
  /** Absent: now. An empty string is refused (a CSV line's empty cell is left out instead). */
  at?: string;
  /** Absent: the context's default source. An empty string is refused, as for `at`. */
  source?: string;
}

/** What is wrong with one point of a batch: which point, which field, what was expected. */
export interface PointError extends FieldProblem {
  /** `forbidden`: the sender may not write to the point's roadmap; `invalid`: anything else. */
  code: 'invalid' | 'forbidden';
}

export interface IngestContext {
  roadmaps: (id: string) => Roadmap | undefined;
  /** Used when a point names no roadmap (`--roadmap`, or the only one loaded). */
  fallbackRoadmap?: Roadmap;
  now: Date;
  defaultSource: string;
  /** Roadmaps the sender may write; undefined means any. */
  allowed?: (roadmapId: string) => boolean;
}

/** Points this far in the future are refused (clock skew between machines is smaller). */
const FUTURE_SLACK_MS = 5 * 60_000;
/** A point's `source`; the push API's OpenAPI document publishes this pattern. */
export const SOURCE = /^[A-Za-z0-9_.:-]{1,64}$/;

/** A point's problem. Module-level: a closure per point costs more than the rest of its check. */
const fail = (
  index: number,
  field: string,
  message: string,
  code: PointError['code'] = 'invalid',
): { error: PointError } => ({ error: { index, field, message, code } });

/** Validates one point; returns it ready to write, or the problem. */
export function validatePoint(
  raw: RawPoint,
  index: number,
  ctx: IngestContext,
): { point: PointInput } | { error: PointError } {
  const roadmapId = raw.roadmap ?? ctx.fallbackRoadmap?.id;
  if (!roadmapId) return fail(index, 'roadmap', 'no roadmap given, and several are loaded');
  const roadmap = ctx.roadmaps(roadmapId);
  if (!roadmap) return fail(index, 'roadmap', `no roadmap "${roadmapId}" is loaded`);
  if (ctx.allowed && !ctx.allowed(roadmap.id))
    return fail(index, 'roadmap', `this token may not write to "${roadmap.id}"`, 'forbidden');
  const metric = roadmap.metrics.get(raw.metric);
  if (!metric) return fail(index, 'metric', `no metric "${raw.metric}" in ${roadmap.id}`);
  if (metric.derive)
    return fail(
      index,
      'metric',
      `${metric.name} is derived (${metric.derive.text}); send its inputs instead`,
    );

  let value: number;
  if (typeof raw.value === 'number' && metric.unit !== 'flag') {
    value = raw.value;
  } else {
    const text = String(raw.value);
    // Fast path for plain numbers: imports are large and most values are.
    const plain = Number(text);
    if (text.trim() !== '' && Number.isFinite(plain) && metric.unit !== 'flag') value = plain;
    else {
      const parsed = parseValue(metric, text);
      if ('problem' in parsed) return fail(index, 'value', parsed.problem);
      value = parsed.value;
    }
  }
  // The same bound as chat's `record` (valueFor), checked after unit conversion.
  const outOfRange = valueProblem(value, metric.unit);
  if (outOfRange) return fail(index, 'value', outOfRange);

  // An empty string is a mistake (a template's unset variable), not a request for the default.
  if (raw.at === '')
    return fail(
      index,
      'at',
      'empty: leave it out to mean now, or give an ISO time such as 2026-03-01T09:30:00Z',
    );
  if (raw.source === '')
    return fail(
      index,
      'source',
      `empty: leave it out to mean "${ctx.defaultSource}", or give 1-64 letters, digits, and . _ : -`,
    );

  let at = ctx.now;
  if (raw.at !== undefined) {
    const parsed = timeOf(raw.at, roadmap.timezone);
    if (!parsed)
      return fail(
        index,
        'at',
        `expected an ISO time such as 2026-03-01T09:30:00Z, got "${raw.at}"`,
      );
    if (parsed.getTime() > ctx.now.getTime() + FUTURE_SLACK_MS)
      return fail(index, 'at', `${parsed.toISOString()} is in the future`);
    at = parsed;
  }
  const source = raw.source ?? ctx.defaultSource;
  if (source !== lastSource) {
    if (!SOURCE.test(source))
      return fail(index, 'source', 'expected 1-64 letters, digits, and . _ : -');
    lastSource = source;
  }
  return { point: { roadmapId: roadmap.id, metric: metric.name, value, at, source } };
}

/** Years 1 to 9999, as epoch milliseconds: [0001-01-01, 10000-01-01). */
const FIRST_MS = -62_135_596_800_000;
const END_MS = 253_402_300_800_000;

/**
 * Batches send many points of one instant (every metric of a scrape; a CSV export is time-major)
 * and one source: the last time parsed and the last source found valid are remembered, so such
 * points skip the parse or the pattern. A time's Date is then shared by those points, as `now`
 * is by the points that give none; nothing mutates them.
 */
let lastTime: { text: string; zone: string; at: Date } | undefined;
let lastSource: string | undefined;

/** An ISO time (`text`; without an offset, in `zone`) within years 1-9999, or undefined. */
function timeOf(text: string, zone: string): Date | undefined {
  if (lastTime && lastTime.text === text && lastTime.zone === zone) return lastTime.at;
  // Full ISO timestamps with an offset parse natively (fast); others in the roadmap's zone.
  const native = /[zZ]|[+-]\d\d:?\d\d$/.test(text) ? Date.parse(text) : Number.NaN;
  const parsed = Number.isNaN(native) ? parseTime(text, zone) : new Date(native);
  const ms = parsed ? parsed.getTime() : Number.NaN;
  if (!parsed || !(ms >= FIRST_MS && ms < END_MS)) return undefined;
  lastTime = { text, zone, at: parsed };
  return parsed;
}

/**
 * Validates a whole batch: every problem, or every point, deduplicated on (roadmap, metric,
 * time, source) with the last one winning, in the place of the first. Nothing is written by
 * this function.
 */
export function validateBatch(
  raws: Iterable<RawPoint>,
  ctx: IngestContext,
): { points: PointInput[]; errors: PointError[] } {
  const points: PointInput[] = [];
  const errors: PointError[] = [];
  // Where each key's point is in `points`: roadmap → metric → source → time. Nested maps of the
  // few names and a number-keyed one, rather than one key string per point (the string and its
  // hashing were most of a 1,000-point batch's validation).
  const slots = new Map<string, Map<string, Map<string, Map<number, number>>>>();
  let index = 0;
  for (const raw of raws) {
    const result = validatePoint(raw, index++, ctx);
    if ('error' in result) {
      errors.push(result.error);
      continue;
    }
    const p = result.point;
    let metrics = slots.get(p.roadmapId);
    if (!metrics) slots.set(p.roadmapId, (metrics = new Map()));
    let sources = metrics.get(p.metric);
    if (!sources) metrics.set(p.metric, (sources = new Map()));
    let times = sources.get(p.source);
    if (!times) sources.set(p.source, (times = new Map()));
    const t = p.at.getTime();
    const slot = times.get(t);
    if (slot === undefined) {
      times.set(t, points.length);
      points.push(p);
    } else points[slot] = p;
  }
  return { points, errors };
}
