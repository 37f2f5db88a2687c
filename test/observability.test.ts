import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createPrometheusTelemetry, registerMetricsRoute } from '../src/adapters/http/metrics.js';
import { OutboxStore } from '../src/adapters/pg/outbox.js';
import { runCommand } from '../src/app/run.js';
import { Scheduler } from '../src/app/scheduler.js';
import { admin, appWith, roadmapsFolder, TestClock } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { RecordingSink } from './support/sinks.js';

const db = useTestDatabase();
const silent = { info() {}, warn() {}, error() {}, debug() {} };

describe('GET /metrics', () => {
  it('exposes evaluations, their latency, deliveries by outcome, outbox depth and command latency by platform', async () => {
    const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
    const outbox = new OutboxStore(db.pool);
    const { telemetry, registry } = createPrometheusTelemetry(outbox);
    const app = { ...(await appWith(db.pool, roadmapsFolder('example'), clock)), telemetry };
    const invocation = { ...admin, defaultRoadmap: 'example' };
    await runCommand(app, invocation, 'subscribe alerts --channel console:ops', 'cli');
    await runCommand(app, invocation, 'record active_users 450', 'cli');
    await runCommand(
      app,
      {
        actor: { platform: 'slack', id: 'U1', channel: 'C1' },
        isAdmin: false,
        defaultRoadmap: 'example',
      },
      'status',
      'chat',
    );
    const scheduler = new Scheduler(app, outbox, {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 3_600_000,
      worker: { worker: 'w', sinks: new Map([['console', new RecordingSink()]]) },
      logger: silent,
    });
    await scheduler.tick(clock.now());

    const http = Fastify();
    registerMetricsRoute(http, registry);
    const response = await http.inject({ method: 'GET', url: '/metrics' });
    expect(response.statusCode).toBe(200);
    expect(response.headers['content-type']).toMatch(/text\/plain/);
    const text = response.body;
    expect(text).toMatch(/roadmap_bot_evaluations_total\{roadmap="example",outcome="ok"\} 1/);
    expect(text).toMatch(/roadmap_bot_evaluation_seconds_count\{roadmap="example"\} 1/);
    expect(text).toMatch(/roadmap_bot_deliveries_total\{platform="console",outcome="sent"\} 1/);
    expect(text).toMatch(/roadmap_bot_outbox_depth\{state="waiting"\} 0/);
    expect(text).toMatch(
      /roadmap_bot_command_seconds_count\{platform="slack",command="status",outcome="ok"\} 1/,
    );
    expect(text).toMatch(
      /roadmap_bot_command_seconds_count\{platform="cli",command="record",outcome="ok"\} 1/,
    );
    expect(text).toMatch(/roadmap_bot_process_resident_memory_bytes/);
    await http.close();
  });
});
