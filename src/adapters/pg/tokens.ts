import { createHash, randomBytes } from 'node:crypto';
import type pg from 'pg';

export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  roadmaps: string[];
  createdBy: string;
  createdAt: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
}

/** SHA-256 is enough for 256-bit random tokens: there is no dictionary to slow down. */
export const hashToken = (token: string): string => createHash('sha256').update(token).digest('hex');

/** API tokens: created (shown once), listed, revoked; only their hash is stored. */
export class TokenStore {
  constructor(private readonly pool: pg.Pool) {}

  async create(name: string, roadmaps: string[], createdBy: string, now: Date): Promise<{ token: string; id: number }> {
    const token = `rbt_${randomBytes(32).toString('base64url')}`;
    const rows = await this.pool.query<{ id: string }>(
      `INSERT INTO api_tokens (name, token_hash, prefix, roadmaps, created_by, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING id`,
      [name, hashToken(token), token.slice(0, 10), roadmaps, createdBy, now],
    );
    return { token, id: Number(rows.rows[0]?.id) };
  }

  async list(): Promise<ApiToken[]> {
    const rows = await this.pool.query(`SELECT id, name, prefix, roadmaps, created_by, created_at, revoked_at, last_used_at FROM api_tokens ORDER BY id`);
    return rows.rows.map((r) => ({
      id: Number(r.id),
      name: r.name,
      prefix: r.prefix,
      roadmaps: r.roadmaps,
      createdBy: r.created_by,
      createdAt: r.created_at,
      ...(r.revoked_at ? { revokedAt: r.revoked_at } : {}),
      ...(r.last_used_at ? { lastUsedAt: r.last_used_at } : {}),
    }));
  }

  /** Revokes by id or name; false when no live token matched. */
  async revoke(idOrName: string, now: Date): Promise<boolean> {
    const rows = await this.pool.query(
      `UPDATE api_tokens SET revoked_at = $2 WHERE (name = $1 OR id::text = $1) AND revoked_at IS NULL`,
      [idOrName, now],
    );
    return rows.rowCount === 1;
  }

  /** The live token a bearer string belongs to, noting its use. */
  async authenticate(token: string, now: Date): Promise<ApiToken | undefined> {
    const rows = await this.pool.query(
      `UPDATE api_tokens SET last_used_at = $2 WHERE token_hash = $1 AND revoked_at IS NULL
       RETURNING id, name, prefix, roadmaps, created_by, created_at`,
      [hashToken(token), now],
    );
    const r = rows.rows[0];
    return r ? { id: Number(r.id), name: r.name, prefix: r.prefix, roadmaps: r.roadmaps, createdBy: r.created_by, createdAt: r.created_at } : undefined;
  }

  /** Counts a request in the token's current minute; returns the count so far (every replica shares it). */
  async countRequest(tokenId: number, now: Date): Promise<{ count: number; windowEnd: Date }> {
    const windowStart = new Date(Math.floor(now.getTime() / 60_000) * 60_000);
    const rows = await this.pool.query<{ count: number }>(
      `INSERT INTO api_rate_windows (token_id, window_start, count) VALUES ($1, $2, 1)
       ON CONFLICT (token_id, window_start) DO UPDATE SET count = api_rate_windows.count + 1 RETURNING count`,
      [tokenId, windowStart],
    );
    return { count: rows.rows[0]?.count ?? 1, windowEnd: new Date(windowStart.getTime() + 60_000) };
  }

  /** Forgets counts of windows long past. */
  async pruneRateWindows(now: Date): Promise<void> {
    await this.pool.query(`DELETE FROM api_rate_windows WHERE window_start < $1`, [new Date(now.getTime() - 3_600_000)]);
  }
}

/** True when a token may touch the roadmap. */
export function tokenAllows(token: Pick<ApiToken, 'roadmaps'>, roadmapId: string): boolean {
  return token.roadmaps.includes('*') || token.roadmaps.includes(roadmapId);
}
