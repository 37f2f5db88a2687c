import pg from 'pg';

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
  return pool;
}
