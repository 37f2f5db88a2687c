/**
 * Tracks (docs/ROADMAP_FORMAT.md, "Tracks: per-component ladders"): each track's current and
 * due step, the current step's capacity limits, the track's state, and its two watched triggers
 * `<track-id>.upgrade` and `<track-id>.capacity`. Pure: values, memory and `now` are passed in.
 */
import type { Expr } from '../condition/ast.js';
import type { Condition } from '../condition/compile.js';
import type { ComparisonState, ConditionInputs } from '../condition/evaluate.js';
import { evaluateCondition } from '../condition/evaluate.js';
import type { Roadmap, Track, TrackStep } from '../roadmap/model.js';
import type { TriggerReport } from './trigger-report.js';
import type { TriggerMemory } from './transition.js';
import { watchRule } from './watch.js';

export type CapacityState = 'ok' | 'approaching' | 'over' | 'unknown';

export interface CapacityReport {
  metric: string;
  /** In the metric's unit (`500MB` is 500000000). */
  limit: number;
  value?: number;
  /** value / limit, as a comparison's progress. */
  progress?: number;
  state: CapacityState;
}

/** The first that applies, in this order. */
export type TrackState =
  'over_capacity' | 'upgrade_due' | 'approaching_capacity' | 'unknown' | 'ok';

export interface TrackStepReport {
  id: string;
  name: string;
  /** usd per month. */
  cost?: number;
}

export interface TrackReport {
  id: string;
  name: string;
  /** The remembered step (the first until someone moves it); `since` when it was moved there. */
  current: { id: string; name: string; since?: Date };
  /** The last step whose `when` is true (unknown counts as not true), else the first. */
  due: { id: string; name: string };
  steps: TrackStepReport[];
  state: TrackState;
  /** The current step's limits. */
  capacity: CapacityReport[];
}

/** Each track's current step as remembered, by track id; a track not in it stands at its first step. */
export type TrackSteps = ReadonlyMap<string, { step: string; since: Date }>;

const CAPACITY_STATE: Record<ComparisonState, CapacityState> = {
  met: 'over',
  approaching: 'approaching',
  ok: 'ok',
  unknown: 'unknown',
};

/** A copy of `expr` with every span moved `by` characters on (it is placed inside a longer text). */
function shifted(expr: Expr, by: number): Expr {
  const span = { start: expr.span.start + by, end: expr.span.end + by };
  switch (expr.kind) {
    case 'or':
    case 'and':
      return { ...expr, span, items: expr.items.map((item) => shifted(item, by)) };
    case 'not':
    case 'neg':
      return { ...expr, span, expr: shifted(expr.expr, by) };
    case 'compare':
    case 'arith':
      return { ...expr, span, left: shifted(expr.left, by), right: shifted(expr.right, by) };
    default:
      return { ...expr, span };
  }
}

/**
 * `a or b or …` of compiled conditions, as one condition whose text is theirs joined with ` or `
 * (so each comparison still reads as written). Joining needs no parentheses: `or` binds loosest.
 */
export function anyOf(conditions: readonly Condition[]): Condition {
  if (conditions.length === 1) return conditions[0] as Condition;
  let text = '';
  const items: Expr[] = [];
  for (const condition of conditions) {
    if (text) text += ' or ';
    const expr = shifted(condition.expr, text.length);
    text += condition.text;
    items.push(...(expr.kind === 'or' ? expr.items : [expr]));
  }
  return {
    text,
    expr: { kind: 'or', items, span: { start: 0, end: text.length } },
    metrics: [...new Set(conditions.flatMap((c) => c.metrics))],
  };
}

/** `metric > limit or …` over a step's capacity: it holds once a metric is above its limit. */
export function capacityCondition(step: TrackStep): Condition | undefined {
  if (step.capacity.length === 0) return undefined;
  return anyOf(
    step.capacity.map(({ metric, limit }) => {
      const text = `${metric} > ${limit}`;
      const right = metric.length + 3;
      return {
        text,
        expr: {
          kind: 'compare',
          op: '>',
          left: { kind: 'metric', name: metric, span: { start: 0, end: metric.length } },
          right: {
            kind: 'number',
            value: limit,
            unit: 'plain',
            span: { start: right, end: text.length },
          },
          span: { start: 0, end: text.length },
        },
        metrics: [metric],
      };
    }),
  );
}

/** The step a track stands at: the remembered one if it still exists in the file, else the first. */
export function currentStep(track: Track, steps: TrackSteps | undefined): TrackStep {
  const remembered = steps?.get(track.id)?.step;
  return track.steps.find((s) => s.id === remembered) ?? (track.steps[0] as TrackStep);
}

function evaluateTrack(
  track: Track,
  roadmap: Roadmap,
  inputs: ConditionInputs,
  state: { trackSteps?: TrackSteps; triggers: ReadonlyMap<string, TriggerMemory> },
  now: Date,
): { track: TrackReport; triggers: TriggerReport[] } {
  const current = currentStep(track, state.trackSteps);
  const remembered = state.trackSteps?.get(track.id);
  let due = track.steps[0] as TrackStep;
  for (const step of track.steps) {
    if (step.when && evaluateCondition(step.when, inputs, roadmap.approaching).holds === true)
      due = step;
  }

  const triggers: TriggerReport[] = [];
  const later = track.steps.slice(current.index + 1);
  const next = later[0];
  if (next) {
    const id = `${track.id}.upgrade`;
    const when = anyOf(later.flatMap((s) => (s.when ? [s.when] : [])));
    triggers.push(
      watchRule(
        {
          id,
          kind: 'track',
          when,
          forMs: 0,
          severity: track.severity,
          message: `${track.name}: plan the move from ${current.name} to ${next.name}.`,
        },
        inputs,
        roadmap.approaching,
        state.triggers.get(id),
        now,
      ),
    );
  }

  let capacity: CapacityReport[] = [];
  const limits = capacityCondition(current);
  if (limits) {
    const id = `${track.id}.capacity`;
    const trigger = watchRule(
      {
        id,
        kind: 'track',
        when: limits,
        forMs: 0,
        severity: 'warning',
        message: `${track.name}: ${current.name} is near or over its capacity.`,
      },
      inputs,
      roadmap.approaching,
      state.triggers.get(id),
      now,
    );
    triggers.push(trigger);
    // One comparison per limit, in order: the trigger's view and the track's are the same numbers.
    capacity = current.capacity.map(({ metric, limit }, i) => {
      const c = trigger.comparisons[i];
      return {
        metric,
        limit,
        ...(c?.value !== undefined ? { value: c.value } : {}),
        ...(c?.progress !== undefined ? { progress: c.progress } : {}),
        state: c ? CAPACITY_STATE[c.state] : 'unknown',
      };
    });
  }

  const has = (s: CapacityState) => capacity.some((c) => c.state === s);
  const trackState: TrackState = has('over')
    ? 'over_capacity'
    : due.index > current.index
      ? 'upgrade_due'
      : has('approaching')
        ? 'approaching_capacity'
        : has('unknown')
          ? 'unknown'
          : 'ok';
  return {
    track: {
      id: track.id,
      name: track.name,
      current: {
        id: current.id,
        name: current.name,
        ...(remembered && remembered.step === current.id ? { since: remembered.since } : {}),
      },
      due: { id: due.id, name: due.name },
      steps: track.steps.map((s) => ({
        id: s.id,
        name: s.name,
        ...(s.cost !== undefined ? { cost: s.cost } : {}),
      })),
      state: trackState,
      capacity,
    },
    triggers,
  };
}

/** Every track of the roadmap, with the triggers they watch (`<id>.upgrade`, `<id>.capacity`). */
export function evaluateTracks(
  roadmap: Roadmap,
  inputs: ConditionInputs,
  state: { trackSteps?: TrackSteps; triggers: ReadonlyMap<string, TriggerMemory> },
  now: Date,
): { tracks: TrackReport[]; triggers: TriggerReport[] } {
  const results = roadmap.tracks.map((t) => evaluateTrack(t, roadmap, inputs, state, now));
  return {
    tracks: results.map((r) => r.track),
    triggers: results.flatMap((r) => r.triggers),
  };
}
