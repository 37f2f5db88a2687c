import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/**
 * A route served on node's own request event, before fastify sees the request: given the whole
 * body, it answers on `response`.
 */
export type RawHandler = (
  request: IncomingMessage,
  response: ServerResponse,
  body: Buffer,
) => Promise<void>;

/** What a raw route answers when the request does not get to its handler, or the handler fails. */
export interface RawRouteFailures {
  /** The 413 answer's body: the request's body is over BODY_LIMIT_BYTES. */
  tooLarge: unknown;
  /** The 500 answer's body. The error itself is only logged: it could name internals. */
  failed: unknown;
  /** Logs what failed unexpectedly. */
  log: (error: unknown, request: IncomingMessage) => void;
}

type Listener = (request: IncomingMessage, response: ServerResponse) => void;

/** The most the bot reads of a request body: fastify's bodyLimit and the raw routes'. */
export const BODY_LIMIT_BYTES = 1_048_576;

const tables = new WeakMap<object, Map<string, Listener>>();

/** Makes `table` the raw routes of `app` (createHttpServer's serverFactory looks them up). */
export function attachRawRoutes(app: FastifyInstance, table: Map<string, Listener>): void {
  tables.set(app, table);
}

export const rawRouteKey = (method: string | undefined, url: string | undefined): string => {
  const path = url ?? '/';
  const query = path.indexOf('?');
  return `${method ?? 'GET'} ${query < 0 ? path : path.slice(0, query)}`;
};

/**
 * Serves `method path` on node's request event, ahead of fastify's routing, hooks, per-request
 * logger and reply pipeline. Only for the chat platforms' endpoints, whose acknowledgement must
 * leave within 100 ms when hundreds arrive at once (issue 16): fastify's pipeline there cost
 * 12-43 ms at the p99 of a first burst of 200 (bench/http-load.ts, a minimal fastify server
 * put in the bare node:http server's place, two invocations each).
 * Everything else keeps fastify.
 */
export function serveRaw(
  app: FastifyInstance,
  method: 'POST',
  path: string,
  handler: RawHandler,
  failures: RawRouteFailures,
): void {
  const table = tables.get(app);
  if (!table) throw new Error('serveRaw: the server was not made by createHttpServer');
  const serve = async (request: IncomingMessage, response: ServerResponse): Promise<void> => {
    let body: Buffer;
    try {
      body = await readBody(request, BODY_LIMIT_BYTES);
    } catch (error) {
      if (error instanceof BodyTooLarge) return sendJson(response, 413, failures.tooLarge);
      throw error;
    }
    await handler(request, response, body);
  };
  table.set(rawRouteKey(method, path), (request, response) => {
    serve(request, response).catch((error: unknown) => {
      failures.log(error, request);
      if (!response.headersSent) sendJson(response, 500, failures.failed);
      else response.destroy();
    });
  });
}

class BodyTooLarge extends Error {}

/** The whole body, refused past `limit` bytes (declared or sent). */
function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const declared = Number(request.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) {
      request.resume();
      reject(new BodyTooLarge());
      return;
    }
    const chunks: Buffer[] = [];
    let size = 0;
    request.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > limit) {
        request.removeAllListeners('data');
        request.resume();
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(chunk);
    });
    request.on('end', () =>
      resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks)),
    );
    request.on('error', reject);
  });
}

/** A JSON answer, as fastify's reply.send of an object writes it. */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  sendText(response, status, JSON.stringify(body), {
    'content-type': 'application/json; charset=utf-8',
  });
}

/** Answers `status` with `text` (none: an empty body) and `headers`, its length declared. */
export function sendText(
  response: ServerResponse,
  status: number,
  text = '',
  headers: Record<string, string> = {},
): void {
  response.writeHead(status, { ...headers, 'content-length': Buffer.byteLength(text) });
  response.end(text);
}
