import type { Truth } from '../condition/evaluate.js';

/** The states a trigger reports (docs/ROADMAP_FORMAT.md, "States a trigger reports"). */
export type TriggerState = 'ok' | 'approaching' | 'pending' | 'firing' | 'resolved' | 'unknown';

/** What is remembered of a trigger between evaluations (persisted by the shell). */
export interface TriggerMemory {
  state: TriggerState;
  /** When the current state was entered. */
  since: Date;
  /** When the condition started holding (the start of `for`); kept through `unknown`. */
  activeSince?: Date;
  /** When it started firing; set for the whole episode, kept through `unknown`. */
  firingSince?: Date;
}

/** Why a trigger is in its state: goes to logs and the audit trail, like Alertmanager's reasons. */
export type TransitionReason =
  | 'condition-false'
  | 'approaching'
  | 'for-not-elapsed'
  | 'for-elapsed'
  | 'still-firing'
  | 'clear-condition-not-met'
  | 'cleared'
  | 'no-data';

export interface TransitionInput {
  holds: Truth;
  approaching: boolean;
  /** The `clear_when` condition's truth, when the rule has one. */
  clears?: Truth;
  hasClearWhen: boolean;
  forMs: number;
}

export interface Transition {
  memory: TriggerMemory;
  reason: TransitionReason;
}

/**
 * The next state of a trigger, like a Prometheus rule: pending while `for` runs, firing
 * after, resolved once it stops holding (or once `clear_when` holds, when given). Pure:
 * the caller passes the clock's `now` and the previous memory.
 */
export function nextTriggerState(
  prev: TriggerMemory | undefined,
  input: TransitionInput,
  now: Date,
): Transition {
  const enter = (state: TriggerState, extra: Partial<TriggerMemory> = {}): TriggerMemory => ({
    state,
    since: prev?.state === state ? prev.since : now,
    ...extra,
  });
  const firingSince = prev?.firingSince;

  if (input.holds === 'unknown') {
    // Missing data never resolves or fires anything: keep the episode, report unknown.
    return {
      memory: enter('unknown', {
        ...(prev?.activeSince ? { activeSince: prev.activeSince } : {}),
        ...(firingSince ? { firingSince } : {}),
      }),
      reason: 'no-data',
    };
  }

  if (input.holds) {
    const activeSince = prev?.activeSince ?? now;
    if (firingSince)
      return { memory: enter('firing', { activeSince, firingSince }), reason: 'still-firing' };
    if (now.getTime() - activeSince.getTime() >= input.forMs) {
      return { memory: enter('firing', { activeSince, firingSince: now }), reason: 'for-elapsed' };
    }
    return { memory: enter('pending', { activeSince }), reason: 'for-not-elapsed' };
  }

  if (firingSince) {
    // Hysteresis: with clear_when, a firing trigger stays firing until that condition holds.
    if (input.hasClearWhen && input.clears !== true) {
      return {
        memory: enter('firing', {
          firingSince,
          ...(prev?.activeSince ? { activeSince: prev.activeSince } : {}),
        }),
        reason: 'clear-condition-not-met',
      };
    }
    return { memory: enter('resolved'), reason: 'cleared' };
  }
  return input.approaching
    ? { memory: enter('approaching'), reason: 'approaching' }
    : { memory: enter('ok'), reason: 'condition-false' };
}
