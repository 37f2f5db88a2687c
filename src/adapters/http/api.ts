import type { FastifyInstance, FastifyReply } from 'fastify';
import { z } from 'zod';
import { TokenStore, tokenAllows, type ApiToken } from '../pg/tokens.js';
import type { AppDeps } from '../../app/context.js';
import { evaluateWithForecast } from '../../app/evaluate.js';
import { parsePointsCsv } from '../../app/import-csv.js';
import { validateBatch, type PointError } from '../../app/ingest.js';
import { statusJson } from '../../core/messages/status-json.js';

/** The push API's request and response shapes: they validate requests and generate the OpenAPI document. */
export const PointSchema = z
  .strictObject({
    roadmap: z.string().min(1).max(64).describe('roadmap id'),
    metric: z.string().min(1).max(128).describe('metric name, as declared in the roadmap'),
    value: z
      .union([z.number(), z.string().max(64)])
      .describe('a number, or a literal with units such as "1.5s", "99.5%", "$1.2k", "yes"'),
    at: z
      .string()
      .max(64)
      .optional()
      .describe('ISO 8601 time; without an offset it is read in the roadmap timezone; default now'),
    source: z
      .string()
      .max(64)
      .optional()
      .describe(
        'which feed sent it (default "api"); points are idempotent on (roadmap, metric, at, source)',
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
  error: z.string(),
  message: z.string(),
  errors: z
    .array(z.object({ index: z.number().int(), field: z.string(), message: z.string() }))
    .optional(),
});

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

      api.get('/openapi.json', async () => openApiDocument(opts));
    },
    { prefix: '/api/v1' },
  );
}

/** The OpenAPI 3.1 description, generated from the same zod schemas that validate requests. */
export function openApiDocument(opts: ApiOptions) {
  const json = (schema: z.ZodType) =>
    z.toJSONSchema(schema, { target: 'draft-2020-12', io: 'input' });
  const problemResponse = (description: string) => ({
    description,
    content: { 'application/json': { schema: { $ref: '#/components/schemas/Problem' } } },
  });
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
        Batch: json(BatchSchema),
        BatchResult: json(BatchResultSchema),
        Problem: json(ProblemSchema),
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
              'application/json': { schema: { $ref: '#/components/schemas/Batch' } },
              'text/csv': {
                schema: {
                  type: 'string',
                  description:
                    'a header naming the columns roadmap,metric,value[,at][,source], then one point a line',
                },
              },
            },
          },
          responses: {
            '200': {
              description: 'written (re-sending the same batch writes nothing new)',
              content: {
                'application/json': { schema: { $ref: '#/components/schemas/BatchResult' } },
              },
            },
            '400': problemResponse(
              'invalid batch: every problem as {index, field, message}; nothing written',
            ),
            '401': problemResponse('no or unknown token'),
            '403': problemResponse('the token may not write to a roadmap of the batch'),
            '413': problemResponse(
              `body over ${opts.maxBodyBytes} bytes or more than ${opts.maxPoints} points`,
            ),
            '429': problemResponse(
              `more than ${opts.rateLimitPerMinute} requests a minute for this token (see Retry-After)`,
            ),
          },
        },
      },
      '/roadmaps/{id}/status': {
        get: {
          summary: 'The status document of a roadmap (the same as `roadmap status --json`)',
          parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }],
          responses: {
            '200': {
              description: 'status',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
            '401': problemResponse('no or unknown token'),
            '403': problemResponse('not in the token scope'),
            '404': problemResponse('no such roadmap'),
          },
        },
      },
    },
  };
}
