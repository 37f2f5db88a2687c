import type { Cadence } from '../calendar/period.js';
import type { Condition } from '../condition/compile.js';
import type { Unit } from '../units.js';

/**
 * A roadmap as the evaluator sees it: validated, conditions compiled, durations in ms, periods
 * resolved to instants in the roadmap's timezone. docs/ROADMAP_FORMAT.md is the contract; the
 * parts marked "v2" are its section "Version 2" and are optional (empty or absent in v1 files,
 * whose v1 fields keep exactly their v1 values).
 */
export interface Roadmap {
  id: string;
  name: string;
  timezone: string;
  /** ISO date (`2026-01-01`) the roadmap started, if given. */
  start?: string;
  approaching: number;
  /** How much history forecasts fit (`forecast_window`, default 28 days). */
  forecastWindowMs: number;
  /** The metric the stages' `users` bands describe (`users_metric`, default active_users). */
  usersMetric: string;
  metrics: Map<string, MetricDef>;
  stages: Stage[];
  alerts: AlertRule[];
  targets: Target[];
  /** v2 `tracks`: per-component ladders, in file order. Track ids never equal stage ids. */
  tracks: Track[];
  /** v2 `plan`: projections, in file order. */
  plans: Plan[];
  /** The file it was loaded from, for messages. */
  file: string;
}

export type MetricSource =
  | { kind: 'sql'; sql: string; database: string; everyMs?: number; cron?: string }
  | { kind: 'prometheus'; query: string; url: string; everyMs?: number; cron?: string };

/**
 * When a metric's newest point stops counting as data (docs: `stale_after`, `review`):
 * - `after`: older than `ms` (`stale_after`, or the default 7 days);
 * - `review` (v2, a `review` cadence and no `stale_after`): older than one calendar period of
 *   `cadence` in the roadmap's timezone plus `graceMs` (daily 1d, weekly 2d, monthly 7d,
 *   quarterly 14d); `staleAt()` in ./stale.ts computes the instant;
 * - `never`: flags, facts that hold until a person changes them.
 */
export type StaleRule =
  | { kind: 'after'; ms: number }
  | { kind: 'review'; cadence: Cadence; graceMs: number }
  | { kind: 'never' };

export interface MetricDef {
  name: string;
  unit: Unit;
  label: string;
  derive?: Condition;
  /**
   * Older data counts as missing; null for flags, which hold until changed. The v1 rule: for a
   * `review` metric without `stale_after` it is the longest span the review rule can reach
   * (a 31-day month + 7d, …), so an evaluator that knows only this field stays close; `stale`
   * is the exact rule.
   */
  staleAfterMs: number | null;
  /** The exact staleness rule (see StaleRule). */
  stale: StaleRule;
  /** v2 `review`: people update it on this cadence; it is *review due* one period after its newest point. */
  review?: Cadence;
  source?: MetricSource;
}

export interface Gate {
  id: string;
  text: string;
  check?: Condition;
}

/** A watched condition: a stage's upgrade trigger or a roadmap-wide alert. */
export interface Rule {
  /** `<stage-id>.upgrade` or the alert's id. */
  id: string;
  kind: 'upgrade' | 'alert';
  when: Condition;
  forMs: number;
  clearWhen?: Condition;
  severity: Severity;
  message?: string;
}

export type Severity = 'info' | 'warning' | 'critical';
export type AlertRule = Rule & {
  kind: 'alert';
  /** v2 `stages`: watched only while the current stage is one of these ids; absent: always. */
  stages?: string[];
};

/** A period placed on the timeline: as written (`month 4`) and the instant it stands for. */
export interface PeriodAt {
  text: string;
  at: Date;
}

export interface Stage {
  id: string;
  name: string;
  index: number;
  users?: { min: number; max?: number };
  /**
   * The v1 `budget: { min, max }` exactly as written (the v1 evaluator's fields); absent when
   * the stage has no budget or a map of lines (see `budgetLines`).
   */
  budget?: { min?: number; max?: number };
  goal?: string;
  /** The text of every action, in file order (text items and to-do objects alike). */
  actions: string[];
  gates: Gate[];
  upgrade?: Rule & { kind: 'upgrade' };
  /**
   * v2 `planned`: `from` is the start of its period, `to` the end of its period (the stage is
   * `early` before `from`, `late` after `to`). Absent without `planned`.
   */
  planned?: { from?: PeriodAt; to?: PeriodAt };
  /**
   * v2 budget lines, in file order: the map of lines, or a v1 `budget: { min, max }` as the one
   * line `infra` (`v1: true`). Empty without `budget`.
   */
  budgetLines: BudgetLine[];
  /** v2 `team`: planned roles, in file order. */
  team: TeamRole[];
  /** v2 actions with an `id`: to-dos people tick with `check <id>`, in file order. */
  todos: Todo[];
}

/** A bound, a ramp end or a plan value: a fixed amount, or arithmetic over metrics' latest values. */
export type Amount = { kind: 'fixed'; value: number } | { kind: 'expr'; expr: Condition };

export type BudgetPer = 'month' | 'year' | 'once';

export interface BudgetLine {
  /** The key in the file (`infra`, `ai_api`); its alert is `budget.<id>`. */
  id: string;
  /** The period the amounts cover (default `month`). */
  per: BudgetPer;
  /** Amounts in usd. A fixed `min` is never above a fixed `max` (the loader refuses it). */
  min?: Amount;
  max?: Amount;
  /**
   * `ramp: [from, to]` (usd): the maximum grows linearly from `from` at the stage's
   * `planned.from` to `to` at its `planned.to`, and holds its end values outside that span.
   * Present only when both `planned.from` and `planned.to` are (the loader refuses it
   * otherwise); never together with `max`.
   */
  ramp?: { from: number; to: number };
  /** The `usd` metric compared with the bounds; absent: the line is `planned` (shown, not compared). */
  metric?: string;
  /** The v1 `budget: { min, max }`: the line `infra` (metric `infra_cost` if declared); no alert. */
  v1: boolean;
  /**
   * Watched as the alert `budget.<id>` (warning; approaching at the roadmap's `approaching`
   * share of the max) and given a burn date: it has a `metric` and a `max` or `ramp`, and is
   * not a v1 budget.
   */
  watched: boolean;
}

export interface TeamRole {
  role: string;
  count: number;
  /** Monthly cost per person in usd; missing counts as 0. */
  cost?: number;
  /** `hired` when this metric reaches `count`, else `short` (when needed). */
  metric?: string;
  /** Needed only while this holds (`later` otherwise). */
  when?: Condition;
}

export interface Todo {
  id: string;
  text: string;
  /** `due` once this first holds while its stage is current (latched). */
  when?: Condition;
  /** `overdue` after the end of this period. */
  by?: PeriodAt;
}

export interface Track {
  id: string;
  name: string;
  index: number;
  /** Of its `<track-id>.upgrade` alert (default `info`); `<track-id>.capacity` is always `warning`. */
  severity: Severity;
  /** At least one. Only the first may have no `when`; ids are unique within the track. */
  steps: TrackStep[];
}

export interface TrackStep {
  id: string;
  name: string;
  index: number;
  /** Absent only on the first step. */
  when?: Condition;
  /** Limits while this is the current step, in each metric's unit (`500MB` is 5e8 bytes). */
  capacity: { metric: string; limit: number }[];
  /** usd per month, shown beside the step. */
  cost?: number;
}

export interface Plan {
  index: number;
  metric: string;
  /**
   * Absent: a plan by time, whose points' `at` are epoch milliseconds (the end of each
   * period). Present: a plan by this metric, whose points' `at` are values of it (in its unit).
   */
  by?: string;
  /** A share (0.1 for the default 10%): a single value v stands for [v × (1 − t), v × (1 + t)]. */
  tolerance: number;
  /** `points`: one scenario without a name; `scenarios`: each named, in file order. */
  scenarios: PlanScenario[];
}

export interface PlanScenario {
  name?: string;
  /** At least one; `at` strictly increasing. */
  points: PlanPoint[];
}

export interface PlanPoint {
  /** Epoch ms (a plan by time) or a value of the `by` metric. */
  at: number;
  /** As written: `month 3`, `1000`. */
  atText: string;
  /** In the plan metric's unit. A fixed range has low <= high (the loader refuses it otherwise). */
  value: { kind: 'single'; value: Amount } | { kind: 'range'; low: Amount; high: Amount };
}

export interface Target {
  id: string;
  when: Condition;
  /** The deadline as written (`2026-03-31`, `month 3`, `2026-Q2`). */
  by?: string;
  /** The instant the deadline passes: the end of the `by` period in the roadmap's timezone. */
  deadline?: Date;
  /** v2 `keep: true`: once met, it must keep holding (`met` while it does, else `lapsed`). */
  keep: boolean;
}
