import { createHash, randomBytes } from 'node:crypto';
import type { ApiToken, Tokens } from '../../app/ports/tokens.js';
import type { Queryable } from './db.js';

/** SHA-256 is enough for 256-bit random tokens: there is no dictionary to slow down. */
export const hashToken = (token: string): string =>
  createHash('sha256').update(token).digest('hex');

/** A new random token (shown once); only its hash is stored. */
export async function createToken(
  db: Queryable,
  name: string,
  roadmaps: string[],
  createdBy: string,
  now: Date,
): Promise<{ token: string; id: number }> {
  const token = `rbt_${randomBytes(32).toString('base64url')}`;
  const rows = await db.query<{ id: string }>(
    `INSERT INTO api_tokens (name, token_hash, prefix, roadmaps, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
    [name, hashToken(token), token.slice(0, 10), roadmaps, createdBy, now],
  );
  return { token, id: Number(rows.rows[0]?.id) };
}

export async function listTokens(db: Queryable): Promise<ApiToken[]> {
  const rows = await db.query(
    `SELECT id, name, prefix, roadmaps, created_by, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id`,
  );
  return rows.rows.map((r) => ({
    ...tokenFromRow(r),
    ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
    ...(r.last_used_at ? { lastUsedAt: r.last_used_at } : {}),
  }));
}

/** The columns every read of a token selects, as an ApiToken. */
function tokenFromRow(r: Record<string, unknown>): ApiToken {
  return {
    id: Number(r.id),
    name: r.name as string,
    prefix: r.prefix as string,
    roadmaps: r.roadmaps as string[],
    createdBy: r.created_by as string,
    createdAt: r.created_at as Date,
  };
}

/** Revokes by id or name; false when no live token matched. */
export async function revokeToken(db: Queryable, idOrName: string, now: Date): Promise<boolean> {
  const rows = await db.query(
    `UPDATE api_tokens SET revoked_at = $2 WHERE (name = $1 OR id::text = $1) AND revoked_at IS NULL`,
    [idOrName, now],
  );
  return rows.rowCount === 1;
}

/**
 * The live token a bearer string belongs to, with this request counted in the token's
 * current minute (the count every replica shares), in one statement. Undefined for an
 * unknown or revoked token, and then nothing is counted. `last_used_at` is moved at most
 * once a minute: concurrent requests of one token would otherwise queue on its row.
 *
 * It runs before every API request, and its commit does not wait for the WAL to reach the disk
 * (synchronous_commit off for this one transaction): a server crash could lose the last
 * fraction of a second of counts and last-use times, which only the rate limit and `token
 * list` read; the request's own write, if any, waits for its flush anyway.
 */
const AUTHENTICATE = `WITH t AS (
       SELECT id, name, prefix, roadmaps, created_by, created_at, last_used_at FROM api_tokens
        WHERE token_hash = $1 AND revoked_at IS NULL),
     touched AS (
       UPDATE api_tokens SET last_used_at = $2
        WHERE id = (SELECT id FROM t) AND (last_used_at IS NULL OR last_used_at < $2::timestamptz - interval '1 minute')),
     counted AS (
       INSERT INTO api_rate_windows (token_id, window_start, count) SELECT id, $3, 1 FROM t
       ON CONFLICT (token_id, window_start) DO UPDATE SET count = api_rate_windows.count + 1 RETURNING count)
     SELECT t.*, counted.count, set_config('synchronous_commit', 'off', true) AS async_commit
       FROM t CROSS JOIN counted`;

export async function authenticateAndCount(
  db: Queryable,
  token: string,
  now: Date,
): Promise<{ token: ApiToken; count: number; windowEnd: Date } | undefined> {
  const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
  // Named: parsed and planned once per connection, not on every request (its PostgreSQL CPU in
  // bench/ingest.ts's breakdown: 0.67 ms unnamed, 0.00-0.33 ms named; docs/SCALING.md for
  // PgBouncer).
  const rows = await db.query({
    name: 'roadmap-bot-authenticate',
    text: AUTHENTICATE,
    values: [hashToken(token), now, windowStart],
  });
  const r = rows.rows[0];
  if (!r) return undefined;
  return {
    token: tokenFromRow(r),
    count: r.count,
    windowEnd: new Date(windowStart.getTime() + 60_000),
  };
}

/** Forgets counts of windows long past. */
export async function pruneRateWindows(db: Queryable, now: Date): Promise<void> {
  await db.query(`DELETE FROM api_rate_windows WHERE window_start < $1`, [
    new Date(now.getTime() - 3_600_000),
  ]);
}

/** The Tokens port on `db`. */
export function pgTokens(db: Queryable): Tokens {
  return {
    create: (name, roadmaps, createdBy, now) => createToken(db, name, roadmaps, createdBy, now),
    list: () => listTokens(db),
    revoke: (idOrName, now) => revokeToken(db, idOrName, now),
    authenticateAndCount: (token, now) => authenticateAndCount(db, token, now),
    pruneRateWindows: (now) => pruneRateWindows(db, now),
  };
}
