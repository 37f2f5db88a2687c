/**
 * Dated targets (docs/ROADMAP_FORMAT.md, "Targets" and "Targets that must keep holding"). A
 * target is met once its condition first holds (the shell remembers when, `targetsMet`). A kept
 * target (`keep: true`) must go on holding after that: `met` while it does, `lapsed` from the
 * first evaluation it does not (the shell remembers since when, `targetsLapsed`), and unknown
 * data keeps whichever of the two it was. Pure.
 */
import type { ComparisonResult, ConditionInputs } from '../condition/evaluate.js';
import { evaluateCondition } from '../condition/evaluate.js';
import type { Target } from '../roadmap/model.js';

/** `lapsed`: a kept target, met before, whose condition no longer holds (v2). */
export type TargetState = 'met' | 'open' | 'missed' | 'lapsed';
export interface TargetReport {
  id: string;
  state: TargetState;
  condition: string;
  by?: string;
  deadline?: Date;
  metAt?: Date;
  /** v2 `keep: true`. */
  keep?: boolean;
  /** A lapsed kept target: since when (the shell remembers it as `targetsLapsed`). */
  lapsedSince?: Date;
  comparisons: ComparisonResult[];
  missing: string[];
}

/** What a target's state reads of RoadmapState (when each was first met, and lapsed). */
export interface TargetMemory {
  targetsMet: ReadonlyMap<string, Date>;
  targetsLapsed?: ReadonlyMap<string, Date>;
}

export function evaluateTarget(
  target: Target,
  inputs: ConditionInputs,
  approaching: number,
  state: TargetMemory,
  now: Date,
): TargetReport {
  const result = evaluateCondition(target.when, inputs, approaching);
  const metAt = state.targetsMet.get(target.id) ?? (result.holds === true ? now : undefined);
  let lapsedSince: Date | undefined;
  if (target.keep && metAt) {
    const remembered = state.targetsLapsed?.get(target.id);
    if (result.holds === false) lapsedSince = remembered ?? now;
    else if (result.holds === 'unknown') lapsedSince = remembered;
  }
  const targetState: TargetState = lapsedSince
    ? 'lapsed'
    : metAt
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
    ...(target.keep ? { keep: true } : {}),
    ...(lapsedSince ? { lapsedSince } : {}),
    comparisons: result.comparisons,
    missing: result.missing,
  };
}
