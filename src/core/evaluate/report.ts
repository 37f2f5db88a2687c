import { walk, type Aggregate } from '../condition/ast.js';
import type { Condition } from '../condition/compile.js';
import type {
  ComparisonResult,
  ConditionInputs,
  Truth,
  WindowAggregate,
} from '../condition/evaluate.js';
import { evaluateCondition, evaluateNumber } from '../condition/evaluate.js';
import type { Roadmap, Rule, Severity, Stage } from '../roadmap/model.js';
import type { Unit } from '../units.js';
import type { TransitionReason, TriggerMemory, TriggerState } from './transition.js';
import { nextTriggerState } from './transition.js';

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
  /** Collectors whose last runs failed: since when, and why. */
  collectorFailures?: ReadonlyMap<string, { since: Date; error: string }>;
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
 * evaluation in that stage (its trigger and gates, every alert and target, derived metrics);
 * without, in any stage. Windows of other stages are never read, and a 30-day window is the
 * costliest read of a status.
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
    ...roadmap.alerts.flatMap((a) => [a.when, a.clearWhen]),
    ...roadmap.targets.map((t) => t.when),
    ...[...roadmap.metrics.values()].map((m) => m.derive),
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
}

export interface TriggerReport {
  id: string;
  kind: 'upgrade' | 'alert';
  severity: Severity;
  state: TriggerState;
  reason: TransitionReason;
  /** The memory to keep for the next evaluation (the shell persists it). */
  memory: TriggerMemory;
  condition: string;
  message?: string;
  comparisons: ComparisonResult[];
  missing: string[];
}

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

export interface BudgetReport {
  min?: number;
  max?: number;
  cost?: number;
  state: 'under' | 'within' | 'over' | 'unknown';
}

export type TargetState = 'met' | 'open' | 'missed';
export interface TargetReport {
  id: string;
  state: TargetState;
  condition: string;
  by?: string;
  deadline?: Date;
  metAt?: Date;
  comparisons: ComparisonResult[];
  missing: string[];
}

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
  };
  next?: { id: string; name: string };
  stageCount: number;
  triggers: TriggerReport[];
  gates: GateReport[];
  budget?: BudgetReport;
  targets: TargetReport[];
  metrics: MetricReport[];
  stale: StaleReport[];
  collectors: CollectorReport[];
}

/** Fresh values: a point older than the metric's `stale_after` counts as no data. */
function freshInputs(
  roadmap: Roadmap,
  snapshot: Snapshot,
  now: Date,
): ConditionInputs & { derived: Map<string, number | undefined> } {
  const fresh = (name: string): number | undefined => {
    const point = snapshot.latest.get(name);
    const def = roadmap.metrics.get(name);
    if (!point || !def) return undefined;
    if (def.staleAfterMs !== null && now.getTime() - point.at.getTime() > def.staleAfterMs)
      return undefined;
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

function evaluateRule(
  rule: Rule,
  inputs: ConditionInputs,
  roadmap: Roadmap,
  prev: TriggerMemory | undefined,
  now: Date,
): TriggerReport {
  const result = evaluateCondition(rule.when, inputs, roadmap.approaching);
  const clears = rule.clearWhen
    ? evaluateCondition(rule.clearWhen, inputs, roadmap.approaching).holds
    : undefined;
  const { memory, reason } = nextTriggerState(
    prev,
    {
      holds: result.holds,
      approaching: result.approaching,
      hasClearWhen: rule.clearWhen !== undefined,
      ...(clears !== undefined ? { clears } : {}),
      forMs: rule.forMs,
    },
    now,
  );
  return {
    id: rule.id,
    kind: rule.kind,
    severity: rule.severity,
    state: memory.state,
    reason,
    memory,
    condition: rule.when.text,
    ...(rule.message ? { message: rule.message } : {}),
    comparisons: result.comparisons,
    missing: result.missing,
  };
}

function budgetOf(
  stage: Stage,
  inputs: ConditionInputs,
  roadmap: Roadmap,
): BudgetReport | undefined {
  if (!stage.budget) return undefined;
  const cost = roadmap.metrics.has('infra_cost') ? inputs.value('infra_cost') : undefined;
  const { min, max } = stage.budget;
  const state: BudgetReport['state'] =
    cost === undefined
      ? 'unknown'
      : min !== undefined && cost < min
        ? 'under'
        : max !== undefined && cost > max
          ? 'over'
          : 'within';
  return {
    ...(min !== undefined ? { min } : {}),
    ...(max !== undefined ? { max } : {}),
    ...(cost !== undefined ? { cost } : {}),
    state,
  };
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

  const rules: Rule[] = [...(stage.upgrade ? [stage.upgrade] : []), ...roadmap.alerts];
  const triggers = rules.map((rule) =>
    evaluateRule(rule, inputs, roadmap, state.triggers.get(rule.id), now),
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

  const targets: TargetReport[] = roadmap.targets.map((target) => {
    const result = evaluateCondition(target.when, inputs, roadmap.approaching);
    const metAt = state.targetsMet.get(target.id) ?? (result.holds === true ? now : undefined);
    const targetState: TargetState = metAt
      ? 'met'
      : target.deadline && now >= target.deadline
        ? 'missed'
        : 'open';
    return {
      id: target.id,
      state: targetState,
      condition: target.when.text,
      ...(target.by ? { by: target.by } : {}),
      ...(target.deadline ? { deadline: target.deadline } : {}),
      ...(metAt ? { metAt } : {}),
      comparisons: result.comparisons,
      missing: result.missing,
    };
  });

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
    };
  });
  const stale: StaleReport[] = metrics
    .filter((m) => (!m.derived && m.value === undefined) || m.stale)
    .map((m) => ({
      metric: m.name,
      ...(m.at ? { lastAt: m.at } : {}),
      reason: m.at ? 'stale' : 'missing',
    }));

  const budget = budgetOf(stage, inputs, roadmap);
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
    },
    ...(next ? { next: { id: next.id, name: next.name } } : {}),
    stageCount: roadmap.stages.length,
    triggers,
    gates,
    ...(budget ? { budget } : {}),
    targets,
    metrics,
    stale,
    collectors: [...(state.collectorFailures ?? new Map())].map(([metric, f]) => ({
      metric,
      failingSince: f.since,
      error: f.error,
    })),
  };
}
