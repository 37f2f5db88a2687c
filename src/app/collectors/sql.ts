import pg from 'pg';

/** Why a collector run failed, in words for `status` and the digest. */
export class CollectorError extends Error {}

/** Reads a single number out of a query result: exactly one row with exactly one numeric cell. */
export function singleNumber(rows: Record<string, unknown>[], fields: { name: string }[]): number {
  if (rows.length !== 1 || fields.length !== 1) {
    throw new CollectorError(
      `expected exactly one row with one column, got ${rows.length} row(s) and ${fields.length} column(s)`,
    );
  }
  const cell = (rows[0] as Record<string, unknown>)[(fields[0] as { name: string }).name];
  const value =
    typeof cell === 'number'
      ? cell
      : typeof cell === 'bigint'
        ? Number(cell)
        : typeof cell === 'string' && cell.trim() !== ''
          ? Number(cell)
          : Number.NaN;
  if (!Number.isFinite(value))
    throw new CollectorError(
      `expected a number, got ${cell === null ? 'NULL' : JSON.stringify(cell)}`,
    );
  return value;
}

/**
 * Runs a metric's SQL against the product database: in a READ ONLY transaction with a
 * statement timeout, as a single prepared statement (so `SELECT …; DELETE …` is refused),
 * always rolled back. The connection is opened for the run and closed after it.
 */
export async function runSqlCollector(
  url: string,
  sql: string,
  timeoutMs: number,
): Promise<number> {
  const client = new pg.Client({
    connectionString: url,
    connectionTimeoutMillis: timeoutMs,
    application_name: 'roadmap-bot collector',
    query_timeout: timeoutMs + 1000,
  });
  client.on('error', () => {}); // a dropped connection surfaces as the query's rejection
  try {
    await client.connect();
    await client.query('BEGIN TRANSACTION READ ONLY');
    await client.query(`SET LOCAL statement_timeout = ${Math.max(1, Math.round(timeoutMs))}`);
    // A named statement uses the extended protocol, which takes exactly one statement.
    const result = await client.query({
      name: 'roadmap-bot-collector',
      text: sql.trim().replace(/;\s*$/, ''),
    });
    return singleNumber(result.rows, result.fields);
  } catch (error) {
    if (error instanceof CollectorError) throw error;
    const e = error as { message?: string; code?: string };
    const why =
      e.code === '57014'
        ? `timed out after ${timeoutMs} ms`
        : e.code === '25006'
          ? `refused: the collector only reads (${e.message})`
          : (e.message ?? String(error));
    throw new CollectorError(why);
  } finally {
    await client.query('ROLLBACK').catch(() => undefined);
    await client.end().catch(() => undefined);
  }
}
