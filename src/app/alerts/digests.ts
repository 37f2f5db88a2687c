import type { Logger } from 'pino';
import type { EpisodeRecord, StoredTrigger } from '../../core/alerts/episode.js';
import {
  composeDigest,
  digestSnapshot,
  headlineMetrics,
  nextReviews,
  type DigestSnapshot,
} from '../../core/digest/compose.js';
import { dueDigest, type DueDigest } from '../../core/digest/schedule.js';
import type { Report } from '../../core/evaluate/report.js';
import type { MetricChange } from '../../core/messages/compose.js';
import type { Message } from '../../core/messages/model.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { evaluateWithForecast } from '../evaluate.js';
import type { DigestSubscription, QueuedDigest } from './ports.js';

const DAY = 86_400_000;

const EPISODES_PER_DIGEST = 20;
/** Digests written per transaction: the outbox can start sending after the first ones. */
const CHUNK = 100;

/** What every digest of one roadmap at one instant shares, whoever it goes to. */
interface DigestBasis {
  report: Report;
  /** Trigger states as the alert engine remembers them: the digest shows those it agrees with. */
  remembered: ReadonlyMap<string, StoredTrigger>;
  headline: MetricChange[];
  /** When each `review` metric is next reviewed: a budget line burning before then is news. */
  nextReviews: ReadonlyMap<string, Date>;
}

/** The evaluation with forecasts, the trigger states the alert engine remembers, and the headline metrics. */
async function digestBasis(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
): Promise<DigestBasis> {
  const [report, remembered] = await Promise.all([
    evaluateWithForecast(deps, roadmap, now),
    deps.store.alerts.memory(roadmap.id),
  ]);
  const names = headlineMetrics(report);
  const [before, histories] = await Promise.all([
    deps.store.points.valuesAt(roadmap.id, names, [
      new Date(now.getTime() - DAY),
      new Date(now.getTime() - 7 * DAY),
    ]),
    Promise.all(names.map((n) => deps.store.points.history(roadmap.id, n, 7 * DAY, 14, now))),
  ]);
  const headline: MetricChange[] = names.flatMap((name, i) => {
    const metric = report.metrics.find((m) => m.name === name);
    if (!metric) return [];
    const [dayAgo, weekAgo] = before.get(name) ?? [];
    return [
      {
        metric,
        ...(dayAgo !== undefined ? { dayAgo } : {}),
        ...(weekAgo !== undefined ? { weekAgo } : {}),
        series: (histories[i] ?? []).map((p) => p.value),
      },
    ];
  });
  return { report, remembered, headline, nextReviews: nextReviews(roadmap, report) };
}

/** One digest: the shared basis, and what changed since the previous digest to the same place. */
function composeFor(
  basis: DigestBasis,
  opts: { localDate: string; late: boolean; previous?: DigestSnapshot; episodes: EpisodeRecord[] },
): Message {
  return composeDigest({
    ...basis,
    ...(opts.previous ? { previous: opts.previous } : {}),
    episodes: opts.episodes.map((e) => ({
      triggerId: e.triggerId,
      firedAt: e.firedAt,
      ...(e.resolvedAt ? { resolvedAt: e.resolvedAt } : {}),
    })),
    localDate: opts.localDate,
    late: opts.late,
  });
}

/** Episodes that fired or resolved after `since`, newest first, as many as a digest lists. */
const changedSince = (episodes: EpisodeRecord[], since: Date): EpisodeRecord[] =>
  episodes
    .filter((e) => e.firedAt > since || (e.resolvedAt !== undefined && e.resolvedAt > since))
    .slice(0, EPISODES_PER_DIGEST);

/** Everything a digest shows, gathered from the store and composed by the pure composer. */
export async function buildDigest(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
  opts: { localDate: string; late: boolean; previous?: DigestSnapshot },
): Promise<{ message: Message; report: Report; snapshot: DigestSnapshot }> {
  const basis = await digestBasis(deps, roadmap, now);
  const since = opts.previous ? new Date(opts.previous.takenAt) : new Date(now.getTime() - DAY);
  const episodes = await deps.store.alerts.episodes(roadmap.id, {
    since,
    limit: EPISODES_PER_DIGEST,
  });
  return {
    message: composeFor(basis, { ...opts, episodes }),
    report: basis.report,
    snapshot: digestSnapshot(basis.report, basis.remembered),
  };
}

interface Due {
  sub: DigestSubscription;
  due: DueDigest;
  key: string;
}

/** Logs and counts a digest job that failed, to be retried on the next tick. */
function failed(
  deps: Pick<AppDeps, 'telemetry'>,
  logger: Pick<Logger, 'error'> | undefined,
  roadmapId: string,
  subscriptions: number[],
  error: unknown,
  what: string,
): void {
  deps.telemetry?.failure('digest', roadmapId);
  logger?.error(
    { err: error, roadmap: roadmapId, subscriptions },
    `${what} skipped: ${(error as Error)?.message ?? String(error)}; retried next tick`,
  );
}

/**
 * Puts every due digest in the outbox, once per subscription per local day: the key
 * `digest:<subscription>:<local date>` makes a second replica's insert a no-op. A roadmap is
 * evaluated once for all its due digests (a thousand channels following one roadmap cost one
 * evaluation, not a thousand); each digest then differs only in what changed since its own
 * previous one. Written in chunks, each one transaction with its digests' snapshots.
 *
 * A roadmap or a subscription that fails (bad data, a failing query) is logged, counted and
 * skipped; it stays due, so the next tick tries again, and the others are queued meanwhile.
 */
export async function enqueueDueDigests(
  deps: Pick<AppDeps, 'store' | 'registry' | 'telemetry'>,
  now: Date,
  logger?: Pick<Logger, 'info' | 'warn' | 'error'>,
): Promise<number> {
  const dues: Due[] = [];
  for (const sub of await deps.store.alerts.digestSubscriptions()) {
    try {
      const due = dueDigest(
        { time: sub.time, timezone: sub.timezone, createdAt: sub.createdAt },
        now,
      );
      if (due) dues.push({ sub, due, key: `digest:${sub.id}:${due.localDate}` });
    } catch (error) {
      failed(deps, logger, sub.roadmapId, [sub.id], error, `digest of subscription ${sub.id}`);
    }
  }
  if (dues.length === 0) return 0;
  const queuedAlready = await deps.store.alerts.queuedKeys(dues.map((d) => d.key));
  const byRoadmap = new Map<string, Due[]>();
  for (const d of dues) {
    if (queuedAlready.has(d.key)) continue;
    const list = byRoadmap.get(d.sub.roadmapId);
    if (list) list.push(d);
    else byRoadmap.set(d.sub.roadmapId, [d]);
  }

  let queued = 0;
  for (const [roadmapId, list] of byRoadmap) {
    const roadmap = deps.registry.get(roadmapId);
    if (!roadmap) {
      for (const d of list)
        logger?.warn(
          { subscription: d.sub.id },
          `digest for ${d.sub.platform}:${d.sub.channel} skipped: roadmap ${roadmapId} is not loaded`,
        );
      continue;
    }
    try {
      queued += await queueRoadmapDigests(deps, roadmap, list, now, logger);
    } catch (error) {
      const ids = list.map((d) => d.sub.id);
      failed(deps, logger, roadmap.id, ids, error, `digests of ${roadmap.id}`);
    }
  }
  return queued;
}

/** Queues the due digests `list` of one roadmap; returns how many this call queued. */
async function queueRoadmapDigests(
  deps: Pick<AppDeps, 'store' | 'telemetry'>,
  roadmap: Roadmap,
  list: Due[],
  now: Date,
  logger: Pick<Logger, 'info' | 'error'> | undefined,
): Promise<number> {
  const basis = await digestBasis(deps, roadmap, now);
  const previousOf = await deps.store.alerts.previousDigests(list.map((d) => d.sub.id));
  const sinceOf = (d: Due): Date => {
    const taken = new Date(previousOf.get(d.sub.id)?.takenAt ?? Number.NaN);
    // No previous digest, or one whose time cannot be read: the last day.
    return Number.isNaN(taken.getTime()) ? new Date(now.getTime() - DAY) : taken;
  };
  // Every episode any of these digests can show; each digest keeps those since its previous one.
  const oldest = new Date(Math.min(...list.map((d) => sinceOf(d).getTime())));
  const changed = await deps.store.alerts.episodes(roadmap.id, { since: oldest, limit: 10_000 });
  const snapshot = digestSnapshot(basis.report, basis.remembered);

  let queued = 0;
  for (let i = 0; i < list.length; i += CHUNK) {
    const chunk = list.slice(i, i + CHUNK).flatMap((d): (QueuedDigest & { d: Due })[] => {
      const prev = previousOf.get(d.sub.id);
      try {
        const message = composeFor(basis, {
          localDate: d.due.localDate,
          late: d.due.late,
          ...(prev ? { previous: prev } : {}),
          episodes: changedSince(changed, sinceOf(d)),
        });
        return [
          {
            d,
            key: d.key,
            subscriptionId: d.sub.id,
            localDate: d.due.localDate,
            platform: d.sub.platform,
            channel: d.sub.channel,
            message,
          },
        ];
      } catch (error) {
        // One subscription's bad data (say, an unreadable previous snapshot) costs only its digest.
        failed(deps, logger, roadmap.id, [d.sub.id], error, `digest of subscription ${d.sub.id}`);
        return [];
      }
    });
    if (chunk.length === 0) continue;
    // Another replica may have queued some of them meanwhile: snapshots only for ours.
    const fresh = await deps.store.transaction((tx) =>
      tx.alerts.enqueueDigests(roadmap.id, chunk, snapshot, now),
    );
    const mine = chunk.filter((c) => fresh.has(c.key));
    queued += mine.length;
    for (const c of mine)
      logger?.info(
        { subscription: c.d.sub.id, localDate: c.d.due.localDate, late: c.d.due.late },
        `queued digest for ${c.d.sub.platform}:${c.d.sub.channel}`,
      );
  }
  return queued;
}
