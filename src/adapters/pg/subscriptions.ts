import { actorName, type Actor } from '../../app/ports/audit.js';
import type {
  ChannelBindings,
  ChannelRef,
  Subscription,
  Subscriptions,
} from '../../app/ports/subscriptions.js';
import type { Queryable } from './db.js';

/** The roadmap a chat channel is bound to, if any. */
export async function channelRoadmap(
  db: Queryable,
  platform: string,
  channel: string,
): Promise<string | undefined> {
  const rows = await db.query<{ roadmap_id: string }>(
    `SELECT roadmap_id FROM channel_bindings WHERE platform = $1 AND channel_id = $2`,
    [platform, channel],
  );
  return rows.rows[0]?.roadmap_id;
}

/** Roadmaps some channel of the platform follows (`use`), for the Slack App Home. */
export async function boundRoadmaps(db: Queryable, platform: string): Promise<string[]> {
  const rows = await db.query<{ roadmap_id: string }>(
    `SELECT DISTINCT roadmap_id FROM channel_bindings WHERE platform = $1 ORDER BY roadmap_id`,
    [platform],
  );
  return rows.rows.map((r) => r.roadmap_id);
}

export async function bindChannel(
  db: Queryable,
  where: ChannelRef,
  roadmapId: string,
  by: Actor,
  at: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO channel_bindings (platform, channel_id, roadmap_id, bound_by, bound_at) VALUES ($1, $2, $3, $4, $5)
     ON CONFLICT (platform, channel_id) DO UPDATE SET roadmap_id = EXCLUDED.roadmap_id, bound_by = EXCLUDED.bound_by, bound_at = EXCLUDED.bound_at`,
    [where.platform, where.channel, roadmapId, actorName(by), at],
  );
}

/** Adds a subscription, or updates the channel's subscription of that kind to that roadmap. */
export async function saveSubscription(db: Queryable, s: Subscription): Promise<void> {
  await db.query(
    `INSERT INTO subscriptions (platform, channel_id, roadmap_id, kind, min_severity, digest_time, timezone, created_by, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (platform, channel_id, roadmap_id, kind) DO UPDATE SET min_severity = EXCLUDED.min_severity, digest_time = EXCLUDED.digest_time, timezone = EXCLUDED.timezone`,
    [
      s.platform,
      s.channel,
      s.roadmapId,
      s.kind,
      s.minSeverity,
      s.digestTime,
      s.timezone,
      actorName(s.by),
      s.at,
    ],
  );
}

/** False when there was no such subscription. */
export async function removeSubscription(
  db: Queryable,
  where: ChannelRef,
  roadmapId: string,
  kind: Subscription['kind'],
): Promise<boolean> {
  const removed = await db.query(
    `DELETE FROM subscriptions WHERE platform = $1 AND channel_id = $2 AND roadmap_id = $3 AND kind = $4`,
    [where.platform, where.channel, roadmapId, kind],
  );
  return (removed.rowCount ?? 0) > 0;
}

/** The ChannelBindings port on `db`. */
export function pgChannelBindings(db: Queryable): ChannelBindings {
  return {
    roadmapOf: (platform, channel) => channelRoadmap(db, platform, channel),
    boundRoadmaps: (platform) => boundRoadmaps(db, platform),
    bind: (where, roadmapId, by, at) => bindChannel(db, where, roadmapId, by, at),
  };
}

/** The Subscriptions port on `db`. */
export function pgSubscriptions(db: Queryable): Subscriptions {
  return {
    save: (subscription) => saveSubscription(db, subscription),
    remove: (where, roadmapId, kind) => removeSubscription(db, where, roadmapId, kind),
  };
}
