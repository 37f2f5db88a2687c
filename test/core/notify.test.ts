import { describe, expect, it } from 'vitest';
import { backoffDelay, DEFAULT_BACKOFF } from '../../src/core/alerts/backoff.js';
import { notificationsFor, type NotifyInput } from '../../src/core/alerts/notify.js';
import type { TriggerMemory } from '../../src/core/evaluate/transition.js';

const T0 = new Date('2026-03-01T12:00:00Z');
const at = (minutes: number) => new Date(T0.getTime() + minutes * 60_000);
const HOUR = 60;
const sub = { platform: 'slack' as const, channel: 'C1', minSeverity: 'info' as const };
const firing = (since: Date): TriggerMemory => ({
  state: 'firing',
  since,
  firingSince: since,
  activeSince: since,
});

interface Case {
  what: string;
  input: Partial<NotifyInput>;
  expect: string[];
}

// Each row: one situation, what goes out (as "kind key"). Repeat interval 4h throughout.
const cases: Case[] = [
  // A trigger fires for the first time: one notification per subscribed channel.
  {
    what: 'first firing',
    input: { next: firing(T0), episode: { id: 7, firedAt: T0 } },
    expect: ['firing alert:7:fired:slack:C1'],
  },
  // Still firing, repeat interval not yet elapsed: nothing.
  {
    what: 'still firing inside the interval',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0 },
      now: at(3 * HOUR),
    },
    expect: [],
  },
  // Still firing after 4h: repeat number 1, named so replicas agree.
  {
    what: 'repeat after the interval',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0 },
      now: at(4 * HOUR),
    },
    expect: ['repeat alert:7:repeat:1:slack:C1'],
  },
  // Later in the same interval the key is the same: the outbox sends it once.
  {
    what: 'same repeat later in the interval',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0 },
      now: at(5 * HOUR),
    },
    expect: ['repeat alert:7:repeat:1:slack:C1'],
  },
  // Acknowledged: no more repeats.
  {
    what: 'acknowledged',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0, acknowledgedAt: at(10) },
      now: at(9 * HOUR),
    },
    expect: [],
  },
  // Snoozed until later: no repeats until the snooze ends.
  {
    what: 'snoozed',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0, snoozedUntil: at(24 * HOUR) },
      now: at(9 * HOUR),
    },
    expect: [],
  },
  // Snooze over, still firing: repeats resume, numbered from firing.
  {
    what: 'snooze over',
    input: {
      prev: firing(T0),
      next: firing(T0),
      episode: { id: 7, firedAt: T0, snoozedUntil: at(24 * HOUR) },
      now: at(25 * HOUR),
    },
    expect: ['repeat alert:7:repeat:6:slack:C1'],
  },
  // Resolution: posted once.
  {
    what: 'resolved',
    input: {
      prev: firing(T0),
      next: { state: 'resolved', since: at(60) },
      episode: { id: 7, firedAt: T0 },
      now: at(60),
    },
    expect: ['resolved alert:7:resolved:slack:C1'],
  },
  // Pending never notifies.
  {
    what: 'pending',
    input: { next: { state: 'pending', since: T0, activeSince: T0 } },
    expect: [],
  },
  // Crossing into approaching: once, keyed by the moment of the crossing.
  {
    what: 'approaching',
    input: {
      prev: { state: 'ok', since: T0 },
      next: { state: 'approaching', since: at(5) },
      now: at(5),
    },
    expect: ['approaching approaching:r:t:2026-03-01T12:05:00.000Z:slack:C1'],
  },
  // Still approaching: nothing more for this crossing.
  {
    what: 'still approaching',
    input: {
      prev: { state: 'approaching', since: at(5) },
      next: { state: 'approaching', since: at(5) },
      now: at(50),
    },
    expect: [],
  },
  // Data stale mid-episode: unknown, no resolution and no repeat.
  {
    what: 'unknown mid-episode',
    input: {
      prev: firing(T0),
      next: { state: 'unknown', since: at(30), firingSince: T0 },
      episode: { id: 7, firedAt: T0 },
      now: at(9 * HOUR),
    },
    expect: [],
  },
  // Data back, still holding: the same episode continues (no second "firing").
  {
    what: 'back from unknown',
    input: {
      prev: { state: 'unknown', since: at(30), firingSince: T0 },
      next: firing(T0),
      episode: { id: 7, firedAt: T0 },
      now: at(60),
    },
    expect: [],
  },
];

describe('notificationsFor', () => {
  it.each(cases)('$what', ({ input, expect: expected }) => {
    const result = notificationsFor({
      roadmapId: 'r',
      trigger: { id: 't', severity: 'warning' },
      next: { state: 'ok', since: T0 },
      subscribers: [sub],
      now: T0,
      repeatIntervalMs: 4 * 3_600_000,
      ...input,
    });
    expect(result.map((n) => `${n.kind} ${n.key}`)).toEqual(expected);
  });

  it('sends to each subscribed channel whose minimum severity the trigger meets', () => {
    const result = notificationsFor({
      roadmapId: 'r',
      trigger: { id: 't', severity: 'warning' },
      next: firing(T0),
      episode: { id: 1, firedAt: T0 },
      subscribers: [
        sub,
        { platform: 'discord', channel: 'D1', minSeverity: 'warning' },
        { platform: 'slack', channel: 'PAGER', minSeverity: 'critical' },
      ],
      now: T0,
      repeatIntervalMs: 3_600_000,
    });
    expect(result.map((n) => `${n.destination.platform}:${n.destination.channel}`)).toEqual([
      'slack:C1',
      'discord:D1',
    ]);
  });
});

describe('backoffDelay', () => {
  const mid = () => 0.5; // no jitter
  it('doubles per attempt up to the cap', () => {
    expect([1, 2, 3, 4].map((a) => backoffDelay(a, DEFAULT_BACKOFF, mid))).toEqual([
      2000, 4000, 8000, 16000,
    ]);
    expect(backoffDelay(30, DEFAULT_BACKOFF, mid)).toBe(DEFAULT_BACKOFF.maxMs);
  });
  it('jitters within ±20% and never waits less than Retry-After', () => {
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 0)).toBe(1600);
    expect(backoffDelay(1, DEFAULT_BACKOFF, () => 1)).toBe(2400);
    expect(backoffDelay(1, DEFAULT_BACKOFF, mid, 30_000)).toBe(30_000);
  });
});
