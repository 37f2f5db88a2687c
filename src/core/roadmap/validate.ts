import type { z } from 'zod';
import { pathText, type Path, type Problems } from './problems.js';
import {
  roadmapSchemas,
  timezoneIsValid,
  type PlanFile,
  type RoadmapFile,
  type StageFile,
  type TrackFile,
} from './schema.js';

/**
 * Validates a file's data part by part against the schemas (./schema.ts). Every part and
 * every item of a list is checked on its own, and a part with a bad field is still kept
 * without that field (see `salvage`), so one problem never hides another: the file is refused
 * with all of them.
 */

const strictSchemas = roadmapSchemas(true);
const looseSchemas = roadmapSchemas(false);
type Schemas = typeof looseSchemas;
type PartName = Exclude<keyof Schemas, 'metricName'>;

/** Stands in for a refused required `id`, so the rest of the item is still checked. */
const STAND_IN_ID = 'refused-id';
/** Stands in for other refused required texts. */
const STAND_IN_TEXT: Readonly<Record<string, string>> = {
  id: STAND_IN_ID,
  name: '(refused)',
  text: '(refused)',
  role: '(refused)',
};
/** Rounds of salvage before giving a part up (each round drops what the last one refused). */
const SALVAGE_ROUNDS = 8;

const isObject = (value: unknown): value is Record<string, unknown> =>
  value !== null && typeof value === 'object' && !Array.isArray(value) && !(value instanceof Date);
const items = (value: unknown): unknown[] => (Array.isArray(value) ? value : []);

/**
 * Deletes (or, for a required text, replaces) the field an issue points at; returns the
 * path of what it dropped, or undefined when it cannot.
 */
function dropField(
  root: Record<string, unknown>,
  path: Path,
  replaced: Set<string>,
): string[] | undefined {
  // A bad list item or tuple element drops its whole list: items are checked one by one
  // elsewhere, so such a list here is a small value (a band, a ramp, a list of ids).
  const cut = path.findIndex((key) => typeof key === 'number');
  const fieldPath = (cut === -1 ? path : path.slice(0, cut)) as string[];
  if (fieldPath.length === 0) return undefined;
  let node: Record<string, unknown> = root;
  for (const key of fieldPath.slice(0, -1)) {
    const next = node[key];
    if (!isObject(next)) return undefined;
    node = next;
  }
  const key = fieldPath[fieldPath.length - 1] as string;
  const where = fieldPath.join('.');
  if (fieldPath.length === 1 && STAND_IN_TEXT[key] !== undefined && !replaced.has(where)) {
    node[key] = STAND_IN_TEXT[key];
    replaced.add(where);
    return fieldPath;
  }
  if (!Object.hasOwn(node, key)) {
    // Already dropped and still missing: a required field. Drop the object holding it.
    return fieldPath.length > 1 ? dropField(root, fieldPath.slice(0, -1), replaced) : undefined;
  }
  delete node[key];
  return fieldPath;
}

export class Validator {
  constructor(private readonly problems: Problems) {}

  /**
   * Validates one part: unknown keys become warnings, other issues errors at `path`. A part
   * with bad fields is kept without them (their problems are reported, so the file is refused
   * anyway) so that its other fields are still checked; a refused `id` is replaced by a
   * stand-in that duplicate and namespace checks skip.
   */
  part<K extends PartName>(name: K, value: unknown, path: Path): z.output<Schemas[K]> | undefined {
    const strict = strictSchemas[name] as z.ZodType;
    const loose = looseSchemas[name] as unknown as z.ZodType<z.output<Schemas[K]>>;
    const checked = strict.safeParse(value);
    if (!checked.success) {
      for (const issue of checked.error.issues) {
        if (issue.code !== 'unrecognized_keys') continue;
        for (const key of issue.keys) {
          this.problems.add([...path, ...(issue.path as Path)], `unknown key "${key}" (ignored)`, {
            severity: 'warning',
            key,
          });
        }
      }
    }
    const parsed = loose.safeParse(value);
    if (parsed.success) return parsed.data;
    for (const issue of parsed.error.issues)
      this.problems.add([...path, ...(issue.path as Path)], issue.message);
    return this.salvage(loose, value, path, parsed.error.issues);
  }

  private salvage<T>(
    loose: z.ZodType<T>,
    value: unknown,
    path: Path,
    firstIssues: z.core.$ZodIssue[],
  ): T | undefined {
    if (!isObject(value)) return undefined;
    let copy: Record<string, unknown>;
    try {
      copy = structuredClone(value);
    } catch {
      return undefined; // not plain data (the loader only passes what YAML built): no salvage
    }
    const replaced = new Set<string>();
    const dropped: Path[] = [];
    let issues = firstIssues;
    for (let round = 0; round < SALVAGE_ROUNDS; round++) {
      for (const issue of issues) {
        const field = dropField(copy, issue.path as Path, replaced);
        if (!field) return undefined;
        dropped.push([...path, ...field]);
      }
      const again = loose.safeParse(copy);
      if (again.success) {
        if (replaced.has('id') && isObject(again.data)) this.problems.idless.add(again.data);
        for (const field of dropped) this.problems.dropped.add(pathText(field));
        return again.data;
      }
      issues = again.error.issues;
    }
    return undefined;
  }

  /** Each item of a list checked on its own; refused items stay as holes. */
  list<K extends PartName>(
    name: K,
    value: unknown,
    path: Path,
  ): (z.output<Schemas[K]> | undefined)[] {
    return items(value).map((item, index) => this.part(name, item, [...path, index]));
  }

  stage(value: unknown, path: Path): StageFile | undefined {
    const s = this.part('stage', value, path);
    if (!s) return undefined;
    const actions = items(s.actions).map((item, index) => {
      if (typeof item === 'string') return item;
      const where = [...path, 'actions', index];
      if (isObject(item) && !['id', 'text', 'when', 'by'].some((key) => Object.hasOwn(item, key))) {
        // `- Phase 1: launch` is a mapping in YAML, not a text.
        this.problems.add(
          where,
          'expected an action: a text (quote it if it holds ": "), or { id, text, when?, by? } for a to-do',
        );
        return undefined;
      }
      if (isObject(item)) return this.part('todo', item, where);
      this.problems.add(
        where,
        'expected an action: a text, or { id, text, when?, by? } for a to-do',
      );
      return undefined;
    });
    return this.sameId(s, {
      ...s,
      actions,
      gates: this.list('gate', s.gates, [...path, 'gates']),
      team: this.list('role', s.team, [...path, 'team']),
      budget: s.budget === undefined ? undefined : this.budget(s.budget, [...path, 'budget']),
    });
  }

  /** `to`, built from `from`, keeps its refused id marked as such. */
  private sameId<T extends object>(from: object, to: T): T {
    if (this.problems.idless.has(from)) this.problems.idless.add(to);
    return to;
  }

  /**
   * `budget` is the v1 `{ min, max }` when none of its values is a mapping, else a map of lines
   * (docs: "v1 budgets"); so `budget: { min: 100, max: 200 }` keeps its v1 meaning.
   */
  private budget(budget: Record<string, unknown>, path: Path): StageFile['budget'] {
    if (!Object.values(budget).some(isObject)) {
      const v1 = this.part('budgetV1', budget, path);
      return v1 ? { form: 'v1', ...v1 } : undefined;
    }
    const lines = Object.entries(budget).map(([id, value]) => {
      if (!/^[a-z0-9][a-z0-9_-]*$/.test(id)) {
        this.problems.add(
          path,
          `budget line id "${id}" must be a slug: lowercase letters, digits, "-" and "_" (it names the alert budget.${id})`,
          { key: id },
        );
        return { id, line: undefined };
      }
      if (!isObject(value)) {
        const mixed = id === 'min' || id === 'max';
        this.problems.add(
          [...path, id],
          `expected a budget line such as { max: 5000, metric: infra_cost }${mixed ? ' (the v1 { min, max } cannot be mixed with lines: write this as a line)' : ''}`,
        );
        return { id, line: undefined };
      }
      return { id, line: this.part('budgetLine', value, [...path, id]) };
    });
    return { form: 'lines', lines };
  }

  track(value: unknown, path: Path): TrackFile | undefined {
    const t = this.part('track', value, path);
    if (!t) return undefined;
    return this.sameId(t, { ...t, steps: this.list('step', t.steps, [...path, 'steps']) });
  }

  plan(value: unknown, path: Path): PlanFile | undefined {
    const p = this.part('plan', value, path);
    if (!p) return undefined;
    const { points, scenarios, ...rest } = p;
    const list: PlanFile['scenarios'] = [];
    if (points !== undefined) {
      list.push({
        path: [...path, 'points'],
        points: this.list('point', points, [...path, 'points']),
      });
    } else {
      for (const [name, value] of Object.entries(scenarios ?? {})) {
        const where = [...path, 'scenarios', name];
        if (!Array.isArray(value) || value.length === 0) {
          this.problems.add(
            where,
            'expected a list of points such as [{ at: year 1, value: 5000 }]',
          );
          continue;
        }
        list.push({ name, path: where, points: this.list('point', value, where) });
      }
    }
    return { ...rest, scenarios: list };
  }

  /** Validates the whole file, so every part's problems are reported together. */
  file(raw: unknown): RoadmapFile {
    const header = this.part('header', raw, []);
    // A bad header (say, the id) still lets us check every part, to report all problems at once.
    const parts = (header ?? raw) as Record<string, unknown>;
    const metrics: RoadmapFile['metrics'] = {};
    const refusedMetrics = new Set<string>();
    for (const [name, value] of isObject(parts.metrics) ? Object.entries(parts.metrics) : []) {
      if (!looseSchemas.metricName.safeParse(name).success) {
        this.problems.add(
          ['metrics'],
          `metric name "${name}" must be letters, digits and _ (it appears in conditions)`,
          { key: name },
        );
        refusedMetrics.add(name);
        continue;
      }
      const metric = this.part('metric', value, ['metrics', name]);
      if (metric) metrics[name] = metric;
      else refusedMetrics.add(name);
    }
    const stages = items(parts.stages).map((v, i) => this.stage(v, ['stages', i]));
    const alerts = this.list('alert', parts.alerts, ['alerts']);
    const targets = this.list('target', parts.targets, ['targets']);
    const tracks = items(parts.tracks).map((v, i) => this.track(v, ['tracks', i]));
    const plans = items(parts.plan).map((v, i) => this.plan(v, ['plan', i]));
    // With a header refused outright, check the rest against a stand-in.
    const start = looseSchemas.header.shape.start.safeParse(parts.start);
    const fallback = {
      id: 'invalid',
      name: 'invalid',
      timezone: timezoneIsValid(parts.timezone) ? parts.timezone : 'UTC',
      ...(start.success && start.data !== undefined ? { start: start.data } : {}),
      approaching: 0.8,
    };
    const { tracks: _t, plan: _p, ...head } = header ?? { ...fallback, tracks: [], plan: [] };
    return { ...head, metrics, stages, alerts, targets, tracks, plans, refusedMetrics };
  }
}
