import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import type { AppDeps } from '../../app/context.js';
import { CommandError, isCodedError, type ErrorCode, type FieldProblem } from '../../app/errors.js';
import { SOURCE, type RawPoint } from '../../app/ingest.js';
import type { ApiToken } from '../../app/ports/tokens.js';
import { authenticate, pushCsv, pushPoints, statusDocument } from '../../app/push.js';
import { VALUE_LIMIT } from '../../core/units.js';
import { StatusDocumentSchema } from './status-schema.js';

/**
 * The push API's request and response shapes: they validate requests and generate the OpenAPI
 * document. Rules that `validatePoint` enforces for every way a point arrives (JSON, CSV, chat)
 * are published here with `.meta()` from the same constants rather than checked twice, so a
 * refused point gets ingest's message naming its index and field.
 */
/** VALUE_LIMIT as people write it: 1e15. */
const LIMIT = VALUE_LIMIT.toExponential().replace('+', '');
/** A point's longest strings: PointSchema's rules, which acceptedPoints checks by hand too. */
const MAX_LENGTH = { roadmap: 64, metric: 128, value: 64, at: 64, source: 64 } as const;

export const PointSchema = z
  .strictObject({
    roadmap: z.string().min(1).max(MAX_LENGTH.roadmap).describe('roadmap id'),
    metric: z
      .string()
      .min(1)
      .max(MAX_LENGTH.metric)
      .describe('metric name, as declared in the roadmap'),
    value: z
      .union([
        z.number().meta({ minimum: -VALUE_LIMIT, maximum: VALUE_LIMIT }),
        z.string().max(MAX_LENGTH.value),
      ])
      .describe(
        `a number, or a literal with units such as "1.5s", "99.5%", "$1.2k", "yes"; between -${LIMIT} and ${LIMIT} after unit conversion`,
      ),
    at: z
      .string()
      .max(MAX_LENGTH.at)
      .meta({ minLength: 1 })
      .optional()
      .describe(
        'ISO 8601 time; without an offset it is read in the roadmap timezone; at most 5 minutes ahead; leave it out for now (an empty string is refused)',
      ),
    source: z
      .string()
      .max(MAX_LENGTH.source)
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

/** The keys a point may have, so many may be present at most (PointSchema's). */
const POINT_KEYS = 5;

/**
 * The points of a body that BatchSchema accepts, checked by hand against the same rules (a
 * body of `points` only; each point an object of PointSchema's keys, of its types and lengths),
 * or undefined: then BatchSchema parses the body and says what is wrong in its words, naming
 * the point and field. zod's pass over 1,000 points (a check per rule, a copy of each point)
 * cost about a fifth of the bot's CPU for a batch; this one allocates nothing, and the points
 * are returned as parsed (JSON's objects, no other keys: the same values zod would copy).
 * test/api-batch-check.test.ts holds it to BatchSchema's verdict.
 */
export function acceptedPoints(body: unknown): RawPoint[] | undefined {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return undefined;
  const points = (body as { points?: unknown }).points;
  if (!Array.isArray(points) || points.length === 0 || countKeys(body) !== 1) return undefined;
  for (const p of points as unknown[]) {
    if (typeof p !== 'object' || p === null || Array.isArray(p)) return undefined;
    const { roadmap, metric, value, at, source } = p as Record<string, unknown>;
    if (typeof roadmap !== 'string' || roadmap.length < 1 || roadmap.length > MAX_LENGTH.roadmap)
      return undefined;
    if (typeof metric !== 'string' || metric.length < 1 || metric.length > MAX_LENGTH.metric)
      return undefined;
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) return undefined;
    } else if (typeof value !== 'string' || value.length > MAX_LENGTH.value) return undefined;
    let keys = 3;
    if (at !== undefined) {
      if (typeof at !== 'string' || at.length > MAX_LENGTH.at) return undefined;
      keys++;
    }
    if (source !== undefined) {
      if (typeof source !== 'string' || source.length > MAX_LENGTH.source) return undefined;
      keys++;
    }
    // No other key (strictObject). A key given as undefined (not JSON) goes to zod too.
    if (keys > POINT_KEYS || countKeys(p) !== keys) return undefined;
  }
  return points as RawPoint[];
}

/** Enumerable keys (a parsed body's are all its own), without Object.keys' array. */
function countKeys(o: object): number {
  let n = 0;
  for (const _key in o) n++;
  return n;
}

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
/** The whole `status --json` document, every field (./status-schema.ts). */
export { StatusDocumentSchema };

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

/**
 * Each way a request can fail (src/app/errors.ts) as the API answers it: its HTTP status and
 * the stable `error` code of the body. A new code fails the type-check until it is here.
 */
const HTTP: Record<ErrorCode, { status: number; error: string }> = {
  usage: { status: 400, error: 'bad_request' },
  invalid: { status: 400, error: 'invalid_batch' },
  not_found: { status: 404, error: 'not_found' },
  forbidden: { status: 403, error: 'forbidden' },
  conflict: { status: 409, error: 'conflict' },
  unauthorized: { status: 401, error: 'unauthorized' },
  rate_limited: { status: 429, error: 'rate_limited' },
  too_many_points: { status: 413, error: 'too_many_points' },
  payload_too_large: { status: 413, error: 'payload_too_large' },
  unsupported_media_type: { status: 415, error: 'unsupported_media_type' },
  bad_request: { status: 400, error: 'bad_request' },
  internal: { status: 500, error: 'internal' },
};

const problem = (
  reply: FastifyReply,
  status: number,
  error: string,
  message: string,
  errors?: readonly FieldProblem[],
) => reply.code(status).send({ error, message, ...(errors ? { errors } : {}) });

/** The answer to a coded error: its status, its headers, and the Problem body. */
function answer(reply: FastifyReply, error: CommandError) {
  const { status, error: code } = HTTP[error.code];
  if (error.code === 'unauthorized')
    void reply.header('WWW-Authenticate', 'Bearer realm="roadmap-bot"');
  if (error.retryAfterSeconds !== undefined)
    void reply.header('Retry-After', String(error.retryAfterSeconds));
  return problem(reply, status, code, error.message, error.problems);
}

/** The push API, the status document, and the OpenAPI description, under /api/v1. */
export function registerApi(app: FastifyInstance, deps: AppDeps, opts: ApiOptions): void {
  /** More points in one request than allowed: refused before any is read. */
  const checkCount = (count: number) => {
    if (count > opts.maxPoints)
      throw new CommandError(
        'too_many_points',
        `at most ${opts.maxPoints} points per request; got ${count}`,
      );
  };

  app.register(
    async (api) => {
      api.addContentTypeParser(
        ['text/csv', 'text/plain'],
        { parseAs: 'string', bodyLimit: opts.maxBodyBytes },
        (_req, body, done) => done(null, body),
      );

      // Fastify's own refusals come by status; the app's failures by their code.
      api.setErrorHandler(
        (error: { statusCode?: number; message: string; code?: string }, request, reply) => {
          if (isCodedError(error)) return answer(reply, error);
          const status = error.statusCode ?? 500;
          if (status === 413)
            return answer(
              reply,
              new CommandError(
                'payload_too_large',
                `request body is larger than ${opts.maxBodyBytes} bytes`,
              ),
            );
          if (status === 415)
            return answer(
              reply,
              new CommandError('unsupported_media_type', 'send application/json or text/csv'),
            );
          if (status < 500) return problem(reply, status, HTTP.bad_request.error, error.message);
          request.log.error({ err: error }, 'api request failed');
          return answer(
            reply,
            new CommandError(
              'internal',
              'something went wrong on our side; the request was not applied',
            ),
          );
        },
      );

      // Authentication and rate limit come first, before the body is even parsed.
      api.addHook('onRequest', async (request, reply) => {
        if (request.url.startsWith('/api/v1/openapi.json')) return;
        try {
          request.apiToken = await authenticate(
            deps,
            request.headers.authorization,
            opts.rateLimitPerMinute,
          );
        } catch (error) {
          if (isCodedError(error)) return answer(reply, error);
          throw error;
        }
      });

      api.post('/metrics', { bodyLimit: opts.maxBodyBytes }, async (request, reply) => {
        const token = request.apiToken as ApiToken;
        if (/^text\/(csv|plain)/.test(request.headers['content-type'] ?? '')) {
          const text = request.body as string;
          const received = Math.max(0, text.split('\n').filter((l) => l.trim() !== '').length - 1);
          checkCount(received);
          return reply.code(200).send({ received, written: await pushCsv(deps, token, text) });
        }
        const points = (request.body as { points?: unknown })?.points;
        checkCount(Array.isArray(points) ? points.length : 0);
        const accepted = acceptedPoints(request.body);
        if (accepted) {
          const written = await pushPoints(deps, token, accepted);
          return reply.code(200).send({ received: accepted.length, written });
        }
        const body = BatchSchema.safeParse(request.body);
        if (!body.success) {
          const errors = body.error.issues.map((i) => ({
            index: typeof i.path[1] === 'number' ? i.path[1] : -1,
            field: i.path.slice(2).join('.') || String(i.path[0] ?? 'body'),
            message: i.message,
          }));
          throw new CommandError(
            'invalid',
            `${errors.length} problem(s); nothing was written`,
            [],
            {
              problems: errors,
            },
          );
        }
        const written = await pushPoints(deps, token, body.data.points);
        return reply.code(200).send({ received: body.data.points.length, written });
      });

      api.get<{ Params: { id: string } }>('/roadmaps/:id/status', async (request, reply) =>
        reply.send(await statusDocument(deps, request.apiToken as ApiToken, request.params.id)),
      );

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
