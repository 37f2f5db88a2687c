import { z } from 'zod';
import {
  CADENCES,
  isCalendarDate,
  parsePeriod,
  PERIOD_EXAMPLES,
  periodText,
} from '../calendar/period.js';
import { parseDurationLiteral, parseNumberLiteral } from '../condition/parse.js';
import { MAX_WINDOW_MS } from '../condition/compile.js';
import { UNITS } from '../units.js';

/** The shape of a roadmap file (docs/ROADMAP_FORMAT.md), before conditions are compiled. */

const SLUG = /^[a-z0-9][a-z0-9_-]*$/;
const slug = z
  .string({ error: 'expected an id: a slug such as tier-1 (lowercase letters, digits, "-", "_")' })
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

/** A date the header takes (`start`): an ISO date; YAML 1.1 timestamps read as their UTC day. */
const isoDate = z.string().refine(isCalendarDate, 'expected an ISO date such as 2026-01-01');

/**
 * A period (docs: "Literals and periods"): an ISO date, `month N`, `2026-Q2`…; parsed here,
 * placed on the timeline by the loader (relative periods need `start`).
 */
export const periodField = z
  .union([z.string(), z.date()], { error: `expected a date or period such as ${PERIOD_EXAMPLES}` })
  .transform((raw, ctx) => {
    const parsed = parsePeriod(raw);
    if (!parsed.ok) {
      ctx.addIssue({ code: 'custom', message: parsed.error });
      return z.NEVER;
    }
    // The text as written stays what messages and `status --json` show (`by: month 3`).
    return { period: parsed.period, text: raw instanceof Date ? periodText(parsed.period) : raw };
  });

/**
 * A number, or a literal that needs the unit of the metric it belongs to (`500MB`, `10k`,
 * `$25`): kept as written and converted by the loader.
 */
const literal = z.union([z.number(), z.string()], {
  error: 'expected a number such as 500, or a literal such as 10k, $5k, 500MB or 2s',
});

/** A budget bound: a number, a money literal or an expression over metrics, compiled by the loader. */
const bound = z.union([z.number(), z.string().min(1)], {
  error:
    'expected a number, a money literal such as $5k, or an expression such as "0.25 * active_users"',
});

/** A share written `10%` or `0.1` (0 to 1). */
const share = z.union([z.number(), z.string()]).transform((raw, ctx) => {
  const text = typeof raw === 'string' ? raw.trim() : '';
  const value =
    typeof raw === 'number'
      ? raw
      : /^\d+(\.\d+)?%$/.test(text)
        ? Number(text.slice(0, -1)) / 100
        : Number.NaN;
  if (!Number.isFinite(value) || value < 0 || value > 1) {
    ctx.addIssue({
      code: 'custom',
      message: `expected a share such as 10% or 0.1 (0% to 100%), got ${JSON.stringify(raw)}`,
    });
    return z.NEVER;
  }
  return value;
});

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
  const list = (what: string) => z.array(z.unknown(), { error: `expected a list of ${what}` });
  const metricRef = z.string({ error: 'expected a metric name' }).min(1, 'expected a metric name');
  const metric = object({
    unit: z.enum(UNITS, { error: `expected a unit: one of ${UNITS.join(', ')}` }),
    label: z.string().optional(),
    derive: z.string().min(1).optional(),
    stale_after: durationField.optional(),
    review: z
      .enum(CADENCES, { error: `expected a review cadence: one of ${CADENCES.join(', ')}` })
      .optional(),
    source: source.optional(),
  });
  const gate = object({
    id: slug,
    text: text('the text of the gate'),
    check: condition.optional(),
  });
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
  // Lists and maps of objects are checked item by item (one bad item does not hide the
  // others' problems): here they are only lists, see ./load.ts validate().
  const stage = object({
    id: slug,
    name: text('a name'),
    users: users.optional(),
    budget: z
      .record(z.string(), z.unknown(), {
        error: 'expected { min, max } or a map of budget lines such as infra: { max: 5000 }',
      })
      .optional(),
    goal: z.string().optional(),
    actions: list('actions: texts or { id, text, when?, by? }').optional(),
    gates: list('gates').optional(),
    upgrade: upgrade.optional(),
    planned: object(
      { from: periodField.optional(), to: periodField.optional() },
      { error: 'expected { from, to } such as { from: month 4, to: month 6 }' },
    ).optional(),
    team: list('roles such as { role: Support rep, count: 2, cost: 3000 }').optional(),
  });
  /** The v1 `budget: { min, max }` (USD per month, compared with infra_cost). */
  const budgetV1 = object({ min: amount.optional(), max: amount.optional() });
  const budgetLine = object(
    {
      min: bound.optional(),
      max: bound.optional(),
      ramp: z
        .tuple([literal, literal], { error: 'expected [from, to] such as [500, 1500]' })
        .optional(),
      metric: metricRef.optional(),
      per: z.enum(['month', 'year', 'once'], { error: 'expected month, year or once' }).optional(),
    },
    { error: 'expected a budget line such as { max: 5000, metric: infra_cost }' },
  );
  const todo = object({
    id: slug.optional(),
    text: z.string({ error: 'expected the text of the action' }).min(1),
    when: condition.optional(),
    by: periodField.optional(),
  });
  const role = object({
    role: z.string({ error: 'expected the role, such as Support rep' }).min(1),
    count: z
      .number({ error: 'expected a number of people such as 2' })
      .positive('expected a number of people above 0'),
    cost: amount.optional(),
    metric: metricRef.optional(),
    when: condition.optional(),
  });
  const alert = object({
    id: slug,
    when: condition,
    for: durationField.optional(),
    clear_when: condition.optional(),
    severity: severity.optional(),
    message: z.string().optional(),
    stages: z
      .array(z.string({ error: 'expected a stage id' }), {
        error: 'expected a list of stage ids such as [tier1, tier2]',
      })
      .min(1, 'expected at least one stage id (leave `stages` out to watch it in every stage)')
      .optional(),
  });
  const target = object({
    id: slug,
    when: condition,
    by: periodField.optional(),
    keep: z.boolean({ error: 'expected true or false' }).optional(),
  });
  const track = object({
    id: slug,
    name: text('a name'),
    severity: severity.optional(),
    steps: list('steps such as { id: pro, name: Pro, when: active_users >= 50 }').min(
      1,
      'expected at least one step',
    ),
  });
  const step = object({
    id: slug,
    name: text('a name'),
    when: condition.optional(),
    capacity: z
      .record(z.string(), literal, {
        error: 'expected a map of metric to limit, such as { db_size: 500MB }',
      })
      .optional(),
    cost: amount.optional(),
  });
  const plan = object({
    metric: metricRef,
    by: metricRef.optional(),
    tolerance: share.optional(),
    points: list('points such as { at: month 3, value: 10k }')
      .min(1, 'expected at least one point')
      .optional(),
    scenarios: z
      .record(z.string(), z.unknown(), {
        error:
          'expected a map of scenario name to points, such as conservative: [{ at: year 1, value: 5000 }]',
      })
      .optional(),
  }).superRefine((p, ctx) => {
    if ((p.points === undefined) === (p.scenarios === undefined))
      ctx.addIssue({
        code: 'custom',
        message: 'expected either `points` or `scenarios` (not both, not neither)',
      });
    else if (p.scenarios !== undefined && Object.keys(p.scenarios).length === 0)
      ctx.addIssue({
        code: 'custom',
        path: ['scenarios'],
        message: 'expected at least one scenario',
      });
  });
  const point = object(
    {
      at: z.union([z.number(), z.string(), z.date()], {
        error:
          'expected `at`: a period such as month 3 (a plan by time) or a value of the `by` metric',
      }),
      value: z.union([literal, z.tuple([literal, literal])], {
        error: 'expected `value`: a number such as 10k or a range such as [40k, 50k]',
      }),
    },
    { error: 'expected a point such as { at: month 3, value: 10k }' },
  );
  const header = object({
    id: slug,
    name: text('a name'),
    timezone: z
      .string()
      .refine(timezoneValid, 'expected an IANA timezone such as America/New_York')
      .default('UTC'),
    // A calendar quarter (`2026-Q1`) starts on its first day; relative periods count from here.
    start: z
      .union([
        z
          .string()
          .regex(/^\d{4}-Q[1-4]$/i)
          .transform(
            (q) => `${q.slice(0, 4)}-${String((Number(q[6]) - 1) * 3 + 1).padStart(2, '0')}-01`,
          ),
        isoDate,
        z.date().transform((d) => d.toISOString().slice(0, 10)),
      ])
      .optional(),
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
    tracks: list('tracks such as { id: database, name: Database, steps: [...] }').optional(),
    plan: list('plans such as { metric: mrr, points: [...] }').optional(),
  });
  return {
    header,
    metricName: z
      .string()
      .regex(METRIC_NAME, 'metric names are letters, digits and _ (they appear in conditions)'),
    metric,
    stage,
    gate,
    budgetV1,
    budgetLine,
    todo,
    role,
    alert,
    target,
    track,
    step,
    plan,
    point,
  };
}

type Schemas = ReturnType<typeof roadmapSchemas>;
type Out<K extends keyof Schemas> = z.output<Schemas[K]>;
export type HeaderFile = Out<'header'>;
export type MetricFile = Out<'metric'>;
export type GateFile = Out<'gate'>;
export type BudgetLineFile = Out<'budgetLine'>;
export type TodoFile = Out<'todo'>;
export type RoleFile = Out<'role'>;
export type AlertFile = Out<'alert'>;
export type TargetFile = Out<'target'>;
export type PointFile = Out<'point'>;

/** Refused items stay as holes (undefined), so later problems keep their own index. */
type Holes<T> = (T | undefined)[];

export interface StageFile extends Omit<Out<'stage'>, 'budget' | 'actions' | 'gates' | 'team'> {
  budget?:
    | ({ form: 'v1' } & Out<'budgetV1'>)
    | { form: 'lines'; lines: { id: string; line: BudgetLineFile | undefined }[] };
  /** Text items as strings; objects checked as to-dos. */
  actions: Holes<string | TodoFile>;
  gates: Holes<GateFile>;
  team: Holes<RoleFile>;
}
export interface TrackFile extends Omit<Out<'track'>, 'steps'> {
  steps: Holes<Out<'step'>>;
}
export interface PlanFile extends Omit<Out<'plan'>, 'points' | 'scenarios'> {
  /** `points` as one scenario without a name, or the named scenarios in file order. */
  scenarios: { name?: string; path: (string | number)[]; points: Holes<PointFile> }[];
}

/** A whole file after validation; items that failed are left out (and reported). */
export interface RoadmapFile extends Omit<
  HeaderFile,
  'metrics' | 'stages' | 'alerts' | 'targets' | 'tracks' | 'plan'
> {
  metrics: Record<string, MetricFile>;
  stages: Holes<StageFile>;
  alerts: Holes<AlertFile>;
  targets: Holes<TargetFile>;
  tracks: Holes<TrackFile>;
  plans: Holes<PlanFile>;
  /** Metrics declared but refused: conditions using them are not reported again. */
  refusedMetrics: Set<string>;
}
