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

/**
 * Inserts `keys` (each with the time its request was seen) and returns the ones that were not
 * there yet. Sorted, so two replicas inserting overlapping bursts take the rows' locks in the
 * same order and cannot deadlock; a key listed twice is inserted once.
 */
async function insertNew(
  db: Queryable,
  table: 'seen_slack_requests' | 'seen_interactions',
  platform: string | undefined,
  entries: readonly { key: string; at: Date }[],
): Promise<Set<string>> {
  const first = new Map<string, Date>();
  for (const e of entries) if (!first.has(e.key)) first.set(e.key, e.at);
  const keys = [...first.keys()].sort();
  const ats = keys.map((k) => first.get(k) as Date);
  if (keys.length === 0) return new Set();
  const { rows } =
    table === 'seen_slack_requests'
      ? await db.query<{ key: string }>(
          `INSERT INTO seen_slack_requests (request_key, seen_at)
           SELECT key, at FROM unnest($1::text[], $2::timestamptz[]) AS t(key, at) ORDER BY key
           ON CONFLICT DO NOTHING
           RETURNING request_key AS key`,
          [keys, ats],
        )
      : await db.query<{ key: string }>(
          `INSERT INTO seen_interactions (platform, id, seen_at)
           SELECT $1, key, at FROM unnest($2::text[], $3::timestamptz[]) AS t(key, at) ORDER BY key
           ON CONFLICT DO NOTHING
           RETURNING id AS key`,
          [platform, keys, ats],
        );
  return new Set(rows.map((r) => r.key));
}

/** Hands each inserted key to the first request that named it: one verdict per request. */
function verdicts(requests: readonly (readonly string[])[], inserted: Set<string>): boolean[] {
  const claimed = new Set<string>();
  return requests.map((keys) => {
    const fresh = keys.length > 0 && keys.every((k) => inserted.has(k) && !claimed.has(k));
    for (const k of keys) claimed.add(k);
    return fresh;
  });
}

/** firstSeen for a burst, in one statement; an id given twice is first seen by its first. */
export async function firstSeenMany(
  db: Queryable,
  platform: string,
  seen: readonly { id: string; at: Date }[],
): Promise<boolean[]> {
  const inserted = await insertNew(
    db,
    'seen_interactions',
    platform,
    seen.map((s) => ({ key: s.id, at: s.at })),
  );
  return verdicts(
    seen.map((s) => [s.id]),
    inserted,
  );
}

/** firstSeenSlack for a burst, in one statement; a key shared by two requests goes to the first. */
export async function firstSeenSlackMany(
  db: Queryable,
  requests: readonly { keys: readonly string[]; at: Date }[],
): Promise<boolean[]> {
  const inserted = await insertNew(
    db,
    'seen_slack_requests',
    undefined,
    requests.flatMap((r) => r.keys.map((key) => ({ key, at: r.at }))),
  );
  return verdicts(
    requests.map((r) => r.keys),
    inserted,
  );
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
    firstSeenMany: (platform, seen) => firstSeenMany(db, platform, seen),
    firstSeenSlack: (keys, at) => firstSeenSlack(db, keys, at),
    firstSeenSlackMany: (requests) => firstSeenSlackMany(db, requests),
    forgetSlack: (keys) => forgetSlack(db, keys),
    prune: (before) => pruneSeen(db, before),
  };
}
