import type { AppDeps, Invocation } from '../src/app/context.js';
import { runCommand } from '../src/app/run.js';

export interface LatencyResult {
  command: string;
  runs: number;
  warmup: number;
  p50: number;
  p95: number;
  p99: number;
  max: number;
  mean: number;
}

/** Nearest-rank percentile of sorted samples. */
export function percentile(sorted: number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  const rank = Math.max(1, Math.ceil((p / 100) * sorted.length));
  return sorted[Math.min(rank, sorted.length) - 1] as number;
}

/**
 * Runs `command` through the command layer (parse, authorize, handler, store, evaluator,
 * message composition) one call after another, as one chat user asking repeatedly would.
 * Every reply must succeed, or the figures would be those of an error path.
 */
export async function measureCommand(
  deps: AppDeps,
  invocation: Invocation,
  command: string,
  runs: number,
  warmup: number,
  /** Runs, untimed, before each timed call (say, a write that lands between two requests). */
  before?: () => Promise<void>,
): Promise<LatencyResult> {
  const once = async (): Promise<number> => {
    await before?.();
    const started = performance.now();
    const reply = await runCommand(deps, invocation, command, 'cli');
    const ms = performance.now() - started;
    if (reply.exitCode !== 0)
      throw new Error(
        `"${command}" failed with exit code ${reply.exitCode}: ${JSON.stringify(reply.message)}`,
      );
    return ms;
  };
  for (let i = 0; i < warmup; i++) await once();
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) samples.push(await once());
  samples.sort((a, b) => a - b);
  return {
    command,
    runs,
    warmup,
    p50: percentile(samples, 50),
    p95: percentile(samples, 95),
    p99: percentile(samples, 99),
    max: samples[samples.length - 1] as number,
    mean: samples.reduce((a, b) => a + b, 0) / samples.length,
  };
}
