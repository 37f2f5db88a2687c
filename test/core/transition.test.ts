import { describe, expect, it } from 'vitest';
import type { Truth } from '../../src/core/condition/evaluate.js';
import type {
  TransitionInput,
  TransitionReason,
  TriggerMemory,
  TriggerState,
} from '../../src/core/evaluate/transition.js';
import { nextTriggerState } from '../../src/core/evaluate/transition.js';

/** A fixed reference time: no real clock anywhere in this file. */
const T0 = Date.parse('2026-03-01T00:00:00Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
/** The moment `minutes` after T0. */
const at = (minutes: number): Date => new Date(T0 + minutes * MINUTE);

const input = (holds: Truth, extra: Partial<TransitionInput> = {}): TransitionInput => ({
  holds,
  approaching: false,
  hasClearWhen: false,
  forMs: 0,
  ...extra,
});

interface Case {
  /** The situation, in words. */
  name: string;
  prev: TriggerMemory | undefined;
  input: TransitionInput;
  now: Date;
  memory: TriggerMemory;
  reason: TransitionReason;
}

// In the style of Alertmanager's TestDedupStageNeedsUpdate: one row per situation.
const cases: Case[] = [
  {
    // First evaluation, condition false and nowhere near: ok from now.
    name: 'first look, false',
    prev: undefined,
    input: input(false),
    now: at(0),
    memory: { state: 'ok', since: at(0) },
    reason: 'condition-false',
  },
  {
    // First evaluation, false but a comparison is close to its threshold.
    name: 'first look, false but approaching',
    prev: undefined,
    input: input(false, { approaching: true }),
    now: at(0),
    memory: { state: 'approaching', since: at(0) },
    reason: 'approaching',
  },
  {
    // First evaluation with no data: unknown, nothing remembered of an episode.
    name: 'first look, no data',
    prev: undefined,
    input: input('unknown'),
    now: at(0),
    memory: { state: 'unknown', since: at(0) },
    reason: 'no-data',
  },
  {
    // No `for`: the trigger fires the moment its condition holds.
    name: 'no for, true: fires at once',
    prev: { state: 'ok', since: at(-30) },
    input: input(true),
    now: at(0),
    memory: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    reason: 'for-elapsed',
  },
  {
    // `for: 1h`, the condition has just started to hold: pending.
    name: 'for 1h, just started holding: pending',
    prev: { state: 'ok', since: at(-30) },
    input: input(true, { forMs: HOUR }),
    now: at(0),
    memory: { state: 'pending', since: at(0), activeSince: at(0) },
    reason: 'for-not-elapsed',
  },
  {
    // `for: 1h`, held for 59 minutes: still pending, since and activeSince unchanged.
    name: 'for 1h, 59m in: still pending',
    prev: { state: 'pending', since: at(0), activeSince: at(0) },
    input: input(true, { forMs: HOUR }),
    now: at(59),
    memory: { state: 'pending', since: at(0), activeSince: at(0) },
    reason: 'for-not-elapsed',
  },
  {
    // `for: 1h`, one millisecond short of the hour: still pending.
    name: 'for 1h, 1ms short: still pending',
    prev: { state: 'pending', since: at(0), activeSince: at(0) },
    input: input(true, { forMs: HOUR }),
    now: new Date(at(60).getTime() - 1),
    memory: { state: 'pending', since: at(0), activeSince: at(0) },
    reason: 'for-not-elapsed',
  },
  {
    // `for: 1h`, exactly one hour: fires (the boundary counts as elapsed).
    name: 'for 1h, exactly 1h: fires',
    prev: { state: 'pending', since: at(0), activeSince: at(0) },
    input: input(true, { forMs: HOUR }),
    now: at(60),
    memory: { state: 'firing', since: at(60), activeSince: at(0), firingSince: at(60) },
    reason: 'for-elapsed',
  },
  {
    // Pending, then the condition stops holding before `for` ran out: back to ok, timer dropped.
    name: 'pending, false before for elapsed: ok',
    prev: { state: 'pending', since: at(0), activeSince: at(0) },
    input: input(false, { forMs: HOUR }),
    now: at(30),
    memory: { state: 'ok', since: at(30) },
    reason: 'condition-false',
  },
  {
    // Pending, the data goes stale: unknown, but the `for` timer is kept.
    name: 'pending, no data: unknown keeping activeSince',
    prev: { state: 'pending', since: at(0), activeSince: at(0) },
    input: input('unknown', { forMs: HOUR }),
    now: at(30),
    memory: { state: 'unknown', since: at(30), activeSince: at(0) },
    reason: 'no-data',
  },
  {
    // Firing and still true: stays firing, since and firingSince unchanged.
    name: 'firing, still true',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(true),
    now: at(45),
    memory: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    reason: 'still-firing',
  },
  {
    // Firing, condition false, no clear_when: resolved, episode over.
    name: 'firing, false, no clear_when: resolved',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(false),
    now: at(45),
    memory: { state: 'resolved', since: at(45) },
    reason: 'cleared',
  },
  {
    // Firing, condition false but approaching, no clear_when: resolved wins over approaching.
    name: 'firing, false and approaching: resolved',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(false, { approaching: true }),
    now: at(45),
    memory: { state: 'resolved', since: at(45) },
    reason: 'cleared',
  },
  {
    // Hysteresis: firing, condition false, clear_when does not hold yet: keeps firing.
    name: 'firing, false, clear_when false: still firing',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(false, { hasClearWhen: true, clears: false }),
    now: at(45),
    memory: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    reason: 'clear-condition-not-met',
  },
  {
    // Hysteresis: clear_when has no data: never resolves on missing data, keeps firing.
    name: 'firing, false, clear_when unknown: still firing',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(false, { hasClearWhen: true, clears: 'unknown' }),
    now: at(45),
    memory: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    reason: 'clear-condition-not-met',
  },
  {
    // Hysteresis: clear_when holds: resolved.
    name: 'firing, false, clear_when true: resolved',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(false, { hasClearWhen: true, clears: true }),
    now: at(45),
    memory: { state: 'resolved', since: at(45) },
    reason: 'cleared',
  },
  {
    // Both the condition and clear_when hold (overlapping rules): the condition wins.
    name: 'firing, true and clear_when true: still firing',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input(true, { hasClearWhen: true, clears: true }),
    now: at(45),
    memory: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    reason: 'still-firing',
  },
  {
    // Resolved, then false again: resolved is reported once, then ok.
    name: 'resolved, false again: ok',
    prev: { state: 'resolved', since: at(45) },
    input: input(false),
    now: at(50),
    memory: { state: 'ok', since: at(50) },
    reason: 'condition-false',
  },
  {
    // Resolved, then false but approaching.
    name: 'resolved, false but approaching: approaching',
    prev: { state: 'resolved', since: at(45) },
    input: input(false, { approaching: true }),
    now: at(50),
    memory: { state: 'approaching', since: at(50) },
    reason: 'approaching',
  },
  {
    // Resolved, true again without `for`: a new episode fires at once with a new firingSince.
    name: 'resolved, true again: new episode',
    prev: { state: 'resolved', since: at(45) },
    input: input(true),
    now: at(50),
    memory: { state: 'firing', since: at(50), activeSince: at(50), firingSince: at(50) },
    reason: 'for-elapsed',
  },
  {
    // Resolved, true again with `for`: pending again from scratch.
    name: 'resolved, true again with for: pending',
    prev: { state: 'resolved', since: at(45) },
    input: input(true, { forMs: HOUR }),
    now: at(50),
    memory: { state: 'pending', since: at(50), activeSince: at(50) },
    reason: 'for-not-elapsed',
  },
  {
    // Data goes stale mid-episode: unknown, the episode (activeSince, firingSince) kept.
    name: 'firing, data stale: unknown keeping the episode',
    prev: { state: 'firing', since: at(0), activeSince: at(0), firingSince: at(0) },
    input: input('unknown'),
    now: at(45),
    memory: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    reason: 'no-data',
  },
  {
    // Still no data: unknown, since unchanged, episode still kept.
    name: 'unknown mid-episode, still no data',
    prev: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    input: input('unknown'),
    now: at(90),
    memory: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    reason: 'no-data',
  },
  {
    // Data returns and the condition holds: firing again with the same firingSince.
    name: 'unknown mid-episode, true again: same episode',
    prev: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    input: input(true, { forMs: HOUR }),
    now: at(90),
    memory: { state: 'firing', since: at(90), activeSince: at(0), firingSince: at(0) },
    reason: 'still-firing',
  },
  {
    // Data returns and the condition is false (no clear_when): the episode resolves.
    name: 'unknown mid-episode, false: resolved',
    prev: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    input: input(false),
    now: at(90),
    memory: { state: 'resolved', since: at(90) },
    reason: 'cleared',
  },
  {
    // Data returns false with clear_when not holding: the episode keeps firing.
    name: 'unknown mid-episode, false, clear_when false: firing',
    prev: { state: 'unknown', since: at(45), activeSince: at(0), firingSince: at(0) },
    input: input(false, { hasClearWhen: true, clears: false }),
    now: at(90),
    memory: { state: 'firing', since: at(90), activeSince: at(0), firingSince: at(0) },
    reason: 'clear-condition-not-met',
  },
  {
    // Unknown outside any episode, then false: plain ok (nothing to resolve).
    name: 'unknown without episode, false: ok',
    prev: { state: 'unknown', since: at(45) },
    input: input(false),
    now: at(90),
    memory: { state: 'ok', since: at(90) },
    reason: 'condition-false',
  },
  {
    // ok and still ok: since kept.
    name: 'ok, still false: since kept',
    prev: { state: 'ok', since: at(-600) },
    input: input(false),
    now: at(0),
    memory: { state: 'ok', since: at(-600) },
    reason: 'condition-false',
  },
  {
    // approaching and still approaching: since kept.
    name: 'approaching, still approaching: since kept',
    prev: { state: 'approaching', since: at(-600) },
    input: input(false, { approaching: true }),
    now: at(0),
    memory: { state: 'approaching', since: at(-600) },
    reason: 'approaching',
  },
  {
    // approaching, then it falls back: ok from now.
    name: 'approaching, falls back: ok',
    prev: { state: 'approaching', since: at(-600) },
    input: input(false),
    now: at(0),
    memory: { state: 'ok', since: at(0) },
    reason: 'condition-false',
  },
  {
    // approaching, then the condition holds with `for`: pending from now.
    name: 'approaching, then true with for: pending',
    prev: { state: 'approaching', since: at(-600) },
    input: input(true, { approaching: false, forMs: 10 * MINUTE }),
    now: at(0),
    memory: { state: 'pending', since: at(0), activeSince: at(0) },
    reason: 'for-not-elapsed',
  },
];

describe('nextTriggerState', () => {
  it.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const { memory, reason } = nextTriggerState(c.prev, c.input, c.now);
    expect({ reason, memory }).toEqual({ reason: c.reason, memory: c.memory });
  });

  it('does not modify the previous memory', () => {
    const prev: TriggerMemory = { state: 'pending', since: at(0), activeSince: at(0) };
    const copy = structuredClone(prev);
    nextTriggerState(prev, input(true, { forMs: HOUR }), at(60));
    expect(prev).toEqual(copy);
  });
});

/** Feeds each step's memory into the next, like the evaluator does between ticks. */
function run(steps: { minute: number; input: TransitionInput }[]) {
  let memory: TriggerMemory | undefined;
  return steps.map(({ minute, input: step }) => {
    const next = nextTriggerState(memory, step, at(minute));
    memory = next.memory;
    return {
      minute,
      state: next.memory.state,
      reason: next.reason,
      since: (next.memory.since.getTime() - T0) / MINUTE,
      firingSince: next.memory.firingSince
        ? (next.memory.firingSince.getTime() - T0) / MINUTE
        : undefined,
    };
  });
}

type Row = [
  minute: number,
  value: number | undefined,
  state: TriggerState,
  since: number,
  firingSince: number | undefined,
];

describe('trigger episodes over time', () => {
  // database_cpu around the 80% threshold; clear_when (when given) is database_cpu < 70%.
  const cpu = (value: number | undefined, clearWhen: boolean, forMs = 0): TransitionInput =>
    value === undefined
      ? input('unknown', {
          hasClearWhen: clearWhen,
          ...(clearWhen ? { clears: 'unknown' as const } : {}),
          forMs,
        })
      : input(value > 80, {
          approaching: value >= 64,
          hasClearWhen: clearWhen,
          ...(clearWhen ? { clears: value < 70 } : {}),
          forMs,
        });

  const check = (rows: Row[], clearWhen: boolean, forMs = 0) => {
    const got = run(
      rows.map(([minute, value]) => ({ minute, input: cpu(value, clearWhen, forMs) })),
    );
    expect(got.map((g) => [g.minute, g.state, g.since, g.firingSince])).toEqual(
      rows.map(([minute, , state, since, firing]) => [minute, state, since, firing]),
    );
  };

  it('flaps with the threshold when there is no clear_when', () => {
    check(
      [
        // minute, cpu, state, since, firingSince
        [0, 85, 'firing', 0, 0],
        [5, 79, 'resolved', 5, undefined],
        [10, 81, 'firing', 10, 10], // a new episode
        [15, 79, 'resolved', 15, undefined],
        [20, 79, 'approaching', 20, undefined],
        [25, 50, 'ok', 25, undefined],
        [30, 50, 'ok', 25, undefined],
      ],
      false,
    );
  });

  it('keeps firing through the flaps when clear_when gives hysteresis', () => {
    check(
      [
        [0, 85, 'firing', 0, 0],
        [5, 79, 'firing', 0, 0], // below 80 but not below 70: still the same episode
        [10, 81, 'firing', 0, 0],
        [15, 72, 'firing', 0, 0],
        [20, 69, 'resolved', 20, undefined], // clear_when holds
        [25, 69, 'approaching', 25, undefined],
        [30, 50, 'ok', 30, undefined],
      ],
      true,
    );
  });

  it('keeps the episode when data goes stale, with for: 10m', () => {
    check(
      [
        [0, 85, 'pending', 0, undefined],
        [5, 90, 'pending', 0, undefined],
        [10, 90, 'firing', 10, 10], // exactly 10 minutes
        [15, undefined, 'unknown', 15, 10], // stale: unknown, episode kept
        [20, undefined, 'unknown', 15, 10],
        [25, 90, 'firing', 25, 10], // back: same firingSince
        [30, 90, 'firing', 25, 10],
        [35, 60, 'resolved', 35, undefined],
      ],
      true,
      10 * MINUTE,
    );
  });
});
