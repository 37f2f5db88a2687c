import type pg from 'pg';
import type { Episode, Subscriber } from '../../core/alerts/notify.js';
import type { TriggerMemory, TriggerState } from '../../core/evaluate/transition.js';
import type { Message } from '../../core/messages/model.js';
import type { Severity } from '../../core/roadmap/model.js';

/** Queries of the alert engine, subscriptions and outbox. Each takes a client so callers choose the transaction. */
export type Queryable = Pick<pg.PoolClient, 'query'>;

export interface StoredTrigger extends TriggerMemory {
  episodeId?: number;
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

export interface EpisodeRow extends Episode {
  roadmapId: string;
  triggerId: string;
  kind: 'upgrade' | 'alert';
  severity: Severity;
  condition: string;
  message?: string;
  resolvedAt?: Date;
  acknowledgedBy?: string;
  snoozedBy?: string;
}

const EPISODE_COLUMNS = `id, roadmap_id, trigger_id, kind, severity, condition, message, fired_at, resolved_at, acknowledged_by, acknowledged_at, snoozed_by, snoozed_until`;

function toEpisode(r: Record<string, unknown>): EpisodeRow {
  const opt = <T>(key: string, value: unknown): Partial<Record<string, T>> =>
    value === null || value === undefined ? {} : { [key]: value as T };
  return {
    id: Number(r.id),
    roadmapId: r.roadmap_id as string,
    triggerId: r.trigger_id as string,
    kind: r.kind as EpisodeRow['kind'],
    severity: r.severity as Severity,
    condition: r.condition as string,
    firedAt: r.fired_at as Date,
    ...opt('message', r.message),
    ...opt('resolvedAt', r.resolved_at),
    ...opt('acknowledgedBy', r.acknowledged_by),
    ...opt('acknowledgedAt', r.acknowledged_at),
    ...opt('snoozedBy', r.snoozed_by),
    ...opt('snoozedUntil', r.snoozed_until),
  } as EpisodeRow;
}

/** Opens the trigger's episode, or returns the one already open (another replica got there first). */
export async function openEpisode(
  db: Queryable,
  e: {
    roadmapId: string;
    triggerId: string;
    kind: 'upgrade' | 'alert';
    severity: Severity;
    condition: string;
    message?: string;
    pendingSince?: Date;
    firedAt: Date;
    details: unknown;
  },
): Promise<EpisodeRow> {
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
): Promise<EpisodeRow | undefined> {
  const rows = await db.query(
    `SELECT ${EPISODE_COLUMNS} FROM alert_episodes WHERE roadmap_id = $1 AND trigger_id = $2 AND resolved_at IS NULL`,
    [roadmapId, triggerId],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function episodeById(db: Queryable, id: number): Promise<EpisodeRow | undefined> {
  const rows = await db.query(`SELECT ${EPISODE_COLUMNS} FROM alert_episodes WHERE id = $1`, [id]);
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function resolveEpisode(
  db: Queryable,
  id: number,
  at: Date,
): Promise<EpisodeRow | undefined> {
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
): Promise<EpisodeRow | undefined> {
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
): Promise<EpisodeRow | undefined> {
  const rows = await db.query(
    `UPDATE alert_episodes SET snoozed_by = $2, snoozed_until = $3 WHERE id = $1 RETURNING ${EPISODE_COLUMNS}`,
    [id, by, until],
  );
  return rows.rows[0] ? toEpisode(rows.rows[0]) : undefined;
}

export async function episodes(
  db: Queryable,
  roadmapId: string,
  opts: { openOnly?: boolean; since?: Date; limit?: number },
): Promise<EpisodeRow[]> {
  const rows = await db.query(
    `SELECT ${EPISODE_COLUMNS} FROM alert_episodes
      WHERE roadmap_id = $1 AND ($2::boolean IS NOT TRUE OR resolved_at IS NULL)
        AND ($3::timestamptz IS NULL OR fired_at > $3 OR resolved_at > $3)
      ORDER BY fired_at DESC, id DESC LIMIT $4`,
    [roadmapId, opts.openOnly ?? false, opts.since ?? null, opts.limit ?? 50],
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

export interface DigestSubscription {
  id: number;
  platform: Subscriber['platform'];
  channel: string;
  roadmapId: string;
  time: string;
  timezone: string;
  createdAt: Date;
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

export interface Outgoing {
  key: string;
  platform: string;
  channel: string;
  kind: string;
  roadmapId?: string;
  episodeId?: number;
  message: Message;
  updateOf?: number;
  at: Date;
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

/** The first posts of an episode (one per channel): what resolutions and acknowledgements edit. */
export async function firstPostsOf(
  db: Queryable,
  episodeId: number,
): Promise<{ id: number; platform: string; channel: string }[]> {
  const rows = await db.query(
    `SELECT id, platform, channel_id FROM deliveries WHERE episode_id = $1 AND kind = 'firing' ORDER BY id`,
    [episodeId],
  );
  return rows.rows.map((r) => ({ id: Number(r.id), platform: r.platform, channel: r.channel_id }));
}
