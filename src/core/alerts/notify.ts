import type { TriggerMemory } from '../evaluate/transition.js';
import type { Severity } from '../roadmap/model.js';

export type NotificationKind = 'firing' | 'repeat' | 'resolved' | 'approaching';

/** Why a notification goes out (or why not): logged, like Alertmanager's dedup reasons. */
export type NotifyReason =
  | 'first-notification'
  | 'repeat-interval-elapsed'
  | 'episode-resolved'
  | 'crossed-into-approaching';

export interface Episode {
  id: number;
  firedAt: Date;
  acknowledgedAt?: Date;
  snoozedUntil?: Date;
}

export interface Subscriber {
  platform: 'slack' | 'discord' | 'console';
  channel: string;
  minSeverity: Severity;
}

export interface Notification {
  kind: NotificationKind;
  reason: NotifyReason;
  /** Idempotency key: the same notification for the same channel always has the same key. */
  key: string;
  destination: { platform: Subscriber['platform']; channel: string };
}

const RANK: Record<Severity, number> = { info: 0, warning: 1, critical: 2 };

export function severityAtLeast(severity: Severity, min: Severity): boolean {
  return RANK[severity] >= RANK[min];
}

export interface NotifyInput {
  roadmapId: string;
  trigger: { id: string; severity: Severity };
  prev?: TriggerMemory;
  next: TriggerMemory;
  /** The trigger's current episode (or the one this evaluation just closed). */
  episode?: Episode;
  subscribers: Subscriber[];
  now: Date;
  repeatIntervalMs: number;
}

/**
 * A notification's idempotency key, told apart from the episode id it names: an event of the
 * episode (`alert:<episode id>:<event>`), or a key of its own. A plan names an episode it
 * opens before the database has given it an id (src/core/alerts/plan.ts).
 */
export type NotificationKey = { episodeEvent: string } | { key: string };

/** A notification to one channel, its key not yet bound to an episode id. */
export interface PlannedNotification extends Omit<Notification, 'key'> {
  key: NotificationKey;
}

/** The key as stored: `episodeId` is the id of the notification's episode. */
export function keyText(key: NotificationKey, episodeId: number | undefined): string {
  if ('key' in key) return key.key;
  if (episodeId === undefined) throw new Error(`key ${key.episodeEvent} names no episode`);
  return `alert:${episodeId}:${key.episodeEvent}`;
}

/**
 * Decides which notifications an evaluation calls for. Pure. Keys are derived from facts
 * every replica agrees on (episode ids, repeat numbers, the moment a state was entered), so
 * the outbox's unique key turns "decided twice" into "sent once".
 */
export function notificationsFor(input: NotifyInput): Notification[] {
  return plannedNotifications(input).map((n) => ({
    ...n,
    key: keyText(n.key, input.episode?.id),
  }));
}

/** notificationsFor, with keys that name the episode without its id (the episode may be new). */
export function plannedNotifications(
  input: Omit<NotifyInput, 'episode'> & { episode?: Omit<Episode, 'id'> },
): PlannedNotification[] {
  const { prev, next, episode, now } = input;
  const decisions: {
    kind: NotificationKind;
    reason: NotifyReason;
    key: (dest: string) => NotificationKey;
  }[] = [];

  if (next.state === 'firing' && episode) {
    const newEpisode = !prev?.firingSince;
    if (newEpisode) {
      decisions.push({
        kind: 'firing',
        reason: 'first-notification',
        key: (d) => ({ episodeEvent: `fired:${d}` }),
      });
    } else if (!episode.acknowledgedAt && !(episode.snoozedUntil && episode.snoozedUntil > now)) {
      // Repeat k goes out once the k-th interval since firing has elapsed; k names it.
      const k = Math.floor((now.getTime() - episode.firedAt.getTime()) / input.repeatIntervalMs);
      if (k >= 1)
        decisions.push({
          kind: 'repeat',
          reason: 'repeat-interval-elapsed',
          key: (d) => ({ episodeEvent: `repeat:${k}:${d}` }),
        });
    }
  } else if (next.state === 'resolved' && prev?.firingSince && episode) {
    decisions.push({
      kind: 'resolved',
      reason: 'episode-resolved',
      key: (d) => ({ episodeEvent: `resolved:${d}` }),
    });
  } else if (next.state === 'approaching' && prev?.state !== 'approaching') {
    // Once per crossing: the crossing is named by the moment the state was entered.
    const crossing = next.since.toISOString();
    decisions.push({
      kind: 'approaching',
      reason: 'crossed-into-approaching',
      key: (d) => ({ key: `approaching:${input.roadmapId}:${input.trigger.id}:${crossing}:${d}` }),
    });
  }

  return input.subscribers
    .filter((s) => severityAtLeast(input.trigger.severity, s.minSeverity))
    .flatMap((s) =>
      decisions.map((d) => ({
        kind: d.kind,
        reason: d.reason,
        key: d.key(`${s.platform}:${s.channel}`),
        destination: { platform: s.platform, channel: s.channel },
      })),
    );
}
