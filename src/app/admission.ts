import pLimit from 'p-limit';

/** Chat commands answered at once per process; the rest wait their turn (COMMAND_CONCURRENCY). */
export interface Admission {
  /** Runs `work` when a slot is free and no burst of chat requests is arriving. */
  admit: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * True when work given now would wait: every slot is taken, others wait, or a burst of chat
   * requests is arriving (commands wait for it to be acknowledged).
   */
  busy: () => boolean;
  /** A chat request arrived (called by the adapters before they acknowledge it). */
  arrived: () => void;
  /** Resolves once a burst of chat requests has been acknowledged (at once when there is none). */
  quiet: () => Promise<void>;
}

export interface AdmissionOptions {
  /**
   * Chat requests arriving less than this apart (ms) are a burst, and a command starts once
   * none has arrived for this long: while a burst arrives, the one event loop acknowledges it
   * instead of running commands (each is milliseconds of CPU; an acknowledgement is a
   * fraction of one). A request alone is no burst: its command starts at once. 0: no waiting.
   */
  quietMs?: number;
  /** A command waits for a quiet moment at most this long (ms), however long the burst. */
  maxHoldMs?: number;
  /** Monotonic milliseconds (performance.now); tests pass their own. */
  now?: () => number;
  /** Waits `ms`; tests pass their own. */
  sleep?: (ms: number) => Promise<void>;
  /**
   * Lets one turn of the event loop's I/O pass (setImmediate: after the poll phase); tests pass
   * their own.
   */
  turn?: () => Promise<void>;
}

export const DEFAULT_QUIET_MS = 10;
export const DEFAULT_MAX_HOLD_MS = 250;

/**
 * A bound on chat commands at once, and their place behind acknowledgements: a burst is
 * acknowledged first, then answered in turn, instead of every answer competing for the one
 * event loop and the pool's connections.
 */
export function createAdmission(concurrency: number, options: AdmissionOptions = {}): Admission {
  const limit = pLimit(concurrency);
  const quietMs = options.quietMs ?? DEFAULT_QUIET_MS;
  const maxHoldMs = options.maxHoldMs ?? DEFAULT_MAX_HOLD_MS;
  const now = options.now ?? (() => performance.now());
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const turn = options.turn ?? (() => new Promise<void>((resolve) => setImmediate(resolve)));
  let lastArrival = Number.NEGATIVE_INFINITY;
  /** While now is before this, a burst is arriving. */
  let burstUntil = Number.NEGATIVE_INFINITY;

  const quiet = async (): Promise<void> => {
    if (quietMs <= 0) return;
    const until = now() + maxHoldMs;
    let held = false;
    for (;;) {
      const wait = Math.min(burstUntil, until) - now();
      if (wait > 0) {
        held = true;
        await sleep(wait);
        continue;
      }
      if (!held || now() >= until) return;
      // The timer says quiet, but timers run before the loop reads its sockets: when the loop
      // (or the machine) was too busy to read them, requests of the burst are waiting there
      // unseen. Let one turn of I/O pass; any request read in it keeps the burst going.
      const seen = lastArrival;
      await turn();
      if (lastArrival === seen) return;
    }
  };

  return {
    admit: (work) =>
      limit(async () => {
        await quiet();
        return work();
      }),
    busy: () =>
      limit.activeCount + limit.pendingCount >= concurrency || (quietMs > 0 && now() < burstUntil),
    arrived: () => {
      const t = now();
      if (t - lastArrival < quietMs) burstUntil = t + quietMs;
      lastArrival = t;
    },
    quiet,
  };
}
