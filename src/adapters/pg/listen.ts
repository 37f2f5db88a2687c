import type { Logger } from 'pino';
import pg from 'pg';
import { realDelay, type Delay } from '../../app/delay.js';
import type { WriteSignals } from '../../app/ports/signals.js';

/** Channels notified by migration 0010's triggers, on commit. */
export const POINTS_CHANNEL = 'roadmap_bot_points';
export const OUTBOX_CHANNEL = 'roadmap_bot_outbox';

export interface SignalListenerOptions {
  /** Shows up in pg_stat_activity. Default 'roadmap-bot signals'. */
  applicationName?: string;
  /** Reconnection: the first wait, doubled at each failure up to `maxMs`. Default 250 ms to 30 s. */
  retry?: { firstMs: number; maxMs: number };
  /** The wait before reconnecting; tests pass one they release by hand. Default: setTimeout. */
  delay?: Delay;
  /**
   * How often the connection is checked with a query: a connection dropped without a word (a
   * network partition) brings no error, only silence. Default 30 s.
   */
  pingMs?: number;
  logger?: Pick<Logger, 'debug'>;
}

/**
 * A dedicated connection (not the pool's: LISTEN belongs to a session) that LISTENs to the
 * write signals and hands them to `signals`. When it drops it says so (`lost`) and reconnects
 * with backoff, saying `listening` once it is back (the app then catches up what it missed).
 */
export class SignalListener {
  private client: pg.Client | undefined;
  /** Which connection is current: events of an older one are ignored. */
  private generation = 0;
  private failures = 0;
  private stopped = false;
  private cancelRetry: (() => void) | undefined;
  private pingTimer: NodeJS.Timeout | undefined;

  constructor(
    private readonly url: string,
    private readonly signals: WriteSignals,
    private readonly opts: SignalListenerOptions = {},
  ) {}

  /** Connects in the background (never throws; failures are `lost` and retried). */
  start(): void {
    void this.connect();
  }

  /** Closes the connection and stops reconnecting. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.generation++;
    this.cancelRetry?.();
    clearInterval(this.pingTimer);
    const client = this.client;
    this.client = undefined;
    await client?.end().catch(() => undefined);
  }

  private async connect(): Promise<void> {
    if (this.stopped) return;
    const generation = ++this.generation;
    const client = new pg.Client({
      connectionString: this.url,
      application_name: this.opts.applicationName ?? 'roadmap-bot signals',
      keepAlive: true,
      connectionTimeoutMillis: 5_000,
    });
    this.client = client;
    const current = () => generation === this.generation && !this.stopped;
    const lost = (error: Error): void => {
      if (!current()) return;
      this.generation++; // the 'end' after an 'error' is the same loss
      clearInterval(this.pingTimer);
      this.client = undefined;
      void client.end().catch(() => undefined);
      this.signals.lost(error);
      this.reconnectLater();
    };
    client.on('error', lost);
    client.on('end', () => lost(new Error('the signal connection was closed')));
    client.on('notification', (message) => {
      if (current()) this.dispatch(message.channel, message.payload ?? '');
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${POINTS_CHANNEL}; LISTEN ${OUTBOX_CHANNEL}`);
    } catch (error) {
      lost(error as Error);
      return;
    }
    if (!current()) {
      await client.end().catch(() => undefined);
      return;
    }
    this.failures = 0;
    this.pingTimer = setInterval(() => {
      client
        .query({ text: 'SELECT 1', query_timeout: 10_000 } as pg.QueryConfig)
        .catch((error: Error) => lost(error));
    }, this.opts.pingMs ?? 30_000);
    this.pingTimer.unref();
    this.signals.listening();
  }

  private reconnectLater(): void {
    if (this.stopped) return;
    const { firstMs, maxMs } = this.opts.retry ?? { firstMs: 250, maxMs: 30_000 };
    const wait = Math.min(maxMs, firstMs * 2 ** Math.min(this.failures, 20));
    this.failures++;
    this.opts.logger?.debug(`signals: reconnecting in ${wait} ms`);
    this.cancelRetry = (this.opts.delay ?? realDelay)(wait, () => void this.connect());
  }

  private dispatch(channel: string, payload: string): void {
    if (channel === OUTBOX_CHANNEL) return this.signals.outboxQueued();
    if (channel !== POINTS_CHANNEL) return;
    this.signals.pointsWritten(payload === '*' ? 'all' : payload.split(',').filter(Boolean));
  }
}
