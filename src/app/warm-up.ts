import type { AppDeps, Invocation } from './context.js';
import { evaluateWithForecast, forecastInputs, type ForecastReads } from './evaluate.js';
import { runCommand } from './run.js';

/**
 * The boot warm-up: what the first status after a restart would otherwise pay, paid before
 * the bot takes traffic. A new process has an empty pool (each connection a TCP and SCRAM
 * handshake, each new PostgreSQL backend loading the catalog entries its first statements
 * touch), empty history and fit caches, and code V8 has not compiled yet; a status then took
 * 3 to 10 times a warm one (bench/cold.ts). So, bounded in time:
 *
 * 1. open the pool's connections at once and run a status's reads on each (its backend then
 *    has what those statements touch), round-robin over the roadmaps;
 * 2. run `status --json` for each loaded roadmap through the command layer, which loads the
 *    command's modules, fills the history and fit caches and runs the evaluator, then
 *    evaluate it `rounds - 1` more times at earlier instants: a user's status comes at a
 *    later instant than the warm-up's and fits its forecasts afresh (a fit is reused only at
 *    its instant), and V8 optimizes the fitting code only once it has run more than once.
 *
 * A failure or the time running out is logged as a warning and start-up goes on: the warm-up
 * only makes the first answers faster, it is never a reason not to start.
 */
export interface WarmUpOptions {
  /** Connections opened and primed at once (0: none). */
  connections: number;
  /** After this long start-up stops waiting; the work goes on in the background. */
  timeoutMs: number;
  /** Evaluations of each roadmap, the status included (default 2). */
  rounds?: number;
  /** Calls `fire` after `ms`; returns what cancels it. Default: an unref'd setTimeout. */
  timer?: (ms: number, fire: () => void) => () => void;
  /** A monotonic clock in ms for the durations reported. Default: performance.now. */
  elapsed?: () => number;
}

export interface WarmUpDeps extends Pick<AppDeps, 'store' | 'registry' | 'clock'> {
  logger: { info(message: string): void; warn(details: object, message: string): void };
  /**
   * Opens `count` connections at once and runs `prime` on each, on that connection alone
   * (src/adapters/pg/warm-up.ts). Absent: no connection is opened ahead.
   */
  connections?: (
    count: number,
    prime: (reads: ForecastReads) => Promise<void>,
  ) => Promise<{ opened: number; errors: Error[] }>;
}

export interface WarmUpResult {
  /** `timed out`: start-up went on with the work unfinished; `failed`: part of it failed. */
  outcome: 'done' | 'timed out' | 'failed';
  /** How long start-up waited for it. */
  ms: number;
  connections: { asked: number; opened: number; failed: number };
  /** The roadmaps whose status ran, and those whose status failed (with why). */
  evaluated: string[];
  failed: { roadmap: string; error: string }[];
  /** Resolves when the work has ended, also after a timeout (it is never rejected). */
  settled: Promise<void>;
}

/** Who runs the warm-up's statuses: the process itself, as a terminal would (no chat lookups). */
const WARM_UP: Invocation = { actor: { platform: 'cli', id: 'warm-up' }, isAdmin: false };

const defaultTimer = (ms: number, fire: () => void): (() => void) => {
  const timer = setTimeout(fire, ms);
  timer.unref();
  return () => clearTimeout(timer);
};

export async function warmUp(deps: WarmUpDeps, options: WarmUpOptions): Promise<WarmUpResult> {
  const elapsed = options.elapsed ?? (() => performance.now());
  const started = elapsed();
  const asked = deps.connections ? Math.max(0, options.connections) : 0;
  const connections = { asked, opened: 0, failed: 0 };
  const evaluated: string[] = [];
  const failed: { roadmap: string; error: string }[] = [];
  const roadmaps = deps.registry.list();

  const work = async (): Promise<void> => {
    if (asked > 0 && deps.connections) {
      const now = deps.clock();
      let next = 0;
      const prime = async (reads: ForecastReads): Promise<void> => {
        const roadmap = roadmaps[next++ % Math.max(1, roadmaps.length)];
        if (roadmap) await forecastInputs(reads, roadmap, now);
      };
      const opened = await deps.connections(asked, prime);
      connections.opened = opened.opened;
      connections.failed = asked - opened.opened;
      for (const error of opened.errors)
        failed.push({ roadmap: '(connections)', error: error.message });
    }
    // One at a time: each is one status's worth of work, and the pool stays free for others.
    const store = { store: deps.store, registry: deps.registry, clock: deps.clock };
    for (const roadmap of roadmaps) {
      try {
        const reply = await runCommand(
          store,
          WARM_UP,
          ['status', '--json', '--roadmap', roadmap.id],
          'cli',
        );
        if (reply.exitCode !== 0) {
          failed.push({ roadmap: roadmap.id, error: messageOf(reply.message) });
          continue;
        }
        // A second apart, before the status's instant: never ahead of the clock, so no bucket
        // is taken for complete before it is.
        const at = deps.clock().getTime();
        for (let round = 1; round < (options.rounds ?? 2); round++)
          await evaluateWithForecast(deps, roadmap, new Date(at - round * 1000));
        evaluated.push(roadmap.id);
      } catch (error) {
        failed.push({ roadmap: roadmap.id, error: (error as Error).message });
      }
    }
  };

  const running = work();
  const settled = running.then(
    () => undefined,
    (error: Error) => void failed.push({ roadmap: '(warm-up)', error: error.message }),
  );
  let cancel = (): void => undefined;
  const timedOut = new Promise<true>((resolve) => {
    cancel = (options.timer ?? defaultTimer)(options.timeoutMs, () => resolve(true));
  });
  const late = await Promise.race([settled.then(() => false as const), timedOut]);
  cancel();
  const ms = elapsed() - started;
  const outcome = late ? 'timed out' : failed.length > 0 ? 'failed' : 'done';
  const summary = `${connections.opened}/${asked} connections opened and primed, ${evaluated.length}/${roadmaps.length} roadmaps evaluated (${evaluated.join(', ') || 'none'})`;
  if (outcome === 'done') deps.logger.info(`warm-up: ${summary} in ${Math.round(ms)} ms`);
  else if (outcome === 'timed out')
    deps.logger.warn(
      { failed },
      `warm-up: not finished after ${Math.round(ms)} ms (WARM_UP_TIMEOUT); starting anyway, it goes on in the background (so far ${summary})`,
    );
  else
    deps.logger.warn(
      { failed },
      `warm-up: ${failed.length} step(s) failed (${failed.map((f) => `${f.roadmap}: ${f.error}`).join('; ')}); starting anyway (${summary} in ${Math.round(ms)} ms)`,
    );
  return { outcome, ms, connections, evaluated, failed, settled };
}

/** A reply's text, for the warning: its title and lines, as far as they are plain strings. */
function messageOf(message: unknown): string {
  const text = JSON.stringify(message);
  return text.length > 300 ? `${text.slice(0, 300)}…` : text;
}
