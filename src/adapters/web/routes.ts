/**
 * The web view's routes on the bot's one HTTP server (README "Web view"):
 *
 *   GET /                               → /roadmaps
 *   GET /roadmaps                       the list (WEB_ACCESS=public only)
 *   GET /roadmaps/:id                   a roadmap's page; ?now= replays, ?tv=1 is TV mode,
 *                                       ?alerts=N and ?audit=N page the histories
 *   GET /roadmaps/:id/charts/:metric    a chart as SVG
 *   GET /roadmaps/:id/events            live updates (server-sent events)
 *   GET /web/static/page.css, live.js, icon.svg
 *
 * With WEB_ACCESS=links every roadmap route needs `exp` and `sig` of a signed link to that
 * roadmap (src/core/web/link.ts): anything else is 403 and changes nothing. Not registered at
 * all when the web view is off, so its paths are 404.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import type { Logger } from 'pino';
import { z } from 'zod';
import type { AppDeps } from '../../app/context.js';
import { isCodedError, type ErrorCode } from '../../app/errors.js';
import {
  chartData,
  liveVersion,
  MAX_HISTORY_PAGE,
  webPage,
  webRoadmap,
  webSummaries,
  type WebSettings,
} from '../../app/web.js';
import { verifyLink, type LinkCheck } from '../../core/web/link.js';
import { svgCharts } from './charts.js';
import { LiveHub } from './live.js';
import { listPage, messagePage, roadmapPage, type Assets, type PageQuery } from './pages.js';

export interface WebOptions extends WebSettings {
  /** How often an open page's roadmap is evaluated again (WEB_LIVE_INTERVAL). */
  liveIntervalMs: number;
  /** Live streams open at once in this process. */
  maxLiveViewers?: number;
  logger: Pick<Logger, 'warn' | 'error'>;
}

/**
 * No inline script or style anywhere; images are the charts (same origin); the live script
 * connects back to the same origin only.
 */
export const PAGE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

/** A chart opened on its own is a document: it may style itself, never run anything. */
const SVG_CSP = "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'";

const STATIC_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'static');

interface StaticFile {
  body: string;
  type: string;
  version: string;
}

function loadStatic(name: string, type: string): StaticFile {
  const body = readFileSync(path.join(STATIC_DIR, name), 'utf8');
  return { body, type, version: createHash('sha256').update(body).digest('hex').slice(0, 12) };
}

const STATUS: Record<ErrorCode, number> = {
  usage: 400,
  invalid: 400,
  not_found: 404,
  forbidden: 403,
  conflict: 409,
  unauthorized: 401,
  rate_limited: 429,
  too_many_points: 413,
  payload_too_large: 413,
  unsupported_media_type: 415,
  bad_request: 400,
  internal: 500,
};

const page = z.coerce
  .number({ error: `expected a page number from 1 to ${MAX_HISTORY_PAGE}` })
  .int(`expected a page number from 1 to ${MAX_HISTORY_PAGE}`)
  .min(1, `expected a page number from 1 to ${MAX_HISTORY_PAGE}`)
  .max(MAX_HISTORY_PAGE, `expected a page number from 1 to ${MAX_HISTORY_PAGE}`);
const one = (max: number, what: string) =>
  z
    .string({ error: `expected one ${what}` })
    .max(max, `expected ${what} of at most ${max} characters`);

/** The query of every roadmap route; unknown parameters are ignored. */
const QuerySchema = z.object({
  exp: one(20, 'link expiry').optional(),
  sig: one(100, 'link signature').optional(),
  now: one(64, 'date or time such as 2026-03-01').optional(),
  tv: z.enum(['1', '0', 'true', 'false'], { error: 'expected 1 or 0' }).optional(),
  alerts: page.optional(),
  audit: page.optional(),
  v: one(40, 'version').optional(),
});
type Query = z.output<typeof QuerySchema>;

type Refusal = { status: number; title: string; lines: string[] };

class WebRefusal extends Error {
  constructor(readonly refusal: Refusal) {
    super(refusal.title);
  }
}

const LINK_REFUSAL: Record<Exclude<LinkCheck, { ok: true }>['reason'], string> = {
  missing:
    'This page opens from a signed link. Ask the bot for one: roadmap link (or /roadmap link in chat).',
  malformed: 'This link is damaged: copy it again, whole, from where you got it.',
  forged: 'This link is not valid for this roadmap. Ask the bot for a new one: roadmap link.',
  expired: 'This link has expired. Ask the bot for a new one: roadmap link.',
};

export function registerWeb(app: FastifyInstance, deps: AppDeps, opts: WebOptions): void {
  if (opts.access === 'off') return;
  if (opts.access === 'links' && !opts.secret)
    throw new Error('web: WEB_ACCESS=links needs WEB_SECRET');
  const css = loadStatic('page.css', 'text/css; charset=utf-8');
  const js = loadStatic('live.js', 'text/javascript; charset=utf-8');
  const icon = loadStatic('icon.svg', 'image/svg+xml');
  const assets: Assets = {
    css: `/web/static/page.css?v=${css.version}`,
    js: `/web/static/live.js?v=${js.version}`,
    icon: `/web/static/icon.svg?v=${icon.version}`,
  };
  const charts = svgCharts();
  const hub = new LiveHub({
    version: (id) => liveVersion(deps, id),
    intervalMs: opts.liveIntervalMs,
    maxViewers: opts.maxLiveViewers ?? 500,
    clock: deps.clock,
    logger: opts.logger,
  });

  const sendPage = (reply: FastifyReply, status: number, body: string) =>
    reply
      .code(status)
      .header('content-type', 'text/html; charset=utf-8')
      .header('content-security-policy', PAGE_CSP)
      .header('cache-control', 'no-store')
      .header('referrer-policy', 'no-referrer')
      .header('x-content-type-options', 'nosniff')
      .header('x-frame-options', 'DENY')
      .send(body);

  const refuse = (reply: FastifyReply, r: Refusal) =>
    sendPage(reply, r.status, messagePage(r.title, r.lines, assets));

  /** The parsed query, or a 400 naming each bad parameter. */
  const queryOf = (request: FastifyRequest): Query => {
    const parsed = QuerySchema.safeParse(request.query ?? {});
    if (!parsed.success)
      throw new WebRefusal({
        status: 400,
        title: 'This address is not right',
        lines: parsed.error.issues.map((i) => `${i.path.join('.') || 'query'}: ${i.message}`),
      });
    return parsed.data;
  };

  /**
   * Whether this request may see roadmap `id`: always in public mode; with a valid link to it
   * otherwise. Checked before the roadmap is looked up, so a refusal tells nothing of which
   * roadmaps exist.
   */
  const admit = (id: string, query: Query): { expiresAt?: Date } => {
    if (opts.access === 'public') return {};
    const check = verifyLink(opts.secret as string, id, query, deps.clock());
    if (check.ok) return { expiresAt: check.expiresAt };
    throw new WebRefusal({
      status: 403,
      title: check.reason === 'expired' ? 'This link has expired' : 'This page needs a valid link',
      lines: [LINK_REFUSAL[check.reason]],
    });
  };

  const linkOf = (query: Query): PageQuery =>
    opts.access === 'links' ? { exp: query.exp, sig: query.sig } : {};

  app.register(async (web) => {
    web.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
      if (error instanceof WebRefusal) return refuse(reply, error.refusal);
      if (isCodedError(error) && error.code !== 'internal')
        return refuse(reply, {
          status: STATUS[error.code],
          title: error.code === 'not_found' ? 'Not found' : 'This address is not right',
          lines: [error.message, ...error.details],
        });
      const status = error.statusCode ?? 500;
      if (status < 500)
        return refuse(reply, {
          status,
          title: 'This address is not right',
          lines: [error.message],
        });
      opts.logger.error({ err: error, url: request.url.split('?')[0] }, 'web: page failed');
      return refuse(reply, {
        status: 500,
        title: 'Something went wrong',
        lines: ['Something went wrong on our side; it has been logged. Try again in a moment.'],
      });
    });

    web.get('/', async (_request, reply) => reply.redirect('/roadmaps', 302));

    web.get('/roadmaps', async (_request, reply) => {
      if (opts.access !== 'public')
        return refuse(reply, {
          status: 403,
          title: 'Roadmaps open from signed links',
          lines: [
            'Each roadmap has its own page, opened from a signed link. Ask the bot for one: roadmap link --roadmap <id> (or /roadmap link in chat).',
          ],
        });
      return sendPage(reply, 200, listPage(await webSummaries(deps), assets));
    });

    web.get<{ Params: { id: string } }>('/roadmaps/:id', async (request, reply) => {
      const query = queryOf(request);
      admit(request.params.id, query);
      const tv = query.tv === '1' || query.tv === 'true';
      const data = await webPage(deps, request.params.id, {
        ...(query.now !== undefined ? { now: query.now } : {}),
        ...(query.alerts !== undefined ? { alertsPage: query.alerts } : {}),
        ...(query.audit !== undefined ? { auditPage: query.audit } : {}),
      });
      const pageQuery: PageQuery = {
        ...linkOf(query),
        ...(data.replay && query.now !== undefined ? { now: query.now } : {}),
        ...(query.alerts !== undefined ? { alerts: query.alerts } : {}),
        ...(query.audit !== undefined ? { audit: query.audit } : {}),
      };
      return sendPage(
        reply,
        200,
        roadmapPage(data, { query: pageQuery, tv, showList: opts.access === 'public', assets }),
      );
    });

    web.get<{ Params: { id: string; metric: string } }>(
      '/roadmaps/:id/charts/:metric',
      async (request, reply) => {
        const query = queryOf(request);
        admit(request.params.id, query);
        const { roadmap, report, history } = await chartData(
          deps,
          request.params.id,
          request.params.metric,
          query.now,
        );
        const svg = await charts.svg(roadmap, report, request.params.metric, history);
        return reply
          .code(200)
          .header('content-type', 'image/svg+xml; charset=utf-8')
          .header('content-security-policy', SVG_CSP)
          .header('cache-control', 'private, max-age=300')
          .header('x-content-type-options', 'nosniff')
          .send(svg);
      },
    );

    web.get<{ Params: { id: string } }>('/roadmaps/:id/events', async (request, reply) => {
      const query = queryOf(request);
      const { expiresAt } = admit(request.params.id, query);
      webRoadmap(deps, request.params.id);
      if (!hub.hasRoom())
        return refuse(reply, {
          status: 503,
          title: 'Too many live pages',
          lines: [
            'Too many pages are open live on this server; reload the page to see the latest.',
          ],
        });
      reply.hijack();
      hub.open(request.params.id, reply.raw, expiresAt);
    });

    const serve = (file: StaticFile) => async (_request: FastifyRequest, reply: FastifyReply) =>
      reply
        .code(200)
        .header('content-type', file.type)
        .header('cache-control', 'public, max-age=86400')
        .header('x-content-type-options', 'nosniff')
        .send(file.body);
    web.get('/web/static/page.css', serve(css));
    web.get('/web/static/live.js', serve(js));
    web.get('/web/static/icon.svg', serve(icon));

    // Open streams end before the server waits for its connections to close.
    web.addHook('preClose', async () => hub.close());
  });
}
