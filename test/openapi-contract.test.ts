import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { registerApi } from '../src/adapters/http/api.js';
import { createHttpServer } from '../src/adapters/http/server.js';
import { pgTokens } from '../src/adapters/pg/tokens.js';
import { appWith, roadmapsFolder, TestClock } from './support/app.js';
import { useTestDatabase } from './support/db.js';

/**
 * The OpenAPI document against the server's real answers. Every probe below is a real request;
 * each answer's status must be documented for its route, its body must validate against the
 * documented schema (ajv, JSON Schema 2020-12 as OpenAPI 3.1 uses), and documented headers must
 * be there. Where a probe's body breaks a documented rule, the document must say so too. At the
 * end every documented status of every route must have been provoked.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-02T12:00:00Z'));
const LIMITS = { maxPoints: 5, maxBodyBytes: 4096, rateLimitPerMinute: 5 };
/** A real database failure for one probe: the table the route needs is away meanwhile. */
const TABLE_AWAY = {
  setup: 'ALTER TABLE metric_points RENAME TO metric_points_away',
  teardown: 'ALTER TABLE metric_points_away RENAME TO metric_points',
};

let http: FastifyInstance;
let base: string;
let oviyaToken: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the document as served, walked by the checks
let doc: any;
let ajv: Ajv2020;
const provoked = new Set<string>();
let warmUps = 0;

interface Probe {
  name: string;
  /** The documented path and method. */
  path: string;
  method: 'get' | 'post';
  /** The URL under /api/v1 when it is not the documented path itself. */
  url?: string;
  /** Default: a token for oviya; null: no Authorization header. */
  authorization?: string | null;
  contentType?: string;
  /** Sent as is when a string, else as JSON. */
  body?: unknown;
  /** What the server answers. */
  status: number;
  /** Whether the body keeps the documented request schema; unset when not worth checking. */
  request?: 'valid' | 'invalid';
  /** Requests to send first (the rate limit). */
  warmUp?: number;
  /** SQL run just before the request, and after it whatever happened. */
  database?: { setup: string; teardown: string };
}

const point = (extra: Record<string, unknown> = {}) => ({
  roadmap: 'oviya',
  metric: 'active_users',
  value: 420,
  at: '2026-03-01T09:00:00Z',
  ...extra,
});
const json = 'application/json';

const PROBES: Probe[] = [
  // POST /metrics
  {
    name: 'a valid JSON batch',
    path: '/metrics',
    method: 'post',
    body: { points: [point()] },
    status: 200,
    request: 'valid',
  },
  {
    name: 'a valid CSV batch',
    path: '/metrics',
    method: 'post',
    contentType: 'text/csv',
    body: 'roadmap,metric,value\noviya,active_users,421\n',
    status: 200,
  },
  {
    name: 'CSV sent as text/plain',
    path: '/metrics',
    method: 'post',
    contentType: 'text/plain',
    body: 'roadmap,metric,value\noviya,active_users,422\n',
    status: 200,
  },
  {
    name: 'an unknown metric',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ metric: 'nope' })] },
    status: 400,
    request: 'valid',
  },
  {
    name: 'a value that is not a number',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ value: 'lots' })] },
    status: 400,
    request: 'valid',
  },
  {
    name: 'a time in the future',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ at: '2027-01-01T00:00:00Z' })] },
    status: 400,
    request: 'valid',
  },
  {
    name: 'a point without its metric',
    path: '/metrics',
    method: 'post',
    body: { points: [{ roadmap: 'oviya', value: 1 }] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'an unknown field',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ colour: 'red' })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'no points',
    path: '/metrics',
    method: 'post',
    body: { points: [] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'a JSON null body',
    path: '/metrics',
    method: 'post',
    body: null,
    status: 400,
    request: 'invalid',
  },
  {
    name: 'a source with a space',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ source: 'my feed' })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'an empty source',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ source: '' })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'an empty time',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ at: '' })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'a value beyond the bound',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ value: 1e16 })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'a value literal over 64 characters',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ value: '1'.repeat(65) })] },
    status: 400,
    request: 'invalid',
  },
  {
    name: 'a body that is not JSON',
    path: '/metrics',
    method: 'post',
    body: '{"points":',
    status: 400,
  },
  { name: 'an empty JSON body', path: '/metrics', method: 'post', body: '', status: 400 },
  {
    name: 'a bad CSV line',
    path: '/metrics',
    method: 'post',
    contentType: 'text/csv',
    body: 'roadmap,metric,value\noviya,active_users,x\n',
    status: 400,
  },
  {
    name: 'no token',
    path: '/metrics',
    method: 'post',
    authorization: null,
    body: { points: [point()] },
    status: 401,
  },
  {
    name: 'an unknown token',
    path: '/metrics',
    method: 'post',
    authorization: 'Bearer rbt_unknown',
    body: { points: [point()] },
    status: 401,
  },
  {
    name: 'Basic authentication',
    path: '/metrics',
    method: 'post',
    authorization: 'Basic dTpw',
    body: { points: [point()] },
    status: 401,
  },
  {
    name: 'a roadmap outside the scope (JSON)',
    path: '/metrics',
    method: 'post',
    body: { points: [{ roadmap: 'mirai', metric: 'mrr', value: 1 }] },
    status: 403,
    request: 'valid',
  },
  {
    name: 'a roadmap outside the scope (CSV)',
    path: '/metrics',
    method: 'post',
    contentType: 'text/csv',
    body: 'roadmap,metric,value\nmirai,mrr,1\n',
    status: 403,
  },
  {
    name: 'a JSON body over the byte limit',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ source: 'x'.repeat(5000) })] },
    status: 413,
  },
  {
    name: 'a CSV body over the byte limit',
    path: '/metrics',
    method: 'post',
    contentType: 'text/csv',
    body: `roadmap,metric,value\n${'oviya,active_users,1\n'.repeat(300)}`,
    status: 413,
  },
  {
    name: 'more points than allowed (JSON)',
    path: '/metrics',
    method: 'post',
    body: { points: Array.from({ length: 6 }, (_, i) => point({ value: i })) },
    status: 413,
    request: 'invalid',
  },
  {
    name: 'more points than allowed (CSV)',
    path: '/metrics',
    method: 'post',
    contentType: 'text/csv',
    body: `roadmap,metric,value\n${'oviya,active_users,1\n'.repeat(6)}`,
    status: 413,
  },
  {
    name: 'XML',
    path: '/metrics',
    method: 'post',
    contentType: 'application/xml',
    body: '<points/>',
    status: 415,
  },
  {
    name: 'a form',
    path: '/metrics',
    method: 'post',
    contentType: 'application/x-www-form-urlencoded',
    body: 'points=1',
    status: 415,
  },
  {
    name: 'past the rate limit',
    path: '/metrics',
    method: 'post',
    body: { points: [point()] },
    status: 429,
    warmUp: LIMITS.rateLimitPerMinute,
  },
  {
    name: 'the database failing',
    path: '/metrics',
    method: 'post',
    body: { points: [point({ value: 7 })] },
    status: 500,
    request: 'valid',
    database: TABLE_AWAY,
  },

  // GET /roadmaps/{id}/status
  {
    name: 'a roadmap in scope',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/oviya/status',
    status: 200,
  },
  {
    name: 'a format v2 roadmap in scope (budget lines, tracks, to-dos, plans)',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/example-v2/status',
    status: 200,
  },
  {
    name: 'an id that is not valid percent-encoding',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/%E0%A4%A/status',
    status: 400,
  },
  {
    name: 'no token',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/oviya/status',
    authorization: null,
    status: 401,
  },
  {
    name: 'an unknown token',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/oviya/status',
    authorization: 'Bearer rbt_unknown',
    status: 401,
  },
  {
    name: 'a roadmap outside the scope',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/mirai/status',
    status: 403,
  },
  {
    name: 'an unknown roadmap',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/nope/status',
    status: 404,
  },
  {
    name: 'an id of 100 characters',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: `/roadmaps/${'x'.repeat(100)}/status`,
    status: 404,
  },
  {
    name: 'an id over 100 characters',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: `/roadmaps/${'x'.repeat(101)}/status`,
    status: 414,
  },
  {
    name: 'an id over 100 characters, without a token',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: `/roadmaps/${'x'.repeat(101)}/status`,
    authorization: null,
    status: 414,
  },
  {
    name: 'past the rate limit',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/oviya/status',
    status: 429,
    warmUp: LIMITS.rateLimitPerMinute,
  },
  {
    name: 'the database failing',
    path: '/roadmaps/{id}/status',
    method: 'get',
    url: '/roadmaps/oviya/status',
    status: 500,
    database: TABLE_AWAY,
  },

  // GET /openapi.json: public
  {
    name: 'without a token',
    path: '/openapi.json',
    method: 'get',
    authorization: null,
    status: 200,
  },
  {
    name: 'with a wrong token',
    path: '/openapi.json',
    method: 'get',
    authorization: 'Bearer rbt_unknown',
    status: 200,
  },
];

/** Makes the document's local references point into the document ajv holds. */
function anchored(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map(anchored);
  if (schema === null || typeof schema !== 'object') return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([k, v]) => [
      k,
      k === '$ref' && typeof v === 'string' && v.startsWith('#/')
        ? `openapi.json${v}`
        : anchored(v),
    ]),
  );
}

const compiled = new Map<unknown, ValidateFunction>();
function validator(schema: unknown): ValidateFunction {
  let validate = compiled.get(schema);
  if (!validate) {
    validate = ajv.compile(anchored(schema) as object);
    compiled.set(schema, validate);
  }
  return validate;
}

function send(probe: Probe, token = oviyaToken): Promise<Response> {
  const headers: Record<string, string> = {};
  const authorization = probe.authorization === undefined ? `Bearer ${token}` : probe.authorization;
  if (authorization !== null) headers.authorization = authorization;
  const hasBody = probe.method === 'post';
  if (hasBody) headers['content-type'] = probe.contentType ?? json;
  return fetch(`${base}/api/v1${probe.url ?? probe.path}`, {
    method: probe.method.toUpperCase(),
    headers,
    ...(hasBody
      ? { body: typeof probe.body === 'string' ? probe.body : JSON.stringify(probe.body) }
      : {}),
  });
}

beforeAll(async () => {
  const app = await appWith(db.pool, roadmapsFolder('oviya', 'mirai', 'example-v2'), clock);
  const pino = (await import('pino')).pino({ level: 'silent' });
  http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: pino,
    started: () => true,
  });
  registerApi(http, app, LIMITS);
  await http.listen({ port: 0, host: '127.0.0.1' });
  const address = http.server.address();
  base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const tokens = pgTokens(db.pool);
  oviyaToken = (await tokens.create('oviya-feed', ['oviya', 'example-v2'], 'test', clock.now()))
    .token;

  doc = await (await fetch(`${base}/api/v1/openapi.json`)).json();
  // strict: false because the document holds OpenAPI keys (paths, info) beside the schemas.
  // date-time is checked by the pattern zod publishes beside it.
  ajv = new Ajv2020({ strict: false, allErrors: true, formats: { 'date-time': true } });
  ajv.addSchema(doc, 'openapi.json');
});

afterAll(async () => {
  await http.close();
});

beforeEach(() => {
  clock.advance(60_000); // a fresh rate-limit window for every probe
});

describe('the OpenAPI document says what the server answers', () => {
  it('is an OpenAPI 3.1 document whose every operation has a probe below', () => {
    expect(doc.openapi).toBe('3.1.0');
    const operations = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.keys(item as object).map((method) => `${method} ${path}`),
    );
    expect(operations.sort()).toEqual(
      [...new Set(PROBES.map((p) => `${p.method} ${p.path}`))].sort(),
    );
  });

  for (const probe of PROBES) {
    it(`${probe.method.toUpperCase()} ${probe.path}: ${probe.name} → ${probe.status}`, async () => {
      const operation = doc.paths[probe.path]?.[probe.method];
      expect(operation, 'the route is documented').toBeDefined();

      if (probe.request && typeof probe.body === 'object') {
        const schema = operation.requestBody.content[probe.contentType ?? json].schema;
        const validate = validator(schema);
        expect(
          validate(probe.body) ? 'valid' : 'invalid',
          `the documented request schema should find this body ${probe.request}`,
        ).toBe(probe.request);
      }

      // A token of its own, so the warm-up counts against this probe only.
      const token = probe.warmUp
        ? (await pgTokens(db.pool).create(`warm-up-${++warmUps}`, ['oviya'], 'test', clock.now()))
            .token
        : oviyaToken;
      for (let i = 0; i < (probe.warmUp ?? 0); i++) await send(probe, token);
      if (probe.database) await db.pool.query(probe.database.setup);
      let response: Response;
      try {
        response = await send(probe, token);
      } finally {
        if (probe.database) await db.pool.query(probe.database.teardown);
      }
      const text = await response.text();
      expect(response.status, text).toBe(probe.status);

      const documented = operation.responses[String(response.status)];
      expect(
        documented,
        `${response.status} is not documented for ${probe.method} ${probe.path}: ${text}`,
      ).toBeDefined();
      provoked.add(`${probe.method} ${probe.path} ${response.status}`);

      const type = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? '';
      const media = documented.content?.[type];
      expect(
        media,
        `${type} is not a documented answer: ${Object.keys(documented.content ?? {})}`,
      ).toBeDefined();
      const body: unknown = JSON.parse(text);
      const validate = validator(media.schema);
      expect(validate(body) ? [] : validate.errors, text).toEqual([]);

      for (const [name, header] of Object.entries(
        (documented.headers ?? {}) as Record<string, { schema: object }>,
      )) {
        const value = response.headers.get(name);
        expect(value, `documented header ${name}`).not.toBeNull();
        const typed =
          (header.schema as { type?: string }).type === 'integer' ? Number(value) : value;
        expect(validator(header.schema)(typed), `${name}: ${value}`).toBe(true);
      }
    });
  }

  it('every documented answer of every route was provoked by a probe', () => {
    const documented = Object.entries(doc.paths).flatMap(([path, item]) =>
      Object.entries(item as Record<string, { responses: object }>).flatMap(([method, op]) =>
        Object.keys(op.responses).map((status) => `${method} ${path} ${status}`),
      ),
    );
    expect(documented.filter((d) => !provoked.has(d))).toEqual([]);
  });
});
