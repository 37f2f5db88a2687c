import os from 'node:os';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { runCommand } from '../src/app/run.js';
import { percentile, type LatencyResult } from './latency.js';

/** One side of an interleaved measurement: a command run with its own dependencies. */
export interface Side {
  label: string;
  deps: AppDeps;
  command: string;
}

export interface Interleaved {
  sides: LatencyResult[];
  /** The 1-minute load average when the measurement started and when it ended. */
  loadAverage: { start: number; end: number };
}

const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));

/**
 * Runs each side's command once per round, the order alternating from round to round, so that
 * both see the same machine (load, caches, the table's state) and neither always goes first:
 * a ratio of two figures measured this way holds up under noise that two separate runs do not.
 * Every reply must succeed, as in measureCommand.
 */
export async function measureInterleaved(
  sides: readonly Side[],
  invocation: Invocation,
  runs: number,
  warmup: number,
  /** Runs, untimed, before each timed call (say, a write that lands between two requests). */
  before?: () => Promise<void>,
): Promise<Interleaved> {
  const once = async (side: Side): Promise<number> => {
    await before?.();
    const started = performance.now();
    const reply = await runCommand(side.deps, invocation, side.command, 'cli');
    const ms = performance.now() - started;
    if (reply.exitCode !== 0)
      throw new Error(
        `"${side.command}" (${side.label}) failed with exit code ${reply.exitCode}: ${JSON.stringify(reply.message)}`,
      );
    return ms;
  };
  const ordered = (round: number) => (round % 2 === 0 ? sides : [...sides].reverse());
  for (let i = 0; i < warmup; i++) for (const side of ordered(i)) await once(side);
  const start = loadAverage();
  const samples = sides.map(() => [] as number[]);
  for (let i = 0; i < runs; i++)
    for (const side of ordered(i)) samples[sides.indexOf(side)]?.push(await once(side));
  return {
    sides: sides.map((side, i) => {
      const sorted = (samples[i] as number[]).sort((a, b) => a - b);
      return {
        command: `${side.command} (${side.label})`,
        runs,
        warmup,
        p50: percentile(sorted, 50),
        p95: percentile(sorted, 95),
        p99: percentile(sorted, 99),
        max: sorted[sorted.length - 1] as number,
        mean: sorted.reduce((a, b) => a + b, 0) / sorted.length,
      };
    }),
    loadAverage: { start, end: loadAverage() },
  };
}
