import type { Condition } from '../condition/compile.js';
import type { Unit } from '../units.js';

/** A roadmap as the evaluator sees it: validated, conditions compiled, durations in ms. */
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
  /** The file it was loaded from, for messages. */
  file: string;
}

export type MetricSource =
  | { kind: 'sql'; sql: string; database: string; everyMs?: number; cron?: string }
  | { kind: 'prometheus'; query: string; url: string; everyMs?: number; cron?: string };

export interface MetricDef {
  name: string;
  unit: Unit;
  label: string;
  derive?: Condition;
  /** Older data counts as missing; null for flags, which hold until changed. */
  staleAfterMs: number | null;
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
export type AlertRule = Rule & { kind: 'alert' };

export interface Stage {
  id: string;
  name: string;
  index: number;
  users?: { min: number; max?: number };
  budget?: { min?: number; max?: number };
  goal?: string;
  actions: string[];
  gates: Gate[];
  upgrade?: Rule & { kind: 'upgrade' };
}

export interface Target {
  id: string;
  when: Condition;
  /** The deadline as written (`2026-03-31` or `month 3`). */
  by?: string;
  /** The instant the deadline passes: the end of the `by` day in the roadmap's timezone. */
  deadline?: Date;
}
