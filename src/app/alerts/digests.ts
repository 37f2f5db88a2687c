import type { Logger } from 'pino';
import * as q from '../../adapters/pg/alerts.js';
import {
  composeDigest,
  digestSnapshot,
  headlineMetrics,
  type DigestSnapshot,
} from '../../core/digest/compose.js';
import { dueDigest, type DueDigest } from '../../core/digest/schedule.js';
import type { Report } from '../../core/evaluate/report.js';
import type { MetricChange } from '../../core/messages/compose.js';
import type { Message } from '../../core/messages/model.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { evaluateWithForecast } from '../evaluate.js';

const DAY = 86_400_000;

const EPISODES_PER_DIGEST = 20;
/** Digests written per transaction: the outbox can start sending after the first ones. */
const CHUNK = 100;

/** What every digest of one roadmap at one instant shares, whoever it goes to. */
interface DigestBasis {
  report: Report;
  headline: MetricChange[];
}

/** The evaluation with forecasts, trigger states as the alert engine remembers them, and the headline metrics. */
async function digestBasis(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
): Promise<DigestBasis> {
  const report = await evaluateWithForecast(deps, roadmap, now);
  // Trigger states as the alert engine remembers them, so the digest agrees with the alerts.
  const memory = await q.triggerMemory(deps.store.pool, roadmap.id);
  for (const t of report.triggers) {
    const stored = memory.get(t.id);
    if (stored && (stored.state === 'firing' || stored.state === 'pending')) t.state = stored.state;
  }
  const names = headlineMetrics(report);
  const [before, histories] = await Promise.all([
    deps.store.valuesAt(roadmap.id, names, [
      new Date(now.getTime() - DAY),
      new Date(now.getTime() - 7 * DAY),
    ]),
    Promise.all(names.map((n) => deps.store.history(roadmap.id, n, 7 * DAY, 14, now))),
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
  return { report, headline };
}

/** One digest: the shared basis, and what changed since the previous digest to the same place. */
function composeFor(
  basis: DigestBasis,
  opts: { localDate: string; late: boolean; previous?: DigestSnapshot; episodes: q.EpisodeRow[] },
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
const changedSince = (episodes: q.EpisodeRow[], since: Date): q.EpisodeRow[] =>
  episodes
    .filter((e) => e.firedAt > since || (e.resolvedAt !== undefined && e.resolvedAt > since))
    .slice(0, EPISODES_PER_DIGEST);

/** Everything a digest shows, gathered from the store and composed by the pure composer. */
export async function buildDigest(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
  opts: { localDate: string; late: boolean; previous?: DigestSnapshot },
): Promise<{ message: Message; report: Report }> {
  const basis = await digestBasis(deps, roadmap, now);
  const since = opts.previous ? new Date(opts.previous.takenAt) : new Date(now.getTime() - DAY);
  const episodes = await q.episodes(deps.store.pool, roadmap.id, {
    since,
    limit: EPISODES_PER_DIGEST,
  });
  return { message: composeFor(basis, { ...opts, episodes }), report: basis.report };
}

interface Due {
  sub: q.DigestSubscription;
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
  const pool = deps.store.pool;
  const dues: Due[] = [];
  for (const sub of await q.digestSubscriptions(pool)) {
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
  const existing = await pool.query<{ idempotency_key: string }>(
    `SELECT idempotency_key FROM deliveries WHERE idempotency_key = ANY($1::text[])`,
    [dues.map((d) => d.key)],
  );
  const queuedAlready = new Set(existing.rows.map((r) => r.idempotency_key));
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
  const pool = deps.store.pool;
  const basis = await digestBasis(deps, roadmap, now);
  const previous = await pool.query<{ subscription_id: string; snapshot: DigestSnapshot }>(
    `SELECT DISTINCT ON (subscription_id) subscription_id, snapshot FROM digest_snapshots
      WHERE subscription_id = ANY($1::bigint[]) ORDER BY subscription_id, local_date DESC`,
    [list.map((d) => d.sub.id)],
  );
  const previousOf = new Map(previous.rows.map((r) => [Number(r.subscription_id), r.snapshot]));
  const sinceOf = (d: Due): Date => {
    const taken = new Date(previousOf.get(d.sub.id)?.takenAt ?? Number.NaN);
    // No previous digest, or one whose time cannot be read: the last day.
    return Number.isNaN(taken.getTime()) ? new Date(now.getTime() - DAY) : taken;
  };
  // Every episode any of these digests can show; each digest keeps those since its previous one.
  const oldest = new Date(Math.min(...list.map((d) => sinceOf(d).getTime())));
  const changed = await q.episodes(pool, roadmap.id, { since: oldest, limit: 10_000 });
  const snapshot = JSON.stringify(digestSnapshot(basis.report));

  let queued = 0;
  for (let i = 0; i < list.length; i += CHUNK) {
    const chunk = list.slice(i, i + CHUNK).flatMap((d) => {
      const prev = previousOf.get(d.sub.id);
      try {
        const message = composeFor(basis, {
          localDate: d.due.localDate,
          late: d.due.late,
          ...(prev ? { previous: prev } : {}),
          episodes: changedSince(changed, sinceOf(d)),
        });
        return [{ d, message: JSON.stringify(message) }];
      } catch (error) {
        // One subscription's bad data (say, an unreadable previous snapshot) costs only its digest.
        failed(deps, logger, roadmap.id, [d.sub.id], error, `digest of subscription ${d.sub.id}`);
        return [];
      }
    });
    if (chunk.length === 0) continue;
    const mine = await deps.store.transaction(async (client) => {
      const inserted = await client.query<{ idempotency_key: string }>(
        `INSERT INTO deliveries (idempotency_key, platform, channel_id, kind, roadmap_id, message, next_attempt_at, created_at)
         SELECT k, p, c, 'digest', $4, m::jsonb, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) AS x(k, p, c, m)
         ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
        [
          chunk.map((c) => c.d.key),
          chunk.map((c) => c.d.sub.platform),
          chunk.map((c) => c.d.sub.channel),
          roadmap.id,
          chunk.map((c) => c.message),
          now,
        ],
      );
      // Another replica may have queued some of them meanwhile: snapshots only for ours.
      const fresh = new Set(inserted.rows.map((r) => r.idempotency_key));
      const ours = chunk.filter((c) => fresh.has(c.d.key));
      if (ours.length > 0) {
        await client.query(
          `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot)
           SELECT s, d::date, $3, $4::jsonb FROM unnest($1::bigint[], $2::text[]) AS x(s, d) ON CONFLICT DO NOTHING`,
          [ours.map((c) => c.d.sub.id), ours.map((c) => c.d.due.localDate), now, snapshot],
        );
      }
      return ours;
    });
    queued += mine.length;
    for (const c of mine)
      logger?.info(
        { subscription: c.d.sub.id, localDate: c.d.due.localDate, late: c.d.due.late },
        `queued digest for ${c.d.sub.platform}:${c.d.sub.channel}`,
      );
  }
  return queued;
}
