import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';

/** A route served on node's own request event, before fastify sees the request. */
export type RawHandler = (request: IncomingMessage, response: ServerResponse) => void;

/** The most the bot reads of a request body: fastify's bodyLimit and the raw routes'. */
export const BODY_LIMIT_BYTES = 1_048_576;

const tables = new WeakMap<object, Map<string, RawHandler>>();

/** Makes `table` the raw routes of `app` (createHttpServer's serverFactory looks them up). */
export function attachRawRoutes(app: FastifyInstance, table: Map<string, RawHandler>): void {
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
): void {
  const table = tables.get(app);
  if (!table) throw new Error('serveRaw: the server was not made by createHttpServer');
  table.set(rawRouteKey(method, path), handler);
}

export class BodyTooLarge extends Error {
  readonly statusCode = 413;
  constructor() {
    super('Request body is too large');
  }
}

/** The whole body, refused past `limit` bytes (declared or sent). */
export function readBody(request: IncomingMessage, limit = BODY_LIMIT_BYTES): Promise<Buffer> {
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
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
