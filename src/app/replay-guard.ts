import type { ReplayMemory } from './ports/replays.js';

/** A request refused because it was taken before, here or by another replica. */
export class ReplayRefused extends Error {
  constructor() {
    super('this request was already received: not run again');
    this.name = 'ReplayRefused';
  }
}

export interface ReplayGuardOptions {
  /** `slack` remembers a request by its keys; any other platform by its one interaction id. */
  platform: string;
  /** The memory every replica shares; asked for when needed, so mounting a route needs no database. */
  memory: () => ReplayMemory;
  /** Milliseconds since the epoch (the clock signatures are checked against). */
  now: () => number;
  /** How long this replica itself remembers a request; past it only the shared memory refuses. */
  keepMs: number;
  /** At most this many keys remembered here (the oldest are forgotten first). */
  maxKeys?: number;
  /** At most this many requests per statement. */
  maxBatch?: number;
  /**
   * Awaited before each statement (the admission's quiet): while a burst of requests is being
   * acknowledged, its statement waits for the burst, so the database's work and the round trip
   * do not compete with the acknowledgements for the event loop and the machine's cores, and
   * the whole burst goes in one statement. Commands wait for the verdict anyway, and they wait
   * for the same quiet. Absent: at once.
   */
  ready?: () => Promise<void>;
}

interface Pending {
  keys: readonly string[];
  at: Date;
  resolve: (fresh: boolean) => void;
  reject: (error: unknown) => void;
}

/**
 * The replay memory as a request path uses it, so that acknowledging needs no database:
 *
 * - `seenHere` answers at once from what this replica took itself (a replay sent to the same
 *   replica is refused before anything else happens);
 * - `take` remembers a request here at once and in the shared memory in the background: every
 *   request taken in the same turn of the event loop, or while the previous statement ran,
 *   goes in one INSERT (a burst of 200 is a round trip or two, not 200 of them competing
 *   with the commands for the pool). Its promise says whether the request is new everywhere;
 *   the command must wait for it, and run only on `true`.
 *
 * The shared memory stays the authority: this replica's own memory only refuses sooner. It is
 * bounded (keepMs, maxKeys); a request it has forgotten is still refused by the shared one.
 */
export class ReplayGuard {
  private readonly local = new Map<string, number>();
  private queue: Pending[] = [];
  private readonly unsettled = new Set<Promise<boolean>>();
  private scheduled = false;
  private running = false;
  private readonly maxKeys: number;
  private readonly maxBatch: number;

  constructor(private readonly options: ReplayGuardOptions) {
    this.maxKeys = options.maxKeys ?? 50_000;
    this.maxBatch = options.maxBatch ?? 500;
  }

  /** Whether this replica took any of `keys` within keepMs (answered without the database). */
  seenHere(keys: readonly string[]): boolean {
    this.expire();
    return keys.some((k) => this.local.has(k));
  }

  /**
   * Remembers the request here at once and in the shared memory with the next statement.
   * Resolves true when none of its keys was seen before by any replica; rejects when the
   * shared memory could not be written (then nothing may run: it cannot be known to be new).
   */
  take(keys: readonly string[], at: Date): Promise<boolean> {
    if (this.options.platform !== 'slack' && keys.length !== 1)
      throw new Error(`${this.options.platform}: one interaction id per request`);
    const now = this.options.now();
    for (const k of keys) {
      this.local.delete(k); // re-inserted at the end: the Map stays in the order seen
      this.local.set(k, now);
    }
    while (this.local.size > this.maxKeys)
      this.local.delete(this.local.keys().next().value as string);
    const taken = new Promise<boolean>((resolve, reject) => {
      this.queue.push({ keys, at, resolve, reject });
      this.schedule();
    });
    this.unsettled.add(taken);
    const done = (): void => void this.unsettled.delete(taken);
    taken.then(done, done);
    return taken;
  }

  /**
   * Forgets a Slack request that failed before it was acknowledged, here and in the shared
   * memory, once its `take` has settled (so the forgetting cannot overtake the remembering).
   */
  async forget(keys: readonly string[], taken: Promise<boolean>): Promise<void> {
    await taken.catch(() => undefined);
    await this.options.memory().forgetSlack(keys);
    for (const k of keys) this.local.delete(k);
  }

  /** Forgets `keys` here only: the shared memory could not take them, so a retry may try again. */
  forgetHere(keys: readonly string[]): void {
    for (const k of keys) this.local.delete(k);
  }

  /** Resolves once every request taken so far has its answer from the shared memory. */
  async settled(): Promise<void> {
    while (this.unsettled.size > 0) await Promise.allSettled([...this.unsettled]);
  }

  private expire(): void {
    const oldest = this.options.now() - this.options.keepMs;
    for (const [key, seen] of this.local) {
      if (seen >= oldest) break;
      this.local.delete(key);
    }
  }

  /** One statement at a time; what arrives meanwhile waits for the next (a natural batch). */
  private schedule(): void {
    if (this.scheduled || this.running) return;
    this.scheduled = true;
    // After this turn's I/O callbacks: every request of a burst that arrived together joins.
    setImmediate(() => {
      this.scheduled = false;
      void this.flush();
    });
  }

  private async flush(): Promise<void> {
    if (this.queue.length === 0) return;
    this.running = true;
    let batch: Pending[] = [];
    try {
      // What arrives while this waits joins the statement (running: no other is scheduled).
      await this.options.ready?.().catch(() => undefined);
      batch = this.queue.slice(0, this.maxBatch);
      this.queue = this.queue.slice(batch.length);
      const memory = this.options.memory();
      const fresh =
        this.options.platform === 'slack'
          ? await memory.firstSeenSlackMany(batch.map((p) => ({ keys: p.keys, at: p.at })))
          : await memory.firstSeenMany(
              this.options.platform,
              batch.map((p) => ({ id: p.keys[0] as string, at: p.at })),
            );
      batch.forEach((p, i) => p.resolve(fresh[i] === true));
    } catch (error) {
      for (const p of batch) p.reject(error);
    } finally {
      this.running = false;
      if (this.queue.length > 0) this.schedule();
    }
  }
}
