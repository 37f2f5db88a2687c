import cron, { type ScheduledTask } from 'node-cron';
import type { Logger } from 'pino';
import { evaluateAndNotify } from './alerts/engine.js';
import { runDueCollectors, type CollectorOptions } from './collectors/run.js';
import { enqueueDueDigests } from './alerts/digests.js';
import type { AppDeps } from './context.js';
import { drainOutbox, type WorkerOptions } from './outbox/worker.js';
import type { Outbox } from './ports/outbox.js';

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
}

/** Drains at most this many batches per call, so a flood cannot starve the evaluation tick. */
const MAX_BATCHES = 20;

/**
 * How long accepted chat requests (Discord interaction ids, Slack request and event keys) are
 * remembered: twice the signatures' 5-minute window, and some (Slack's last retry of an event
 * comes about 5 minutes after the first delivery).
 */
const REPLAY_MEMORY_MS = 15 * 60_000;

/**
 * The bot speaking on its own: evaluations, digests and the outbox, on node-cron schedules.
 * `tick` is the whole job for one instant and is what tests call with their own clock.
 */
export class Scheduler {
  private tasks: ScheduledTask[] = [];
  private running: Promise<unknown> = Promise.resolve();
  private stopped = false;

  constructor(
    private readonly deps: AppDeps,
    private readonly outbox: Outbox,
    private readonly opts: SchedulerOptions,
  ) {}

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
    for (const roadmap of this.deps.registry.list()) {
      const started = performance.now();
      try {
        const report = await evaluateAndNotify(this.deps, roadmap, now, {
          repeatIntervalMs: this.opts.repeatIntervalMs,
          logger: this.opts.logger,
        });
        this.deps.telemetry?.evaluation(
          roadmap.id,
          (performance.now() - started) / 1000,
          report ? 'ok' : 'skipped',
        );
      } catch (error) {
        this.deps.telemetry?.evaluation(roadmap.id, (performance.now() - started) / 1000, 'error');
        this.deps.telemetry?.failure('evaluation', roadmap.id);
        // One roadmap's failure (a database hiccup) must not stop the others' alerts.
        this.opts.logger.error(
          { err: error, roadmap: roadmap.id },
          'evaluation failed; retried next tick',
        );
      }
    }
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
        if (done.sent + done.retried + done.failed === 0) break;
      }
    } catch (error) {
      // Each message's send is isolated in drainOutbox; this is the outbox itself failing.
      this.deps.telemetry?.failure('delivery', 'all');
      this.opts.logger.error({ err: error }, 'outbox drain failed; retried shortly');
    }
  }

  start(): void {
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

  /** Stops taking work and waits for the job in progress. */
  async stop(): Promise<void> {
    this.stopped = true;
    await Promise.all(this.tasks.map((t) => t.destroy()));
    this.tasks = [];
    await this.running.catch(() => undefined);
  }
}
