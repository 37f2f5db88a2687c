import type { Logger } from 'pino';
import { nextRun } from '../../core/collectors/schedule.js';
import type { MetricDef, Roadmap } from '../../core/roadmap/model.js';
import { valueProblem } from '../../core/units.js';
import type { AppDeps } from '../context.js';
import type { SqlCollector } from '../ports/collectors.js';
import { runPrometheusCollector } from './prometheus.js';
import { CollectorError, REFUSED } from './sql.js';

export interface CollectorOptions {
  /** Where `database:` / `url:` names are looked up (process.env in production). */
  env: Record<string, string | undefined>;
  timeoutMs: number;
  logger?: Pick<Logger, 'info' | 'warn'>;
  /** Runs SQL collectors and checks their roles (verdicts cached per connection string). */
  sql: SqlCollector;
}

/** Takes this run for this replica (once across replicas). */
function claim(
  deps: Pick<AppDeps, 'store'>,
  roadmap: Roadmap,
  metric: MetricDef,
  now: Date,
): Promise<boolean> {
  const source = metric.source as NonNullable<MetricDef['source']>;
  return deps.store.collectors.claim(
    roadmap.id,
    metric.name,
    now,
    nextRun(source, now, roadmap.timezone),
  );
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
    ? opts.sql.run(target, source.sql, opts.timeoutMs, now)
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
  const first = await deps.store.collectors
    .failing(roadmap.id, metric.name, now, message)
    .catch(() => true);
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
    if (opts.sql.checked(url, now)) continue;
    let refused: string | undefined;
    try {
      refused = await opts.sql.checkRole(url, opts.timeoutMs, now);
    } catch {
      continue;
    }
    for (const { roadmap, metric } of collectors) {
      if (refused) await recordFailure(deps, roadmap, metric, now, refused, opts);
      else
        await deps.store.collectors
          .clearFailure(roadmap.id, metric.name, REFUSED)
          .catch(() => undefined);
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
  await checkSqlRoles(deps, now, opts);
  for (const roadmap of deps.registry.list()) {
    for (const metric of roadmap.metrics.values()) {
      if (!metric.source || !(await claim(deps, roadmap, metric, now))) continue;
      ran++;
      try {
        const value = await collect(metric, now, opts);
        // The same bound as every other way in, said in our words, not the CHECK's.
        const problem = valueProblem(value, metric.unit);
        if (problem) throw new CollectorError(`refused the value: ${problem}`);
        await deps.store.points.record(
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
        await deps.store.collectors.succeeded(roadmap.id, metric.name, now);
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
