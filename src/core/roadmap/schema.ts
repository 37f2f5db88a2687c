import { DateTime } from 'luxon';
import { z } from 'zod';
import { parseDurationLiteral, parseNumberLiteral } from '../condition/parse.js';
import { MAX_WINDOW_MS } from '../condition/compile.js';
import { UNITS } from '../units.js';

/** The shape of a roadmap file (docs/ROADMAP_FORMAT.md), before conditions are compiled. */

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;
const slug = z
  .string()
  .regex(
    SLUG,
    'expected a slug: lowercase letters, digits, "-" and "_", starting with a letter or digit',
  );
const METRIC_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** `1h`, `7d`, or 0; at most ten years, as windows (later times must stay dates). */
export const durationField = z.union([z.string(), z.number()]).transform((raw, ctx) => {
  if (raw === 0) return 0;
  const ms = typeof raw === 'string' ? parseDurationLiteral(raw) : undefined;
  if (ms === undefined || ms > MAX_WINDOW_MS) {
    const what =
      ms === undefined ? 'a duration such as 10m, 1h or 7d' : 'a duration of at most 3650d';
    ctx.addIssue({ code: 'custom', message: `expected ${what}, got ${JSON.stringify(raw)}` });
    return z.NEVER;
  }
  return ms;
});

/** A number, or a number literal as a string (`"$1.5k"`, `"1,600"`). */
const amount = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const value = typeof raw === 'number' ? raw : parseNumberLiteral(raw);
  if (value === undefined || !Number.isFinite(value)) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a number such as 500, "$1.5k" or "1,600", got ${JSON.stringify(raw)}`,
    });
    return z.NEVER;
  }
  return value;
});

const condition = z
  .string({ error: 'expected a condition such as "active_users >= 400"' })
  .min(1, 'expected a condition');

/** A real calendar date: `2026-02-30` is refused, not rolled over to March. */
const isCalendarDate = (text: string) =>
  /^\d{4}-\d{2}-\d{2}$/.test(text) && DateTime.fromISO(text, { zone: 'UTC' }).isValid;
const isoDate = z.string().refine(isCalendarDate, 'expected an ISO date such as 2026-01-01');

function timezoneValid(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

const schedule = { every: durationField.optional(), cron: z.string().optional() };

export function timezoneIsValid(zone: unknown): zone is string {
  return typeof zone === 'string' && timezoneValid(zone);
}

/**
 * Builds the schemas of a file's parts; `strict` rejects unknown keys (reported as warnings,
 * not errors). Parts are validated one by one so one bad stage does not hide the others' problems.
 */
export function roadmapSchemas(strict: boolean) {
  const object = strict ? z.strictObject : z.object;
  const severity = z.enum(['info', 'warning', 'critical'], {
    error: 'expected info, warning or critical',
  });
  // One object checked field by field (not a union of two shapes), so that a bad `every`
  // or a missing `database` is reported as that field, not as "matches neither shape".
  const text = (what: string) =>
    z.string({ error: `expected ${what}` }).min(1, { error: `expected ${what}` });
  const source = object({
    sql: text('a SQL query').optional(),
    database: text('the name of the environment variable holding the database URL').optional(),
    prometheus: text('a PromQL expression').optional(),
    url: text('the name of the environment variable holding the Prometheus URL').optional(),
    ...schedule,
  })
    .superRefine((s, ctx) => {
      const need = (field: 'database' | 'url', kind: string) =>
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `${kind} needs \`${field}\`: the name of the environment variable holding its URL`,
        });
      const extra = (field: 'database' | 'url', kind: string) =>
        ctx.addIssue({
          code: 'custom',
          path: [field],
          message: `\`${field}\` does not belong to ${kind}`,
        });
      if ((s.sql === undefined) === (s.prometheus === undefined)) {
        ctx.addIssue({
          code: 'custom',
          message: 'expected { sql, database, every } or { prometheus, url, every }',
        });
      } else if (s.sql !== undefined) {
        if (s.database === undefined) need('database', 'a `sql` source');
        if (s.url !== undefined) extra('url', 'a `sql` source (`database` names its connection)');
      } else {
        if (s.url === undefined) need('url', 'a `prometheus` source');
        if (s.database !== undefined)
          extra('database', 'a `prometheus` source (`url` names its server)');
      }
    })
    .transform((s) =>
      s.sql !== undefined
        ? { sql: s.sql, database: s.database as string, every: s.every, cron: s.cron }
        : {
            prometheus: s.prometheus as string,
            url: s.url as string,
            every: s.every,
            cron: s.cron,
          },
    );
  const metric = object({
    unit: z.enum(UNITS, { error: `expected a unit: one of ${UNITS.join(', ')}` }),
    label: z.string().optional(),
    derive: z.string().min(1).optional(),
    stale_after: durationField.optional(),
    source: source.optional(),
  });
  const gate = object({ id: slug, text: z.string().min(1), check: condition.optional() });
  const upgrade = object({
    when: condition,
    for: durationField.optional(),
    clear_when: condition.optional(),
    severity: severity.optional(),
    message: z.string().optional(),
  });
  const users = z
    .union([z.tuple([amount]), z.tuple([amount, amount.nullable()])], {
      error: 'expected a band such as [500, 2000] or [100000]',
    })
    .transform(([min, max]) => ({ min, ...(max === null || max === undefined ? {} : { max }) }));
  const stage = object({
    id: slug,
    name: z.string().min(1),
    users: users.optional(),
    budget: object({ min: amount.optional(), max: amount.optional() }).optional(),
    goal: z.string().optional(),
    actions: z.array(z.string()).optional(),
    gates: z.array(gate).optional(),
    upgrade: upgrade.optional(),
  });
  const alert = object({
    id: slug,
    when: condition,
    for: durationField.optional(),
    clear_when: condition.optional(),
    severity: severity.optional(),
    message: z.string().optional(),
  });
  const target = object({
    id: slug,
    when: condition,
    by: z
      .union([z.string(), z.date()])
      .transform((by) => (by instanceof Date ? by.toISOString().slice(0, 10) : by))
      .refine(
        (by) => /^month\s+\d+$/i.test(by) || isCalendarDate(by),
        'expected an ISO date (2026-03-31) or "month N"',
      )
      .optional(),
  });
  const header = object({
    id: slug,
    name: z.string().min(1),
    timezone: z
      .string()
      .refine(timezoneValid, 'expected an IANA timezone such as America/New_York')
      .default('UTC'),
    start: z.union([isoDate, z.date().transform((d) => d.toISOString().slice(0, 10))]).optional(),
    approaching: z
      .number()
      .min(0)
      .max(1, 'expected a share between 0 and 1, such as 0.8')
      .default(0.8),
    forecast_window: durationField.optional(),
    users_metric: z.string().optional(),
    metrics: z.record(z.string(), z.unknown(), {
      error: 'expected a map of metric name to { unit, label }',
    }),
    stages: z
      .array(z.unknown(), { error: 'expected a list of stages' })
      .min(1, 'expected at least one stage'),
    alerts: z.array(z.unknown(), { error: 'expected a list of alerts' }).optional(),
    targets: z.array(z.unknown(), { error: 'expected a list of targets' }).optional(),
  });
  return {
    header,
    metricName: z
      .string()
      .regex(METRIC_NAME, 'metric names are letters, digits and _ (they appear in conditions)'),
    metric,
    stage,
    alert,
    target,
  };
}

type Schemas = ReturnType<typeof roadmapSchemas>;
export type HeaderFile = z.output<Schemas['header']>;
export type MetricFile = z.output<Schemas['metric']>;
export type StageFile = z.output<Schemas['stage']>;
export type AlertFile = z.output<Schemas['alert']>;
export type TargetFile = z.output<Schemas['target']>;
/** A whole file after validation; items that failed are left out (and reported). */
export interface RoadmapFile extends Omit<HeaderFile, 'metrics' | 'stages' | 'alerts' | 'targets'> {
  metrics: Record<string, MetricFile>;
  /** Refused items stay as holes (undefined), so later problems keep their own index. */
  stages: (StageFile | undefined)[];
  alerts: (AlertFile | undefined)[];
  targets: (TargetFile | undefined)[];
  /** Metrics declared but refused: conditions using them are not reported again. */
  refusedMetrics: Set<string>;
}
