import type { Logger } from 'pino';
import {
  episodeIdOf,
  planAlerts,
  type AlertAction,
  type PlannedDelivery,
} from '../../core/alerts/plan.js';
import { keyText } from '../../core/alerts/notify.js';
import type { Report } from '../../core/evaluate/report.js';
import { evaluateRoadmap } from '../../core/evaluate/report.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { evaluationInputs } from '../evaluate.js';
import type { StoreTx } from '../ports/store.js';
import type { Outgoing } from './ports.js';

export interface EngineOptions {
  repeatIntervalMs: number;
  logger?: Pick<Logger, 'info' | 'warn' | 'debug'>;
}

/**
 * One evaluation of one roadmap, in one transaction: the evaluation lock, the inputs (data,
 * state, trigger memory, episodes, subscribers) read on the transaction's connection, the pure
 * evaluator and planner, and the plan applied in order. Returns undefined when another replica
 * is evaluating the roadmap right now. The only evaluation that writes: reads and replays
 * (`status --now`, digests, commands) evaluate without remembering or announcing anything.
 */
export async function evaluateAndNotify(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
  opts: EngineOptions,
): Promise<Report | undefined> {
  return deps.store.transaction(async (tx) => {
    if (!(await tx.alerts.lockEvaluation(roadmap.id))) return undefined;
    const { snapshot, state } = await evaluationInputs({ store: tx }, roadmap, now);
    const memory = await tx.alerts.memory(roadmap.id);
    const report = evaluateRoadmap(roadmap, snapshot, { ...state, triggers: memory }, now);
    const subscribers = await tx.alerts.subscribers(roadmap.id);
    const episodes = await tx.alerts.liveEpisodes(roadmap.id);
    const firstPosts = await tx.alerts.firstPosts(episodes.map((e) => e.id));
    const plan = planAlerts({
      report,
      memory,
      episodes,
      firstPosts,
      targetsMet: state.targetsMet,
      targetsLapsed: state.targetsLapsed ?? new Map(),
      subscribers,
      repeatIntervalMs: opts.repeatIntervalMs,
      now,
    });
    await applyPlan(tx, roadmap.id, plan, now, opts.logger);
    return report;
  });
}

/** Applies a plan's actions in order, logging each with its reason; decides nothing. */
async function applyPlan(
  tx: StoreTx,
  roadmapId: string,
  plan: AlertAction[],
  now: Date,
  logger: EngineOptions['logger'],
): Promise<void> {
  /** Ids of the episodes this plan opened, by trigger. */
  const opened = new Map<string, number>();
  for (const action of plan) {
    const about = {
      roadmap: roadmapId,
      ...('trigger' in action ? { trigger: action.trigger } : {}),
      ...('todo' in action ? { todo: action.todo } : {}),
      reason: action.reason,
    };
    switch (action.do) {
      case 'open-episode': {
        const episode = await tx.alerts.openEpisode(action.episode);
        opened.set(action.trigger, episode.id);
        logger?.info({ ...about, episode: episode.id }, 'opened alert episode');
        break;
      }
      case 'close-episode':
        await tx.alerts.closeEpisode(action.episodeId, action.at);
        logger?.info({ ...about, episode: action.episodeId }, 'closed alert episode');
        break;
      case 'enqueue': {
        const { delivery } = action;
        const episodeId = delivery.episode && episodeIdOf(delivery.episode, opened);
        const out = outgoing(delivery, roadmapId, episodeId, now);
        // Undefined: the same key was queued before (by an earlier tick or another replica).
        if ((await tx.alerts.enqueue(out)) !== undefined)
          logger?.info(
            { ...about, key: out.key },
            delivery.kind === 'update'
              ? 'queued edit of a first post'
              : delivery.kind === 'todo-due'
                ? 'queued to-do due announcement'
                : `queued ${delivery.kind} notification`,
          );
        break;
      }
      case 'remember':
        await tx.alerts.remember(
          roadmapId,
          action.trigger,
          action.memory,
          action.episode && episodeIdOf(action.episode, opened),
          now,
        );
        if (action.from !== action.memory.state)
          logger?.info(
            { ...about, from: action.from ?? 'none', to: action.memory.state },
            'trigger changed state',
          );
        break;
      case 'mark-targets-met':
        await tx.state.markTargetsMet(roadmapId, action.targets);
        logger?.info({ ...about, targets: action.targets.map((t) => t.targetId) }, 'targets met');
        break;
      case 'mark-todos-due':
        await tx.state.markTodosDue(roadmapId, action.stageId, action.todos);
        logger?.info(
          { ...about, stage: action.stageId, todos: action.todos.map((t) => t.todoId) },
          'to-dos became due',
        );
        break;
      case 'mark-targets-lapsed':
        await tx.state.markTargetsLapsed(roadmapId, action.changes);
        logger?.info(
          { ...about, targets: action.changes.map((c) => c.targetId) },
          action.reason === 'targets-lapsed' ? 'kept targets lapsed' : 'kept targets held again',
        );
        break;
    }
  }
}

/** A planned delivery as the outbox takes it, its episode's id known. */
export function outgoing(
  delivery: PlannedDelivery,
  roadmapId: string,
  episodeId: number | undefined,
  at: Date,
): Outgoing {
  return {
    key: keyText(delivery.key, episodeId),
    platform: delivery.platform,
    channel: delivery.channel,
    kind: delivery.kind,
    roadmapId,
    ...(episodeId !== undefined ? { episodeId } : {}),
    message: delivery.message,
    ...(delivery.updateOf !== undefined ? { updateOf: delivery.updateOf } : {}),
    at,
  };
}
