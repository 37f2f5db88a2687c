import type { FastifyInstance } from 'fastify';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outbox } from '../../app/ports/outbox.js';
import type { Telemetry } from '../../app/telemetry.js';

/** prom-client behind the Telemetry interface, plus the outbox depth read at scrape time. */
export function createPrometheusTelemetry(outbox: Pick<Outbox, 'depth'>): {
  telemetry: Telemetry;
  registry: Registry;
} {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'roadmap_bot_' });
  // prom-client also exports gauges named *_total (nodejs_active_handles_total and the like),
  // which the exposition format reserves for counters: `promtool check metrics` fails on them.
  // Each is the sum of its per-type gauge (nodejs_active_handles{type}), so nothing is lost.
  for (const metric of registry.getMetricsAsArray())
    if (!(metric instanceof Counter) && metric.name.endsWith('_total'))
      registry.removeSingleMetric(metric.name);
  const evaluations = new Counter({
    name: 'roadmap_bot_evaluations_total',
    help: 'Roadmap evaluations by the scheduler',
    labelNames: ['roadmap', 'outcome'],
    registers: [registry],
  });
  const evaluationSeconds = new Histogram({
    name: 'roadmap_bot_evaluation_seconds',
    help: 'Time to evaluate one roadmap and queue its notifications',
    labelNames: ['roadmap'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers: [registry],
  });
  const deliveries = new Counter({
    name: 'roadmap_bot_deliveries_total',
    help: 'Outbox sends by platform and outcome',
    labelNames: ['platform', 'outcome'],
    registers: [registry],
  });
  const collectors = new Counter({
    name: 'roadmap_bot_collector_runs_total',
    help: 'Collector runs by outcome',
    labelNames: ['roadmap', 'outcome'],
    registers: [registry],
  });
  const commandSeconds = new Histogram({
    name: 'roadmap_bot_command_seconds',
    help: 'Command latency by platform (cli, slack, discord, api)',
    labelNames: ['platform', 'command', 'outcome'],
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 3],
    registers: [registry],
  });
  const failures = new Counter({
    name: 'roadmap_bot_failures_total',
    help: 'Scheduled jobs (evaluation, digest, delivery, collectors) that failed for a roadmap and were skipped until the next tick',
    labelNames: ['job', 'roadmap'],
    registers: [registry],
  });
  new Gauge({
    name: 'roadmap_bot_outbox_depth',
    help: 'Deliveries waiting (pending or being sent) and parked as failed',
    labelNames: ['state'],
    registers: [registry],
    async collect() {
      const depth = await outbox.depth().catch(() => undefined);
      if (!depth) return;
      this.set({ state: 'waiting' }, depth.pending);
      this.set({ state: 'failed' }, depth.failed);
    },
  });
  const telemetry: Telemetry = {
    evaluation(roadmap, seconds, outcome) {
      evaluations.inc({ roadmap, outcome });
      if (outcome === 'ok') evaluationSeconds.observe({ roadmap }, seconds);
    },
    delivery(platform, outcome, count) {
      if (count > 0) deliveries.inc({ platform, outcome }, count);
    },
    collector(roadmap, outcome, count) {
      if (count > 0) collectors.inc({ roadmap, outcome }, count);
    },
    command(platform, command, seconds, exitCode) {
      commandSeconds.observe(
        { platform, command, outcome: exitCode === 0 ? 'ok' : 'refused' },
        seconds,
      );
    },
    failure(job, roadmap) {
      failures.inc({ job, roadmap });
    },
  };
  return { telemetry, registry };
}

/** GET /metrics in the Prometheus text format. */
export function registerMetricsRoute(app: FastifyInstance, registry: Registry): void {
  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', registry.contentType);
    return registry.metrics();
  });
}
