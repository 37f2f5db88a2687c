import { walk, type Aggregate } from '../condition/ast.js';
import type { Condition } from '../condition/compile.js';
import type {
  ComparisonResult,
  ConditionInputs,
  Truth,
  WindowAggregate,
} from '../condition/evaluate.js';
import { evaluateCondition, evaluateNumber } from '../condition/evaluate.js';
import type { Roadmap, Rule, Stage } from '../roadmap/model.js';
import { staleAt } from '../roadmap/rules.js';
import type { Unit } from '../units.js';
import type { BudgetReport } from './budget.js';
import { budgetTriggers, evaluateBudget } from './budget.js';
import type { TargetReport } from './targets.js';
import { evaluateTarget } from './targets.js';
import type { TeamRoleReport } from './team.js';
import { evaluateTeam } from './team.js';
import type { StagePlannedReport } from './timeline.js';
import { reviewDue, stagePlanned } from './timeline.js';
import type { PlanReport } from './plans.js';
import { evaluatePlans } from './plans.js';
import { alertsWatchedIn, v2ConditionsRead } from './reads.js';
import type { TodoChecks, TodoReport } from './todos.js';
import { evaluateTodos } from './todos.js';
import type { TrackReport, TrackSteps } from './tracks.js';
import { evaluateTracks } from './tracks.js';
import type { TriggerMemory } from './transition.js';
import type { TriggerReport } from './trigger-report.js';
import { watchRule } from './watch.js';

/** A metric's newest point. */
export interface MetricPoint {
  value: number;
  at: Date;
}

/** The metric data an evaluation reads, fetched by the shell from what `dataNeeds` asks for. */
export interface Snapshot {
  latest: ReadonlyMap<string, MetricPoint>;
  windows: ReadonlyMap<string, WindowAggregate>;
}

/** What people did and what was remembered: stage, gate ticks, trigger memory, targets met. */
export interface RoadmapState {
  /** The current stage and since when; undefined means the first stage, never advanced. */
  stage?: { id: string; since: Date };
  gateChecks: ReadonlyMap<string, { passed: boolean; actor: string; at: Date }>;
  triggers: ReadonlyMap<string, TriggerMemory>;
  targetsMet: ReadonlyMap<string, Date>;
  /** Kept targets (`keep: true`) that lapsed after being met, and since when; absent: none. */
  targetsLapsed?: ReadonlyMap<string, Date>;
  /** Collectors whose last runs failed: since when, and why. */
  collectorFailures?: ReadonlyMap<string, { since: Date; error: string }>;
  /** v2: each track's current step and since when, by track id; a track not in it is at its first. */
  trackSteps?: TrackSteps;
  /** v2: the current stage's to-do ticks, by to-do id; absent: nothing ticked. */
  todoChecks?: TodoChecks;
  /** v2: when each of the current stage's to-dos became due (latched), by to-do id; absent: none. */
  todosDue?: ReadonlyMap<string, Date>;
}

export const windowKey = (metric: string, windowMs: number): string => `${metric}@${windowMs}`;

/**
 * A window an evaluation reads. `stats`: whether it needs count/avg/min/max/sum, which read
 * every point of the window; `change` and `last` need only its first and last points.
 */
export interface WindowNeed {
  metric: string;
  windowMs: number;
  stats: boolean;
}

const ENDPOINT_AGGREGATES: ReadonlySet<Aggregate> = new Set(['change', 'last']);

/**
 * Which recorded metrics and windows an evaluation of this roadmap reads: with `stage`, an
 * evaluation in that stage (its trigger and gates, the alerts watched in it, every target,
 * derived metric, track step and plan, its v2 to-dos, team and budget); without, in any stage.
 * Windows of other stages are never read, and a 30-day window is the costliest read of a status.
 */
export function dataNeeds(
  roadmap: Roadmap,
  stage?: Stage,
): { metrics: string[]; windows: WindowNeed[] } {
  const windows = new Map<string, WindowNeed>();
  for (const condition of conditionsRead(roadmap, stage)) {
    walk(condition.expr, (node) => {
      if (node.kind !== 'call' || node.windowMs === undefined) return;
      const key = windowKey(node.metric, node.windowMs);
      const need = windows.get(key) ?? {
        metric: node.metric,
        windowMs: node.windowMs,
        stats: false,
      };
      need.stats ||= !ENDPOINT_AGGREGATES.has(node.fn);
      windows.set(key, need);
    });
  }
  const recorded = [...roadmap.metrics.values()].filter((m) => !m.derive).map((m) => m.name);
  return { metrics: recorded, windows: [...windows.values()] };
}

/** Every condition an evaluation in `stage` (or in any stage) may evaluate. */
function conditionsRead(roadmap: Roadmap, stage?: Stage): Condition[] {
  const stages = stage ? [stage] : roadmap.stages;
  return [
    ...stages.flatMap((s) => [
      ...(s.upgrade ? [s.upgrade.when, s.upgrade.clearWhen] : []),
      ...s.gates.map((g) => g.check),
    ]),
    ...(stage ? alertsWatchedIn(roadmap, stage) : roadmap.alerts).flatMap((a) => [
      a.when,
      a.clearWhen,
    ]),
    ...roadmap.targets.map((t) => t.when),
    ...[...roadmap.metrics.values()].map((m) => m.derive),
    ...v2ConditionsRead(roadmap, stage),
  ].filter((c): c is Condition => c !== undefined);
}

export interface MetricReport {
  name: string;
  label: string;
  unit: Unit;
  value?: number;
  at?: Date;
  derived: boolean;
  stale: boolean;
  /** v2 `review`: one calendar period has passed since the newest point, or there is none. */
  reviewDue: boolean;
}

export type { TriggerKind, TriggerReport } from './trigger-report.js';

export interface GateReport {
  id: string;
  text: string;
  kind: 'check' | 'manual';
  passed: boolean;
  state: 'passed' | 'open' | 'unknown';
  by?: string;
  at?: Date;
  comparisons: ComparisonResult[];
}

export type { BudgetLineReport, BudgetReport, BudgetTotalReport } from './budget.js';
export type { TeamRoleReport } from './team.js';
export type { StagePlannedReport } from './timeline.js';

export type { TargetReport, TargetState } from './targets.js';

export interface CollectorReport {
  metric: string;
  failingSince: Date;
  error: string;
}

export interface StaleReport {
  metric: string;
  /** The newest point, if there ever was one. */
  lastAt?: Date;
  reason: 'stale' | 'missing';
}

/** Everything `status` shows, computed from roadmap + data + state at one instant. */
export interface Report {
  roadmap: { id: string; name: string; timezone: string };
  evaluatedAt: Date;
  stage: {
    id: string;
    name: string;
    index: number;
    since?: Date;
    users?: Stage['users'];
    goal?: string;
    /** v2 `planned`: early, on time or late; absent without `planned`. */
    planned?: StagePlannedReport;
  };
  next?: { id: string; name: string };
  stageCount: number;
  triggers: TriggerReport[];
  gates: GateReport[];
  budget?: BudgetReport;
  /** v2 `team` of the current stage. */
  team: TeamRoleReport[];
  targets: TargetReport[];
  metrics: MetricReport[];
  stale: StaleReport[];
  collectors: CollectorReport[];
  /** v2 `tracks`, in file order. */
  tracks: TrackReport[];
  /** v2 to-dos of the current stage (actions with an id; text-only actions are not listed). */
  actions: TodoReport[];
  /** v2 `plan`, in file order. */
  plans: PlanReport[];
}

/** Fresh values: a point past the metric's stale rule (`stale_after`, `review`) counts as no data. */
function freshInputs(
  roadmap: Roadmap,
  snapshot: Snapshot,
  now: Date,
): ConditionInputs & { derived: Map<string, number | undefined> } {
  const fresh = (name: string): number | undefined => {
    const point = snapshot.latest.get(name);
    const def = roadmap.metrics.get(name);
    if (!point || !def) return undefined;
    const until = staleAt(def.stale, point.at, roadmap.timezone);
    if (until !== null && now.getTime() > until.getTime()) return undefined;
    return point.value;
  };
  const derived = new Map<string, number | undefined>();
  const inputs: ConditionInputs & { derived: typeof derived } = {
    derived,
    value(name) {
      const def = roadmap.metrics.get(name);
      if (def?.derive) {
        if (!derived.has(name)) {
          derived.set(name, undefined); // guards against a cycle the loader would have refused
          const value = evaluateNumber(def.derive, inputs);
          derived.set(name, value !== undefined && Number.isFinite(value) ? value : undefined);
        }
        return derived.get(name);
      }
      return fresh(name);
    },
    window(name, windowMs) {
      return snapshot.windows.get(windowKey(name, windowMs));
    },
  };
  return inputs;
}

/** The current stage: the remembered one if it still exists in the file, else the first. */
export function currentStage(roadmap: Roadmap, state: Pick<RoadmapState, 'stage'>): Stage {
  return roadmap.stages.find((s) => s.id === state.stage?.id) ?? (roadmap.stages[0] as Stage);
}

const truthy = (t: Truth) => t === true;

/**
 * Evaluates a roadmap at `now`: the current stage, its upgrade trigger and every alert with
 * their states, gates, budget, targets, metric values and what is stale. Pure.
 */
export function evaluateRoadmap(
  roadmap: Roadmap,
  snapshot: Snapshot,
  state: RoadmapState,
  now: Date,
): Report {
  const inputs = freshInputs(roadmap, snapshot, now);
  const stage = currentStage(roadmap, state);
  const next = roadmap.stages[stage.index + 1];

  // An alert scoped to other stages (`stages`) is not watched, so absent from `triggers`.
  const rules: Rule[] = [
    ...(stage.upgrade ? [stage.upgrade] : []),
    ...alertsWatchedIn(roadmap, stage),
  ];
  const triggers = rules.map((rule) =>
    watchRule(rule, inputs, roadmap.approaching, state.triggers.get(rule.id), now),
  );

  const gates: GateReport[] = stage.gates.map((gate) => {
    if (gate.check) {
      const result = evaluateCondition(gate.check, inputs, roadmap.approaching);
      return {
        id: gate.id,
        text: gate.text,
        kind: 'check',
        passed: truthy(result.holds),
        state: result.holds === 'unknown' ? 'unknown' : result.holds ? 'passed' : 'open',
        comparisons: result.comparisons,
      };
    }
    const tick = state.gateChecks.get(gate.id);
    const passed = tick?.passed ?? false;
    return {
      id: gate.id,
      text: gate.text,
      kind: 'manual',
      passed,
      state: passed ? 'passed' : 'open',
      ...(tick ? { by: tick.actor, at: tick.at } : {}),
      comparisons: [],
    };
  });

  const targets: TargetReport[] = roadmap.targets.map((target) =>
    evaluateTarget(target, inputs, roadmap.approaching, state, now),
  );

  const metrics: MetricReport[] = [...roadmap.metrics.values()].map((def) => {
    const point = def.derive ? undefined : snapshot.latest.get(def.name);
    const value = inputs.value(def.name);
    return {
      name: def.name,
      label: def.label,
      unit: def.unit,
      ...(value !== undefined ? { value } : point ? { value: point.value } : {}),
      ...(point ? { at: point.at } : {}),
      derived: def.derive !== undefined,
      stale: point !== undefined && value === undefined,
      reviewDue: reviewDue(def, point?.at, roadmap.timezone, now),
    };
  });
  const stale: StaleReport[] = metrics
    .filter((m) => (!m.derived && m.value === undefined) || m.stale)
    .map((m) => ({
      metric: m.name,
      ...(m.at ? { lastAt: m.at } : {}),
      reason: m.at ? 'stale' : 'missing',
    }));

  const team = evaluateTeam(stage, inputs, roadmap.approaching);
  const budget = evaluateBudget(roadmap, stage, inputs, team, now);
  triggers.push(...budgetTriggers(roadmap, stage, budget, inputs, state.triggers, now));
  const tracks = evaluateTracks(roadmap, inputs, state, now);
  triggers.push(...tracks.triggers);
  const actions = evaluateTodos(stage, inputs, roadmap.approaching, state, now);
  const planned = stagePlanned(stage, now);
  return {
    roadmap: { id: roadmap.id, name: roadmap.name, timezone: roadmap.timezone },
    evaluatedAt: now,
    stage: {
      id: stage.id,
      name: stage.name,
      index: stage.index,
      ...(state.stage && state.stage.id === stage.id ? { since: state.stage.since } : {}),
      ...(stage.users ? { users: stage.users } : {}),
      ...(stage.goal ? { goal: stage.goal } : {}),
      ...(planned ? { planned } : {}),
    },
    ...(next ? { next: { id: next.id, name: next.name } } : {}),
    stageCount: roadmap.stages.length,
    triggers,
    gates,
    ...(budget ? { budget } : {}),
    team,
    targets,
    metrics,
    stale,
    collectors: [...(state.collectorFailures ?? new Map())].map(([metric, f]) => ({
      metric,
      failingSince: f.since,
      error: f.error,
    })),
    tracks: tracks.tracks,
    actions,
    plans: evaluatePlans(roadmap.plans, inputs, now),
  };
}
