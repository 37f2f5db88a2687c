import type { ReplayMemory } from '../../app/ports/replays.js';
import type { Queryable } from './db.js';

/**
 * Chat requests already accepted, in the database every replica shares: Discord interactions
 * by id (`seen_interactions`), Slack requests by the keys the Slack receiver derives from
 * them (`seen_slack_requests`).
 */

/** True the first time `id` is seen on `platform`; false for a replay. */
export async function firstSeen(
  db: Queryable,
  platform: string,
  id: string,
  at: Date,
): Promise<boolean> {
  const { rowCount } = await db.query(
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
export async function firstSeenSlack(
  db: Queryable,
  keys: readonly string[],
  at: Date,
): Promise<boolean> {
  const unique = [...new Set(keys)];
  const { rowCount } = await db.query(
    `INSERT INTO seen_slack_requests (request_key, seen_at)
     SELECT key, $2 FROM unnest($1::text[]) AS key
     ON CONFLICT DO NOTHING`,
    [unique, at],
  );
  return rowCount === unique.length;
}

/** Forgets one Slack request's keys: it failed before it was taken, so a retry may run it. */
export async function forgetSlack(db: Queryable, keys: readonly string[]): Promise<void> {
  await db.query(`DELETE FROM seen_slack_requests WHERE request_key = ANY($1::text[])`, [
    [...keys],
  ]);
}

/** Forgets requests seen before `before`: older requests fail the signature's time window anyway. */
export async function pruneSeen(db: Queryable, before: Date): Promise<void> {
  await db.query(`DELETE FROM seen_interactions WHERE seen_at < $1`, [before]);
  await db.query(`DELETE FROM seen_slack_requests WHERE seen_at < $1`, [before]);
}

/** The ReplayMemory port on `db`. */
export function pgReplays(db: Queryable): ReplayMemory {
  return {
    firstSeen: (platform, id, at) => firstSeen(db, platform, id, at),
    firstSeenSlack: (keys, at) => firstSeenSlack(db, keys, at),
    forgetSlack: (keys) => forgetSlack(db, keys),
    prune: (before) => pruneSeen(db, before),
  };
}
