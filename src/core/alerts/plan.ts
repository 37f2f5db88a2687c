import type { Report, TriggerReport } from '../evaluate/report.js';
import type { TransitionReason, TriggerMemory, TriggerState } from '../evaluate/transition.js';
import { alertMessage, storedEpisodeMessage, type EpisodeInfo } from '../messages/alerts.js';
import { unitsOf } from '../messages/compose.js';
import type { Message } from '../messages/model.js';
import { todoDueMessage } from '../messages/todos.js';
import type { EpisodeRecord, FirstPost, NewEpisode, StoredTrigger } from './episode.js';
import {
  plannedNotifications,
  severityAtLeast,
  type Episode,
  type NotificationKey,
  type NotificationKind,
  type NotifyReason,
  type Subscriber,
} from './notify.js';

/**
 * An episode a plan acts on: one that exists, or the one the plan opens for a trigger (the
 * database gives it its id when the plan is applied; see `episodeIdOf`).
 */
export type EpisodeRef = { id: number } | { openedFor: string };

/** Why a plan edits an episode's first posts (the word is also in the edits' keys). */
export type EditReason = 'resolved' | 'left-stage';

/** A message for the outbox, its key and episode possibly naming an episode the plan opens. */
export interface PlannedDelivery {
  key: NotificationKey;
  /** The episode the message belongs to; absent for approaching notices. */
  episode?: EpisodeRef;
  platform: string;
  channel: string;
  /** `todo-due`: the announcement of a to-do that became due (no episode). */
  kind: NotificationKind | 'update' | 'todo-due';
  message: Message;
  /** An edit: the delivery whose post it updates. */
  updateOf?: number;
}

/**
 * One step of a plan, with why it is taken. Applied in order, in one transaction: opening an
 * episode comes before the notifications that name it.
 */
export type AlertAction =
  | {
      do: 'open-episode';
      trigger: string;
      episode: NewEpisode;
      reason: 'started-firing';
    }
  | {
      do: 'close-episode';
      trigger: string;
      episodeId: number;
      at: Date;
      /** `trigger-resolved`: it stopped holding; `trigger-unwatched`: it is evaluated no more. */
      reason: 'trigger-resolved' | 'trigger-unwatched';
    }
  | {
      do: 'enqueue';
      trigger: string;
      delivery: PlannedDelivery;
      reason: NotifyReason | `edit-${EditReason}`;
    }
  | {
      do: 'remember';
      trigger: string;
      memory: TriggerMemory;
      /** The episode the memory names (kept while firing and on the evaluation that resolves it). */
      episode?: EpisodeRef;
      /** The state remembered before, if any: a change of state is worth a log line. */
      from?: TriggerState;
      reason: TransitionReason | 'trigger-unwatched';
    }
  | {
      do: 'mark-targets-met';
      targets: { targetId: string; at: Date }[];
      reason: 'targets-met';
    }
  | {
      /** Latches the current stage's to-dos whose `when` first held, with when. */
      do: 'mark-todos-due';
      stageId: string;
      todos: { todoId: string; at: Date }[];
      reason: 'todos-became-due';
    }
  | {
      /** The announcement of a to-do that became due, to one subscribed channel. */
      do: 'enqueue';
      todo: string;
      delivery: PlannedDelivery;
      reason: 'todo-became-due';
    }
  | {
      /**
       * Kept targets whose lapse began (`lapsed: true`, at `lapsedSince`) or ended (`lapsed:
       * false`, at `now`): remembered so replays show `lapsed` and `lapsed_since` as they were.
       */
      do: 'mark-targets-lapsed';
      changes: { targetId: string; lapsed: boolean; at: Date }[];
      reason: 'targets-lapsed' | 'targets-held-again';
    };

export interface PlanInput {
  /** The evaluation, made with `memory` as the triggers' previous states. */
  report: Pick<
    Report,
    'roadmap' | 'triggers' | 'targets' | 'metrics' | 'next' | 'stage' | 'actions'
  >;
  /** Every trigger's remembered state, as stored before this evaluation. */
  memory: ReadonlyMap<string, StoredTrigger>;
  /** The roadmap's open episodes and those `memory` names. */
  episodes: readonly EpisodeRecord[];
  /** The first posts of those episodes, by episode id. */
  firstPosts: ReadonlyMap<number, readonly FirstPost[]>;
  /** Targets already remembered as met. */
  targetsMet: { has(targetId: string): boolean };
  /** Kept targets remembered as lapsed (a lapse begun and not held again) before this evaluation. */
  targetsLapsed: { has(targetId: string): boolean };
  subscribers: readonly Subscriber[];
  repeatIntervalMs: number;
  now: Date;
}

/** An episode as this plan sees it: as stored, or as it will be once opened or closed. */
type EpisodeView = Omit<Episode, 'id'> &
  Pick<EpisodeRecord, 'resolvedAt' | 'acknowledgedBy' | 'snoozedBy'> & { ref: EpisodeRef };

/**
 * Everything one evaluation of a roadmap calls for, in the order it is applied: episodes
 * opened and closed, the edits of a closed episode's first posts, notifications (with the
 * idempotency keys notificationsFor gives them), each trigger's memory, targets met, to-dos
 * latched as due with their announcements, and kept targets' lapses begun or ended.
 * Pure: the shell reads the input in its evaluation transaction and applies the actions.
 */
export function planAlerts(input: PlanInput): AlertAction[] {
  const { report, now } = input;
  const byId = new Map(input.episodes.map((e) => [e.id, e]));
  const openByTrigger = new Map(
    input.episodes.filter((e) => e.resolvedAt === undefined).map((e) => [e.triggerId, e]),
  );
  const actions: AlertAction[] = [];
  const messageOf = (
    trigger: TriggerReport,
    kind: NotificationKind,
    episode: EpisodeView | undefined,
  ): Message => triggerMessage(report, trigger, kind, episode);

  for (const trigger of report.triggers) {
    const prev = input.memory.get(trigger.id);
    const next = trigger.memory;
    const stored = prev?.episodeId !== undefined ? byId.get(prev.episodeId) : undefined;
    let episode: EpisodeView | undefined = stored && { ...stored, ref: { id: stored.id } };

    if (next.state === 'firing' && !prev?.firingSince) {
      const open = openByTrigger.get(trigger.id);
      if (open) {
        // Already open though the memory lost it: this firing continues that episode.
        episode = { ...open, ref: { id: open.id } };
      } else {
        const firedAt = next.firingSince ?? now;
        actions.push({
          do: 'open-episode',
          trigger: trigger.id,
          episode: {
            roadmapId: report.roadmap.id,
            triggerId: trigger.id,
            kind: trigger.kind,
            severity: trigger.severity,
            condition: trigger.condition,
            ...(trigger.message ? { message: trigger.message } : {}),
            ...(next.activeSince ? { pendingSince: next.activeSince } : {}),
            firedAt,
            details: { comparisons: trigger.comparisons },
          },
          reason: 'started-firing',
        });
        episode = { firedAt, ref: { openedFor: trigger.id } };
      }
    } else if (next.state === 'resolved' && prev?.firingSince && stored) {
      if (stored.resolvedAt === undefined)
        actions.push({
          do: 'close-episode',
          trigger: trigger.id,
          episodeId: stored.id,
          at: now,
          reason: 'trigger-resolved',
        });
      const closed = { ...stored, resolvedAt: stored.resolvedAt ?? now };
      episode = { ...closed, ref: { id: stored.id } };
      for (const delivery of editsOf(
        stored.id,
        input.firstPosts.get(stored.id) ?? [],
        'resolved',
        messageOf(trigger, 'firing', episode),
      ))
        actions.push({ do: 'enqueue', trigger: trigger.id, delivery, reason: 'edit-resolved' });
    }

    for (const n of plannedNotifications({
      roadmapId: report.roadmap.id,
      trigger,
      ...(prev ? { prev } : {}),
      next,
      ...(episode ? { episode } : {}),
      subscribers: [...input.subscribers],
      now,
      repeatIntervalMs: input.repeatIntervalMs,
    })) {
      const ofEpisode = n.kind === 'approaching' ? undefined : episode;
      actions.push({
        do: 'enqueue',
        trigger: trigger.id,
        delivery: {
          key: n.key,
          ...(ofEpisode ? { episode: ofEpisode.ref } : {}),
          platform: n.destination.platform,
          channel: n.destination.channel,
          kind: n.kind,
          message: messageOf(trigger, n.kind, ofEpisode),
        },
        reason: n.reason,
      });
    }

    const keepEpisode = next.firingSince !== undefined || next.state === 'resolved';
    actions.push({
      do: 'remember',
      trigger: trigger.id,
      memory: next,
      ...(keepEpisode && episode ? { episode: episode.ref } : {}),
      ...(prev ? { from: prev.state } : {}),
      reason: trigger.reason,
    });
  }

  // A trigger no longer evaluated (the upgrade trigger of a stage the team has left): its
  // episode closes, its posts say so, and it is remembered as ok.
  const watched = new Set(report.triggers.map((t) => t.id));
  for (const [triggerId, stored] of input.memory) {
    if (watched.has(triggerId) || stored.episodeId === undefined) continue;
    const episode = byId.get(stored.episodeId);
    if (episode && episode.resolvedAt === undefined) {
      actions.push({
        do: 'close-episode',
        trigger: triggerId,
        episodeId: episode.id,
        at: now,
        reason: 'trigger-unwatched',
      });
      const message = storedEpisodeMessage({
        roadmap: report.roadmap,
        episode: { ...episode, resolvedAt: now },
        ...(report.next ? { next: report.next } : {}),
      });
      for (const delivery of editsOf(
        episode.id,
        input.firstPosts.get(episode.id) ?? [],
        'left-stage',
        message,
      ))
        actions.push({ do: 'enqueue', trigger: triggerId, delivery, reason: 'edit-left-stage' });
    }
    actions.push({
      do: 'remember',
      trigger: triggerId,
      memory: { state: 'ok', since: now },
      from: stored.state,
      reason: 'trigger-unwatched',
    });
  }

  const met = report.targets
    .filter((t) => t.state === 'met' && t.metAt && !input.targetsMet.has(t.id))
    .map((t) => ({ targetId: t.id, at: t.metAt as Date }));
  if (met.length > 0) actions.push({ do: 'mark-targets-met', targets: met, reason: 'targets-met' });
  actions.push(...todoActions(input), ...lapseActions(input));
  return actions;
}

/**
 * To-dos of the current stage whose `when` first held in this evaluation: latched (so they stay
 * due and are never announced again), and announced to each channel subscribed to the
 * roadmap's alerts at `info` (a to-do counts as `info`). The key names the roadmap, stage,
 * to-do and channel: decided twice (two replicas, a retried transaction), it is sent once.
 */
function todoActions(input: PlanInput): AlertAction[] {
  const { report } = input;
  const due = report.actions.filter((t) => t.newlyDue && t.dueAt);
  if (due.length === 0) return [];
  const actions: AlertAction[] = [
    {
      do: 'mark-todos-due',
      stageId: report.stage.id,
      todos: due.map((t) => ({ todoId: t.id, at: t.dueAt as Date })),
      reason: 'todos-became-due',
    },
  ];
  const units = unitsOf(report as Report);
  const subscribers = input.subscribers.filter((s) => severityAtLeast('info', s.minSeverity));
  for (const todo of due) {
    const message = todoDueMessage({ roadmap: report.roadmap, stage: report.stage, todo, units });
    for (const s of subscribers)
      actions.push({
        do: 'enqueue',
        todo: todo.id,
        delivery: {
          key: {
            key: `todo-due:${report.roadmap.id}:${report.stage.id}:${todo.id}:${s.platform}:${s.channel}`,
          },
          platform: s.platform,
          channel: s.channel,
          kind: 'todo-due',
          message,
        },
        reason: 'todo-became-due',
      });
  }
  return actions;
}

/**
 * Kept targets whose lapse began in this evaluation (lapsed now, not remembered so), and those
 * remembered lapsed that are met again. Unknown data keeps a lapse as it is (the evaluator
 * reports it still lapsed), so it neither opens nor closes one.
 */
function lapseActions(input: PlanInput): AlertAction[] {
  const { report, now } = input;
  const began = report.targets
    .filter((t) => t.state === 'lapsed' && t.lapsedSince && !input.targetsLapsed.has(t.id))
    .map((t) => ({ targetId: t.id, lapsed: true, at: t.lapsedSince as Date }));
  const ended = report.targets
    .filter((t) => t.state === 'met' && input.targetsLapsed.has(t.id))
    .map((t) => ({ targetId: t.id, lapsed: false, at: now }));
  return [
    ...(began.length > 0
      ? [{ do: 'mark-targets-lapsed' as const, changes: began, reason: 'targets-lapsed' as const }]
      : []),
    ...(ended.length > 0
      ? [
          {
            do: 'mark-targets-lapsed' as const,
            changes: ended,
            reason: 'targets-held-again' as const,
          },
        ]
      : []),
  ];
}

/** The message of a trigger's notification (or of its episode's edits), from its evaluation. */
export function triggerMessage(
  report: Pick<Report, 'roadmap' | 'metrics' | 'next'> & Partial<Pick<Report, 'tracks'>>,
  trigger: TriggerReport,
  kind: NotificationKind,
  episode: EpisodeInfo | undefined,
): Message {
  return alertMessage({
    kind,
    roadmap: report.roadmap,
    trigger,
    units: unitsOf(report as Report),
    ...(episode ? { episode } : {}),
    ...(report.next ? { next: report.next } : {}),
    // A track's alerts are titled with its name (`Track Database: upgrade`).
    ...(report.tracks ? { trackNames: new Map(report.tracks.map((t) => [t.id, t.name])) } : {}),
  });
}

/**
 * An open episode's firing message as it stands now (after an acknowledgement or a snooze):
 * with its trigger's current evaluation, or from what was stored of it when the trigger is
 * not evaluated any more.
 */
export function episodeMessage(
  report: Pick<Report, 'roadmap' | 'metrics' | 'next' | 'triggers'>,
  episode: EpisodeRecord,
): Message {
  const trigger = report.triggers.find((t) => t.id === episode.triggerId);
  if (trigger) return triggerMessage(report, trigger, 'firing', episode);
  return storedEpisodeMessage({
    roadmap: report.roadmap,
    episode,
    ...(report.next ? { next: report.next } : {}),
  });
}

/**
 * The edits that make an episode's first posts show `message`, one per post. `why` names the
 * change in the key, so each change edits each post once: `alert:<episode>:edit:<why>:<post>`.
 */
export function editsOf(
  episodeId: number,
  posts: readonly FirstPost[],
  why: string,
  message: Message,
): PlannedDelivery[] {
  return posts.map((post) => ({
    key: { episodeEvent: `edit:${why}:${post.id}` },
    episode: { id: episodeId },
    platform: post.platform,
    channel: post.channel,
    kind: 'update',
    message,
    updateOf: post.id,
  }));
}

/** The id of an episode a plan names, once the episodes it opens have theirs (by trigger id). */
export function episodeIdOf(ref: EpisodeRef, opened: ReadonlyMap<string, number>): number {
  if ('id' in ref) return ref.id;
  const id = opened.get(ref.openedFor);
  if (id === undefined)
    throw new Error(`the plan names the episode of ${ref.openedFor} before opening it`);
  return id;
}
