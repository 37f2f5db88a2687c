import { addCadence } from '../calendar/period.js';
import type { ConditionInputs } from '../condition/evaluate.js';
import { evaluateNumber } from '../condition/evaluate.js';
import type { Amount, StaleRule } from './model.js';

/**
 * Small pure rules the model keeps as data, computed the same way wherever they are applied.
 */

/** The instant a point recorded at `newest` becomes stale; null when it never does (flags). */
export function staleAt(rule: StaleRule, newest: Date, zone: string): Date | null {
  switch (rule.kind) {
    case 'never':
      return null;
    case 'after':
      return new Date(newest.getTime() + rule.ms);
    case 'review':
      return new Date(addCadence(newest, rule.cadence, zone).getTime() + rule.graceMs);
  }
}

/** An amount's value now: fixed, or its expression over the metrics' latest values (undefined without data). */
export function amountValue(amount: Amount, inputs: ConditionInputs): number | undefined {
  if (amount.kind === 'fixed') return amount.value;
  const value = evaluateNumber(amount.expr, inputs);
  return value !== undefined && Number.isFinite(value) ? value : undefined;
}
