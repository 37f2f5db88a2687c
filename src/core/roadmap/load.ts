import { DateTime } from 'luxon';
import {
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  parseDocument,
  visit,
  type Node as YamlNode,
} from 'yaml';
import type { Condition, MetricInfo } from '../condition/compile.js';
import { cronIsValid } from '../collectors/schedule.js';
import { compileCondition } from '../condition/compile.js';
import type { AlertRule, Gate, MetricDef, Roadmap, Stage, Target } from './model.js';
import type { z } from 'zod';
import { roadmapSchemas, timezoneIsValid, type RoadmapFile } from './schema.js';

/** One problem in a roadmap file, located for an editor: `file:line:column: message`. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

export type LoadResult =
  | { ok: true; roadmap: Roadmap; warnings: Problem[] }
  | { ok: false; errors: Problem[]; warnings: Problem[] };

/** Files bigger than this are refused unread (a roadmap is a page, not a data dump). */
export const MAX_ROADMAP_BYTES = 1_000_000;
/** Derived metrics computed from derived metrics, at most this deep. */
export const MAX_DERIVE_DEPTH = 16;
/** Problems listed per file; the rest are counted. */
export const MAX_PROBLEMS = 100;

export function formatProblem(problem: Problem): string {
  const tag = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${tag}${problem.message}`;
}

type Path = (string | number)[];

function pathText(path: Path): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key),
    '',
  );
}

/** Collects problems with positions taken from the YAML nodes their paths point at. */
class Problems {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  omittedErrors = 0;
  omittedWarnings = 0;
  constructor(
    private readonly file: string,
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  /** The node at `path`, or the nearest ancestor that exists (a missing key points at its map). */
  private nodeAt(path: Path): YamlNode | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node) return node as YamlNode;
    }
    return undefined;
  }

  /** The node of a map's key, so an unknown key is reported where it is written. */
  private keyNode(path: Path, key: string): YamlNode | undefined {
    const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (!isMap(parent)) return undefined;
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === key);
    return pair && isScalar(pair.key) ? pair.key : undefined;
  }

  private position(
    node: YamlNode | undefined,
    offsetInValue = 0,
  ): { line: number; column: number } {
    let offset = node?.range?.[0] ?? 0;
    if (node && isScalar(node) && offsetInValue > 0) {
      // Quoted scalars start one character before their value.
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      offset += offsetInValue + (quoted ? 1 : 0);
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  add(
    path: Path,
    message: string,
    opts: { offset?: number; severity?: 'error' | 'warning'; key?: string } = {},
  ): void {
    // Locating a problem walks the document: past MAX_PROBLEMS only count them.
    if (this.errors.length + this.warnings.length >= MAX_PROBLEMS) {
      if ((opts.severity ?? 'error') === 'error') this.omittedErrors++;
      else this.omittedWarnings++;
      return;
    }
    const node = opts.key ? this.keyNode(path, opts.key) : this.nodeAt(path);
    const at = this.position(node, opts.offset);
    const where = pathText(opts.key ? [...path, opts.key] : path);
    const problem: Problem = {
      file: this.file,
      ...at,
      message: where ? `${where}: ${message}` : message,
      severity: opts.severity ?? 'error',
    };
    (problem.severity === 'error' ? this.errors : this.warnings).push(problem);
  }

  /** Says how many problems were only counted (an error among them still fails the file). */
  summarizeOmitted(): void {
    if (this.omittedErrors > 0) this.addRaw(1, 1, `… and ${this.omittedErrors} more errors`);
    if (this.omittedWarnings > 0)
      this.warnings.push({
        file: this.file,
        line: 1,
        column: 1,
        message: `… and ${this.omittedWarnings} more warnings`,
        severity: 'warning',
      });
  }

  addRaw(line: number, column: number, message: string): void {
    this.errors.push({ file: this.file, line, column, message, severity: 'error' });
  }
}

/** Compiles a condition at `path`, reporting its problems at their column in the file. */
function compileAt(
  problems: Problems,
  path: Path,
  text: string,
  metrics: ReadonlyMap<string, MetricInfo>,
  refused: ReadonlySet<string>,
): Condition | undefined {
  const compiled = compileCondition(text, metrics);
  if (compiled.ok) return compiled.condition;
  for (const error of compiled.errors) {
    // A metric refused for its own problems (reported there) is not "unknown" here too.
    if ([...refused].some((name) => error.message.startsWith(`unknown metric "${name}"`))) continue;
    problems.add(path, error.message, { offset: error.offset });
  }
  return undefined;
}

function checkUnique(
  problems: Problems,
  items: ({ id: string } | undefined)[],
  path: Path,
  what: string,
): void {
  const seen = new Map<string, number>();
  items.forEach((item, index) => {
    if (!item) return;
    const first = seen.get(item.id);
    if (first !== undefined)
      problems.add(
        [...path, index, 'id'],
        `duplicate ${what} id "${item.id}" (first used at ${pathText([...path, first])})`,
      );
    else seen.set(item.id, index);
  });
}

/** Derived metrics may use each other, but not in a circle. */
function checkDeriveCycles(problems: Problems, metrics: Map<string, MetricDef>): void {
  const visiting = new Set<string>();
  const done = new Set<string>();
  const visit = (name: string, chain: string[]): void => {
    if (done.has(name)) return;
    if (visiting.has(name)) {
      problems.add(
        ['metrics', name, 'derive'],
        `derived metrics form a cycle: ${[...chain, name].join(' -> ')}`,
      );
      return;
    }
    if (chain.length >= MAX_DERIVE_DEPTH) {
      problems.add(
        ['metrics', chain[0] as string, 'derive'],
        `derived metrics nest deeper than ${MAX_DERIVE_DEPTH} (${chain[0]} -> … -> ${name})`,
      );
      return;
    }
    visiting.add(name);
    for (const input of metrics.get(name)?.derive?.metrics ?? []) visit(input, [...chain, name]);
    visiting.delete(name);
    done.add(name);
  };
  for (const name of metrics.keys()) visit(name, []);
}

/** End of the `by` day (or of the Nth month after `start`) in the roadmap's timezone. */
function deadlineOf(
  by: string,
  start: string | undefined,
  zone: string,
): Date | 'needs-start' | 'invalid' {
  const month = /^month\s+(\d+)$/i.exec(by);
  if (month) {
    if (!start) return 'needs-start';
    return DateTime.fromISO(start, { zone })
      .plus({ months: Number(month[1]) })
      .startOf('day')
      .toJSDate();
  }
  const day = DateTime.fromISO(by, { zone });
  return day.isValid ? day.plus({ days: 1 }).startOf('day').toJSDate() : 'invalid';
}

function build(file: string, data: RoadmapFile, problems: Problems): Roadmap {
  const info = new Map<string, MetricInfo>(
    Object.entries(data.metrics).map(([name, m]) => [
      name,
      { unit: m.unit, derived: m.derive !== undefined },
    ]),
  );
  const compile = (path: Path, text: string) =>
    compileAt(problems, path, text, info, data.refusedMetrics);
  const metrics = new Map<string, MetricDef>();
  for (const [name, m] of Object.entries(data.metrics)) {
    const derive =
      m.derive !== undefined ? compile(['metrics', name, 'derive'], m.derive) : undefined;
    if (m.derive !== undefined && m.source)
      problems.add(
        ['metrics', name, 'source'],
        'a derived metric is computed, so it cannot also have a source',
      );
    const every = m.source?.every;
    if (m.source && every === undefined && m.source.cron === undefined)
      problems.add(['metrics', name, 'source'], 'expected `every` (such as 1h) or `cron`');
    if (m.source?.cron !== undefined && !cronIsValid(m.source.cron))
      problems.add(
        ['metrics', name, 'source', 'cron'],
        `expected a cron expression such as "0 * * * *", got "${m.source.cron}"`,
      );
    if (every !== undefined && every < 10_000)
      problems.add(['metrics', name, 'source', 'every'], 'expected at least 10s between runs');
    metrics.set(name, {
      name,
      unit: m.unit,
      label: m.label ?? name,
      ...(derive ? { derive } : {}),
      // Flags are facts set by people: they hold until changed, so they never go stale.
      staleAfterMs: m.stale_after ?? (m.unit === 'flag' ? null : 7 * 86_400_000),
      ...(m.source
        ? {
            source:
              m.source.sql !== undefined
                ? {
                    kind: 'sql' as const,
                    sql: m.source.sql,
                    database: m.source.database,
                    everyMs: m.source.every,
                    cron: m.source.cron,
                  }
                : {
                    kind: 'prometheus' as const,
                    query: m.source.prometheus,
                    url: m.source.url,
                    everyMs: m.source.every,
                    cron: m.source.cron,
                  },
          }
        : {}),
    });
  }
  checkDeriveCycles(problems, metrics);

  checkUnique(problems, data.stages, ['stages'], 'stage');
  if (data.users_metric !== undefined && !metrics.has(data.users_metric))
    problems.add(['users_metric'], `unknown metric "${data.users_metric}"`);
  const stages: Stage[] = data.stages.flatMap((s, index) => {
    if (!s) return [];
    const path: Path = ['stages', index];
    checkUnique(problems, s.gates ?? [], [...path, 'gates'], 'gate');
    const gates: Gate[] = (s.gates ?? []).map((g, gi) => {
      const check =
        g.check !== undefined ? compile([...path, 'gates', gi, 'check'], g.check) : undefined;
      return { id: g.id, text: g.text, ...(check ? { check } : {}) };
    });
    if (s.users?.max !== undefined && s.users.max < s.users.min)
      problems.add([...path, 'users'], 'expected [min, max] with min <= max');
    if (s.budget?.min !== undefined && s.budget.max !== undefined && s.budget.max < s.budget.min) {
      problems.add([...path, 'budget'], 'expected min <= max');
    }
    const stage: Stage = {
      id: s.id,
      name: s.name,
      index,
      ...(s.users ? { users: s.users } : {}),
      ...(s.budget ? { budget: s.budget } : {}),
      ...(s.goal ? { goal: s.goal } : {}),
      actions: s.actions ?? [],
      gates,
    };
    if (s.upgrade) {
      if (index === data.stages.length - 1) {
        problems.add([...path, 'upgrade'], 'the last stage has no next stage to upgrade to', {
          severity: 'warning',
        });
      }
      const when = compile([...path, 'upgrade', 'when'], s.upgrade.when);
      const clearWhen =
        s.upgrade.clear_when !== undefined
          ? compile([...path, 'upgrade', 'clear_when'], s.upgrade.clear_when)
          : undefined;
      if (when) {
        stage.upgrade = {
          id: `${s.id}.upgrade`,
          kind: 'upgrade',
          when,
          forMs: s.upgrade.for ?? 0,
          ...(clearWhen ? { clearWhen } : {}),
          severity: s.upgrade.severity ?? 'warning',
          ...(s.upgrade.message ? { message: s.upgrade.message } : {}),
        };
      }
    }
    return [stage];
  });

  const alertsIn = data.alerts;
  checkUnique(problems, alertsIn, ['alerts'], 'alert');
  const upgradeIds = new Set(stages.map((s) => `${s.id}.upgrade`));
  const alerts: AlertRule[] = [];
  alertsIn.forEach((a, index) => {
    if (!a) return;
    if (upgradeIds.has(a.id))
      problems.add(['alerts', index, 'id'], `"${a.id}" is the id of a stage's upgrade trigger`);
    const when = compile(['alerts', index, 'when'], a.when);
    const clearWhen =
      a.clear_when !== undefined
        ? compile(['alerts', index, 'clear_when'], a.clear_when)
        : undefined;
    if (!when) return;
    alerts.push({
      id: a.id,
      kind: 'alert',
      when,
      forMs: a.for ?? 0,
      ...(clearWhen ? { clearWhen } : {}),
      severity: a.severity ?? 'warning',
      ...(a.message ? { message: a.message } : {}),
    });
  });

  const targetsIn = data.targets;
  checkUnique(problems, targetsIn, ['targets'], 'target');
  const targets: Target[] = [];
  targetsIn.forEach((t, index) => {
    if (!t) return;
    const when = compile(['targets', index, 'when'], t.when);
    let deadline: Date | undefined;
    if (t.by !== undefined) {
      const computed = deadlineOf(t.by, data.start, data.timezone);
      if (computed === 'needs-start')
        problems.add(
          ['targets', index, 'by'],
          '`month N` counts from `start`, which this roadmap does not set',
        );
      else if (computed === 'invalid')
        problems.add(['targets', index, 'by'], 'expected an ISO date (2026-03-31) or "month N"');
      else deadline = computed;
    }
    if (when)
      targets.push({
        id: t.id,
        when,
        ...(t.by !== undefined ? { by: t.by } : {}),
        ...(deadline ? { deadline } : {}),
      });
  });

  return {
    id: data.id,
    name: data.name,
    timezone: data.timezone,
    ...(data.start ? { start: data.start } : {}),
    approaching: data.approaching,
    forecastWindowMs: data.forecast_window ?? 28 * 86_400_000,
    usersMetric: data.users_metric ?? 'active_users',
    metrics,
    stages,
    alerts,
    targets,
    file,
  };
}

const strictSchemas = roadmapSchemas(true);
const looseSchemas = roadmapSchemas(false);

/** Validates one part; unknown keys become warnings, other issues errors at `path`. */
function part<S extends z.ZodType>(
  strict: z.ZodType,
  loose: S,
  value: unknown,
  path: Path,
  problems: Problems,
): z.output<S> | undefined {
  const checked = strict.safeParse(value);
  if (!checked.success) {
    for (const issue of checked.error.issues) {
      if (issue.code !== 'unrecognized_keys') continue;
      for (const key of issue.keys) {
        problems.add([...path, ...(issue.path as Path)], `unknown key "${key}" (ignored)`, {
          severity: 'warning',
          key,
        });
      }
    }
  }
  const parsed = loose.safeParse(value);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues)
    problems.add([...path, ...(issue.path as Path)], issue.message);
  return undefined;
}

/** Validates the file part by part, so every part's problems are reported together. */
function validate(raw: unknown, problems: Problems): RoadmapFile | undefined {
  const header = part(strictSchemas.header, looseSchemas.header, raw, [], problems);
  // A bad header (say, the id) still lets us check every part, to report all problems at once.
  const parts = (header ?? raw) as Record<string, unknown>;
  const entries = (value: unknown) =>
    value && typeof value === 'object' && !Array.isArray(value) ? Object.entries(value) : [];
  const items = (value: unknown) => (Array.isArray(value) ? (value as unknown[]) : []);
  const metrics: RoadmapFile['metrics'] = {};
  const refusedMetrics = new Set<string>();
  for (const [name, value] of entries(parts.metrics)) {
    if (!looseSchemas.metricName.safeParse(name).success) {
      problems.add(
        ['metrics'],
        `metric name "${name}" must be letters, digits and _ (it appears in conditions)`,
        { key: name },
      );
      refusedMetrics.add(name);
      continue;
    }
    const metric = part(
      strictSchemas.metric,
      looseSchemas.metric,
      value,
      ['metrics', name],
      problems,
    );
    if (metric) metrics[name] = metric;
    else refusedMetrics.add(name);
  }
  const list = <S extends z.ZodType>(
    key: 'stages' | 'alerts' | 'targets',
    loose: S,
    strict: z.ZodType,
  ) => items(parts[key]).map((value, index) => part(strict, loose, value, [key, index], problems));
  const stages = list('stages', looseSchemas.stage, strictSchemas.stage);
  const alerts = list('alerts', looseSchemas.alert, strictSchemas.alert);
  const targets = list('targets', looseSchemas.target, strictSchemas.target);
  // With a bad header, check the rest against a stand-in so every problem is still reported.
  const fallback = {
    id: 'invalid',
    name: 'invalid',
    timezone: timezoneIsValid(parts.timezone) ? parts.timezone : 'UTC',
    ...(typeof parts.start === 'string' &&
    looseSchemas.header.shape.start.safeParse(parts.start).success
      ? { start: parts.start }
      : {}),
    approaching: 0.8,
  };
  return { ...(header ?? fallback), metrics, stages, alerts, targets, refusedMetrics };
}

/**
 * Reads one roadmap file's text. Every problem is reported at once, with its line and
 * column; unknown keys are warnings, so a file with extra notes still loads.
 */
export function loadRoadmap(file: string, text: string): LoadResult {
  const lines = new LineCounter();
  if (
    text.length > MAX_ROADMAP_BYTES ||
    new TextEncoder().encode(text).length > MAX_ROADMAP_BYTES
  ) {
    return {
      ok: false,
      errors: [
        {
          file,
          line: 1,
          column: 1,
          message: `file is larger than ${MAX_ROADMAP_BYTES} bytes`,
          severity: 'error',
        },
      ],
      warnings: [],
    };
  }
  // maxAliasCount guards against alias bombs ("billion laughs").
  // Duplicate keys are found below with one Set per mapping: yaml's uniqueKeys compares every pair.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const problems = new Problems(file, doc, lines);
  for (const error of doc.errors) {
    const pos = lines.linePos(error.pos[0]);
    problems.addRaw(pos.line, pos.col, error.message.split('\n')[0] ?? error.message);
  }
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      for (const pair of map.items) {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          const pos = lines.linePos((pair.key as YamlNode | null)?.range?.[0] ?? 0);
          problems.addRaw(pos.line, pos.col, 'Map keys must be unique');
        }
        seen.add(key);
      }
    },
  });
  if (problems.errors.length > 0) return { ok: false, errors: problems.errors, warnings: [] };

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    problems.addRaw(1, 1, (error as Error).message);
    return { ok: false, errors: problems.errors, warnings: [] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || isSeq(doc.contents)) {
    problems.add([], 'expected a mapping with id, name, metrics and stages');
    return { ok: false, errors: problems.errors, warnings: [] };
  }

  const data = validate(raw, problems);
  if (!data) {
    problems.summarizeOmitted();
    return { ok: false, errors: problems.errors, warnings: problems.warnings };
  }
  const roadmap = build(file, data, problems);
  const byPosition = (a: Problem, b: Problem) => a.line - b.line || a.column - b.column;
  problems.errors.sort(byPosition);
  problems.warnings.sort(byPosition);
  problems.summarizeOmitted();
  if (problems.errors.length > 0)
    return { ok: false, errors: problems.errors, warnings: problems.warnings };
  return { ok: true, roadmap, warnings: problems.warnings };
}
