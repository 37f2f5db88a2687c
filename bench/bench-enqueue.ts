import type { Logger } from 'pino';
import * as q from '../src/adapters/pg/alerts.js';
import type { AppDeps } from '../src/app/context.js';
import { evaluateWithForecast } from '../src/app/evaluate.js';
import { composeDigest, digestSnapshot, headlineMetrics, type DigestSnapshot } from '../src/core/digest/compose.js';
import { dueDigest, type DueDigest } from '../src/core/digest/schedule.js';
import type { Report } from '../src/core/evaluate/report.js';
import type { MetricChange } from '../src/core/messages/compose.js';
import type { Roadmap } from '../src/core/roadmap/model.js';

/**
 * A PROTOTYPE of the change bench/fanout.ts recommends for src/app/alerts/digests.ts, kept here
 * so its effect can be measured without touching src. enqueueDueDigests builds every digest
 * from scratch (evaluation, forecast, histories: ~20 statements) although everything but the
 * "since the previous digest" part depends only on (roadmap, now). This version:
 *
 *   1. finds which due keys are already in the outbox with one query (not one per subscription);
 *   2. per roadmap, evaluates, forecasts and reads headline histories ONCE (buildDigest's first
 *      half), and reads every subscription's previous snapshot and the episodes since the
 *      oldest of them with one query each;
 *   3. composes each subscription's digest with the pure composer (its previous snapshot and the
 *      episodes since it, at most 20, as buildDigest does);
 *   4. writes deliveries and snapshots in chunks of CHUNK, each chunk one transaction with one
 *      multi-row INSERT … ON CONFLICT DO NOTHING RETURNING and the snapshots of the rows it
 *      inserted, so the outbox can start sending after the first chunk.
 *
 * The keys, messages and snapshots are those enqueueDueDigests writes, so replicas running the
 * shipped and the new version side by side would still queue each digest once.
 */
const DAY = 86_400_000;
const CHUNK = 100;
const EPISODES_PER_DIGEST = 20;

interface Due {
  sub: q.DigestSubscription;
  due: DueDigest;
  key: string;
}

export async function enqueueDueDigestsShared(deps: Pick<AppDeps, 'store' | 'registry'>, now: Date, logger?: Pick<Logger, 'info' | 'warn'>): Promise<number> {
  const pool = deps.store.pool;
  const dues: Due[] = [];
  for (const sub of await q.digestSubscriptions(pool)) {
    const due = dueDigest({ time: sub.time, timezone: sub.timezone, createdAt: sub.createdAt }, now);
    if (due) dues.push({ sub, due, key: `digest:${sub.id}:${due.localDate}` });
  }
  if (dues.length === 0) return 0;
  const existing = await pool.query<{ idempotency_key: string }>(`SELECT idempotency_key FROM deliveries WHERE idempotency_key = ANY($1::text[])`, [dues.map((d) => d.key)]);
  const queuedAlready = new Set(existing.rows.map((r) => r.idempotency_key));
  const byRoadmap = new Map<string, Due[]>();
  for (const d of dues) {
    if (queuedAlready.has(d.key)) continue;
    const list = byRoadmap.get(d.sub.roadmapId) ?? [];
    list.push(d);
    byRoadmap.set(d.sub.roadmapId, list);
  }

  let queued = 0;
  for (const [roadmapId, list] of byRoadmap) {
    const roadmap = deps.registry.get(roadmapId);
    if (!roadmap) {
      for (const d of list) logger?.warn({ subscription: d.sub.id }, `digest for ${d.sub.platform}:${d.sub.channel} skipped: roadmap ${roadmapId} is not loaded`);
      continue;
    }
    const shared = await sharedPart(deps, roadmap, now);
    const previous = await pool.query<{ subscription_id: number; snapshot: DigestSnapshot }>(
      `SELECT DISTINCT ON (subscription_id) subscription_id, snapshot FROM digest_snapshots WHERE subscription_id = ANY($1::bigint[]) ORDER BY subscription_id, local_date DESC`,
      [list.map((d) => d.sub.id)],
    );
    const previousOf = new Map(previous.rows.map((r) => [Number(r.subscription_id), r.snapshot]));
    const sinceOf = (d: Due): Date => {
      const p = previousOf.get(d.sub.id);
      return p ? new Date(p.takenAt) : new Date(now.getTime() - DAY);
    };
    const oldest = new Date(Math.min(...list.map((d) => sinceOf(d).getTime())));
    // Every episode any of these digests can show, newest first like q.episodes; filtered per digest below.
    const changed = await q.episodes(pool, roadmap.id, { since: oldest, limit: 10_000 });
    const snapshot = JSON.stringify(digestSnapshot(shared.report));

    for (let i = 0; i < list.length; i += CHUNK) {
      const chunk = list.slice(i, i + CHUNK).map((d) => {
        const since = sinceOf(d).getTime();
        const episodes = changed
          .filter((e) => e.firedAt.getTime() > since || (e.resolvedAt !== undefined && e.resolvedAt.getTime() > since))
          .slice(0, EPISODES_PER_DIGEST)
          .map((e) => ({ triggerId: e.triggerId, firedAt: e.firedAt, ...(e.resolvedAt ? { resolvedAt: e.resolvedAt } : {}) }));
        const prev = previousOf.get(d.sub.id);
        const message = composeDigest({ report: shared.report, headline: shared.headline, ...(prev ? { previous: prev } : {}), episodes, localDate: d.due.localDate, late: d.due.late });
        return { d, message: JSON.stringify(message) };
      });
      queued += await deps.store.transaction(async (client) => {
        const inserted = await client.query<{ idempotency_key: string }>(
          `INSERT INTO deliveries (idempotency_key, platform, channel_id, kind, roadmap_id, message, next_attempt_at, created_at)
           SELECT k, p, c, 'digest', $4, m::jsonb, $6, $6 FROM unnest($1::text[], $2::text[], $3::text[], $5::text[]) AS x(k, p, c, m)
           ON CONFLICT (idempotency_key) DO NOTHING RETURNING idempotency_key`,
          [chunk.map((c) => c.d.key), chunk.map((c) => c.d.sub.platform), chunk.map((c) => c.d.sub.channel), roadmap.id, chunk.map((c) => c.message), now],
        );
        const fresh = new Set(inserted.rows.map((r) => r.idempotency_key));
        const mine = chunk.filter((c) => fresh.has(c.d.key));
        if (mine.length > 0) {
          await client.query(
            `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot)
             SELECT s, d::date, $3, $4::jsonb FROM unnest($1::bigint[], $2::text[]) AS x(s, d) ON CONFLICT DO NOTHING`,
            [mine.map((c) => c.d.sub.id), mine.map((c) => c.d.due.localDate), now, snapshot],
          );
        }
        return mine.length;
      });
    }
    logger?.info({ roadmap: roadmap.id, queued }, `queued ${queued} digests`);
  }
  return queued;
}

/** buildDigest's first half: what every digest of one roadmap at one instant shares. */
async function sharedPart(deps: Pick<AppDeps, 'store'>, roadmap: Roadmap, now: Date): Promise<{ report: Report; headline: MetricChange[] }> {
  const report = await evaluateWithForecast(deps, roadmap, now);
  const memory = await q.triggerMemory(deps.store.pool, roadmap.id);
  for (const t of report.triggers) {
    const stored = memory.get(t.id);
    if (stored && (stored.state === 'firing' || stored.state === 'pending')) t.state = stored.state;
  }
  const names = headlineMetrics(report);
  const [before, histories] = await Promise.all([
    deps.store.valuesAt(roadmap.id, names, [new Date(now.getTime() - DAY), new Date(now.getTime() - 7 * DAY)]),
    Promise.all(names.map((n) => deps.store.history(roadmap.id, n, 7 * DAY, 14, now))),
  ]);
  const headline: MetricChange[] = names.flatMap((name, i) => {
    const metric = report.metrics.find((m) => m.name === name);
    if (!metric) return [];
    const [dayAgo, weekAgo] = before.get(name) ?? [];
    return [{ metric, ...(dayAgo !== undefined ? { dayAgo } : {}), ...(weekAgo !== undefined ? { weekAgo } : {}), series: (histories[i] ?? []).map((p) => p.value) }];
  });
  return { report, headline };
}
