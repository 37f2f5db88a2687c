import type { Logger } from 'pino';
import * as q from '../../adapters/pg/alerts.js';
import { notificationsFor, type NotificationKind } from '../../core/alerts/notify.js';
import type { Report, RoadmapState, TriggerReport } from '../../core/evaluate/report.js';
import { evaluateRoadmap } from '../../core/evaluate/report.js';
import { alertMessage, type EpisodeInfo } from '../../core/messages/alerts.js';
import { unitsOf } from '../../core/messages/compose.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { evaluationInputs } from '../evaluate.js';

export interface EngineOptions {
  repeatIntervalMs: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

/** Serializes evaluation of one roadmap across replicas; a replica that does not get it skips. */
const LOCK_SQL = `SELECT pg_try_advisory_xact_lock(hashtext('roadmap-bot:evaluate'), hashtext($1)) AS locked`;

function episodeInfo(e: q.EpisodeRow | undefined): EpisodeInfo | undefined {
  if (!e) return undefined;
  const { id, firedAt, resolvedAt, acknowledgedBy, acknowledgedAt, snoozedBy, snoozedUntil } = e;
  return {
    id,
    firedAt,
    ...(resolvedAt ? { resolvedAt } : {}),
    ...(acknowledgedBy ? { acknowledgedBy } : {}),
    ...(acknowledgedAt ? { acknowledgedAt } : {}),
    ...(snoozedBy ? { snoozedBy } : {}),
    ...(snoozedUntil ? { snoozedUntil } : {}),
  };
}

/** Builds the message of an alert event from the episode as it stands. */
export function messageFor(
  roadmap: Roadmap,
  report: Pick<Report, 'metrics' | 'next'>,
  trigger: TriggerReport,
  kind: NotificationKind,
  episode: q.EpisodeRow | undefined,
) {
  const info = episodeInfo(episode);
  return alertMessage({
    kind,
    roadmap: { id: roadmap.id, name: roadmap.name, timezone: roadmap.timezone },
    trigger,
    units: unitsOf(report as Report),
    ...(info ? { episode: info } : {}),
    ...(report.next ? { next: report.next } : {}),
  });
}

/**
 * Edits the first post of an episode in every channel to show how it stands now (resolved,
 * acknowledged, snoozed), through the outbox so edits are retried like posts.
 */
export async function enqueueEdits(
  db: q.Queryable,
  episode: q.EpisodeRow,
  message: ReturnType<typeof alertMessage>,
  why: string,
  at: Date,
): Promise<void> {
  for (const post of await q.firstPostsOf(db, episode.id)) {
    await q.enqueue(db, {
      key: `alert:${episode.id}:edit:${why}:${post.id}`,
      platform: post.platform,
      channel: post.channel,
      kind: 'update',
      roadmapId: episode.roadmapId,
      episodeId: episode.id,
      message,
      updateOf: post.id,
      at,
    });
  }
}

/**
 * One evaluation of one roadmap: the pure evaluator with the remembered trigger states, the
 * transitions persisted, episodes opened and closed, and notifications put in the outbox,
 * all in one transaction. Returns undefined when another replica is evaluating it right now.
 */
export async function evaluateAndNotify(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
  opts: EngineOptions,
): Promise<Report | undefined> {
  return deps.store.transaction(async (client) => {
    const { rows } = await client.query<{ locked: boolean }>(LOCK_SQL, [roadmap.id]);
    if (!rows[0]?.locked) return undefined;
    const [{ snapshot, state }, memory] = await Promise.all([
      evaluationInputs(deps, roadmap, now),
      q.triggerMemory(client, roadmap.id),
    ]);
    const withMemory: RoadmapState = { ...state, triggers: memory };
    const report = evaluateRoadmap(roadmap, snapshot, withMemory, now);
    const subscribers = await q.alertSubscribers(client, roadmap.id);

    for (const trigger of report.triggers) {
      const prev = memory.get(trigger.id);
      const next = trigger.memory;
      let episode: q.EpisodeRow | undefined =
        prev?.episodeId !== undefined ? await q.episodeById(client, prev.episodeId) : undefined;
      if (next.state === 'firing' && !prev?.firingSince) {
        episode = await q.openEpisode(client, {
          roadmapId: roadmap.id,
          triggerId: trigger.id,
          kind: trigger.kind,
          severity: trigger.severity,
          condition: trigger.condition,
          ...(trigger.message ? { message: trigger.message } : {}),
          ...(next.activeSince ? { pendingSince: next.activeSince } : {}),
          firedAt: next.firingSince ?? now,
          details: { comparisons: trigger.comparisons },
        });
      } else if (next.state === 'resolved' && prev?.firingSince && episode) {
        episode = (await q.resolveEpisode(client, episode.id, now)) ?? episode;
        await enqueueEdits(
          client,
          episode,
          messageFor(roadmap, report, trigger, 'firing', episode),
          'resolved',
          now,
        );
      }
      const keepEpisode = next.firingSince !== undefined || next.state === 'resolved';
      for (const n of notificationsFor({
        roadmapId: roadmap.id,
        trigger,
        ...(prev ? { prev } : {}),
        next,
        ...(episode ? { episode } : {}),
        subscribers,
        now,
        repeatIntervalMs: opts.repeatIntervalMs,
      })) {
        const id = await q.enqueue(client, {
          key: n.key,
          platform: n.destination.platform,
          channel: n.destination.channel,
          kind: n.kind,
          roadmapId: roadmap.id,
          ...(episode && n.kind !== 'approaching' ? { episodeId: episode.id } : {}),
          message: messageFor(
            roadmap,
            report,
            trigger,
            n.kind,
            n.kind === 'approaching' ? undefined : episode,
          ),
          at: now,
        });
        if (id !== undefined)
          opts.logger?.info(
            { roadmap: roadmap.id, trigger: trigger.id, reason: n.reason, key: n.key },
            `queued ${n.kind} notification`,
          );
      }
      if (prev?.state !== next.state)
        opts.logger?.info(
          {
            roadmap: roadmap.id,
            trigger: trigger.id,
            from: prev?.state ?? 'none',
            to: next.state,
            reason: trigger.reason,
          },
          'trigger changed state',
        );
      await q.saveTriggerMemory(
        client,
        roadmap.id,
        trigger.id,
        next,
        keepEpisode ? episode?.id : undefined,
        now,
      );
    }

    // The upgrade trigger of a stage the team has left is watched no more: close its episode.
    const watched = new Set(report.triggers.map((t) => t.id));
    for (const [triggerId, stored] of memory) {
      if (watched.has(triggerId) || stored.episodeId === undefined) continue;
      const closed = await q.resolveEpisode(client, stored.episodeId, now);
      if (closed) {
        const trigger = {
          id: triggerId,
          kind: closed.kind,
          severity: closed.severity,
          state: 'resolved' as const,
          condition: closed.condition,
          comparisons: [],
          missing: [],
          reason: 'cleared' as const,
          memory: { state: 'resolved' as const, since: now },
        };
        await enqueueEdits(
          client,
          closed,
          messageFor(roadmap, report, trigger, 'firing', closed),
          'left-stage',
          now,
        );
      }
      await q.saveTriggerMemory(
        client,
        roadmap.id,
        triggerId,
        { state: 'ok', since: now },
        undefined,
        now,
      );
    }

    const met = report.targets
      .filter((t) => t.state === 'met' && t.metAt && !state.targetsMet.has(t.id))
      .map((t) => ({ targetId: t.id, at: t.metAt as Date }));
    await deps.store.markTargetsMet(roadmap.id, met, client);
    return report;
  });
}
