import { describe, expect, it } from 'vitest';
import type { Forecast } from '../../src/core/forecast/forecast.js';
import {
  targetOutlook,
  type TargetOutlookInput,
  type TargetOutlookResult,
} from '../../src/core/forecast/targets.js';
import { NOW, daysAfter } from './support.js';

const deadline = daysAfter(30);
const etaIn = (days: number, high: number | null = days + 5, low = days - 5): Forecast => ({
  status: 'eta',
  eta: daysAfter(days),
  low: daysAfter(low),
  high: high === null ? null : daysAfter(high),
  model: 'linear',
  r2: 0.9,
});
const open = (forecast?: Forecast) => ({ state: 'ok' as const, ...(forecast ? { forecast } : {}) });
const met = { state: 'met' as const, forecast: { status: 'reached' } as Forecast };

describe('target states with forecasts', () => {
  const cases: {
    name: string;
    input: TargetOutlookInput;
    now?: Date;
    basis?: 'eta' | 'high';
    expected: TargetOutlookResult;
  }[] = [
    // Met once is met for good, even after the deadline and whatever the data says now.
    {
      name: 'met',
      input: { metAt: daysAfter(-3), deadline, comparisons: [open()] },
      now: daysAfter(40),
      expected: { state: 'met', reason: 'met' },
    },
    // The deadline passed without the target being met.
    {
      name: 'missed',
      input: { deadline, comparisons: [open(etaIn(1))] },
      now: deadline,
      expected: { state: 'missed', reason: 'deadline-passed' },
    },
    // `users >= 500 and mrr >= $5k`: users reached, MRR due in 20 days of 30.
    {
      name: 'on track: the unmet comparison is due before the deadline',
      input: { deadline, comparisons: [met, open(etaIn(20))] },
      expected: { state: 'on_track', reason: 'on-time', eta: daysAfter(20) },
    },
    // The target is met when the last of its comparisons is.
    {
      name: 'on track: the latest ETA is when the target will be met',
      input: { deadline, comparisons: [open(etaIn(12)), open(etaIn(25))] },
      expected: { state: 'on_track', reason: 'on-time', eta: daysAfter(25) },
    },
    {
      name: 'at risk: one comparison is due after the deadline',
      input: { deadline, comparisons: [open(etaIn(12)), open(etaIn(31))] },
      expected: { state: 'at_risk', reason: 'late', blocking: 1 },
    },
    {
      name: 'at risk: not trending toward it',
      input: {
        deadline,
        comparisons: [open({ status: 'not-trending', reason: 'receding' }), open(etaIn(3))],
      },
      expected: { state: 'at_risk', reason: 'not-trending', blocking: 0 },
    },
    {
      name: 'at risk: not enough data to tell',
      input: {
        deadline,
        comparisons: [
          open({ status: 'not-enough-data', points: 2, needed: 5, spanMs: 0, neededSpanMs: 3 }),
          open(etaIn(3)),
        ],
      },
      expected: { state: 'at_risk', reason: 'not-enough-data', blocking: 0 },
    },
    // A comparison no forecast can be made for (`==`, or no history fetched).
    {
      name: 'at risk: a comparison has no forecast',
      input: { deadline, comparisons: [open(etaIn(3)), open()] },
      expected: { state: 'at_risk', reason: 'no-forecast', blocking: 1 },
    },
    // Strict basis: the 80% interval's late end must be before the deadline.
    {
      name: 'strict: the interval ends after the deadline',
      basis: 'high',
      input: { deadline, comparisons: [open(etaIn(20, 33))] },
      expected: { state: 'at_risk', reason: 'late', blocking: 0 },
    },
    {
      name: 'strict: an open interval counts as late',
      basis: 'high',
      input: { deadline, comparisons: [open(etaIn(20, null))] },
      expected: { state: 'at_risk', reason: 'late', blocking: 0 },
    },
    {
      name: 'strict: the interval ends before the deadline',
      basis: 'high',
      input: { deadline, comparisons: [open(etaIn(20, 29))] },
      expected: { state: 'on_track', reason: 'on-time', eta: daysAfter(20) },
    },
    // No deadline: on track as long as it is heading there.
    {
      name: 'no deadline: any ETA is on track',
      input: { comparisons: [open(etaIn(400))] },
      expected: { state: 'on_track', reason: 'on-time', eta: daysAfter(400) },
    },
    {
      name: 'no deadline: not trending is at risk',
      input: { comparisons: [open({ status: 'not-trending', reason: 'flat' })] },
      expected: { state: 'at_risk', reason: 'not-trending', blocking: 0 },
    },
    // Every comparison holds but the target does not (a flag decides): nothing to forecast.
    {
      name: 'all comparisons met, target not met',
      input: { deadline, comparisons: [met] },
      expected: { state: 'at_risk', reason: 'no-forecast' },
    },
  ];

  it.each(cases)('$name', ({ input, now, basis, expected }) => {
    expect(targetOutlook(input, now ?? NOW, basis ? { basis } : {})).toEqual(expected);
  });
});
