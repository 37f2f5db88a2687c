import pg from 'pg';
import { withClient } from './db.js';

export interface PoolOptions {
  /** Default 10. */
  max?: number;
  /**
   * Connections kept open when idle (default 0: each closes after 10 s idle). A boot warm-up
   * opens this many (src/app/warm-up.ts): kept, they spare the first status after a quiet
   * spell a new connection and a new backend's catalog loads.
   */
  min?: number;
  /** Shows up in pg_stat_activity; default 'roadmap-bot'. */
  applicationName?: string;
  /** Errors of idle connections (server restart, network drop). Default: a process warning. */
  onError?: (err: Error) => void;
}

let typesConfigured = false;

/**
 * Makes int8 (count(*), bigserial ids) come back as numbers instead of strings. Global to the
 * pg module, hence once. Values beyond 2^53 would silently lose precision as numbers, so they
 * fail the query instead (pg turns a parser error into a query error).
 */
export function configurePgTypes(): void {
  if (typesConfigured) return;
  typesConfigured = true;
  pg.types.setTypeParser(pg.types.builtins.INT8, (value: string) => {
    const n = Number(value);
    if (!Number.isSafeInteger(n))
      throw new RangeError(`int8 value ${value} does not fit in a JS number`);
    return n;
  });
}

export function createPool(url: string, opts: PoolOptions = {}): pg.Pool {
  configurePgTypes();
  const onError =
    opts.onError ??
    ((err: Error) => process.emitWarning(`idle PostgreSQL connection failed: ${err.message}`));
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    min: Math.min(opts.min ?? 0, opts.max ?? 10),
    application_name: opts.applicationName ?? 'roadmap-bot',
    // Fail fast when the server is unreachable instead of hanging a request forever.
    connectionTimeoutMillis: 5_000,
    idleTimeoutMillis: 10_000,
    keepAlive: true,
    // No global statement_timeout: migrations and bulk imports legitimately run long; callers set
    // one per transaction where it matters.
  });
  // Without a listener an idle client's error (e.g. the server restarting) crashes the process.
  pool.on('error', onError);
  // A checked-out client loses the pool's listener; its error resurfaces as the next query's
  // rejection ("Client has encountered a connection error"), so here it only must not crash.
  pool.on('connect', (client) => {
    client.on('error', () => {});
  });
  keepConnectionsAfterAnswers(pool);
  return pool;
}

/**
 * `pool.query` destroys its connection after any error, so every statement the server refuses
 * (a constraint, a timeout, a bad value) costs the next one a new connection: TCP, SCRAM and a
 * new backend, 20-40 ms on both sides. Promise-style queries run through withClient instead,
 * which keeps a connection the server answered on; callbacks and submittables (cursors, COPY
 * streams) keep pg-pool's own path.
 */
function keepConnectionsAfterAnswers(pool: pg.Pool): void {
  const original = pool.query.bind(pool) as (...args: unknown[]) => unknown;
  const submittable = (arg: unknown): boolean =>
    typeof arg === 'object' &&
    arg !== null &&
    typeof (arg as { submit?: unknown }).submit === 'function';
  pool.query = ((...args: unknown[]) => {
    if (args.some((a) => typeof a === 'function') || submittable(args[0])) return original(...args);
    return withClient(pool, (client) =>
      (client.query as (...a: unknown[]) => Promise<pg.QueryResult>)(...args),
    );
  }) as typeof pool.query;
}
