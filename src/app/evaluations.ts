import pLimit from 'p-limit';
import type { Logger } from 'pino';
import { nextForDeadline } from '../core/alerts/deadline.js';
import type { Report } from '../core/evaluate/report.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { RoadmapRegistry } from './registry.js';
import type { Telemetry } from './telemetry.js';
import { realDelay, type Delay } from './delay.js';

/** Why a roadmap is evaluated: the minute tick, a write of its points, or a `for` running out. */
export type EvaluationCause = 'tick' | 'write' | 'for';

export interface EvaluationEvent {
  roadmap: string;
  cause: EvaluationCause;
  /**
   * `skipped`: another replica held the roadmap's evaluation lock; `superseded`: a write's
   * evaluation found that another one had started after the write, so had nothing left to do.
   */
  outcome: 'evaluated' | 'skipped' | 'failed' | 'superseded';
}

/** Timers on the app's clock: `at` calls `fn` once the clock reaches `at`; the result cancels. */
export interface Timers {
  at(at: Date, fn: () => void): () => void;
}

/** setTimeout's longest delay (about 24.8 days). */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Timers on `clock`, which runs `rate` times as fast as real time (CLOCK_RATE, a simulated
 * clock in tests and demos). A timer checks the clock when it wakes and sleeps again if it
 * woke early (a long delay is split, the clock may have been set).
 */
export function clockTimers(clock: () => Date, rate = 1): Timers {
  const speed = rate > 0 ? rate : 1;
  return {
    at(at, fn) {
      let timer: NodeJS.Timeout | undefined;
      const arm = (): void => {
        const wait = (at.getTime() - clock().getTime()) / speed;
        if (wait <= 0) return fn();
        timer = setTimeout(arm, Math.min(Math.ceil(wait), MAX_TIMEOUT_MS));
        timer.unref();
      };
      timer = setTimeout(arm, 0);
      timer.unref();
      return () => clearTimeout(timer);
    },
  };
}

export interface EvaluationQueueOptions {
  registry: Pick<RoadmapRegistry, 'get'>;
  clock: () => Date;
  /** The engine (evaluateAndNotify): undefined when another replica holds the lock. */
  evaluate: (roadmap: Roadmap, now: Date) => Promise<Report | undefined>;
  /**
   * How long the first write of a burst waits for the others (real time); longer under a
   * steady stream of writes (see `written`). Default 50 ms.
   */
  debounceMs?: number;
  /**
   * Under a steady stream of writes, evaluations of one roadmap start at least this far apart
   * (real time). Default 250 ms: a write is still evaluated within a fraction of a second,
   * and a stream of pushes is not slowed by evaluating after each of them.
   */
  spacingMs?: number;
  /** Real time in ms for the debounce and spacing (default performance.now); tests pass theirs. */
  monotonic?: () => number;
  /** Roadmaps evaluated at once for writes and deadlines (the pool is shared). Default 2. */
  concurrency?: number;
  /**
   * Timers for `for` deadlines, on the app's clock; none until `armDeadlines` (a test moving
   * its clock by hand and calling the tick must not see evaluations in between).
   */
  timers: Timers;
  /** The debounce's wait; tests pass one they release by hand. Default: setTimeout. */
  delay?: Delay;
  onEvaluated?: (event: EvaluationEvent) => void;
  logger: Pick<Logger, 'error'>;
  telemetry?: Telemetry;
}

/**
 * How long a write waits before the evaluation it asks for (ms, on the monotonic clock `now`).
 * After a quiet spell, only the debounce (the rest of a burst arrives meanwhile). Under a steady
 * stream of writes, also until `spacingMs` after the last evaluation started, and as long after
 * the last one ended as it took: evaluating takes at most about half of the time however fast
 * the writes come, and a roadmap is evaluated at most every `spacingMs`.
 */
export function writeEvaluationWait(
  last: Pick<Slot, 'running' | 'lastMs' | 'lastStart' | 'lastEnd'>,
  now: number,
  debounceMs: number,
  spacingMs: number,
): number {
  const sinceEnd = last.running ? 0 : now - last.lastEnd;
  return Math.max(debounceMs, last.lastMs - sinceEnd, spacingMs - (now - last.lastStart));
}

interface Slot {
  /** The last evaluation of this roadmap queued here: the next one starts after it. */
  tail: Promise<unknown>;
  /** A write asked for an evaluation that has not started yet. */
  wanted: boolean;
  /** The debounce of the write that set `wanted`, until it runs out. */
  debounce?: { cancel: () => void };
  /** Whether an evaluation of it is running; how long the last took, when it started and ended (ms). */
  running: boolean;
  lastMs: number;
  lastStart: number;
  lastEnd: number;
  /** The timer of the earliest pending trigger's `for` deadline. */
  deadline?: { at: number; cancel: () => void };
}

/**
 * Evaluations of roadmaps in this process, one at a time per roadmap (so an evaluation in
 * flight is never overlapped by another of the same roadmap here, and the advisory lock is
 * only contended between replicas). A write asks for an evaluation: the first write of a burst
 * waits `debounceMs` for the rest, and any evaluation starting after a write covers it, so a
 * burst gives one evaluation, and writes during an evaluation give exactly one more after it.
 * After each evaluation, a timer is set for the earliest pending trigger's `for` deadline, so it
 * fires on time without a write (the minute tick is the fallback).
 *
 * Across replicas: every replica hears every write. The one holding the lock when another
 * tries is itself evaluating, and it heard the write too, so it evaluates again after; the
 * other skips. Exactly-once stays with the engine (lock, trigger memory, idempotency keys).
 */
export class EvaluationQueue {
  private readonly slots = new Map<string, Slot>();
  private readonly limit: <T>(work: () => Promise<T>) => Promise<T>;
  private readonly debounceMs: number;
  private readonly spacingMs: number;
  private readonly monotonic: () => number;
  private readonly delay: Delay;
  /** Debounces waiting plus evaluations queued or running. */
  private busy = 0;
  private idleWaiters: (() => void)[] = [];
  private closed = false;
  private deadlines = false;

  constructor(private readonly opts: EvaluationQueueOptions) {
    const limit = pLimit(opts.concurrency ?? 2);
    this.limit = (work) => limit(work);
    this.debounceMs = opts.debounceMs ?? 50;
    this.spacingMs = opts.spacingMs ?? 250;
    this.monotonic = opts.monotonic ?? (() => performance.now());
    this.delay = opts.delay ?? realDelay;
  }

  /**
   * Points of `roadmapId` were written: evaluate it soon. False when an evaluation asked for
   * earlier has not started yet and so will cover this write too (coalesced).
   */
  written(roadmapId: string): boolean {
    if (this.closed) return false;
    const slot = this.slot(roadmapId);
    if (slot.wanted) return false;
    slot.wanted = true;
    this.busy++;
    const debounce = { cancel: () => {} };
    slot.debounce = debounce;
    const wait = writeEvaluationWait(slot, this.monotonic(), this.debounceMs, this.spacingMs);
    debounce.cancel = this.delay(wait, () => {
      if (slot.debounce !== debounce) return; // cancelled
      slot.debounce = undefined;
      void this.run(roadmapId, 'write');
      this.settle();
    });
    return true;
  }

  /**
   * Evaluates `roadmapId` after the evaluation of it in flight, if any; resolves with the
   * report (undefined: skipped, superseded or failed; failures are logged and counted here).
   */
  run(
    roadmapId: string,
    cause: EvaluationCause,
    now?: Date,
    roadmap?: Roadmap,
  ): Promise<Report | undefined> {
    const slot = this.slot(roadmapId);
    this.busy++;
    const job = slot.tail.then(() =>
      cause === 'tick'
        ? this.evaluate(slot, roadmapId, cause, now, roadmap)
        : this.limit(() => this.evaluate(slot, roadmapId, cause, now, roadmap)),
    );
    slot.tail = job;
    return job.finally(() => this.settle());
  }

  /** From now on, a pending trigger's `for` deadline sets a timer. */
  armDeadlines(): void {
    this.deadlines = true;
  }

  /** Resolves once no debounce is waiting and no evaluation is queued or running. */
  idle(): Promise<void> {
    if (this.busy === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Stops taking writes and deadlines, and waits for the evaluations already started. */
  async close(): Promise<void> {
    this.closed = true;
    for (const slot of this.slots.values()) {
      slot.deadline?.cancel();
      slot.deadline = undefined;
      this.cancelDebounce(slot);
    }
    await this.idle();
  }

  /** Never rejects. */
  private async evaluate(
    slot: Slot,
    roadmapId: string,
    cause: EvaluationCause,
    now: Date | undefined,
    given: Roadmap | undefined,
  ): Promise<Report | undefined> {
    if (cause !== 'tick' && this.closed) return undefined;
    if (cause === 'write' && !slot.wanted) {
      this.opts.onEvaluated?.({ roadmap: roadmapId, cause, outcome: 'superseded' });
      return undefined;
    }
    // Whatever its cause, this evaluation reads every write signalled so far.
    slot.wanted = false;
    this.cancelDebounce(slot);
    const roadmap = given ?? this.opts.registry.get(roadmapId);
    if (!roadmap) return undefined; // removed from the folder meanwhile
    const started = this.monotonic();
    const seconds = () => (this.monotonic() - started) / 1000;
    slot.running = true;
    slot.lastStart = started;
    try {
      const report = await this.opts.evaluate(roadmap, now ?? this.opts.clock());
      this.opts.telemetry?.evaluation(roadmapId, seconds(), report ? 'ok' : 'skipped');
      if (report) this.planDeadline(slot, roadmap, report);
      this.opts.onEvaluated?.({
        roadmap: roadmapId,
        cause,
        outcome: report ? 'evaluated' : 'skipped',
      });
      return report;
    } catch (error) {
      this.opts.telemetry?.evaluation(roadmapId, seconds(), 'error');
      this.opts.telemetry?.failure('evaluation', roadmapId);
      // One roadmap's failure (a database hiccup) must not stop the others' alerts.
      this.opts.logger.error(
        { err: error, roadmap: roadmapId },
        'evaluation failed; retried next tick',
      );
      this.opts.onEvaluated?.({ roadmap: roadmapId, cause, outcome: 'failed' });
      return undefined;
    } finally {
      slot.running = false;
      slot.lastEnd = this.monotonic();
      slot.lastMs = slot.lastEnd - started;
    }
  }

  /** One timer per roadmap, at its earliest pending trigger's `for` deadline. */
  private planDeadline(slot: Slot, roadmap: Roadmap, report: Report): void {
    const due = nextForDeadline(roadmap, report)?.getTime();
    if (slot.deadline?.at === due) return;
    slot.deadline?.cancel();
    slot.deadline = undefined;
    if (due === undefined || this.closed || !this.deadlines) return;
    const deadline = {
      at: due,
      cancel: this.opts.timers.at(new Date(due), () => {
        if (slot.deadline === deadline) slot.deadline = undefined;
        void this.run(roadmap.id, 'for');
      }),
    };
    slot.deadline = deadline;
  }

  private cancelDebounce(slot: Slot): void {
    if (!slot.debounce) return;
    slot.debounce.cancel();
    slot.debounce = undefined;
    this.settle();
  }

  private settle(): void {
    this.busy--;
    if (this.busy > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const resolve of waiters) resolve();
  }

  private slot(roadmapId: string): Slot {
    let slot = this.slots.get(roadmapId);
    if (!slot) {
      slot = {
        tail: Promise.resolve(),
        wanted: false,
        running: false,
        lastMs: 0,
        lastStart: -Infinity,
        lastEnd: -Infinity,
      };
      this.slots.set(roadmapId, slot);
    }
    return slot;
  }
}
