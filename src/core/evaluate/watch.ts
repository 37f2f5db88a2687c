import type { ConditionInputs } from '../condition/evaluate.js';
import { evaluateCondition } from '../condition/evaluate.js';
import type { Rule } from '../roadmap/model.js';
import type { TriggerKind, TriggerReport } from './trigger-report.js';
import type { TriggerMemory } from './transition.js';
import { nextTriggerState } from './transition.js';

/** A watched condition of any kind: a stage's upgrade, an alert, or one the evaluator builds (tracks). */
export type WatchedRule = Omit<Rule, 'kind'> & { kind: TriggerKind };

/**
 * Evaluates a watched rule at `now` and moves its trigger state on from `prev` (transition.ts).
 * Pure: the memory to keep comes back in the report for the shell to persist.
 */
export function watchRule(
  rule: WatchedRule,
  inputs: ConditionInputs,
  approaching: number,
  prev: TriggerMemory | undefined,
  now: Date,
): TriggerReport {
  const result = evaluateCondition(rule.when, inputs, approaching);
  const clears = rule.clearWhen
    ? evaluateCondition(rule.clearWhen, inputs, approaching).holds
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
