import { describe, expect, it } from 'vitest';
import type { Delay } from '../../src/app/delay.js';
import {
  EvaluationQueue,
  writeEvaluationWait,
  type EvaluationEvent,
} from '../../src/app/evaluations.js';
import { readConfig } from '../../src/config.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';

/**
 * How long a write waits for its evaluation (#16): the debounce after a quiet spell, and under
 * a steady stream at least `spacingMs` between evaluations of one roadmap, so a stream of
 * pushes is not slowed by evaluating after each one. Real time is the test's own counter.
 */

const quiet = { running: false, lastMs: 0, lastStart: -Infinity, lastEnd: -Infinity };

describe('writeEvaluationWait', () => {
  it('waits only the debounce after a quiet spell', () => {
    expect(writeEvaluationWait(quiet, 5_000, 50, 250)).toBe(50);
    // The last evaluation (10 ms) started 400 ms ago: longer ago than the spacing.
    const last = { running: false, lastMs: 10, lastStart: 4_600, lastEnd: 4_610 };
    expect(writeEvaluationWait(last, 5_000, 50, 250)).toBe(50);
  });

  it('under a stream, waits until the spacing has passed since the last evaluation started', () => {
    const last = { running: false, lastMs: 10, lastStart: 1_000, lastEnd: 1_010 };
    expect(writeEvaluationWait(last, 1_020, 50, 250)).toBe(230);
    expect(writeEvaluationWait(last, 1_190, 50, 250)).toBe(60);
    // Past the spacing, the debounce is the floor.
    expect(writeEvaluationWait(last, 1_230, 50, 250)).toBe(50);
  });

  it('after a slow evaluation, waits as long as it took (at most half of the time evaluating)', () => {
    const last = { running: false, lastMs: 300, lastStart: 2_000, lastEnd: 2_300 };
    expect(writeEvaluationWait(last, 2_310, 50, 250)).toBe(290);
    // During one, the whole of the last one's duration, and the spacing from its start.
    const running = { running: true, lastMs: 120, lastStart: 3_000, lastEnd: 2_900 };
    expect(writeEvaluationWait(running, 3_040, 50, 250)).toBe(210);
  });
});

describe('EvaluationQueue under a stream of writes', () => {
  it('asks for the spacing after an evaluation, and only the debounce once writes pause', async () => {
    let now = 10_000;
    const asked: number[] = [];
    const held: (() => void)[] = [];
    const delay: Delay = (ms, fn) => {
      asked.push(ms);
      held.push(fn);
      return () => undefined;
    };
    const events: EvaluationEvent[] = [];
    const queue = new EvaluationQueue({
      registry: { get: (id: string) => ({ id }) as unknown as Roadmap },
      clock: () => new Date(now),
      // An evaluation taking 20 ms of the test's time; undefined: as if another replica held it.
      evaluate: async () => {
        now += 20;
        return undefined;
      },
      timers: { at: () => () => undefined },
      delay,
      monotonic: () => now,
      logger: { info() {}, warn() {}, error() {}, debug() {} } as never,
      onEvaluated: (event) => void events.push(event),
    });
    const release = async () => {
      const due = held.splice(0);
      for (const fn of due) fn();
      await queue.idle();
    };

    expect(queue.written('example')).toBe(true);
    expect(asked).toEqual([50]);
    now += 50;
    await release();
    expect(events).toHaveLength(1);

    // 10 ms after that evaluation ended (it started at 10,050): the spacing's rest, 220 ms.
    now += 10;
    expect(queue.written('example')).toBe(true);
    expect(queue.written('example')).toBe(false); // coalesced into the one asked for
    expect(asked).toEqual([50, 220]);
    now += 220;
    await release();
    expect(events).toHaveLength(2);

    // A second after it: a quiet spell, so only the debounce again.
    now += 1_000;
    queue.written('example');
    expect(asked).toEqual([50, 220, 50]);
    await release();
    await queue.close();
  });
});

describe('EVALUATE_ON_WRITE_SPACING', () => {
  it('defaults to 250 ms, takes a duration, and names itself when it is not one', () => {
    expect(readConfig({}).EVALUATE_ON_WRITE_SPACING).toBe(250);
    expect(readConfig({ EVALUATE_ON_WRITE_SPACING: '1s' }).EVALUATE_ON_WRITE_SPACING).toBe(1000);
    expect(() => readConfig({ EVALUATE_ON_WRITE_SPACING: 'often' })).toThrow(
      /EVALUATE_ON_WRITE_SPACING.*expected a duration/,
    );
  });
});
