import type pg from 'pg';

/**
 * Chat requests already accepted, in the database every replica shares: the memory that lets
 * a signed request be refused when it comes a second time, whichever replica it reaches.
 * Discord interactions are remembered by id (`seen_interactions`), Slack requests by the keys
 * the Slack receiver derives from them (`seen_slack_requests`).
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

  /**
   * True when none of `keys` (the keys of one Slack request) was seen before; all of them are
   * remembered either way. One statement, so two replicas given the same request at the same
   * instant cannot both be told it is new.
   */
  async firstSeenSlack(keys: readonly string[], at: Date): Promise<boolean> {
    const unique = [...new Set(keys)];
    const { rowCount } = await this.pool.query(
      `INSERT INTO seen_slack_requests (request_key, seen_at)
       SELECT key, $2 FROM unnest($1::text[]) AS key
       ON CONFLICT DO NOTHING`,
      [unique, at],
    );
    return rowCount === unique.length;
  }

  /** Forgets one Slack request's keys: it failed before it was taken, so a retry may run it. */
  async forgetSlack(keys: readonly string[]): Promise<void> {
    await this.pool.query(`DELETE FROM seen_slack_requests WHERE request_key = ANY($1::text[])`, [
      [...keys],
    ]);
  }

  /** Forgets requests seen before `before`: older requests fail the signature's time window anyway. */
  async prune(before: Date): Promise<void> {
    await this.pool.query(`DELETE FROM seen_interactions WHERE seen_at < $1`, [before]);
    await this.pool.query(`DELETE FROM seen_slack_requests WHERE seen_at < $1`, [before]);
  }
}
