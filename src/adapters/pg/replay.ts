import type pg from 'pg';

/**
 * Interactions already accepted, in the database every replica shares: the memory that lets
 * a signed request be refused when it comes a second time, whichever replica it reaches.
 */
export class ReplayStore {
  constructor(private readonly pool: pg.Pool) {}

  /** True the first time `id` is seen on `platform`; false for a replay. */
  async firstSeen(platform: string, id: string, at: Date): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO seen_interactions (platform, id, seen_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
      [platform, id, at],
    );
    return rowCount === 1;
  }

  /** Forgets interactions seen before `before`: older requests fail the signature's time window anyway. */
  async prune(before: Date): Promise<void> {
    await this.pool.query(`DELETE FROM seen_interactions WHERE seen_at < $1`, [before]);
  }
}
