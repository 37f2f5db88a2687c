/**
 * What the web view reads (issue 17): a roadmap's page as of now or a replayed moment, a page of
 * its alert and audit history, a chart's inputs, the version the live page watches, and the
 * signed links `roadmap link` hands out. The HTTP routes and the HTML are the web adapter's.
 */
import type { ForecastedReport } from '../core/forecast/report.js';
import type { HistoryPoint } from '../core/forecast/fit.js';
import type { Report } from '../core/evaluate/report.js';
import type { Roadmap } from '../core/roadmap/model.js';
import {
  auditView,
  episodeView,
  statusView,
  viewVersion,
  type AuditView,
  type EpisodeView,
  type Paged,
  type StatusView,
} from '../core/web/view.js';
import {
  DEFAULT_LINK_TTL_MS,
  MAX_LINK_TTL_MS,
  pageUrl,
  signLink,
  type LinkParams,
} from '../core/web/link.js';
import { parseTime } from '../core/time.js';
import type { AppDeps } from './context.js';
import { CommandError } from './errors.js';
import { evaluateAt, evaluateWithForecast, FORECAST_BUCKET_MS } from './evaluate.js';
import type { WebSettings } from './web-settings.js';

export type { WebAccess, WebSettings } from './web-settings.js';

/** Rows of history on one page. */
export const ALERTS_PER_PAGE = 20;
export const AUDIT_PER_PAGE = 25;
/** Deeper pages are refused: an offset scan stays cheap, and the audit_log table has the rest. */
export const MAX_HISTORY_PAGE = 500;

export interface WebPageOptions {
  /** `?now=`: a past moment to replay (as `status --now`); absent: now. */
  now?: string;
  alertsPage?: number;
  auditPage?: number;
}

export interface WebPage {
  roadmap: Roadmap;
  report: ForecastedReport;
  view: StatusView;
  /** What the live page compares (see liveVersion). */
  version: string;
  /** A replay of a past moment: no live updates. */
  replay: boolean;
  now: Date;
  alerts: Paged<EpisodeView>;
  audit: Paged<AuditView>;
}

/** The roadmap with this id, or not_found naming what is loaded. */
export function webRoadmap(deps: Pick<AppDeps, 'registry'>, id: string): Roadmap {
  const roadmap = deps.registry.get(id);
  if (!roadmap) throw new CommandError('not_found', `no roadmap "${id}" is loaded`);
  return roadmap;
}

/** `?now=` as `status --now` reads it (in the roadmap's timezone); a bad one is a usage error. */
export function webNow(roadmap: Roadmap, now: string | undefined, clockNow: Date): Date {
  if (now === undefined || now.trim().toLowerCase() === 'now') return clockNow;
  const at = parseTime(now, roadmap.timezone);
  if (!at)
    throw new CommandError(
      'usage',
      `now: expected a date or time such as 2026-03-01 or 2026-03-01T09:30 (read in ${roadmap.timezone}), got "${now}"`,
    );
  return at;
}

async function newestAuditId(deps: Pick<AppDeps, 'store'>, roadmapId: string, until?: Date) {
  const [newest] = await deps.store.audit.list(roadmapId, {
    limit: 1,
    ...(until ? { until } : {}),
  });
  return newest ? String(newest.id) : '';
}

/**
 * A roadmap's page: the evaluation with forecasts (as `status`), and one page of each history.
 * Everything is read as of `now`, so a replay shows what was known then.
 */
export async function webPage(
  deps: Pick<AppDeps, 'store' | 'registry' | 'clock'>,
  roadmapId: string,
  options: WebPageOptions = {},
): Promise<WebPage> {
  const roadmap = webRoadmap(deps, roadmapId);
  const replay = options.now !== undefined && options.now.trim().toLowerCase() !== 'now';
  const now = webNow(roadmap, options.now, deps.clock());
  const alertsPage = options.alertsPage ?? 1;
  const auditPage = options.auditPage ?? 1;
  for (const [name, page] of [
    ['alerts', alertsPage],
    ['audit', auditPage],
  ] as const)
    if (!Number.isInteger(page) || page < 1 || page > MAX_HISTORY_PAGE)
      throw new CommandError(
        'usage',
        `${name}: expected a page number from 1 to ${MAX_HISTORY_PAGE}, got ${page}`,
      );
  // One row more than a page tells whether an older page exists.
  const [report, episodes, audit] = await Promise.all([
    evaluateWithForecast(deps, roadmap, now),
    deps.store.alerts.episodes(roadmap.id, {
      until: now,
      limit: ALERTS_PER_PAGE + 1,
      offset: (alertsPage - 1) * ALERTS_PER_PAGE,
    }),
    deps.store.audit.list(roadmap.id, {
      until: now,
      limit: AUDIT_PER_PAGE + 1,
      offset: (auditPage - 1) * AUDIT_PER_PAGE,
    }),
  ]);
  const zone = roadmap.timezone;
  const view = statusView(roadmap, report);
  // The newest audit row is on the first page when there is one; a later page asks for it.
  const newest =
    auditPage === 1
      ? String(audit[0]?.id ?? '')
      : await newestAuditId(deps, roadmap.id, replay ? now : undefined);
  return {
    roadmap,
    report,
    view,
    version: viewVersion(view, newest),
    replay,
    now,
    alerts: {
      rows: episodes.slice(0, ALERTS_PER_PAGE).map((e) => episodeView(e, zone, now)),
      page: alertsPage,
      hasOlder: episodes.length > ALERTS_PER_PAGE,
    },
    audit: {
      rows: audit.slice(0, AUDIT_PER_PAGE).map((a) => auditView(a, zone)),
      page: auditPage,
      hasOlder: audit.length > AUDIT_PER_PAGE,
    },
  };
}

/**
 * The version of a roadmap's page now: what it shows (values as formatted, states, ETAs) and
 * its newest audit entry (an acknowledgement, a tick). The live page reloads when it changes.
 */
export async function liveVersion(
  deps: Pick<AppDeps, 'store' | 'registry' | 'clock'>,
  roadmapId: string,
): Promise<string> {
  const roadmap = webRoadmap(deps, roadmapId);
  const [report, newest] = await Promise.all([
    evaluateWithForecast(deps, roadmap, deps.clock()),
    newestAuditId(deps, roadmap.id),
  ]);
  return viewVersion(statusView(roadmap, report), newest);
}

/** One line per roadmap for the list page: its stage and how its upgrade trigger stands. */
export interface RoadmapSummary {
  id: string;
  name: string;
  stage: string;
  state: string;
}

export async function webSummaries(
  deps: Pick<AppDeps, 'store' | 'registry' | 'clock'>,
): Promise<RoadmapSummary[]> {
  const now = deps.clock();
  const roadmaps = [...deps.registry.list()].sort((a, b) => a.id.localeCompare(b.id));
  const out: RoadmapSummary[] = [];
  // In turn: a list of many roadmaps must not take every pooled connection at once.
  for (const roadmap of roadmaps) {
    const report = await evaluateAt(deps, roadmap, now);
    const upgrade = report.triggers.find((t) => t.kind === 'upgrade');
    const firing = report.triggers.filter((t) => t.state === 'firing').length;
    out.push({
      id: roadmap.id,
      name: roadmap.name,
      stage: `${report.stage.index + 1}/${report.stageCount} ${report.stage.name}`,
      state: firing > 0 ? `${firing} firing` : upgrade ? `upgrade ${upgrade.state}` : 'final stage',
    });
  }
  return out;
}

/** What a metric's chart needs: the evaluation at `now` and the metric's bucketed history. */
export async function chartData(
  deps: Pick<AppDeps, 'store' | 'registry' | 'clock'>,
  roadmapId: string,
  metric: string,
  now?: string,
): Promise<{ roadmap: Roadmap; report: Report; history: readonly HistoryPoint[] }> {
  const roadmap = webRoadmap(deps, roadmapId);
  const def = roadmap.metrics.get(metric);
  if (!def || def.derive)
    throw new CommandError('not_found', `no recorded metric "${metric}" in ${roadmap.id}`);
  const at = webNow(roadmap, now, deps.clock());
  const [report, histories] = await Promise.all([
    evaluateAt(deps, roadmap, at),
    deps.store.points.forecastHistories(
      roadmap.id,
      [metric],
      roadmap.forecastWindowMs,
      FORECAST_BUCKET_MS,
      at,
    ),
  ]);
  return { roadmap, report, history: histories.get(metric) ?? [] };
}

/**
 * A signed link to a roadmap's page that expires `ttlMs` from `now` (phase 2: `roadmap link`
 * and the "Open in browser" button call this). Refused, with what to set, when the pages are
 * off or the link could not be opened from outside.
 */
export function webLink(
  settings: WebSettings,
  roadmapId: string,
  now: Date,
  ttlMs = DEFAULT_LINK_TTL_MS,
  options: { tv?: boolean } = {},
): { url: string; expiresAt?: Date } {
  if (settings.access === 'off')
    throw new CommandError(
      'invalid',
      'the web view is off: set WEB_SECRET (signed links) or WEB_ACCESS=public, and PUBLIC_URL',
    );
  if (!settings.publicUrl)
    throw new CommandError(
      'invalid',
      'PUBLIC_URL is not set: set it to the address people open the bot at (https://…)',
    );
  if (!(ttlMs >= 60_000) || ttlMs > MAX_LINK_TTL_MS)
    throw new CommandError(
      'usage',
      `--ttl: expected a duration from 1m to ${MAX_LINK_TTL_MS / 86_400_000}d such as 7d`,
    );
  // Public pages need no signature, and the link never expires.
  if (settings.access === 'public')
    return { url: pageUrl(settings.publicUrl, roadmapId, undefined, options) };
  const expiresAt = new Date(now.getTime() + ttlMs);
  const link: LinkParams = signLink(settings.secret as string, roadmapId, expiresAt);
  return {
    url: pageUrl(settings.publicUrl, roadmapId, link, options),
    expiresAt: new Date(Number(link.exp) * 1000),
  };
}
