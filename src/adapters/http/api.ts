import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { TokenStore, tokenAllows, type ApiToken } from '../pg/tokens.js';
import type { AppDeps } from '../../app/context.js';
import { evaluateWithForecast } from '../../app/evaluate.js';
import { parsePointsCsv } from '../../app/import-csv.js';
import { SOURCE, validateBatch, type PointError } from '../../app/ingest.js';
import { VALUE_LIMIT } from '../../core/units.js';
import { statusJson } from '../../core/messages/status-json.js';

/**
 * The push API's request and response shapes: they validate requests and generate the OpenAPI
 * document. Rules that `validatePoint` enforces for every way a point arrives (JSON, CSV, chat)
 * are published here with `.meta()` from the same constants rather than checked twice, so a
 * refused point gets ingest's message naming its index and field.
 */
/** VALUE_LIMIT as people write it: 1e15. */
const LIMIT = VALUE_LIMIT.toExponential().replace('+', '');
export const PointSchema = z
  .strictObject({
    roadmap: z.string().min(1).max(64).describe('roadmap id'),
    metric: z.string().min(1).max(128).describe('metric name, as declared in the roadmap'),
    value: z
      .union([z.number().meta({ minimum: -VALUE_LIMIT, maximum: VALUE_LIMIT }), z.string().max(64)])
      .describe(
        `a number, or a literal with units such as "1.5s", "99.5%", "$1.2k", "yes"; between -${LIMIT} and ${LIMIT} after unit conversion`,
      ),
    at: z
      .string()
      .max(64)
      .meta({ minLength: 1 })
      .optional()
      .describe(
        'ISO 8601 time; without an offset it is read in the roadmap timezone; at most 5 minutes ahead; leave it out for now (an empty string is refused)',
      ),
    source: z
      .string()
      .max(64)
      .meta({ pattern: SOURCE.source })
      .optional()
      .describe(
        'which feed sent it; leave it out for "api" (an empty string is refused); points are idempotent on (roadmap, metric, at, source)',
      ),
  })
  .describe('one metric point');
export const BatchSchema = z.strictObject({
  points: z.array(PointSchema).min(1, 'expected at least one point'),
});
export const BatchResultSchema = z.object({
  received: z.number().int(),
  written: z.number().int().describe('points new or changed; 0 when the batch was sent before'),
});
export const ProblemSchema = z.object({
  error: z.string().describe('a stable code such as invalid_batch, unauthorized, rate_limited'),
  message: z.string(),
  errors: z
    .array(z.object({ index: z.number().int(), field: z.string(), message: z.string() }))
    .optional()
    .describe('400 invalid_batch and 403 of CSV lines: every problem; index -1 is the whole body'),
});
/** What fastify itself answers when its router refuses a URL, before the API's hooks run. */
export const FastifyErrorSchema = z
  .object({
    statusCode: z.number().int(),
    code: z.string().optional().describe('such as FST_ERR_MAX_PARAM_LENGTH or FST_ERR_BAD_URL'),
    error: z.string(),
    message: z.string(),
  })
  .describe("fastify's own error format");
/**
 * The parts of the `status --json` document (src/core/messages/status-json.ts) that every answer
 * has; fields may be added, so more are allowed.
 */
export const StatusDocumentSchema = z
  .looseObject({
    roadmap: z.looseObject({ id: z.string(), name: z.string() }),
    evaluated_at: z.string().describe('ISO 8601'),
    stage: z.looseObject({ id: z.string(), name: z.string(), index: z.number().int() }),
    next_stage: z.looseObject({ id: z.string(), name: z.string() }).nullable(),
    triggers: z.array(z.looseObject({ id: z.string(), state: z.string() })),
    gates: z.array(z.looseObject({ id: z.string(), passed: z.boolean() })),
    targets: z.array(z.looseObject({ id: z.string(), state: z.string() })),
    metrics: z.array(z.looseObject({ name: z.string() })),
    stale: z.array(z.looseObject({ metric: z.string() })),
    collectors: z.array(z.looseObject({ metric: z.string(), error: z.string() })),
  })
  .describe('the `roadmap status --json` document (see README)');

export interface ApiOptions {
  /** Points accepted in one request. */
  maxPoints: number;
  /** Bytes accepted in one request body. */
  maxBodyBytes: number;
  /** Requests per token per minute, across replicas. */
  rateLimitPerMinute: number;
}

declare module 'fastify' {
  interface FastifyRequest {
    apiToken?: ApiToken;
  }
}

const problem = (
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  errors?: PointError[],
) => reply.code(status).send({ error, message, ...(errors ? { errors } : {}) });

/** The push API, the status document, and the OpenAPI description, under /api/v1. */
export function registerApi(app: FastifyInstance, deps: AppDeps, opts: ApiOptions): void {
  const tokens = new TokenStore(deps.store.pool);

  app.register(
    async (api) => {
      api.addContentTypeParser(
        ['text/csv', 'text/plain'],
        { parseAs: 'string', bodyLimit: opts.maxBodyBytes },
        (_req, body, done) => done(null, body),
      );

      api.setErrorHandler(
        (error: { statusCode?: number; message: string; code?: string }, request, reply) => {
          const status = error.statusCode ?? 500;
          if (status === 413)
            return problem(
              reply,
              413,
              'payload_too_large',
              `request body is larger than ${opts.maxBodyBytes} bytes`,
            );
          if (status === 415)
            return problem(
              reply,
              415,
              'unsupported_media_type',
              'send application/json or text/csv',
            );
          if (status < 500) return problem(reply, status, 'bad_request', error.message);
          request.log.error({ err: error }, 'api request failed');
          return problem(
            reply,
            500,
            'internal',
            'something went wrong on our side; the request was not applied',
          );
        },
      );

      // Authentication and rate limit come first, before the body is even parsed.
      api.addHook('onRequest', async (request, reply) => {
        if (request.url.startsWith('/api/v1/openapi.json')) return;
        const header = request.headers.authorization ?? '';
        const match = /^Bearer\s+(\S+)$/i.exec(header);
        const now = deps.clock();
        const known = match
          ? await tokens.authenticateAndCount(match[1] as string, now)
          : undefined;
        if (!known) {
          void reply.header('WWW-Authenticate', 'Bearer realm="roadmap-bot"');
          return problem(
            reply,
            401,
            'unauthorized',
            match
              ? 'unknown or revoked token'
              : 'send "Authorization: Bearer <token>" (roadmap token create)',
          );
        }
        const { token, count, windowEnd } = known;
        if (count > opts.rateLimitPerMinute) {
          void reply.header(
            'Retry-After',
            String(Math.max(1, Math.ceil((windowEnd.getTime() - now.getTime()) / 1000))),
          );
          return problem(
            reply,
            429,
            'rate_limited',
            `at most ${opts.rateLimitPerMinute} requests a minute per token`,
          );
        }
        request.apiToken = token;
      });

      api.post('/metrics', { bodyLimit: opts.maxBodyBytes }, async (request, reply) => {
        const token = request.apiToken as ApiToken;
        const now = deps.clock();
        const isCsv = /^text\/(csv|plain)/.test(request.headers['content-type'] ?? '');
        let parsed: { points: Parameters<typeof deps.store.recordPoints>[0]; errors: PointError[] };
        let received: number;
        if (isCsv) {
          const text = request.body as string;
          received = Math.max(0, text.split('\n').filter((l) => l.trim() !== '').length - 1);
          if (received > opts.maxPoints)
            return problem(
              reply,
              413,
              'too_many_points',
              `at most ${opts.maxPoints} points per request; got ${received}`,
            );
          const csv = parsePointsCsv(text, (id) => deps.registry.get(id), undefined, now, {
            defaultSource: 'api',
            allowed: (id) => tokenAllows(token, id),
          });
          parsed = {
            points: csv.points,
            errors: csv.errors.map((e) => ({
              index: e.line - 2,
              field: e.field,
              message: `line ${e.line}: ${e.message}`,
            })),
          };
        } else {
          const body = BatchSchema.safeParse(request.body);
          const count = Array.isArray((request.body as { points?: unknown })?.points)
            ? (request.body as { points: unknown[] }).points.length
            : 0;
          if (count > opts.maxPoints)
            return problem(
              reply,
              413,
              'too_many_points',
              `at most ${opts.maxPoints} points per request; got ${count}`,
            );
          if (!body.success) {
            const errors = body.error.issues.map((i) => ({
              index: typeof i.path[1] === 'number' ? i.path[1] : -1,
              field: i.path.slice(2).join('.') || String(i.path[0] ?? 'body'),
              message: i.message,
            }));
            return problem(
              reply,
              400,
              'invalid_batch',
              `${errors.length} problem(s); nothing was written`,
              errors,
            );
          }
          received = body.data.points.length;
          const forbidden = [...new Set(body.data.points.map((p) => p.roadmap))].filter(
            (id) => !tokenAllows(token, id),
          );
          if (forbidden.length > 0)
            return problem(
              reply,
              403,
              'forbidden',
              `this token may not write to ${forbidden.join(', ')}; nothing was written`,
            );
          parsed = validateBatch(body.data.points, {
            roadmaps: (id) => deps.registry.get(id),
            now,
            defaultSource: 'api',
          });
        }
        if (parsed.errors.some((e) => e.message.includes('may not write'))) {
          return problem(
            reply,
            403,
            'forbidden',
            'this token may not write to some of these roadmaps; nothing was written',
            parsed.errors,
          );
        }
        if (parsed.errors.length > 0)
          return problem(
            reply,
            400,
            'invalid_batch',
            `${parsed.errors.length} problem(s); nothing was written`,
            parsed.errors.slice(0, 100),
          );
        const written = await deps.store.recordPoints(parsed.points, {
          actor: { platform: 'api', id: token.name },
          action: 'push',
          details: { points: parsed.points.length, format: isCsv ? 'csv' : 'json' },
          at: now,
        });
        return reply.code(200).send({ received, written });
      });

      api.get<{ Params: { id: string } }>('/roadmaps/:id/status', async (request, reply) => {
        const token = request.apiToken as ApiToken;
        const roadmap = deps.registry.get(request.params.id);
        if (!roadmap)
          return problem(reply, 404, 'not_found', `no roadmap "${request.params.id}" is loaded`);
        if (!tokenAllows(token, roadmap.id))
          return problem(reply, 403, 'forbidden', `this token may not read ${roadmap.id}`);
        return reply.send(statusJson(await evaluateWithForecast(deps, roadmap, deps.clock())));
      });

      api.get('/openapi.json', async () =>
        openApiDocument(opts, app.initialConfig.maxParamLength ?? DEFAULT_MAX_PARAM_LENGTH),
      );
    },
    { prefix: '/api/v1' },
  );
}

/** Fastify's default: a longer path parameter is refused with 414 by its router. */
const DEFAULT_MAX_PARAM_LENGTH = 100;

/**
 * The OpenAPI 3.1 description, generated from the same zod schemas that validate requests. Every
 * status a route can answer is listed, including those fastify gives before the API's handlers
 * run (its own error format); test/openapi-contract.test.ts provokes each one and checks it.
 */
export function openApiDocument(opts: ApiOptions, maxParamLength = DEFAULT_MAX_PARAM_LENGTH) {
  const json = (schema: z.ZodType) => {
    // The dialect is OpenAPI 3.1's (JSON Schema 2020-12) for the whole document.
    const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
      target: 'draft-2020-12',
      io: 'input',
    });
    return rest;
  };
  const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });
  const answer = (description: string, schema: string, headers?: Record<string, unknown>) => ({
    description,
    ...(headers ? { headers } : {}),
    content: { 'application/json': { schema: ref(schema) } },
  });
  const problem = (description: string, headers?: Record<string, unknown>) =>
    answer(description, 'Problem', headers);
  const authenticate = {
    'WWW-Authenticate': {
      description: 'Bearer realm="roadmap-bot"',
      schema: { type: 'string' },
    },
  };
  const retryAfter = {
    'Retry-After': {
      description: 'seconds until the token may send again',
      schema: { type: 'integer', minimum: 1 },
    },
  };
  // Authentication and the rate limit run before anything else on every route but this document.
  const guarded = {
    '401': problem('no or unknown token (error unauthorized)', authenticate),
    '429': problem(
      `more than ${opts.rateLimitPerMinute} requests a minute for this token (error rate_limited)`,
      retryAfter,
    ),
    '500': problem(
      'the server failed (for example, the database is unreachable); nothing was applied',
    ),
  };
  // The point limit is configuration (API_MAX_POINTS), not part of the static schema.
  const batchJson = json(BatchSchema);
  const batch = {
    ...batchJson,
    properties: {
      ...batchJson.properties,
      points: { ...(batchJson.properties?.points as object), maxItems: opts.maxPoints },
    },
  };
  return {
    openapi: '3.1.0',
    info: {
      title: 'roadmap-bot push API',
      version: '1.0.0',
      description: 'Feed metric points to roadmap-bot and read roadmap status.',
    },
    servers: [{ url: '/api/v1' }],
    components: {
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          description: 'roadmap token create <name> --roadmaps <ids>',
        },
      },
      schemas: {
        Point: json(PointSchema),
        Batch: batch,
        BatchResult: json(BatchResultSchema),
        Problem: json(ProblemSchema),
        FastifyError: json(FastifyErrorSchema),
        StatusDocument: json(StatusDocumentSchema),
      },
    },
    security: [{ bearer: [] }],
    paths: {
      '/metrics': {
        post: {
          summary: `Record up to ${opts.maxPoints} points, all or nothing`,
          requestBody: {
            required: true,
            content: {
              'application/json': { schema: ref('Batch') },
              'text/csv': {
                schema: {
                  type: 'string',
                  description:
                    'a header naming the columns roadmap,metric,value[,at][,source], then one point a line',
                },
              },
              'text/plain': {
                schema: { type: 'string', description: 'read as text/csv' },
              },
            },
          },
          responses: {
            '200': {
              description: 'written (re-sending the same batch writes nothing new)',
              content: { 'application/json': { schema: ref('BatchResult') } },
            },
            '400': problem(
              'invalid batch (error invalid_batch): every problem as {index, field, message}; or a body that is not JSON (error bad_request); nothing written',
            ),
            '403': problem(
              'the token may not write to a roadmap of the batch (error forbidden); nothing written',
            ),
            '413': problem(
              `body over ${opts.maxBodyBytes} bytes (error payload_too_large) or more than ${opts.maxPoints} points (error too_many_points); nothing written`,
            ),
            '415': problem(
              'a Content-Type other than application/json, text/csv or text/plain (error unsupported_media_type)',
            ),
            ...guarded,
          },
        },
      },
      '/roadmaps/{id}/status': {
        get: {
          summary: 'The status document of a roadmap (the same as `roadmap status --json`)',
          parameters: [
            {
              name: 'id',
              in: 'path',
              required: true,
              schema: { type: 'string', maxLength: maxParamLength },
            },
          ],
          responses: {
            '200': {
              description: 'status',
              content: { 'application/json': { schema: ref('StatusDocument') } },
            },
            '400': answer(
              'the id is not a valid URL component (bad percent-encoding); answered by fastify before authentication',
              'FastifyError',
            ),
            '403': problem('the roadmap is not in the token scope (error forbidden)'),
            '404': problem(
              'no roadmap with this id is loaded (error not_found); checked before the scope',
            ),
            '414': answer(
              `an id longer than ${maxParamLength} characters; answered by fastify before authentication`,
              'FastifyError',
            ),
            ...guarded,
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          security: [],
          responses: {
            '200': {
              description: 'the OpenAPI 3.1 document',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
  };
}
