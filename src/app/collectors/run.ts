import type { Logger } from 'pino';
import { clearCollectorFailure, markCollectorFailing } from '../../adapters/pg/collector-state.js';
import { nextRun } from '../../core/collectors/schedule.js';
import type { MetricDef, Roadmap } from '../../core/roadmap/model.js';
import type { AppDeps } from '../context.js';
import { runPrometheusCollector } from './prometheus.js';
import {
  checkSqlCollectorRole,
  CollectorError,
  REFUSED,
  runSqlCollector,
  sharedRoleChecks,
  type SqlRoleChecks,
} from './sql.js';

export interface CollectorOptions {
  /** Where `database:` / `url:` names are looked up (process.env in production). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Verdicts on SQL collectors' roles, cached per connection string (default: the process's). */
  roleChecks?: SqlRoleChecks;
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
    ? runSqlCollector(target, source.sql, opts.timeoutMs, {
        now,
        checks: opts.roleChecks ?? sharedRoleChecks,
      })
    : runPrometheusCollector(target, source.query, now, opts.timeoutMs);
}

/** Records a failure; warns when a collector starts failing (its repeats are in status). */
async function recordFailure(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  metric: MetricDef,
  now: Date,
  message: string,
  opts: CollectorOptions,
): Promise<void> {
  const first = await markCollectorFailing(
    deps.store.pool,
    roadmap.id,
    metric.name,
    now,
    message,
  ).catch(() => true);
  if (first)
    opts.logger?.warn(
      { roadmap: roadmap.id, metric: metric.name },
      `collector failing: ${message} (retried on schedule; see status)`,
    );
}

/**
 * Checks the role of every SQL collector database whose verdict is older than the checks' TTL
 * (so at start, and about once a minute after), whether or not its collectors are due: a
 * refusal shows in `status` at once for every collector of that database, not at its next
 * run, which may be a day away; a refusal whose cause is gone is cleared. An unreachable
 * database is left to the runs to report.
 */
async function checkSqlRoles(
  deps: Pick<AppDeps, 'store' | 'registry'>,
  now: Date,
  opts: CollectorOptions,
  checks: SqlRoleChecks,
): Promise<void> {
  const byUrl = new Map<string, { roadmap: Roadmap; metric: MetricDef }[]>();
  for (const roadmap of deps.registry.list()) {
    for (const metric of roadmap.metrics.values()) {
      const url = metric.source?.kind === 'sql' ? opts.env[metric.source.database] : undefined;
      if (!url) continue;
      let list = byUrl.get(url);
      if (!list) byUrl.set(url, (list = []));
      list.push({ roadmap, metric });
    }
  }
  for (const [url, collectors] of byUrl) {
    if (checks.cached(url, now)) continue;
    let refused: string | undefined;
    try {
      refused = await checkSqlCollectorRole(url, opts.timeoutMs, now, checks);
    } catch {
      continue;
    }
    for (const { roadmap, metric } of collectors) {
      if (refused) await recordFailure(deps, roadmap, metric, now, refused, opts);
      else
        await clearCollectorFailure(deps.store.pool, roadmap.id, metric.name, REFUSED).catch(
          () => undefined,
        );
    }
  }
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
  await checkSqlRoles(deps, now, opts, opts.roleChecks ?? sharedRoleChecks);
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
        await recordFailure(deps, roadmap, metric, now, message, opts);
      }
    }
  }
  return { ran, failed };
}
