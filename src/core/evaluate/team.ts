/**
 * A stage's planned team (docs/ROADMAP_FORMAT.md, "`team`"): each role `later` while its `when`
 * does not hold (unknown counts as not holding, as for a track's steps), else `hired` or `short`
 * against its metric, or `planned` without one. Pure.
 */
import type { ConditionInputs } from '../condition/evaluate.js';
import { evaluateCondition } from '../condition/evaluate.js';
import type { Stage } from '../roadmap/model.js';

export type TeamRoleState = 'planned' | 'later' | 'hired' | 'short';

export interface TeamRoleReport {
  role: string;
  count: number;
  /** Monthly cost per person (usd), as written. */
  cost?: number;
  metric?: string;
  /** The metric's value (people on the role), when it has data. */
  value?: number;
  state: TeamRoleState;
}

export function evaluateTeam(
  stage: Stage,
  inputs: ConditionInputs,
  approaching: number,
): TeamRoleReport[] {
  return stage.team.map((role) => {
    const needed = !role.when || evaluateCondition(role.when, inputs, approaching).holds === true;
    const value = role.metric !== undefined ? inputs.value(role.metric) : undefined;
    // A needed role counted by a metric without data is `short`: nobody is known to be hired.
    const state: TeamRoleState = !needed
      ? 'later'
      : role.metric === undefined
        ? 'planned'
        : value !== undefined && value >= role.count
          ? 'hired'
          : 'short';
    return {
      role: role.role,
      count: role.count,
      ...(role.cost !== undefined ? { cost: role.cost } : {}),
      ...(role.metric !== undefined ? { metric: role.metric } : {}),
      ...(value !== undefined ? { value } : {}),
      state,
    };
  });
}
