import type {
  AlertStore,
  DigestSubscription,
  Outgoing,
  QueuedDigest,
} from '../../app/alerts/ports.js';
import type {
  EpisodeRecord,
  FirstPost,
  NewEpisode,
  StoredTrigger,
} from '../../core/alerts/episode.js';
import type { Subscriber } from '../../core/alerts/notify.js';
import type { DigestSnapshot } from '../../core/digest/compose.js';
import type { TriggerMemory, TriggerState } from '../../core/evaluate/transition.js';
import type { Severity } from '../../core/roadmap/model.js';
import type { Queryable } from './db.js';

/**
 * The alert engine's, the digests' and the alert commands' queries (src/app/alerts/ports.ts):
 * alert memory, episodes, subscriptions read for alerts and digests, and enqueueing into the
 * outbox. Each takes the client it runs on, so callers choose the transaction.
 */

/** Serializes evaluation of one roadmap across replicas, until the transaction ends. */
export async function lockEvaluation(db: Queryable, roadmapId: string): Promise<boolean> {
  const { rows } = await db.query<{ locked: boolean }>(
    `SELECT pg_try_advisory_xact_lock(hashtext('roadmap-bot:evaluate'), hashtext($1)) AS locked`,
    [roadmapId],
  );
  return rows[0]?.locked === true;
}

export async function triggerMemory(
  db: Queryable,
  roadmapId: string,
): Promise<Map<string, StoredTrigger>> {
  const rows = await db.query<{
    trigger_id: string;
    state: TriggerState;
    since: Date;
    active_since: Date | null;
    firing_since: Date | null;
    episode_id: number | null;
  }>(
    `SELECT trigger_id, state, since, active_since, firing_since, episode_id FROM trigger_states WHERE roadmap_id = $1`,
    [roadmapId],
  );
  return new Map(
    rows.rows.map((r) => [
      r.trigger_id,
      {
        state: r.state,
        since: r.since,
        ...(r.active_since ? { activeSince: r.active_since } : {}),
        ...(r.firing_since ? { firingSince: r.firing_since } : {}),
        ...(r.episode_id !== null ? { episodeId: Number(r.episode_id) } : {}),
      },
    ]),
  );
}

export async function saveTriggerMemory(
  db: Queryable,
  roadmapId: string,
  triggerId: string,
  memory: TriggerMemory,
  episodeId: number | undefined,
  now: Date,
): Promise<void> {
  await db.query(
    `INSERT INTO trigger_states (roadmap_id, trigger_id, state, since, active_since, firing_since, episode_id, evaluated_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
     ON CONFLICT (roadmap_id, trigger_id) DO UPDATE SET
       state = EXCLUDED.state, since = EXCLUDED.since, active_since = EXCLUDED.active_since,
       firing_since = EXCLUDED.firing_since, episode_id = EXCLUDED.episode_id, evaluated_at = EXCLUDED.evaluated_at`,
    [
      roadmapId,
      triggerId,
      memory.state,
      memory.since,
      memory.activeSince ?? null,
      memory.firingSince ?? null,
      episodeId ?? null,
      now,
    ],
  );
}

const EPISODE_COLUMNS = `id, roadmap_id, trigger_id, kind, severity, condition, message, fired_at, resolved_at, acknowledged_by, acknowledged_at, snoozed_by, snoozed_until`;

function toEpisode(r: Record<string, unknown>): EpisodeRecord {
  const opt = <T>(key: string, value: unknown): Partial<Record<string, T>> =>
    value === null || value === undefined ? {} : { [key]: value as T };
  return {
    id: Number(r.id),
    roadmapId: r.roadmap_id as string,
    triggerId: r.trigger_id as string,
    kind: r.kind as EpisodeRecord['kind'],
    severity: r.severity as Severity,
    condition: r.condition as string,
    firedAt: r.fired_at as Date,
    ...opt('message', r.message),
    ...opt('resolvedAt', r.resolved_at),
    ...opt('acknowledgedBy', r.acknowledged_by),
    ...opt('acknowledgedAt', r.acknowledged_at),
    ...opt('snoozedBy', r.snoozed_by),
    ...opt('snoozedUntil', r.snoozed_until),
  } as EpisodeRecord;
}

/** Opens the trigger's episode, or returns the one already open (another replica got there first). */
export async function openEpisode(db: Queryable, e: NewEpisode): Promise<EpisodeRecord> {
  const inserted = await db.query(
    `INSERT INTO alert_episodes (roadmap_id, trigger_id, kind, severity, condition, message, pending_since, fired_at, details)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
     ON CONFLICT (roadmap_id, trigger_id) WHERE resolved_at IS NULL DO NOTHING
     RETURNING ${EPISODE_COLUMNS}`,
    [
      e.roadmapId,
      e.triggerId,
      e.kind,
      e.severity,
      e.condition,
      e.message ?? null,
      e.pendingSince ?? null,
      e.firedAt,
      JSON.stringify(e.details),
    ],
  );
  if (inserted.rows[0]) return toEpisode(inserted.rows[0]);
  const open = await openEpisodeOf(db, e.roadmapId, e.triggerId);
  if (!open) throw new Error(`episode of ${e.roadmapId}/${e.triggerId} neither inserted nor open`);
  return open;
}

export async function openEpisodeOf(
  db: Queryable,
  roadmapId: string,
  triggerId: string,
): Promise<EpisodeRecord | undefined> {
  const rows = await db.query(
    `SELECT ${EPISODE_COLUMNS} FROM alert_episodes WHERE roadmap_id = $1 AND trigger_id = $2 AND resolved_at IS NULL`,
    [roadmapId, triggerId],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

/** Open episodes of the roadmap, and those its trigger memory names (one may have just resolved). */
export async function liveEpisodes(db: Queryable, roadmapId: string): Promise<EpisodeRecord[]> {
  const rows = await db.query(
    `SELECT ${EPISODE_COLUMNS} FROM alert_episodes
      WHERE roadmap_id = $1
        AND (resolved_at IS NULL
             OR id IN (SELECT episode_id FROM trigger_states WHERE roadmap_id = $1 AND episode_id IS NOT NULL))
      ORDER BY id`,
    [roadmapId],
  );
  return rows.rows.map(toEpisode);
}

export async function resolveEpisode(
  db: Queryable,
  id: number,
  at: Date,
): Promise<EpisodeRecord | undefined> {
  const rows = await db.query(
    `UPDATE alert_episodes SET resolved_at = $2 WHERE id = $1 AND resolved_at IS NULL RETURNING ${EPISODE_COLUMNS}`,
    [id, at],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function acknowledgeEpisode(
  db: Queryable,
  id: number,
  by: string,
  at: Date,
): Promise<EpisodeRecord | undefined> {
  const rows = await db.query(
    `UPDATE alert_episodes SET acknowledged_by = $2, acknowledged_at = $3 WHERE id = $1 RETURNING ${EPISODE_COLUMNS}`,
    [id, by, at],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function snoozeEpisode(
  db: Queryable,
  id: number,
  by: string,
  until: Date,
): Promise<EpisodeRecord | undefined> {
  const rows = await db.query(
    `UPDATE alert_episodes SET snoozed_by = $2, snoozed_until = $3 WHERE id = $1 RETURNING ${EPISODE_COLUMNS}`,
    [id, by, until],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function episodes(
  db: Queryable,
  roadmapId: string,
  opts: { openOnly?: boolean; since?: Date; until?: Date; limit?: number; offset?: number },
): Promise<EpisodeRecord[]> {
  const rows = await db.query(
    `SELECT ${EPISODE_COLUMNS} FROM alert_episodes
      WHERE roadmap_id = $1 AND ($2::boolean IS NOT TRUE OR resolved_at IS NULL)
        AND ($3::timestamptz IS NULL OR fired_at > $3 OR resolved_at > $3)
        AND ($5::timestamptz IS NULL OR fired_at <= $5)
      ORDER BY fired_at DESC, id DESC LIMIT $4 OFFSET $6`,
    [
      roadmapId,
      opts.openOnly ?? false,
      opts.since ?? null,
      opts.limit ?? 50,
      opts.until ?? null,
      opts.offset ?? 0,
    ],
  );
  return rows.rows.map(toEpisode);
}

export async function alertSubscribers(db: Queryable, roadmapId: string): Promise<Subscriber[]> {
  const rows = await db.query<{
    platform: Subscriber['platform'];
    channel_id: string;
    min_severity: Severity | null;
  }>(
    `SELECT platform, channel_id, min_severity FROM subscriptions WHERE roadmap_id = $1 AND kind = 'alerts' ORDER BY id`,
    [roadmapId],
  );
  return rows.rows.map((r) => ({
    platform: r.platform,
    channel: r.channel_id,
    minSeverity: r.min_severity ?? 'info',
  }));
}

export async function digestSubscriptions(db: Queryable): Promise<DigestSubscription[]> {
  const rows = await db.query(
    `SELECT id, platform, channel_id, roadmap_id, digest_time, timezone, created_at FROM subscriptions WHERE kind = 'digest' ORDER BY id`,
  );
  return rows.rows.map((r) => ({
    id: Number(r.id),
    platform: r.platform,
    channel: r.channel_id,
    roadmapId: r.roadmap_id,
    time: r.digest_time,
    timezone: r.timezone,
    createdAt: r.created_at,
  }));
}

/** Adds a message to the outbox; returns its id, or undefined when the key was already there. */
export async function enqueue(db: Queryable, out: Outgoing): Promise<number | undefined> {
  const rows = await db.query<{ id: string }>(
    `INSERT INTO deliveries (idempotency_key, platform, channel_id, kind, roadmap_id, episode_id, message, update_of, next_attempt_at, created_at)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING id`,
    [
      out.key,
      out.platform,
      out.channel,
      out.kind,
      out.roadmapId ?? null,
      out.episodeId ?? null,
      JSON.stringify(out.message),
      out.updateOf ?? null,
      out.at,
    ],
  );
  return rows.rows[0] ? Number(rows.rows[0].id) : undefined;
}

/** The first posts of each episode (one per channel), oldest first. */
export async function firstPosts(
  db: Queryable,
  episodeIds: readonly number[],
): Promise<Map<number, FirstPost[]>> {
  const byEpisode = new Map<number, FirstPost[]>();
  if (episodeIds.length === 0) return byEpisode;
  const rows = await db.query(
    `SELECT id, episode_id, platform, channel_id FROM deliveries
      WHERE episode_id = ANY($1::bigint[]) AND kind = 'firing' ORDER BY id`,
    [episodeIds],
  );
  for (const r of rows.rows) {
    const post = { id: Number(r.id), platform: r.platform, channel: r.channel_id };
    const list = byEpisode.get(Number(r.episode_id));
    if (list) list.push(post);
    else byEpisode.set(Number(r.episode_id), [post]);
  }
  return byEpisode;
}

export async function queuedKeys(db: Queryable, keys: readonly string[]): Promise<Set<string>> {
  if (keys.length === 0) return new Set();
  const rows = await db.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM deliveries WHERE idempotency_key = ANY($1::text[])`,
    [keys],
  );
  return new Set(rows.rows.map((r) => r.idempotency_key));
}

/**
 * Queues digests in one statement, then the snapshot of each one this call queued (another
 * replica may have queued some meanwhile: their snapshots are theirs). Run it in a
 * transaction, so a digest and its snapshot are written together.
 */
export async function enqueueDigests(
  db: Queryable,
  roadmapId: string,
  digests: readonly QueuedDigest[],
  snapshot: DigestSnapshot,
  at: Date,
): Promise<Set<string>> {
  if (digests.length === 0) return new Set();
  const inserted = await db.query<{ idempotency_key: string }>(
    `INSERT INTO deliveries (idempotency_key, platform, channel_id, kind, roadmap_id, message, next_attempt_at, created_at)
     SELECT k, p, c, 'digest', $4, m::jsonb, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) AS x(k, p, c, m)
     ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
    [
      digests.map((d) => d.key),
      digests.map((d) => d.platform),
      digests.map((d) => d.channel),
      roadmapId,
      digests.map((d) => JSON.stringify(d.message)),
      at,
    ],
  );
  const fresh = new Set(inserted.rows.map((r) => r.idempotency_key));
  const ours = digests.filter((d) => fresh.has(d.key));
  if (ours.length > 0) {
    await db.query(
      `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot)
       SELECT s, d::date, $3, $4::jsonb FROM unnest($1::bigint[], $2::text[]) AS x(s, d) ON CONFLICT DO NOTHING`,
      [
        ours.map((d) => d.subscriptionId),
        ours.map((d) => d.localDate),
        at,
        JSON.stringify(snapshot),
      ],
    );
  }
  return fresh;
}

/** The newest digest snapshot of each subscription. */
export async function previousDigests(
  db: Queryable,
  subscriptionIds: readonly number[],
): Promise<Map<number, DigestSnapshot>> {
  if (subscriptionIds.length === 0) return new Map();
  const rows = await db.query<{ subscription_id: string; snapshot: DigestSnapshot }>(
    `SELECT DISTINCT ON (subscription_id) subscription_id, snapshot FROM digest_snapshots
      WHERE subscription_id = ANY($1::bigint[]) ORDER BY subscription_id, local_date DESC`,
    [subscriptionIds],
  );
  return new Map(rows.rows.map((r) => [Number(r.subscription_id), r.snapshot]));
}

/** The AlertStore port on `db`: the pool, or a transaction's client. */
export function pgAlertStore(db: Queryable): AlertStore {
  return {
    lockEvaluation: (roadmapId) => lockEvaluation(db, roadmapId),
    memory: (roadmapId) => triggerMemory(db, roadmapId),
    remember: (roadmapId, triggerId, memory, episodeId, now) =>
      saveTriggerMemory(db, roadmapId, triggerId, memory, episodeId, now),
    liveEpisodes: (roadmapId) => liveEpisodes(db, roadmapId),
    firstPosts: (ids) => firstPosts(db, ids),
    openEpisode: (episode) => openEpisode(db, episode),
    closeEpisode: (id, at) => resolveEpisode(db, id, at),
    openEpisodeOf: (roadmapId, triggerId) => openEpisodeOf(db, roadmapId, triggerId),
    episodes: (roadmapId, opts) => episodes(db, roadmapId, opts),
    acknowledge: (id, by, at) => acknowledgeEpisode(db, id, by, at),
    snooze: (id, by, until) => snoozeEpisode(db, id, by, until),
    subscribers: (roadmapId) => alertSubscribers(db, roadmapId),
    digestSubscriptions: () => digestSubscriptions(db),
    enqueue: (delivery) => enqueue(db, delivery),
    queuedKeys: (keys) => queuedKeys(db, keys),
    enqueueDigests: (roadmapId, digests, snapshot, at) =>
      enqueueDigests(db, roadmapId, digests, snapshot, at),
    previousDigests: (ids) => previousDigests(db, ids),
  };
}
