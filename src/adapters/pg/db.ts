import pg from 'pg';

/**
 * What every query function of this folder runs on: the pool (a statement of its own) or a
 * transaction's client (so a unit of work is one transaction, see withTransaction).
 */
export type Queryable = Pick<pg.PoolClient, 'query'>;

/** Runs `work` in one transaction on a pooled client: committed if it returns, rolled back if it throws. */
export async function withTransaction<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  try {
    await client.query('BEGIN');
    const result = await work(client);
    await client.query('COMMIT');
    return result;
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/**
 * Runs `work` on one pooled client, which goes back to the pool open after an error the server
 * answered (a duplicate key, say). `pool.query` instead destroys the connection on any error,
 * so a write that expects one (writePoints' fallback to its upsert) made the next statement
 * pay for a new connection: its TCP and SCRAM handshake and a new backend, 20–40 ms. A
 * connection that failed (no answer from the server) is still destroyed.
 */
export async function withClient<T>(
  pool: pg.Pool,
  work: (client: pg.PoolClient) => Promise<T>,
): Promise<T> {
  const client = await pool.connect();
  let broken: Error | undefined;
  try {
    return await work(client);
  } catch (error) {
    if (!keepsConnection(error)) broken = error as Error;
    throw error;
  } finally {
    client.release(broken);
  }
}

/**
 * Whether a connection is still good after `error`: the server answered the statement with an
 * error and the session goes on (a duplicate key, a division by zero, a statement timeout).
 * A FATAL or PANIC answer ends the session (the backend was terminated), and anything that is
 * not an answer (a socket error, a client-side query timeout) leaves the link in doubt.
 */
export function keepsConnection(error: unknown): boolean {
  return (
    error instanceof pg.DatabaseError && error.severity !== 'FATAL' && error.severity !== 'PANIC'
  );
}

/** Resolves when the database answers within `timeoutMs` (readiness). */
export async function ping(db: Queryable, timeoutMs: number): Promise<void> {
  // query_timeout is client-side: no session setting is left on the pooled connection.
  await db.query({ text: 'SELECT 1', query_timeout: timeoutMs } as pg.QueryConfig);
}
