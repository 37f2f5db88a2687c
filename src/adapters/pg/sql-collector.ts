import pg from 'pg';
import type { SqlCollector } from '../../app/ports/collectors.js';
import { CollectorError, refusal, singleNumber } from '../../app/collectors/sql.js';
import { collectorRoleFindings, currentRole, type RoleFinding } from './collector-role.js';

/**
 * Verdicts on the roles SQL collectors connect as, per connection string, each kept for
 * `ttlMs` of the injected clock: collectors of one database share a check, and a role that
 * gains a privilege is refused within a minute.
 */
export class SqlRoleChecks {
  private readonly verdicts = new Map<string, { at: number; refusal: string | undefined }>();

  constructor(readonly ttlMs = 60_000) {}

  /** The verdict on `url` if it was checked within ttlMs before `now`. */
  cached(url: string, now: Date): { refusal: string | undefined } | undefined {
    const verdict = this.verdicts.get(url);
    const age = verdict ? now.getTime() - verdict.at : Number.NaN;
    return verdict && age >= 0 && age < this.ttlMs ? verdict : undefined;
  }

  /** The cached verdict, or a new one read on `client` (a session connected to `url`). */
  async verify(url: string, now: Date, client: pg.ClientBase): Promise<string | undefined> {
    const known = this.cached(url, now);
    if (known) return known.refusal;
    let role: string;
    let findings: RoleFinding[];
    try {
      role = await currentRole(client);
      findings = await collectorRoleFindings(client);
    } catch (error) {
      const e = error as { message?: string; code?: string };
      throw new CollectorError(
        `could not check the role's privileges: ${e.code === '57014' ? 'timed out' : (e.message ?? String(error))}`,
      );
    }
    const verdict = { at: now.getTime(), refusal: refusal(role, findings) };
    this.verdicts.set(url, verdict);
    return verdict.refusal;
  }
}

/** The verdicts of this process, unless a caller keeps its own. */
export const sharedRoleChecks = new SqlRoleChecks();

/**
 * A session on the product database in a READ ONLY transaction with a statement timeout,
 * always rolled back and closed; failures become CollectorErrors with words for `status`.
 */
async function inReadOnlySession<T>(
  url: string,
  timeoutMs: number,
  work: (client: pg.Client) => Promise<T>,
): Promise<T> {
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
    return await work(client);
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

/**
 * Checks the role `url` connects as (see collectorRoleFindings), unless checked within the
 * TTL: the refusal, or undefined when it may only read. Throws a CollectorError when the
 * database cannot be reached.
 */
export function checkSqlCollectorRole(
  url: string,
  timeoutMs: number,
  now: Date,
  checks: SqlRoleChecks = sharedRoleChecks,
): Promise<string | undefined> {
  const known = checks.cached(url, now);
  if (known) return Promise.resolve(known.refusal);
  return inReadOnlySession(url, timeoutMs, (client) => checks.verify(url, now, client));
}

/**
 * Runs a metric's SQL against the product database: only as a role that may only read
 * (checked in the same session, or within the checks' TTL), in a READ ONLY transaction with a
 * statement timeout, as a single prepared statement (so `SELECT …; DELETE …` is refused),
 * always rolled back. The connection is opened for the run and closed after it.
 */
export async function runSqlCollector(
  url: string,
  sql: string,
  timeoutMs: number,
  guard: { now: Date; checks?: SqlRoleChecks },
): Promise<number> {
  return inReadOnlySession(url, timeoutMs, async (client) => {
    // READ ONLY stops writes in this session only; dblink and the like open another one.
    const refused = await (guard.checks ?? sharedRoleChecks).verify(url, guard.now, client);
    if (refused) throw new CollectorError(refused);
    // A named statement uses the extended protocol, which takes exactly one statement.
    const result = await client.query({
      name: 'roadmap-bot-collector',
      text: sql.trim().replace(/;\s*$/, ''),
    });
    return singleNumber(result.rows, result.fields);
  });
}

/** The SqlCollector port: runs and checks on the product databases, verdicts kept in `checks`. */
export function pgSqlCollector(checks: SqlRoleChecks = sharedRoleChecks): SqlCollector {
  return {
    checked: (url, now) => checks.cached(url, now) !== undefined,
    checkRole: (url, timeoutMs, now) => checkSqlCollectorRole(url, timeoutMs, now, checks),
    run: (url, sql, timeoutMs, now) => runSqlCollector(url, sql, timeoutMs, { now, checks }),
  };
}
