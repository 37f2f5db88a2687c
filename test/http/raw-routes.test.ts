import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sendJson, serveRaw, BODY_LIMIT_BYTES } from '../../src/adapters/http/raw-routes.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import type { RoadmapRegistry } from '../../src/app/registry.js';

/*
 * The chat platforms' endpoints are served on node's request event, ahead of fastify
 * (serveRaw); everything else still goes through fastify. Over real sockets, as Slack and
 * Discord send.
 */
const registry = { list: () => [], fileStatuses: () => [] } as unknown as RoadmapRegistry;
const app = createHttpServer({
  store: { ping: async () => undefined },
  registry,
  logger: pino({ level: 'silent' }),
  started: () => true,
});
let base = '';
/** What the routes' failure log was given. */
const failed: string[] = [];

beforeAll(async () => {
  const failures = {
    tooLarge: { error: 'Request body is too large' },
    failed: { error: 'internal error' },
    log: (error: unknown, request: http.IncomingMessage) =>
      failed.push(`${request.url}: ${(error as Error).message}`),
  };
  serveRaw(
    app,
    'POST',
    '/raw/echo',
    async (request, response, body) =>
      sendJson(response, 200, { bytes: body.length, url: request.url }),
    failures,
  );
  serveRaw(
    app,
    'POST',
    '/raw/fails',
    async () => {
      throw new Error('pool exhausted at 10.0.0.7');
    },
    failures,
  );
  await app.listen({ port: 0, host: '127.0.0.1' });
  base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  await app.close();
});

/** A POST sent in chunks without a content-length (chunked), as a streaming client sends it. */
function chunked(path: string, total: number): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(`${base}${path}`, { method: 'POST' }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => (body += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    const chunk = Buffer.alloc(64 * 1024, 120);
    for (let sent = 0; sent < total; sent += chunk.length) req.write(chunk);
    req.end();
  });
}

describe('raw routes (serveRaw)', () => {
  it("answers a handler that fails with 500 and the route's own body, and logs the error", async () => {
    const res = await fetch(`${base}/raw/fails`, { method: 'POST', body: 'x' });
    expect(res.status).toBe(500);
    expect(await res.json()).toEqual({ error: 'internal error' });
    expect(failed).toEqual(['/raw/fails: pool exhausted at 10.0.0.7']);
  });

  it('answers its method and path, query string or not, before fastify', async () => {
    for (const path of ['/raw/echo', '/raw/echo?x=1']) {
      const res = await fetch(`${base}${path}`, { method: 'POST', body: 'hello' });
      expect(res.status).toBe(200);
      expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
      expect(await res.json()).toEqual({ bytes: 5, url: path });
    }
  });

  it('leaves every other method and path to fastify', async () => {
    expect((await fetch(`${base}/raw/echo`)).status).toBe(404);
    expect((await fetch(`${base}/raw/echo/more`, { method: 'POST', body: 'x' })).status).toBe(404);
    expect(await (await fetch(`${base}/healthz`)).json()).toEqual({ status: 'ok' });
  });

  it('refuses a body over the limit, declared or streamed, with 413', async () => {
    const declared = await fetch(`${base}/raw/echo`, {
      method: 'POST',
      body: Buffer.alloc(BODY_LIMIT_BYTES + 1, 120),
    });
    expect(declared.status).toBe(413);
    expect(await declared.json()).toEqual({ error: 'Request body is too large' });
    const streamed = await chunked('/raw/echo', BODY_LIMIT_BYTES + 64 * 1024);
    expect(streamed.status).toBe(413);
    const fits = await fetch(`${base}/raw/echo`, {
      method: 'POST',
      body: Buffer.alloc(BODY_LIMIT_BYTES, 120),
    });
    expect(await fits.json()).toEqual({ bytes: BODY_LIMIT_BYTES, url: '/raw/echo' });
  });
});
