import { createServer, type RequestListener } from 'node:http';
import type { AddressInfo } from 'node:net';
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import type { Store } from '../../app/ports/store.js';
import type { RoadmapRegistry } from '../../app/registry.js';
import { attachRawRoutes, BODY_LIMIT_BYTES, rawRouteKey } from './raw-routes.js';

export interface HttpDeps {
  /** The store readiness pings. */
  store: Pick<Store, 'ping'>;
  registry: RoadmapRegistry;
  logger: Logger;
  /** Set once start-up finished (migrations applied, roadmaps loaded, warm-up over). */
  started: () => boolean;
  /** The boot warm-up's state, shown by /readyz (src/app/warm-up.ts); absent: not shown. */
  warmUp?: () => string;
}

/** Readiness waits at most this long for the database to answer. */
const READY_TIMEOUT_MS = 2000;

/** The bot's one HTTP server: health today; Slack, Discord and the push API mount here. */
export function createHttpServer(deps: HttpDeps): FastifyInstance {
  // Raw routes (serveRaw: the chat platforms' endpoints) are answered before fastify's routing.
  const raw = new Map<string, RequestListener>();
  // No log line per request: failures are logged where they happen, and /metrics times every command.
  const app = Fastify({
    loggerInstance: deps.logger as unknown as FastifyBaseLogger,
    logController: new LogController({ disableRequestLogging: true }),
    bodyLimit: BODY_LIMIT_BYTES,
    requestIdHeader: 'x-request-id',
    serverFactory: (handler) =>
      createServer((request, response) => {
        const route = raw.size ? raw.get(rawRouteKey(request.method, request.url)) : undefined;
        if (route) route(request, response);
        else handler(request, response);
      }),
  });
  attachRawRoutes(app, raw);

  // Liveness: the process is up and its event loop turns.
  app.get('/healthz', async () => ({ status: 'ok' }));

  // Readiness: start-up finished and the database answers; load balancers route only then.
  app.get('/readyz', async (_request, reply) => {
    const checks: Record<string, string> = {};
    checks.startup = deps.started() ? 'ok' : 'starting';
    if (deps.warmUp) checks.warmup = deps.warmUp();
    try {
      await deps.store.ping(READY_TIMEOUT_MS);
      checks.database = 'ok';
    } catch (error) {
      checks.database = `unreachable: ${(error as Error).message}`;
    }
    const files = deps.registry.fileStatuses();
    checks.roadmaps = `${deps.registry.list().length} loaded, ${files.filter((f) => f.errors.length > 0).length} with errors`;
    const ready = checks.startup === 'ok' && checks.database === 'ok';
    return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready', checks });
  });

  return app;
}

export interface LoopbackTwin {
  origin: URL;
  close(): Promise<void>;
}

/**
 * A second server on 127.0.0.1 (a free port) that serves requests with `app`'s own listener:
 * the same routes and the same functions, so what runs through it warms what the real server
 * will run, before the real one listens (src/adapters/http/ack-warm-up.ts).
 */
export async function openLoopbackTwin(app: FastifyInstance): Promise<LoopbackTwin> {
  // The one request listener the server was made with (serverFactory above).
  const [listener] = app.server.listeners('request') as RequestListener[];
  if (!listener) throw new Error('openLoopbackTwin: the server has no request listener');
  await app.ready(); // fastify routes only once ready
  const twin = createServer(listener);
  await new Promise<void>((resolve, reject) => {
    twin.once('error', reject);
    twin.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = twin.address() as AddressInfo;
  return {
    origin: new URL(`http://127.0.0.1:${port}`),
    close: () =>
      new Promise<void>((resolve) => {
        twin.closeAllConnections();
        twin.close(() => resolve());
      }),
  };
}
