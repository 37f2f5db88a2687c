import os from 'node:os';
import { connectDatabase } from './adapters/pg/connect.js';
import { SignalListener } from './adapters/pg/listen.js';
import { migrate } from './adapters/pg/migrate.js';
import { createPool } from './adapters/pg/pool.js';
import { createHttpServer, openLoopbackTwin } from './adapters/http/server.js';
import { registerApi } from './adapters/http/api.js';
import { createPrometheusTelemetry, registerMetricsRoute } from './adapters/http/metrics.js';
import { createDiscord, discordStatus } from './adapters/discord/interactions.js';
import { createSlack, slackMode } from './adapters/slack/app.js';
import { ConsoleSink } from './adapters/console/sink.js';
import { pgSqlCollector } from './adapters/pg/sql-collector.js';
import { pgStore } from './adapters/pg/store.js';
import { warmConnections } from './adapters/pg/warm-up.js';
import {
  asMeant,
  describeBursts,
  warmAcknowledgements,
  type WarmUpRequest,
} from './adapters/http/ack-warm-up.js';
import type { AppDeps } from './app/context.js';
import { createAdmission } from './app/admission.js';
import { chartRenderer } from './adapters/charts/renderer.js';
import { clockTimers } from './app/evaluations.js';
import { Scheduler } from './app/scheduler.js';
import type { Sink } from './app/sink.js';
import { RoadmapRegistry } from './app/registry.js';
import { warmUp } from './app/warm-up.js';
import { clockOf, readConfig, webSettings } from './config.js';
import { registerWeb } from './adapters/web/routes.js';
import { formatProblem } from './core/roadmap/load.js';
import { createLogger, redactUrl } from './logger.js';

/** Shutdown gives up after this long and exits anyway (a hung connection must not block a deploy). */
const SHUTDOWN_TIMEOUT_MS = 15_000;

/** Set once start-up finished; until then a signal has nothing to drain. */
let shutdown: ((signal: NodeJS.Signals) => Promise<void>) | undefined;

// Installed before anything starts. Without a listener a SIGTERM during start-up (initdb,
// migrations) kills Node without its 'exit' event, orphaning the embedded PostgreSQL, and Node
// as a container's PID 1 ignores it altogether. Exiting runs the embedded server's exit hook
// (a fast shutdown) and releases the port.
const onSignal = (signal: NodeJS.Signals): void => {
  if (shutdown) {
    void shutdown(signal);
    return;
  }
  process.stderr.write(`roadmap-bot: ${signal} during start-up; exiting\n`);
  process.exit(128 + (os.constants.signals[signal] ?? 0));
};
process.on('SIGINT', onSignal);
process.on('SIGTERM', onSignal);

/** The long-lived process: database, migrations, roadmaps, HTTP server. */
async function main(): Promise<void> {
  const config = readConfig();
  const logger = createLogger(config.LOG_LEVEL);
  let started = false;

  const db = await connectDatabase({
    ...(config.DATABASE_URL ? { databaseUrl: config.DATABASE_URL } : {}),
    dataDir: config.dataDir,
    onLog: (line) => logger.debug({ postgres: line.trim() }, 'embedded postgres'),
  });
  const where =
    db.kind === 'external'
      ? `DATABASE_URL (${redactUrl(db.url)})`
      : `embedded PostgreSQL under ${config.dataDir}/postgres${db.kind === 'embedded-shared' ? ' (already running)' : ''}; set DATABASE_URL to use your own`;
  logger.info(`database: ${where}`);
  const applied = await migrate(db.url, { log: (msg) => logger.debug(msg) });
  logger.info(`migrations: ${applied.length > 0 ? `applied ${applied.join(', ')}` : 'up to date'}`);

  const pool = createPool(db.url, {
    // The warm-up's connections stay open when idle (see src/app/warm-up.ts).
    min: config.WARM_UP_CONNECTIONS,
    onError: (error) => logger.warn({ err: error }, 'idle database connection failed'),
  });
  const registry = new RoadmapRegistry(config.roadmapsDir, (statuses) => {
    for (const status of statuses) {
      for (const problem of [...status.errors, ...status.warnings])
        logger.warn(formatProblem(problem));
      if (status.errors.length > 0) {
        logger.warn(
          `${status.file}: not loaded${status.servingPrevious ? '; the last good version keeps serving' : ''}`,
        );
      } else if (started) {
        logger.info(`${status.file}: loaded roadmap ${status.roadmapId}`);
      }
    }
  });
  await registry.reload();
  registry.watch();
  const ids = registry.list().map((r) => r.id);
  logger.info(
    `roadmaps: ${ids.length} loaded from ${config.roadmapsDir} (${ids.join(', ') || 'none'}); edits are picked up without a restart`,
  );

  const store = pgStore(pool, {
    // Reads stay exact without a refresh, only slower: a failure is worth a warning, not a stop.
    rollups: { onError: (error) => logger.warn({ err: error }, 'rollups: refresh failed') },
  });
  const { telemetry, registry: metrics } = createPrometheusTelemetry(store.outbox);
  // A bound on chat commands at once (see src/app/admission.ts).
  const admission = createAdmission(config.COMMAND_CONCURRENCY);
  const deps: AppDeps = {
    store,
    registry,
    clock: clockOf(config),
    telemetry,
    charts: chartRenderer,
    admit: admission.admit,
    admission,
    web: webSettings(config),
  };
  let warming = 'not run';
  const http = createHttpServer({
    store,
    registry,
    logger,
    started: () => started,
    warmUp: () => warming,
  });
  registerMetricsRoute(http, metrics);
  registerApi(http, deps, {
    maxPoints: config.API_MAX_POINTS,
    maxBodyBytes: config.API_MAX_BODY_BYTES,
    rateLimitPerMinute: config.API_RATE_LIMIT,
  });
  const web = webSettings(config);
  registerWeb(http, deps, { ...web, liveIntervalMs: config.WEB_LIVE_INTERVAL, logger });
  logger.info(
    web.access === 'off'
      ? 'web: off (set WEB_SECRET for pages opened from signed links, or WEB_ACCESS=public)'
      : `web: ${web.access === 'links' ? 'pages open from signed links' : 'pages open to anyone (WEB_ACCESS=public)'} at ${web.publicUrl?.replace(/\/+$/, '') ?? 'this server'}/roadmaps${web.publicUrl ? '' : '; set PUBLIC_URL for the links the bot hands out'}`,
  );
  const sinks = new Map<string, Sink>([['console', new ConsoleSink()]]);

  // Chat platforms: each adapter mounts its routes on the one HTTP server and brings a sink.
  const slackState = slackMode(config);
  const slack =
    slackState.mode === 'off'
      ? undefined
      : createSlack({ config, deps, logger, http, signatureClock: () => new Date() });
  if (slack) sinks.set('slack', slack.sink);
  logger.info(
    slackState.mode === 'off'
      ? `slack: off (${slackState.reason})`
      : `slack: ${slackState.mode === 'http' ? 'HTTP mode at POST /slack/events' : 'Socket Mode'}`,
  );
  const discordState = discordStatus(config);
  const discord = discordState.enabled
    ? createDiscord({ config, deps, logger, http, clock: () => new Date() })
    : undefined;
  if (discord) sinks.set('discord', discord.sink);
  logger.info(discordState.summary);

  // Before the server listens (so before /readyz can say ready, and before any Slack, Discord
  // or push request is taken) and before Socket Mode or Discord's gateway connect: the first
  // statuses after a deploy are then as fast as later ones. Bounded by WARM_UP_TIMEOUT, like
  // the migrations above it is start-up; a failure is a warning (src/app/warm-up.ts).
  const warm = await warmUp(
    {
      store,
      registry,
      clock: deps.clock,
      logger,
      connections: (count, prime) => warmConnections(pool, count, prime),
    },
    { connections: config.WARM_UP_CONNECTIONS, timeoutMs: config.WARM_UP_TIMEOUT },
  );
  warming = `${warm.outcome} in ${Math.round(warm.ms)} ms`;
  // Then the chat routes' acknowledgement path, through a loopback twin of the server, so the
  // first burst after a deploy does not meet it uncompiled (src/adapters/http/ack-warm-up.ts).
  const chatRoutes = [slack?.warmUpRequest, discord?.warmUpRequest].filter(
    (make): make is () => WarmUpRequest => make !== undefined,
  );
  if (chatRoutes.length > 0 && config.WARM_UP_BURSTS > 0) {
    const bursts = {
      bursts: config.WARM_UP_BURSTS,
      size: config.WARM_UP_BURST_SIZE,
      timeoutMs: config.WARM_UP_TIMEOUT,
    };
    try {
      const sent = await warmAcknowledgements(() => openLoopbackTwin(http), chatRoutes, bursts);
      const line = describeBursts(sent, bursts);
      if (asMeant(sent)) logger.info(`warm-up: acknowledgements: ${line}`);
      else logger.warn(`warm-up: acknowledgements: ${line}; starting anyway`);
      warming += `; acknowledgements: ${sent.requests} in ${Math.round(sent.ms)} ms`;
    } catch (error) {
      logger.warn({ err: error }, 'warm-up: acknowledgements failed; starting anyway');
    }
  }
  await http.listen({ port: config.PORT, host: config.HOST });
  const address = http.server.address();
  const port = typeof address === 'object' && address ? address.port : config.PORT;
  logger.info(
    `http: listening on ${config.HOST}:${port} (GET /healthz, GET /readyz, GET /metrics, POST /api/v1/metrics, GET /api/v1/openapi.json${web.access !== 'off' ? ', GET /roadmaps' : ''}${slackState.mode === 'http' ? ', POST /slack/events' : ''}${discord ? ', POST /discord/interactions' : ''})`,
  );
  await slack?.start();
  await discord?.start();
  logger.info(`alerts and digests go to: ${[...sinks.keys()].join(', ')}`);

  const scheduler = new Scheduler(deps, store.outbox, {
    evaluateCron: config.EVALUATE_CRON,
    outboxCron: '*/5 * * * * *',
    repeatIntervalMs: config.ALERT_REPEAT_INTERVAL,
    worker: { worker: config.REPLICA_ID, sinks, maxAttempts: config.DELIVERY_MAX_ATTEMPTS, logger },
    collectors: {
      env: process.env,
      timeoutMs: config.COLLECTOR_TIMEOUT,
      logger,
      sql: pgSqlCollector(),
    },
    logger,
    // `for` deadlines on the app's clock, which a demo may run faster (CLOCK_RATE).
    onWrite: {
      timers: clockTimers(deps.clock, config.CLOCK_RATE),
      spacingMs: config.EVALUATE_ON_WRITE_SPACING,
    },
  });
  scheduler.start();
  // Writes of points and queued messages, from any replica or writer, signalled on commit.
  const signals = new SignalListener(db.url, scheduler, {
    applicationName: `roadmap-bot signals ${config.REPLICA_ID}`,
    logger,
  });
  signals.start();
  logger.info(
    `scheduler: evaluating on "${config.EVALUATE_CRON}", alerts repeat every ${config.ALERT_REPEAT_INTERVAL / 60_000} min while unacknowledged (replica ${config.REPLICA_ID})`,
  );
  if (config.CLOCK_START !== undefined || config.CLOCK_RATE !== 1)
    logger.warn(
      `clock: simulated, starting ${deps.clock().toISOString()} at ${config.CLOCK_RATE}x (CLOCK_START/CLOCK_RATE are for tests)`,
    );
  started = true;

  let stopping = false;
  shutdown = async (signal) => {
    if (stopping) return;
    stopping = true;
    logger.info(`${signal}: shutting down`);
    const timer = setTimeout(() => {
      logger.error('shutdown timed out; exiting');
      process.exit(1);
    }, SHUTDOWN_TIMEOUT_MS);
    timer.unref();
    registry.unwatch();
    await signals.stop();
    // Stop taking work first; the job in progress finishes (claimed deliveries settle).
    await scheduler
      .stop()
      .catch((error: Error) => logger.warn({ err: error }, 'scheduler stop failed'));
    await http.close().catch((error: Error) => logger.warn({ err: error }, 'http close failed'));
    await slack?.stop().catch((error: Error) => logger.warn({ err: error }, 'slack stop failed'));
    await discord
      ?.stop()
      .catch((error: Error) => logger.warn({ err: error }, 'discord stop failed'));
    store.rollups?.stop();
    await store.rollups?.settled();
    await pool.end().catch(() => undefined);
    await db
      .close()
      .catch((error: Error) => logger.warn({ err: error }, 'embedded postgres stop failed'));
    logger.info('stopped');
    process.exit(0);
  };
}

main().catch((error: Error) => {
  console.error(`roadmap-bot failed to start: ${error.message}`);
  process.exit(1);
});
