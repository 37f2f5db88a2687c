/**
 * The web view's HTML: a roadmap's page (normal and TV), the list of roadmaps, and the pages of
 * refusals and errors. Server-rendered from the view model (src/core/web/view.ts) with the
 * escaping `html` tag, so every string from a roadmap file or from chat is escaped; no inline
 * script or style, so the Content-Security-Policy allows neither.
 */
import { html, type Html, type HtmlValue } from '../../core/web/html.js';
import { pagePath } from '../../core/web/link.js';
import type { Item, StatusView, TriggerView } from '../../core/web/view.js';
import type { RoadmapSummary, WebPage } from '../../app/web.js';
import { CHART_HEIGHT, CHART_WIDTH } from '../charts/spec.js';

/** What every link from a page keeps: the link's signature, the replayed moment, the mode. */
export interface PageQuery {
  exp?: string;
  sig?: string;
  now?: string;
  tv?: boolean;
  alerts?: number;
  audit?: number;
  /** A chart's version (cache-buster). */
  v?: string;
}

/** A path with its query, parameters in a fixed order (stable URLs, stable chart caching). */
export function href(path: string, query: PageQuery): string {
  const params = new URLSearchParams();
  if (query.exp !== undefined) params.set('exp', query.exp);
  if (query.sig !== undefined) params.set('sig', query.sig);
  if (query.now !== undefined) params.set('now', query.now);
  if (query.tv) params.set('tv', '1');
  if (query.alerts !== undefined && query.alerts > 1) params.set('alerts', String(query.alerts));
  if (query.audit !== undefined && query.audit > 1) params.set('audit', String(query.audit));
  if (query.v !== undefined) params.set('v', query.v);
  const text = params.toString();
  return text ? `${path}?${text}` : path;
}

export interface Assets {
  css: string;
  js: string;
  /** Named by every page, so browsers do not ask for /favicon.ico (a 404). */
  icon: string;
}

/** A TV page reloads itself this often (a meta refresh: no script needed). */
export const TV_REFRESH_SECONDS = 60;

function layout(opts: {
  title: string;
  assets: Assets;
  body: Html;
  tv?: boolean;
  live?: boolean;
}): string {
  return html`<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
${opts.tv ? html`<meta http-equiv="refresh" content="${TV_REFRESH_SECONDS}" />` : ''}
<title>${opts.title}</title>
<link rel="icon" href="${opts.assets.icon}" type="image/svg+xml">
<link rel="stylesheet" href="${opts.assets.css}">
${opts.live ? html`<script src="${opts.assets.js}" defer></script>` : ''}
</head>
<body${opts.tv ? html` class="tv"` : ''}>
${opts.body}
</body>
</html>
`.value;
}

const badge = (state: string, tone: string) =>
  html`<span class="badge tone-${tone}">${state}</span>`;

function barOf(item: Pick<Item, 'bar'>): Html | string {
  if (!item.bar) return '';
  return html`<div class="bar">
    <progress max="100" value="${item.bar.percent}" aria-label="${item.bar.label}">
      ${item.bar.text}</progress
    ><span class="pct">${item.bar.text}</span>
  </div>`;
}

function items(list: readonly Item[], empty: string): Html {
  if (list.length === 0) return html`<p class="meta">${empty}</p>`;
  return html`<ul class="items">
    ${list.map(
      (i) =>
        html`<li>
          ${badge(i.state, i.tone)}
          ${i.text}${barOf(i)}${i.detail ? html`<p class="detail">${i.detail}</p>` : ''}
        </li>`,
    )}
  </ul>`;
}

function card(id: string, title: string, content: HtmlValue): Html {
  return html`<section class="card" aria-labelledby="${id}">
    <h2 id="${id}">${title}</h2>
    ${content}
  </section>`;
}

function trigger(t: TriggerView): Html {
  return html`<article class="trigger" aria-labelledby="t-${t.id}">
    <h3 id="t-${t.id}">${badge(t.state, t.tone)} ${t.title}</h3>
    <p class="condition">${t.condition}</p>
    ${t.message ? html`<p>${t.message}</p>` : ''} ${items(t.comparisons, 'No comparison to show.')}
    ${t.missing.length > 0 ? html`<p class="detail">No fresh data for ${t.missing.join(', ')}.</p>` : ''}
  </article>`;
}

function triggersCard(view: StatusView, tv: boolean): Html {
  const loud = view.triggers.filter((t) => !t.quiet);
  const quiet = view.triggers.filter((t) => t.quiet);
  return card(
    'h-triggers',
    'Triggers',
    html`${loud.length === 0 ? html`<p class="meta">Nothing is firing, pending or approaching.</p>` : loud.map(trigger)}
    ${
      quiet.length > 0 && !tv
        ? html`<details>
            <summary>${quiet.length} quiet ${quiet.length === 1 ? 'alert' : 'alerts'} (ok)</summary>
            ${quiet.map(trigger)}
          </details>`
        : ''
    }`,
  );
}

function timelineCard(view: StatusView): Html {
  return card(
    'h-stages',
    'Stages',
    html`<ol class="timeline">
      ${view.timeline.map(
        (s) =>
          html`<li
            class="${s.position}"
            ${s.position === 'current' ? html` aria-current="step"` : ''}
          >
            <h3>${s.number}. ${s.name}</h3>
            <p class="meta">
              ${s.position === 'current' ? 'current stage' : s.position === 'past' ? 'done' : s.position === 'next' ? 'next' : 'later'}${s.schedule ? html` ${badge(s.schedule.state, s.schedule.tone)}` : ''}
            </p>
            ${s.planned ? html`<p class="detail">planned ${s.planned}</p>` : ''}
            ${s.since ? html`<p class="detail">${s.since}</p>` : ''}
            ${s.users ? html`<p class="detail">${s.users}</p>` : ''}
            ${s.goal && s.position === 'current' ? html`<p class="detail">Goal: ${s.goal}</p>` : ''}
          </li>`,
      )}
    </ol>`,
  );
}

function chartsCard(page: WebPage, query: PageQuery, max: number): Html | string {
  const charts = page.view.charts.slice(0, max);
  if (charts.length === 0) return '';
  const id = page.view.roadmap.id;
  return card(
    'h-charts',
    'Charts',
    html`<div class="charts">
      ${charts.map(
        (c) =>
          html`<figure>
            <img
              src="${href(`${pagePath(id)}/charts/${encodeURIComponent(c.metric)}`, { exp: query.exp, sig: query.sig, now: query.now, v: c.version })}"
              width="${CHART_WIDTH}"
              height="${CHART_HEIGHT}"
              alt="Chart of ${c.title}: its history, the thresholds it is compared with and the forecast"
            />
            <figcaption>${c.title}</figcaption>
          </figure>`,
      )}
    </div>`,
  );
}

function budgetCard(view: StatusView): Html | string {
  const b = view.budget;
  if (!b) return '';
  return card(
    'h-budget',
    'Budget',
    html`${items(b.lines, 'No budget lines.')}
    ${
      b.totals.length > 0
        ? html`<h3>Totals</h3>
            ${items(b.totals, '')}`
        : ''
    }
    ${
      b.team.length > 0
        ? html`<h3>Team</h3>
            ${items(b.team, '')}`
        : ''
    }`,
  );
}

function tracksCard(view: StatusView): Html | string {
  if (view.tracks.length === 0) return '';
  return card(
    'h-tracks',
    'Tracks',
    html`<ul class="items">
      ${view.tracks.map(
        (t) =>
          html`<li>
            ${badge(t.state, t.tone)}
            ${t.text}${t.detail ? html`<p class="detail">${t.detail}</p>` : ''}
            <p class="detail">steps: ${t.steps}</p>
            ${t.capacity.length > 0 ? items(t.capacity, '') : ''}
          </li>`,
      )}
    </ul>`,
  );
}

function pager(
  label: string,
  name: 'alerts' | 'audit',
  page: { page: number; hasOlder: boolean },
  path: string,
  query: PageQuery,
): Html | string {
  if (page.page === 1 && !page.hasOlder) return '';
  return html`<nav class="pager" aria-label="${label}">
    ${page.page > 1 ? html`<a href="${href(path, { ...query, [name]: page.page - 1 })}">← Newer</a>` : ''}
    <span>Page ${page.page}</span>
    ${page.hasOlder ? html`<a href="${href(path, { ...query, [name]: page.page + 1 })}">Older →</a>` : ''}
  </nav>`;
}

function historyCards(page: WebPage, path: string, query: PageQuery): Html {
  const alerts =
    page.alerts.rows.length === 0
      ? html`<p class="meta">
          ${page.alerts.page > 1 ? 'No older alerts.' : 'No alert has fired yet.'}
        </p>`
      : html`<div class="scroll" tabindex="0" role="region" aria-label="Alert history table">
          <table>
            <thead>
              <tr>
                <th scope="col">Fired</th>
                <th scope="col">Trigger</th>
                <th scope="col">State</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              ${page.alerts.rows.map(
                (e) =>
                  html`<tr>
                    <td>${e.fired}</td>
                    <td>${e.trigger} <span class="meta">(${e.kind}, ${e.severity})</span></td>
                    <td>${badge(e.state, e.tone)}</td>
                    <td>${e.detail ?? ''}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`;
  const audit =
    page.audit.rows.length === 0
      ? html`<p class="meta">
          ${page.audit.page > 1 ? 'No older entries.' : 'Nothing recorded yet.'}
        </p>`
      : html`<div class="scroll" tabindex="0" role="region" aria-label="Audit log table">
          <table>
            <thead>
              <tr>
                <th scope="col">When</th>
                <th scope="col">Who</th>
                <th scope="col">What</th>
                <th scope="col">Details</th>
              </tr>
            </thead>
            <tbody>
              ${page.audit.rows.map(
                (a) =>
                  html`<tr>
                    <td>${a.at}</td>
                    <td>${a.who}</td>
                    <td>${a.action}</td>
                    <td>${a.details}</td>
                  </tr>`,
              )}
            </tbody>
          </table>
        </div>`;
  return html`${card('h-alerts', 'Alert history', html`${alerts}${pager('Alert history pages', 'alerts', page.alerts, path, query)}`)}
  ${card('h-audit', 'Audit log', html`${audit}${pager('Audit log pages', 'audit', page.audit, path, query)}`)}`;
}

/** The `<div id="live">` of a page: everything the live script swaps when the page changes. */
function liveContent(page: WebPage, query: PageQuery, tv: boolean): Html {
  const view = page.view;
  const path = pagePath(view.roadmap.id);
  const h = view.headline;
  const headline = html`<p class="headline">
      ${h.badges.map((b) => html`${badge(b.text, b.tone)} `)}${h.stage}${h.next ? html` · Next: ${h.next}` : ''}
    </p>
    <p class="meta">
      Evaluated ${view.evaluatedAt}${page.replay ? ': a replay, as of that moment' : ''}
    </p>`;
  if (tv)
    return html`<div id="live" data-version="${page.version}">
      <h1>${view.roadmap.name}</h1>
      ${headline} ${timelineCard(view)} ${triggersCard(view, true)} ${chartsCard(page, query, 4)}
      ${view.targets.length > 0 ? card('h-targets', 'Targets', items(view.targets, '')) : ''}
    </div>`;
  return html`<div id="live" data-version="${page.version}">
    <h1>${view.roadmap.name}</h1>
    ${headline}
    ${page.replay ? html`<p class="notice" role="note">Replay: this is the roadmap as it stood at ${view.evaluatedAt}, from what was known then. <a href="${href(path, { exp: query.exp, sig: query.sig })}">Back to now</a></p>` : ''}
    ${timelineCard(view)} ${triggersCard(view, false)} ${chartsCard(page, query, 6)}
    <div class="grid">
      ${card(
        'h-gates',
        'Gates and to-dos',
        html`<h3>Gates</h3>
          ${items(view.gates, 'This stage has no gates.')}${
            view.todos.length > 0
              ? html`<h3>To-dos</h3>
                  ${items(view.todos, '')}`
              : ''
          }`,
      )}
      ${budgetCard(view)} ${tracksCard(view)}
      ${view.plans.length > 0 ? card('h-plans', 'Plans against actuals', items(view.plans, '')) : ''}
      ${view.targets.length > 0 ? card('h-targets', 'Targets', items(view.targets, '')) : ''}
      ${card(
        'h-data',
        'Data',
        html`${view.stale.length > 0 || view.collectors.length > 0 ? '' : html`<p class="meta">Every metric has fresh data and no collector is failing.</p>`}${
          view.stale.length > 0
            ? html`<h3>No fresh data</h3>
                ${items(view.stale, '')}`
            : ''
        }${
          view.collectors.length > 0
            ? html`<h3>Collectors failing</h3>
                ${items(view.collectors, '')}`
            : ''
        }`,
      )}
    </div>
    ${card('h-metrics', 'Metrics', items(view.metrics, 'This roadmap declares no metric.'))}
    ${historyCards(page, path, query)}
  </div>`;
}

export interface RoadmapPageOptions {
  query: PageQuery;
  tv: boolean;
  /** Public mode: a link to the list of every roadmap. */
  showList: boolean;
  assets: Assets;
}

export function roadmapPage(page: WebPage, opts: RoadmapPageOptions): string {
  const { query, tv } = opts;
  const view = page.view;
  const path = pagePath(view.roadmap.id);
  const auth = { exp: query.exp, sig: query.sig };
  const live = !tv && !page.replay;
  const title = `${view.headline.stage} — ${view.roadmap.name}`;
  if (tv)
    return layout({
      title,
      assets: opts.assets,
      tv: true,
      body: html`<main id="main" class="wrap">${liveContent(page, query, true)}</main>`,
    });
  const body = html`<a class="skip" href="#main">Skip to the roadmap</a>
    <header class="top">
      <div class="wrap">
        <p class="brand">roadmap-bot</p>
        <nav aria-label="Views">
          <ul>
            ${opts.showList ? html`<li><a href="/roadmaps">All roadmaps</a></li>` : ''}
            <li><a href="${href(path, { ...auth, now: query.now, tv: true })}">TV mode</a></li>
            ${page.replay ? html`<li><a href="${href(path, auth)}">Now</a></li>` : ''}
          </ul>
        </nav>
        <p id="live-status" role="status" aria-live="polite">
          ${live ? 'Live updates need JavaScript; reload for the latest.' : page.replay ? 'Replay of a past moment: not live.' : ''}
        </p>
      </div>
    </header>
    <main
      id="main"
      class="wrap"
      ${live ? html` data-live-url="${href(`${path}/events`, auth)}"` : ''}
    >
      ${liveContent(page, query, false)}
      <section class="card" aria-labelledby="h-replay">
        <h2 id="h-replay">Replay a past moment</h2>
        <form class="replay" method="get" action="${path}">
          ${query.exp !== undefined ? html`<input type="hidden" name="exp" value="${query.exp}" />` : ''}
          ${query.sig !== undefined ? html`<input type="hidden" name="sig" value="${query.sig}" />` : ''}
          <div>
            <label for="now">Date or time (${view.roadmap.timezone})</label>
            <input
              id="now"
              name="now"
              type="text"
              placeholder="2026-03-01 or 2026-03-01T09:30"
              value="${page.replay ? (query.now ?? '') : ''}"
              maxlength="64"
            />
          </div>
          <button type="submit">Replay</button>
        </form>
        <p class="detail">
          As <code>roadmap status --now</code>: only points at or before it, stage and ticks as they
          stood.
        </p>
      </section>
    </main>
    <footer class="wrap">roadmap-bot · ${view.roadmap.id} · evaluated ${view.evaluatedAt}</footer>`;
  return layout({ title, assets: opts.assets, body, live });
}

export function listPage(list: readonly RoadmapSummary[], assets: Assets): string {
  const body = html`<header class="top">
      <div class="wrap"><p class="brand">roadmap-bot</p></div>
    </header>
    <main id="main" class="wrap">
      <h1>Roadmaps</h1>
      ${
        list.length === 0
          ? html`<p>
              No roadmap is loaded: add a <code>*.yaml</code> file to the roadmaps folder.
            </p>`
          : html`<ul class="items card">
              ${list.map(
                (r) =>
                  html`<li>
                    <a href="${pagePath(r.id)}">${r.name}</a> <span class="meta">(${r.id})</span>
                    <p class="detail">${r.stage} · ${r.state}</p>
                  </li>`,
              )}
            </ul>`
      }
    </main>`;
  return layout({ title: 'Roadmaps — roadmap-bot', assets, body });
}

/** A refusal or an error, in words a person can act on. */
export function messagePage(title: string, lines: readonly string[], assets: Assets): string {
  const body = html`<header class="top">
      <div class="wrap"><p class="brand">roadmap-bot</p></div>
    </header>
    <main id="main" class="wrap">
      <h1>${title}</h1>
      ${lines.map((l) => html`<p>${l}</p>`)}
    </main>`;
  return layout({ title: `${title} — roadmap-bot`, assets, body });
}
