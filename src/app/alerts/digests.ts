import type { Logger } from 'pino';
import * as q from '../../adapters/pg/alerts.js';
import { composeDigest, digestSnapshot, headlineMetrics, type DigestSnapshot } from '../../core/digest/compose.js';
import { dueDigest } from '../../core/digest/schedule.js';
import type { Report } from '../../core/evaluate/report.js';
import type { MetricChange } from '../../core/messages/compose.js';
import type { Message } from '../../core/messages/model.js';
import type { Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { evaluateWithForecast } from '../evaluate.js';

const DAY = 86_400_000;

/** Everything a digest shows, gathered from the store and composed by the pure composer. */
export async function buildDigest(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  now: Date,
  opts: { localDate: string; late: boolean; previous?: DigestSnapshot },
): Promise<{ message: Message; report: Report }> {
  const report = await evaluateWithForecast(deps, roadmap, now);
  // Trigger states as the alert engine remembers them, so the digest agrees with the alerts.
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
  const since = opts.previous ? new Date(opts.previous.takenAt) : new Date(now.getTime() - DAY);
  const changed = await q.episodes(deps.store.pool, roadmap.id, { since, limit: 20 });
  const message = composeDigest({
    report,
    headline,
    ...(opts.previous ? { previous: opts.previous } : {}),
    episodes: changed.map((e) => ({ triggerId: e.triggerId, firedAt: e.firedAt, ...(e.resolvedAt ? { resolvedAt: e.resolvedAt } : {}) })),
    localDate: opts.localDate,
    late: opts.late,
  });
  return { message, report };
}

async function previousSnapshot(deps: Pick<AppDeps, 'store'>, subscriptionId: number): Promise<DigestSnapshot | undefined> {
  const rows = await deps.store.pool.query(`SELECT snapshot FROM digest_snapshots WHERE subscription_id = $1 ORDER BY local_date DESC LIMIT 1`, [subscriptionId]);
  return rows.rows[0]?.snapshot as DigestSnapshot | undefined;
}

/**
 * Puts every due digest in the outbox, once per subscription per local day: the key
 * `digest:<subscription>:<local date>` makes a second replica's insert a no-op.
 */
export async function enqueueDueDigests(deps: Pick<AppDeps, 'store' | 'registry'>, now: Date, logger?: Pick<Logger, 'info' | 'warn'>): Promise<number> {
  let queued = 0;
  for (const sub of await q.digestSubscriptions(deps.store.pool)) {
    const due = dueDigest({ time: sub.time, timezone: sub.timezone, createdAt: sub.createdAt }, now);
    if (!due) continue;
    const key = `digest:${sub.id}:${due.localDate}`;
    const exists = await deps.store.pool.query(`SELECT 1 FROM deliveries WHERE idempotency_key = $1`, [key]);
    if (exists.rowCount) continue;
    const roadmap = deps.registry.get(sub.roadmapId);
    if (!roadmap) {
      logger?.warn({ subscription: sub.id }, `digest for ${sub.platform}:${sub.channel} skipped: roadmap ${sub.roadmapId} is not loaded`);
      continue;
    }
    const previous = await previousSnapshot(deps, sub.id);
    const { message, report } = await buildDigest(deps, roadmap, now, { localDate: due.localDate, late: due.late, ...(previous ? { previous } : {}) });
    await deps.store.transaction(async (client) => {
      const id = await q.enqueue(client, { key, platform: sub.platform, channel: sub.channel, kind: 'digest', roadmapId: roadmap.id, message, at: now });
      if (id === undefined) return;
      await client.query(
        `INSERT INTO digest_snapshots (subscription_id, local_date, taken_at, snapshot) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING`,
        [sub.id, due.localDate, now, JSON.stringify(digestSnapshot(report))],
      );
      queued++;
      logger?.info({ subscription: sub.id, localDate: due.localDate, late: due.late }, `queued digest for ${sub.platform}:${sub.channel}`);
    });
  }
  return queued;
}
