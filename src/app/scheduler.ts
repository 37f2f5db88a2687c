import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { evaluateAndNotify } from './alerts/engine.js';
import { runDueCollectors, type CollectorOptions } from './collectors/run.js';
import { enqueueDueDigests } from './alerts/digests.js';
import type { AppDeps } from './context.js';
import type { Delay } from './delay.js';
import { clockTimers, EvaluationQueue, type EvaluationEvent, type Timers } from './evaluations.js';
import { drainOutbox, type DrainResult, type WorkerOptions } from './outbox/worker.js';
import type { Outbox } from './ports/outbox.js';
import type { WriteSignals } from './ports/signals.js';

export interface SchedulerOptions {
  /** When to evaluate every roadmap and look for due digests (default: each minute). */
  evaluateCron: string;
  /** How often to look for outbox messages due for a (re)try. */
  outboxCron: string;
  repeatIntervalMs: number;
  worker: WorkerOptions;
  /** Collectors run at the start of each tick, so the evaluation sees their points. */
  collectors?: CollectorOptions;
  logger: Pick<Logger, 'info' | 'warn' | 'error' | 'debug'>;
  /**
   * Evaluation on write: how long the first write of a burst waits for the rest (default
   * 50 ms, real time; `delay` replaces the wait in tests), how far apart evaluations of one
   * roadmap start under a stream of writes (default 250 ms), how many roadmaps are evaluated at
   * once (default 2), and the timers of `for` deadlines (default: on the app's clock).
   */
  onWrite?: {
    debounceMs?: number;
    spacingMs?: number;
    concurrency?: number;
    delay?: Delay;
    timers?: Timers;
  };
  /** The engine; tests wrap it to count evaluations. Default evaluateAndNotify. */
  engine?: typeof evaluateAndNotify;
  /** What the scheduler did, as it happens (tests await these instead of sleeping). */
  events?: (event: SchedulerEvent) => void;
}

export type SchedulerEvent =
  | ({ type: 'evaluated' } & EvaluationEvent)
  /** A write of the roadmap's points was signalled; coalesced into an evaluation already asked for. */
  | { type: 'written'; roadmap: string; coalesced: boolean }
  | { type: 'drained'; result: DrainResult }
  | { type: 'listening' }
  | { type: 'lost' };

/** Drains at most this many batches per call, so a flood cannot starve the evaluation tick. */
const MAX_BATCHES = 20;

/**
 * How long accepted chat requests (Discord interaction ids, Slack request and event keys) are
 * remembered: twice the signatures' 5-minute window, and some (Slack's last retry of an event
 * comes about 5 minutes after the first delivery).
 */
const REPLAY_MEMORY_MS = 15 * 60_000;

/**
 * The bot speaking on its own: evaluations, digests and the outbox, on node-cron schedules,
 * and as writes happen (WriteSignals: a write of points gets its roadmap evaluated at once, a
 * queued message gets sent at once; the schedules stay as the fallback). `tick` is the whole
 * job for one instant and is what tests call with their own clock.
 */
export class Scheduler implements WriteSignals {
  private tasks: ScheduledTask[] = [];
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;
  private readonly evaluations: EvaluationQueue;
  /** The outbox drain woken by signals, while it runs; `drainAgain`: woken again meanwhile. */
  private draining: Promise<void> | undefined;
  private drainAgain = false;
  /** Whether signals flow (then queued messages announce themselves). */
  private signalled = false;
  private everListened = false;
  private lostWarned = false;

  constructor(
    private readonly deps: AppDeps,
    private readonly outbox: Outbox,
    private readonly opts: SchedulerOptions,
  ) {
    const engine = opts.engine ?? evaluateAndNotify;
    this.evaluations = new EvaluationQueue({
      registry: deps.registry,
      clock: deps.clock,
      evaluate: (roadmap, now) =>
        engine(deps, roadmap, now, {
          repeatIntervalMs: opts.repeatIntervalMs,
          logger: opts.logger,
        }),
      timers: opts.onWrite?.timers ?? clockTimers(deps.clock),
      ...(opts.onWrite?.debounceMs !== undefined ? { debounceMs: opts.onWrite.debounceMs } : {}),
      ...(opts.onWrite?.spacingMs !== undefined ? { spacingMs: opts.onWrite.spacingMs } : {}),
      ...(opts.onWrite?.concurrency !== undefined ? { concurrency: opts.onWrite.concurrency } : {}),
      ...(opts.onWrite?.delay ? { delay: opts.onWrite.delay } : {}),
      ...(deps.telemetry ? { telemetry: deps.telemetry } : {}),
      logger: opts.logger,
      onEvaluated: (event) => {
        this.opts.events?.({ type: 'evaluated', ...event });
        // Without signals, nothing announces what this evaluation queued: send it now. With
        // them, the outbox's own signal does (only when something was queued).
        if (event.cause !== 'tick' && event.outcome === 'evaluated' && !this.signalled)
          this.wakeOutbox();
      },
    });
  }

  pointsWritten(roadmapIds: readonly string[] | 'all'): void {
    if (this.stopped) return;
    const ids = roadmapIds === 'all' ? this.deps.registry.list().map((r) => r.id) : roadmapIds;
    for (const id of ids) {
      // A roadmap no loaded file declares (points pushed before its file, or removed).
      if (!this.deps.registry.get(id)) continue;
      const coalesced = !this.evaluations.written(id);
      this.opts.events?.({ type: 'written', roadmap: id, coalesced });
    }
  }

  outboxQueued(): void {
    this.wakeOutbox();
  }

  listening(): void {
    if (this.stopped) return;
    this.signalled = true;
    this.opts.logger.info(
      this.everListened
        ? 'signals: reconnected; evaluating every roadmap once for the writes made meanwhile'
        : 'signals: listening; a write of points gets its roadmap evaluated at once, a queued message sent at once',
    );
    this.everListened = true;
    this.lostWarned = false;
    this.evaluations.armDeadlines();
    this.opts.events?.({ type: 'listening' });
    // Whatever was written or queued while nothing listened (or before start) is caught up.
    this.pointsWritten('all');
    this.wakeOutbox();
  }

  lost(error?: Error): void {
    if (this.stopped) return;
    // Once per outage, not at every failed reconnection.
    if (!this.lostWarned)
      this.opts.logger.warn(
        { err: error },
        'signals: connection lost; evaluating on the minute tick until it reconnects',
      );
    this.lostWarned = true;
    this.signalled = false;
    this.opts.events?.({ type: 'lost' });
  }

  /**
   * Sends what is due in the outbox now: one drain at a time, and one more after it when woken
   * meanwhile (a burst of signals is one or two drains).
   */
  wakeOutbox(): void {
    if (this.stopped) return;
    if (this.draining) {
      this.drainAgain = true;
      return;
    }
    this.draining = (async () => {
      do {
        this.drainAgain = false;
        await this.drain(this.deps.clock());
      } while (this.drainAgain && !this.stopped);
    })().finally(() => {
      this.draining = undefined;
    });
  }

  /** Resolves once no evaluation or signalled drain is waiting or running. */
  async idle(): Promise<void> {
    for (;;) {
      await this.evaluations.idle();
      if (!this.draining) return;
      await this.draining;
    }
  }

  /** Evaluate every roadmap, queue due digests, send what is due. */
  async tick(now: Date): Promise<void> {
    if (this.opts.collectors) {
      try {
        const { ran, failed } = await runDueCollectors(this.deps, now, this.opts.collectors);
        this.deps.telemetry?.collector('all', 'ok', ran - failed);
        this.deps.telemetry?.collector('all', 'failed', failed);
      } catch (error) {
        this.deps.telemetry?.failure('collectors', 'all');
        this.opts.logger.error({ err: error }, 'collectors failed; retried next tick');
      }
    }
    // Through the queue, so an evaluation a write started is never overlapped here; failures
    // are logged and counted there, one roadmap's not stopping the others'.
    for (const roadmap of this.deps.registry.list())
      await this.evaluations.run(roadmap.id, 'tick', now, roadmap);
    // Failures of one roadmap or subscription are isolated (and counted) inside; this is a
    // failure before any roadmap was reached (the subscriptions could not be read).
    try {
      await enqueueDueDigests(this.deps, now, this.opts.logger);
    } catch (error) {
      this.deps.telemetry?.failure('digest', 'all');
      this.opts.logger.error({ err: error }, 'digest scheduling failed; retried next tick');
    }
    await this.drain(now);
    await this.deps.store.tokens.pruneRateWindows(now).catch(() => undefined);
    // A request signed up to 5 minutes from when it was first seen can still pass the window
    // check for 10 minutes after: what is older cannot be replayed.
    await this.deps.store.replays
      .prune(new Date(now.getTime() - REPLAY_MEMORY_MS))
      .catch(() => undefined);
  }

  /** Sends every due outbox message (bounded). */
  async drain(now: Date): Promise<void> {
    try {
      for (let i = 0; i < MAX_BATCHES; i++) {
        // Each batch claims with the time it starts at, so leases are measured from then.
        const done = await drainOutbox(this.outbox, i === 0 ? now : this.deps.clock(), {
          ...this.opts.worker,
          ...(this.deps.telemetry ? { telemetry: this.deps.telemetry } : {}),
        });
        this.opts.events?.({ type: 'drained', result: done });
        if (done.sent + done.retried + done.failed === 0) break;
      }
    } catch (error) {
      // Each message's send is isolated in drainOutbox; this is the outbox itself failing.
      this.deps.telemetry?.failure('delivery', 'all');
      this.opts.logger.error({ err: error }, 'outbox drain failed; retried shortly');
    }
  }

  start(): void {
    this.evaluations.armDeadlines();
    // noOverlap: a slow tick (a slow database) is skipped rather than piled up.
    const run = (job: () => Promise<void>) => () => {
      if (this.stopped) return;
      this.running = job();
      return this.running as Promise<void>;
    };
    this.tasks.push(
      cron.schedule(
        this.opts.evaluateCron,
        run(() => this.tick(this.deps.clock())),
        { noOverlap: true, name: 'evaluate' },
      ),
    );
    this.tasks.push(
      cron.schedule(
        this.opts.outboxCron,
        run(() => this.drain(this.deps.clock())),
        { noOverlap: true, name: 'outbox' },
      ),
    );
  }

  /** Stops taking work and waits for the jobs in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
    await this.evaluations.close();
    await this.running.catch(() => undefined);
    await this.draining;
  }
}
