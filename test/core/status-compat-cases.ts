/*
 * The situations the status compatibility test evaluates every roadmap written before format v2
 * in, with the evaluator passed in: test/core/fixtures/write-v1-status.ts runs them with the code
 * of the commit before v2's evaluator (into fixtures/v1-status.json), status-compat.test.ts with
 * today's. Nothing here imports src/, so both runs use only the functions they are given.
 */
/* eslint-disable @typescript-eslint/no-explicit-any -- two versions of src/ pass their own types */
import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The few functions the cases call, as both versions of src/ export them. */
export interface EvaluatorApi {
  loadRoadmap(file: string, text: string): { ok: true; roadmap: any } | { ok: false; errors: any };
  dataNeeds(roadmap: any): { windows: { metric: string; windowMs: number }[] };
  evaluateRoadmap(roadmap: any, snapshot: any, state: any, now: Date): any;
  forecastReport(report: any, histories: ReadonlyMap<string, any[]>, options?: any): any;
  statusJson(report: any): unknown;
}

/**
 * The roadmaps as they were shipped before format v2, frozen: the seeds have since been
 * rewritten with v2 (issue #15), and what this test guards is that a file written then still
 * evaluates as it did, not that today's seeds say what yesterday's did.
 */
export const ROADMAPS_DIR = path.resolve(import.meta.dirname, 'fixtures/v1-roadmaps');
/** Shipped roadmaps written for format v2: they have no status from before it (none frozen). */
export const V2_ONLY = ['example-v2'];

const NOW = new Date('2026-03-01T12:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const at = (ms: number) => new Date(NOW.getTime() + ms);

type Values = Record<string, number>;

interface Situation {
  /** Values of the recorded metrics (missing: no point), recorded at `recorded`. */
  values: (recorded: string[]) => Values;
  recorded: number;
  now: Date;
  /** Evaluate once `warmup` earlier and carry its memory (triggers, targets met). */
  warmup?: number;
  /** The values of that earlier evaluation, when not the same. */
  warmupValues?: (recorded: string[]) => Values;
  /** Tick every manual gate. */
  ticks?: boolean;
  /** Attach forecasts from daily histories growing toward the values. */
  forecast?: boolean;
  /** Only in the first stage: what it shows (staleness, deadlines) is the same in every stage. */
  firstStageOnly?: boolean;
}

/** Each row: the situation a status is asked for in. */
const SITUATIONS: Record<string, Situation> = {
  // Every metric fresh at a small distinct value; histories grow toward it (forecasts with ETAs).
  fresh: {
    values: (names) => Object.fromEntries(names.map((n, i) => [n, 10 + i])),
    recorded: -MINUTE,
    now: NOW,
    forecast: true,
  },
  // Every metric far above any threshold, two hours after it got there: triggers fire (their
  // `for` elapsed), budgets are over, targets met and remembered, manual gates ticked.
  high: {
    values: (names) => Object.fromEntries(names.map((n, i) => [n, 100_000 + i])),
    recorded: -3 * HOUR,
    now: NOW,
    warmup: 2 * HOUR,
    ticks: true,
    forecast: true,
  },
  // Far above every threshold two hours ago, small again now: triggers resolved (or kept firing
  // by `clear_when`), targets remembered as met though their conditions no longer hold.
  dropped: {
    values: (names) => Object.fromEntries(names.map((n, i) => [n, 10 + i])),
    recorded: -MINUTE,
    now: NOW,
    warmup: 2 * HOUR,
    warmupValues: (names) => Object.fromEntries(names.map((n, i) => [n, 100_000 + i])),
  },
  // Every metric at zero: budgets under their minimum, `<` conditions hold.
  zero: {
    values: (names) => Object.fromEntries(names.map((n) => [n, 0])),
    recorded: -MINUTE,
    now: NOW,
  },
  // Nothing recorded at all: every condition unknown, every metric missing.
  empty: { values: () => ({}), recorded: -MINUTE, now: NOW },
  // The last points are sixty days old: stale (flags never are).
  stale: {
    values: (names) => Object.fromEntries(names.map((n, i) => [n, 50 + i])),
    recorded: -60 * DAY,
    now: NOW,
    firstStageOnly: true,
  },
  // A year and a half on, still small: dated targets missed.
  late: {
    values: (names) => Object.fromEntries(names.map((n) => [n, 1])),
    recorded: 500 * DAY - MINUTE,
    now: at(500 * DAY),
    firstStageOnly: true,
  },
};

function roadmapText(id: string): string {
  return readFileSync(path.join(ROADMAPS_DIR, `${id}.yaml`), 'utf8');
}

function load(api: EvaluatorApi, id: string, text: string) {
  const result = api.loadRoadmap(`roadmaps/${id}.yaml`, text);
  if (!result.ok) throw new Error(`${id} does not load: ${JSON.stringify(result.errors)}`);
  return result.roadmap;
}

function snapshot(api: EvaluatorApi, roadmap: any, values: Values, recorded: Date) {
  const latest = new Map(Object.entries(values).map(([n, value]) => [n, { value, at: recorded }]));
  const windows = new Map<string, unknown>();
  for (const w of api.dataNeeds(roadmap).windows) {
    const v = values[w.metric];
    windows.set(
      `${w.metric}@${w.windowMs}`,
      v === undefined
        ? { count: 0 }
        : { count: 3, avg: v, min: v * 0.5, max: v, sum: 3 * v, first: v * 0.5, last: v },
    );
  }
  return { latest, windows };
}

/** Daily points over 28 days rising linearly to `values` (a quarter of it at the start). */
function histories(values: Values, now: Date): Map<string, { t: Date; v: number }[]> {
  return new Map(
    Object.entries(values).map(([n, v]) => [
      n,
      Array.from({ length: 28 }, (_, d) => ({
        t: new Date(now.getTime() - (27 - d) * DAY - MINUTE),
        v: v * (0.25 + (0.75 * d) / 27),
      })),
    ]),
  );
}

/** The status JSON of one roadmap in each of its stages and each situation, keyed `stage/situation`. */
export function statusesOf(api: EvaluatorApi, id: string, text = roadmapText(id)) {
  const roadmap = load(api, id, text);
  const recorded = [...roadmap.metrics.values()]
    .filter((m: any) => !m.derive)
    .map((m: any) => m.name as string);
  const out: Record<string, unknown> = {};
  for (const stage of roadmap.stages) {
    for (const [name, s] of Object.entries(SITUATIONS)) {
      if (s.firstStageOnly && stage.index > 0) continue;
      const values = s.values(recorded);
      const state = {
        stage: { id: stage.id, since: new Date('2026-01-15T00:00:00Z') },
        gateChecks: new Map(
          s.ticks
            ? stage.gates
                .filter((g: any) => !g.check)
                .map((g: any) => [g.id, { passed: true, actor: 'U1', at: at(-DAY) }])
            : [],
        ),
        triggers: new Map(),
        targetsMet: new Map(),
      };
      if (s.warmup !== undefined) {
        const then = new Date(s.now.getTime() - s.warmup);
        const before = api.evaluateRoadmap(
          roadmap,
          snapshot(
            api,
            roadmap,
            s.warmupValues?.(recorded) ?? values,
            new Date(then.getTime() - MINUTE),
          ),
          state,
          then,
        );
        for (const t of before.triggers) state.triggers.set(t.id, t.memory);
        for (const t of before.targets) if (t.metAt) state.targetsMet.set(t.id, t.metAt);
      }
      const snap = snapshot(api, roadmap, values, new Date(s.now.getTime() + s.recorded));
      const report = api.evaluateRoadmap(roadmap, snap, state, s.now);
      const withForecasts = s.forecast
        ? {
            ...report,
            forecasts: api.forecastReport(report, histories(values, s.now), {
              windowMs: roadmap.forecastWindowMs,
            }),
          }
        : report;
      out[`${stage.id}/${name}`] = JSON.parse(JSON.stringify(api.statusJson(withForecasts)));
    }
  }
  return out;
}

/**
 * `actual` cut down to the fields `expected` has: objects to its keys (a key `actual` lacks stays
 * missing, so the comparison fails), arrays element by element (an extra or missing element
 * stays, so it fails too). What is left must equal `expected` exactly.
 */
export function fieldsOf(expected: unknown, actual: unknown): unknown {
  if (Array.isArray(expected) && Array.isArray(actual))
    return actual.map((a, i) => (i < expected.length ? fieldsOf(expected[i], a) : a));
  if (isObject(expected) && isObject(actual))
    return Object.fromEntries(
      Object.keys(expected)
        .filter((k) => k in actual)
        .map((k) => [k, fieldsOf(expected[k], actual[k])]),
    );
  return actual;
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
