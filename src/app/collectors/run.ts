import type { Logger } from 'pino';
import { nextRun } from '../../core/collectors/schedule.js';
import type { MetricDef, Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { runPrometheusCollector } from './prometheus.js';
import { CollectorError, runSqlCollector } from './sql.js';

export interface CollectorOptions {
  /** Where `database:` / `url:` names are looked up (process.env in production). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
}

/** Takes this run for this replica: moves next_run_at forward in one guarded UPDATE, like pg-boss's cron. */
async function claim(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  metric: MetricDef,
  now: Date,
): Promise<boolean> {
  const source = metric.source as NonNullable<MetricDef['source']>;
  await deps.store.pool.query(
    `INSERT INTO collector_state (roadmap_id, metric, next_run_at) VALUES ($1, $2, $3) ON CONFLICT DO NOTHING`,
    [roadmap.id, metric.name, now],
  );
  const claimed = await deps.store.pool.query(
    `UPDATE collector_state SET next_run_at = $4, last_run_at = $3 WHERE roadmap_id = $1 AND metric = $2 AND next_run_at <= $3`,
    [roadmap.id, metric.name, now, nextRun(source, now, roadmap.timezone)],
  );
  return claimed.rowCount === 1;
}

async function collect(metric: MetricDef, now: Date, opts: CollectorOptions): Promise<number> {
  const source = metric.source as NonNullable<MetricDef['source']>;
  const name = source.kind === 'sql' ? source.database : source.url;
  const target = opts.env[name];
  if (!target)
    throw new CollectorError(
      `${name} is not set (the environment variable naming the ${source.kind === 'sql' ? 'database' : 'Prometheus server'})`,
    );
  return source.kind === 'sql'
    ? runSqlCollector(target, source.sql, opts.timeoutMs)
    : runPrometheusCollector(target, source.query, now, opts.timeoutMs);
}

/**
 * Runs every collector whose time has come, once across replicas. A failure never throws:
 * it is recorded (failing since, the message) and the next run tries again.
 */
export async function runDueCollectors(
  deps: Pick<AppDeps, 'store' | 'registry'>,
  now: Date,
  opts: CollectorOptions,
): Promise<{ ran: number; failed: number }> {
  let ran = 0;
  let failed = 0;
  for (const roadmap of deps.registry.list()) {
    for (const metric of roadmap.metrics.values()) {
      if (!metric.source || !(await claim(deps, roadmap, metric, now))) continue;
      ran++;
      try {
        const value = await collect(metric, now, opts);
        await deps.store.recordPoints(
          [
            {
              roadmapId: roadmap.id,
              metric: metric.name,
              value,
              at: now,
              source: metric.source.kind,
            },
          ],
          {
            actor: { platform: 'system', id: 'collector' },
            roadmapId: roadmap.id,
            action: 'collect',
            details: { metric: metric.name, value, source: metric.source.kind },
            at: now,
          },
        );
        await deps.store.pool.query(
          `UPDATE collector_state SET last_success_at = $3, failing_since = NULL, last_error = NULL WHERE roadmap_id = $1 AND metric = $2`,
          [roadmap.id, metric.name, now],
        );
      } catch (error) {
        failed++;
        const message =
          error instanceof CollectorError
            ? error.message
            : `unexpected: ${(error as Error).message}`;
        const updated = await deps.store.pool
          .query<{ first: boolean }>(
            `UPDATE collector_state c SET failing_since = COALESCE(c.failing_since, $3), last_error = $4
               FROM (SELECT failing_since IS NULL AS first FROM collector_state WHERE roadmap_id = $1 AND metric = $2) before
              WHERE c.roadmap_id = $1 AND c.metric = $2 RETURNING before.first`,
            [roadmap.id, metric.name, now, message],
          )
          .catch(() => undefined);
        // Warn when a collector starts failing; its repeats are in status, not every minute in the logs.
        const first = updated?.rows[0]?.first ?? true;
        if (first)
          opts.logger?.warn(
            { roadmap: roadmap.id, metric: metric.name },
            `collector failing: ${message} (retried on schedule; see status)`,
          );
      }
    }
  }
  return { ran, failed };
}
