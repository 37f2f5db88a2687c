import { z } from 'zod';
import { AGGREGATES } from '../../core/condition/ast.js';
import type { StatusJson } from '../../core/messages/status-json.js';
import { UNITS } from '../../core/units.js';

/**
 * The `status --json` document (src/core/messages/status-json*.ts; README "status --json" and
 * docs/ROADMAP_FORMAT.md "What `status --json` adds") as a zod schema, from which the OpenAPI
 * document's StatusDocument is generated. Every field is listed with its type, nullability and
 * enum; the published schema leaves objects open, because fields may be added (none renamed or
 * removed). The type check at the end fails when status-json*.ts and this schema part ways.
 */

const instant = z.iso.datetime().describe('ISO 8601, UTC');
const when = instant.nullable();
/** A value in the metric's unit (ms for latency, usd for money); null: no data. */
const value = z.number().nullable();
const id = z.string();

const COMPARE_OPS = ['>', '>=', '<', '<=', '==', '!='] as const;
const SEVERITIES = ['info', 'warning', 'critical'] as const;
const COMPARISON_STATES = ['met', 'approaching', 'ok', 'unknown'] as const;
const BUDGET_STATES = ['under', 'within', 'over', 'unknown', 'planned'] as const;
const PERS = ['month', 'year', 'once'] as const;

/** When a comparison will be reached (src/core/forecast/report.ts `forecastJson`). */
const forecast = {
  forecast: z
    .enum(['eta', 'reached', 'not-trending', 'not-enough-data'])
    .nullable()
    .describe('null when the comparison cannot be forecast (such as ==)'),
  eta: when,
  eta_low: when.describe('the 80% interval, with eta_high'),
  eta_high: when.describe('null when the interval is open'),
  model: z.enum(['linear', 'exponential']).nullable(),
};

const comparison = z.object({
  metric: z.string(),
  fn: z.enum(AGGREGATES).optional().describe('with an aggregate such as avg(m, 1d)'),
  window: z.string().optional().describe('the aggregate window as written, such as 1d'),
  op: z.enum(COMPARE_OPS),
  threshold: value,
  value,
  state: z.enum(COMPARISON_STATES),
  progress: z
    .number()
    .nullable()
    .describe('the share of the way from zero to the threshold; ≥ 1 once reached'),
  ...forecast,
});

const trigger = z.object({
  id: id.describe('<stage>.upgrade, an alert id, budget.<line> or <track>.upgrade|capacity'),
  kind: z.enum(['upgrade', 'alert', 'budget', 'track']),
  severity: z.enum(SEVERITIES),
  state: z.enum(['ok', 'approaching', 'pending', 'firing', 'resolved', 'unknown']),
  condition: z.string(),
  comparisons: z.array(comparison),
  missing: z.array(z.string()).describe('metrics the condition needs and has no fresh data for'),
});

const gate = z.object({
  id,
  text: z.string(),
  passed: z.boolean(),
  state: z.enum(['passed', 'open', 'unknown']),
  kind: z.enum(['check', 'manual']),
  by: z.string().nullable().describe('who ticked a manual gate'),
  at: when,
});

const budget = z
  .object({
    min: value,
    max: value,
    cost: value,
    state: z.enum(BUDGET_STATES).describe('planned only in a format v2 file'),
    lines: z.array(
      z.object({
        id,
        per: z.enum(PERS),
        min: value,
        max: value.describe('the bound as it evaluates now (a ramp where it stands)'),
        metric: z.string().nullable(),
        value,
        state: z.enum(BUDGET_STATES),
        over_eta: when.describe('when the metric is forecast to pass max; null when not or over'),
      }),
    ),
    totals: z.array(z.object({ per: z.enum(PERS), min: value, max: value, value })),
  })
  .nullable()
  .describe('the v1 fields min, max, cost, state first; null without budget or team');

const target = z.object({
  id,
  state: z.enum(['met', 'on_track', 'at_risk', 'missed', 'open', 'lapsed']),
  reason: z
    .enum([
      'met',
      'deadline-passed',
      'on-time',
      'late',
      'not-trending',
      'not-enough-data',
      'no-forecast',
    ])
    .optional()
    .describe('with forecasts (always through this API)'),
  eta: when.optional().describe('with forecasts: when every unmet part is forecast to hold'),
  by: z.string().nullable().describe('the deadline as written, such as month 3'),
  deadline: when,
  met_at: when,
  comparisons: z.array(
    z.object({
      metric: z.string(),
      op: z.enum(COMPARE_OPS),
      threshold: value,
      value,
      state: z.enum(COMPARISON_STATES),
      ...forecast,
    }),
  ),
  lapsed_since: when.describe('a kept target (keep: true) no longer holding; null otherwise'),
});

const track = z.object({
  id,
  name: z.string(),
  current: z.object({ id, since: when.describe('null: never moved (the first step)') }),
  due: z.object({ id }),
  steps: z.array(z.object({ id, name: z.string(), cost: value })),
  state: z.enum(['over_capacity', 'upgrade_due', 'approaching_capacity', 'unknown', 'ok']),
  capacity: z.array(
    z.object({
      metric: z.string(),
      limit: z.number(),
      value,
      progress: z.number().nullable(),
      state: z.enum(['ok', 'approaching', 'over', 'unknown']),
    }),
  ),
});

const action = z.object({
  id,
  text: z.string(),
  state: z.enum(['open', 'due', 'overdue', 'done']),
  due_at: when.describe('when it became due (latched)'),
  by: z.string().nullable().describe('the deadline as written, such as month 9'),
  deadline: when,
  done_by: z.string().nullable(),
  done_at: when,
});

const plan = z.object({
  metric: z.string(),
  by: z.string().nullable().describe('the metric a plan by metric reads its position from'),
  expected: value,
  low: value,
  high: value,
  value,
  delta_pct: z.number().int().nullable(),
  state: z.enum(['ahead', 'on_plan', 'behind', 'before_plan', 'unknown']),
  scenario: z.string().nullable().describe('the scenario nearest the actual value'),
});

export const StatusDocumentSchema = z
  .object({
    roadmap: z.object({ id, name: z.string() }),
    evaluated_at: instant,
    stage: z.object({
      id,
      name: z.string(),
      index: z.number().int().min(0),
      since: when.describe('null: never advanced (the first stage)'),
      planned: z
        .object({ from: when, to: when, state: z.enum(['early', 'on_time', 'late']) })
        .nullable()
        .describe('null without `planned`'),
    }),
    next_stage: z.object({ id, name: z.string() }).nullable(),
    triggers: z
      .array(trigger)
      .describe('the current stage upgrade, the alerts watched in it, budget and track triggers'),
    gates: z.array(gate),
    budget,
    team: z.array(
      z.object({
        role: z.string(),
        count: z.number(),
        cost: value.describe('per person per month'),
        metric: z.string().nullable(),
        value,
        state: z.enum(['planned', 'later', 'hired', 'short']),
      }),
    ),
    targets: z.array(target),
    metrics: z.array(
      z.object({
        name: z.string(),
        unit: z.enum(UNITS),
        value: value.describe('the newest value, even when stale'),
        at: when,
        stale: z.boolean(),
        review_due: z.boolean(),
      }),
    ),
    stale: z.array(
      z.object({ metric: z.string(), reason: z.enum(['stale', 'missing']), last_at: when }),
    ),
    collectors: z.array(
      z.object({ metric: z.string(), failing_since: instant, error: z.string() }),
    ),
    tracks: z.array(track),
    actions: z
      .array(action)
      .describe('the current stage to-dos (text-only actions are not listed)'),
    plan: z.array(plan),
  })
  .describe('the `roadmap status --json` document (see README); fields may be added');

/*
 * The schema and statusJson's type must describe the same document: each must be assignable to
 * the other, so a field added, renamed or retyped on one side alone fails the type-check.
 */
type Schema = z.output<typeof StatusDocumentSchema>;
type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const sameDocument: Same<StatusJson, Schema> = true;
void sameDocument;
