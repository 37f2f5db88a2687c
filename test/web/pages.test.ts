import { writeFileSync } from 'node:fs';
import { get as httpGet } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import type { FastifyInstance } from 'fastify';
import { pino } from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { registerWeb, PAGE_CSP } from '../../src/adapters/web/routes.js';
import type { AppDeps } from '../../src/app/context.js';
import { runCommand } from '../../src/app/run.js';
import { liveVersion, type WebAccess } from '../../src/app/web.js';
import { signLink } from '../../src/core/web/link.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

/*
 * Issue 17: the web view on the bot's own HTTP server. Real PostgreSQL, fastify's inject; the
 * browser test (browser.test.ts) runs the same pages in Chromium against the running bot.
 */

const db = useTestDatabase();
const NOW = new Date('2026-03-02T12:00:00Z');
const clock = new TestClock(NOW);
const SECRET = 'pages-test-secret-0123456789-abcdefghijklmnop';
const silent = pino({ level: 'silent' });

/** Every string of this roadmap tries to become markup or leave its attribute. */
const HOSTILE = `id: hostile
name: "<script>alert(1)</script> \\"Quoted\\" & 'single' <img src=x onerror=alert(2)>"
timezone: UTC
metrics:
  users: { unit: count, label: "<b onmouseover=alert(7)>Users</b>" }
stages:
  - id: one
    name: "<script>alert('stage')</script>"
    goal: "\\"><svg onload=alert(3)>"
    gates:
      - { id: g1, text: "<iframe src=javascript:alert(4)></iframe> \\" onfocus=\\"alert(8)" }
    actions:
      - { id: todo1, text: "</textarea><script>alert(9)</script>" }
    upgrade:
      when: users >= 100
      message: "<script>alert(5)</script>"
  - id: two
    name: "Two </title><script>alert(6)</script>"
alerts:
  - id: many-users
    when: users > 50
    message: "<img src=x onerror=alert(10)>"
`;

/** A small roadmap of the test's own, so what it checks does not move with the shipped seeds. */
const PLAIN = `id: plain
name: Plain roadmap
timezone: Asia/Kolkata
metrics:
  active_users: { unit: count, label: Active users }
  response_time_p95: { unit: ms }
stages:
  - id: tier0
    name: Tier 0 — MVP Launch
    users: [0, 500]
    gates: [{ id: deployed, text: Backend deployed }]
    upgrade:
      when: active_users >= 400
      message: Prepare Tier 1.
  - id: tier1
    name: Tier 1 — Early Growth
alerts:
  - id: slow
    when: response_time_p95 > 2s
`;

let dir: string;
let app: AppDeps;
const servers: FastifyInstance[] = [];

async function server(access: WebAccess): Promise<FastifyInstance> {
  const http = createHttpServer({
    store: app.store,
    registry: app.registry,
    logger: silent,
    started: () => true,
  });
  registerWeb(http, app, {
    access,
    ...(access === 'links' ? { secret: SECRET } : {}),
    liveIntervalMs: 1000,
    logger: silent,
  });
  await http.ready();
  servers.push(http);
  return http;
}

let links: FastifyInstance;
let open: FastifyInstance;

const linkTo = (id: string, expiresAt = new Date(NOW.getTime() + 86_400_000)) => {
  const { exp, sig } = signLink(SECRET, id, expiresAt);
  return `exp=${exp}&sig=${sig}`;
};
const get = (http: FastifyInstance, url: string) => http.inject({ method: 'GET', url });
const run = (line: string, roadmap = 'plain') =>
  runCommand(app, { ...admin, defaultRoadmap: roadmap }, line, 'cli');
const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);

beforeAll(async () => {
  dir = roadmapsFolder('example-v2');
  writeFileSync(path.join(dir, 'hostile.yaml'), HOSTILE);
  writeFileSync(path.join(dir, 'plain.yaml'), PLAIN);
  app = await appWith(db.pool, dir, clock);
  for (const id of ['hostile', 'plain', 'example-v2'])
    expect(app.registry.get(id), JSON.stringify(app.registry.fileStatuses())).toBeDefined();
  links = await server('links');
  open = await server('public');
});

afterAll(async () => {
  for (const http of servers) await http.close();
});

beforeEach(async () => {
  clock.set(NOW);
  await db.pool.query(
    'TRUNCATE metric_points, audit_log, alert_episodes, trigger_states, stage_transitions, gate_checks RESTART IDENTITY CASCADE',
  );
});

describe('access', () => {
  it('is off unless configured: every web path is 404', async () => {
    const off = await server('off');
    for (const url of [
      '/',
      '/roadmaps',
      `/roadmaps/plain?${linkTo('plain')}`,
      '/roadmaps/plain/charts/active_users',
      '/roadmaps/plain/events',
      '/web/static/page.css',
    ])
      expect((await get(off, url)).statusCode, url).toBe(404);
  });

  it('links: a valid link opens exactly its roadmap, with the CSP and no caching', async () => {
    const res = await get(links, `/roadmaps/plain?${linkTo('plain')}`);
    expect(res.statusCode).toBe(200);
    expect(res.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(res.headers['content-security-policy']).toBe(PAGE_CSP);
    expect(PAGE_CSP).toContain("script-src 'self'");
    expect(PAGE_CSP).not.toContain('unsafe-inline');
    expect(res.headers['cache-control']).toBe('no-store');
    expect(res.headers['referrer-policy']).toBe('no-referrer');
    expect(res.headers['x-content-type-options']).toBe('nosniff');
    expect(res.body).toContain('<h1>Plain roadmap</h1>');
    expect(res.body).toContain('Tier 0 — MVP Launch');
    expect(res.body).toContain('Upgrade trigger');
    // Links from the page keep the signature (TV mode, the chart, the live stream).
    const { exp, sig } = signLink(SECRET, 'plain', new Date(NOW.getTime() + 86_400_000));
    expect(res.body).toContain(`/roadmaps/plain/events?exp=${exp}&amp;sig=${sig}`);
    expect(res.body).toContain(`/roadmaps/plain?exp=${exp}&amp;sig=${sig}&amp;tv=1`);
  });

  it('links: no link, a forged, tampered, expired or other-roadmap link gets 403 and changes nothing', async () => {
    await run('record active_users 420');
    const tables = [
      'metric_points',
      'audit_log',
      'stage_transitions',
      'gate_checks',
      'trigger_states',
    ];
    const before = await Promise.all(tables.map(count));
    const good = signLink(SECRET, 'plain', new Date(NOW.getTime() + 3_600_000));
    const cases: [string, RegExp][] = [
      ['/roadmaps/plain', /opens from a signed link/],
      [`/roadmaps/plain?${linkTo('hostile')}`, /not valid for this roadmap/],
      [`/roadmaps/plain?exp=${Number(good.exp) + 86_400}&sig=${good.sig}`, /not valid/],
      [`/roadmaps/plain?exp=${good.exp}&sig=${'A'.repeat(43)}`, /not valid/],
      [`/roadmaps/plain?exp=${good.exp}&sig=short`, /damaged/],
      [`/roadmaps/plain?${linkTo('plain', new Date(NOW.getTime() - 1000))}`, /has expired/],
      [`/roadmaps/plain?exp=${good.exp}&sig=${good.sig}&sig=${good.sig}`, /sig: expected one/],
      [`/roadmaps/nope?${linkTo('plain')}`, /not valid/],
      [`/roadmaps/plain/charts/active_users?${linkTo('example-v2')}`, /not valid/],
      [`/roadmaps/plain/events?${linkTo('plain', new Date(NOW.getTime() - 1))}`, /expired/],
      ['/roadmaps', /signed links/],
    ];
    for (const [url, message] of cases) {
      const res = await get(links, url);
      expect([400, 403], url).toContain(res.statusCode);
      expect(res.body, url).toMatch(message);
      expect(res.headers['content-security-policy'], url).toBe(PAGE_CSP);
      expect(res.body, url).not.toContain('420');
    }
    // A link expires at its instant: one second before, it opens; at it, it does not.
    const at = new Date(NOW.getTime() + 10_000);
    clock.set(new Date(at.getTime() - 1000));
    expect((await get(links, `/roadmaps/plain?${linkTo('plain', at)}`)).statusCode).toBe(200);
    clock.set(at);
    expect((await get(links, `/roadmaps/plain?${linkTo('plain', at)}`)).statusCode).toBe(403);
    expect(await Promise.all(tables.map(count))).toEqual(before);
  });

  it('links: a valid link to a roadmap that is not loaded is 404', async () => {
    const res = await get(links, `/roadmaps/nope?${linkTo('nope')}`);
    expect(res.statusCode).toBe(404);
    expect(res.body).toContain('no roadmap &quot;nope&quot; is loaded');
  });

  it('public: every roadmap and the list, without a link', async () => {
    expect((await get(open, '/roadmaps/plain')).statusCode).toBe(200);
    const list = await get(open, '/roadmaps');
    expect(list.statusCode).toBe(200);
    for (const id of ['plain', 'example-v2', 'hostile'])
      expect(list.body).toContain(`href="/roadmaps/${id}"`);
    const root = await get(open, '/');
    expect(root.statusCode).toBe(302);
    expect(root.headers.location).toBe('/roadmaps');
  });

  it('serves the stylesheet and the live script as files (no inline code)', async () => {
    const css = await get(links, '/web/static/page.css');
    expect(css.headers['content-type']).toBe('text/css; charset=utf-8');
    expect(css.body).toContain('.badge');
    const js = await get(links, '/web/static/live.js');
    expect(js.headers['content-type']).toBe('text/javascript; charset=utf-8');
    expect(js.body).toContain('EventSource');
    const page = (await get(open, '/roadmaps/plain')).body;
    expect(page).not.toMatch(/<script(?![^>]*\bsrc="\/web\/static\/live\.js\?v=[0-9a-f]+")/);
    expect(page).not.toMatch(/\sstyle=|<style/);
  });
});

describe('escaping', () => {
  it('shows a hostile roadmap, alert and audit trail as text, never as markup', async () => {
    clock.set(new Date(NOW.getTime() - 3_600_000));
    await run('record users 120', 'hostile');
    await app.store.audit.record({
      actor: {
        platform: 'slack',
        id: '<img src=x onerror=alert(11)>',
        channel: '"><script>alert(12)</script>',
      },
      roadmapId: 'hostile',
      action: 'check',
      details: { gate: '<script>alert(13)</script>', note: `" onclick="alert(14)` },
      at: new Date(NOW.getTime() - 60_000),
    });
    await app.store.alerts.openEpisode({
      roadmapId: 'hostile',
      triggerId: 'many-users',
      kind: 'alert',
      severity: 'warning',
      condition: 'users > 50',
      message: '<script>alert(15)</script>',
      firedAt: new Date(NOW.getTime() - 1_800_000),
      details: {},
    });
    clock.set(NOW);
    for (const http of [open, links]) {
      const url = http === links ? `/roadmaps/hostile?${linkTo('hostile')}` : '/roadmaps/hostile';
      const body = (await get(http, url)).body;
      // The markup with every attribute's value blanked out: what is left is the page's own
      // structure. Its one script is the live script; no hostile tag, no event handler.
      const skeleton = body.replace(/"[^"]*"/g, '""');
      expect(skeleton.match(/<script/g)).toHaveLength(1);
      expect(skeleton).not.toMatch(/<(svg|iframe|b|textarea|title>.*<script)[\s>]/i);
      const tags = skeleton.match(/<[^>]*>/g) ?? [];
      expect(tags.filter((t) => /\son[a-z]+=|alert\(/i.test(t))).toEqual([]);
      for (const img of body.match(/<img\s[^>]*>/g) ?? [])
        expect(img).toMatch(/^<img\s+src="\/roadmaps\/hostile\/charts\/users\?/);
      // …and each shows, escaped, as written.
      for (const text of [
        '&lt;script&gt;alert(1)&lt;/script&gt; &quot;Quoted&quot; &amp; &#39;single&#39; &lt;img src=x onerror=alert(2)&gt;',
        '&lt;script&gt;alert(&#39;stage&#39;)&lt;/script&gt;',
        '&lt;iframe src=javascript:alert(4)&gt;&lt;/iframe&gt; &quot; onfocus=&quot;alert(8)',
        '&lt;/textarea&gt;&lt;script&gt;alert(9)&lt;/script&gt;',
        '&lt;script&gt;alert(5)&lt;/script&gt;',
        'Two &lt;/title&gt;&lt;script&gt;alert(6)&lt;/script&gt;',
        '&lt;b onmouseover=alert(7)&gt;Users&lt;/b&gt;',
        'slack:&lt;img src=x onerror=alert(11)&gt; in &quot;&gt;&lt;script&gt;alert(12)&lt;/script&gt;',
        'gate: &lt;script&gt;alert(13)&lt;/script&gt;',
        'note: &quot; onclick=&quot;alert(14)',
        '&lt;script&gt;alert(15)&lt;/script&gt;',
      ])
        expect(body).toContain(text);
    }
    // The title too (a page's <title> cannot hold markup, but must not end early).
    const title = /<title>([^<]*)<\/title>/.exec((await get(open, '/roadmaps/hostile')).body);
    expect(title?.[1]).toContain('&lt;script&gt;alert(&#39;stage&#39;)&lt;/script&gt;');
    const list = (await get(open, '/roadmaps')).body;
    expect(list).toContain('&lt;script&gt;alert(1)&lt;/script&gt;');
    expect(list).not.toMatch(/<script|<img/);
  });

  it('a bad query is refused with what was expected, escaped', async () => {
    const res = await get(open, `/roadmaps/plain?now=${encodeURIComponent('<script>x</script>')}`);
    expect(res.statusCode).toBe(400);
    expect(res.body).toContain(
      'now: expected a date or time such as 2026-03-01 or 2026-03-01T09:30 (read in Asia/Kolkata), got &quot;&lt;script&gt;x&lt;/script&gt;&quot;',
    );
    expect(res.body).not.toContain('<script>x');
    for (const [query, message] of [
      ['audit=0', 'audit: expected a page number from 1 to 500'],
      ['alerts=abc', 'alerts: expected a page number from 1 to 500'],
      ['audit=501', 'audit: expected a page number from 1 to 500'],
      ['tv=maybe', 'tv: expected 1 or 0'],
    ]) {
      const bad = await get(open, `/roadmaps/plain?${query}`);
      expect(bad.statusCode, query).toBe(400);
      expect(bad.body, query).toContain(message);
    }
  });
});

describe('the page', () => {
  it('?now= replays the roadmap as it stood, like status --now, with its history then', async () => {
    clock.set('2026-02-20T12:00:00Z');
    await run('record active_users 350');
    clock.set('2026-03-01T12:00:00Z');
    await run('record active_users 450');
    clock.set(NOW);
    const live = (await get(open, '/roadmaps/plain')).body;
    expect(live).toContain('active_users 450 &gt;= 400');
    expect(live).toContain('tone-alert">firing</span> Upgrade trigger');
    expect(live).toContain('src="/web/static/live.js');
    expect(live).toContain('data-live-url="/roadmaps/plain/events"');

    const replay = (await get(open, '/roadmaps/plain?now=2026-02-25')).body;
    expect(replay).toContain('active_users 350 &gt;= 400');
    expect(replay).not.toContain('active_users 450');
    expect(replay).toContain('tone-warn">approaching</span> Upgrade trigger');
    expect(replay).toContain(
      'Replay: this is the roadmap as it stood at 2026-02-25 00:00 (Asia/Kolkata)',
    );
    // A replay is not live, and its links stay in the past.
    expect(replay).not.toContain('live.js');
    expect(replay).toContain('href="/roadmaps/plain?now=2026-02-25&amp;tv=1"');
    // The history as it was known then: the later record is not in it.
    expect(replay).toContain('value: 350');
    expect(replay).not.toContain('value: 450');
    const status = await run('status --json --now 2026-02-25');
    expect((status.json as { triggers: { state: string }[] }).triggers[0]?.state).toBe(
      'approaching',
    );
  });

  it('pages the alert and audit history, keeping the link on every page link', async () => {
    for (let i = 0; i < 45; i++)
      await app.store.audit.record({
        actor: { platform: 'cli', id: `person-${i}` },
        roadmapId: 'plain',
        action: 'record',
        details: { n: i },
        at: new Date(NOW.getTime() - (45 - i) * 60_000),
      });
    for (let i = 0; i < 25; i++) {
      const episode = await app.store.alerts.openEpisode({
        roadmapId: 'plain',
        triggerId: `alert-${String(i).padStart(2, '0')}`,
        kind: 'alert',
        severity: 'info',
        condition: 'x',
        firedAt: new Date(NOW.getTime() - (25 - i) * 3_600_000),
        details: {},
      });
      if (i % 2 === 0)
        await app.store.alerts.closeEpisode(episode.id, new Date(NOW.getTime() - 1000));
    }
    const link = linkTo('plain');
    const first = (await get(links, `/roadmaps/plain?${link}`)).body;
    const people = (body: string) =>
      [...body.matchAll(/cli:person-(\d+)/g)].map((m) => Number(m[1]));
    const alerts = (body: string) => [...body.matchAll(/>alert-(\d+) </g)].map((m) => Number(m[1]));
    expect(people(first)).toEqual(Array.from({ length: 25 }, (_, i) => 44 - i));
    expect(alerts(first)).toEqual(Array.from({ length: 20 }, (_, i) => 24 - i));
    const amp = link.replace('&', '&amp;');
    expect(first).toContain(`href="/roadmaps/plain?${amp}&amp;audit=2">Older →`);
    expect(first).toContain(`href="/roadmaps/plain?${amp}&amp;alerts=2">Older →`);

    const second = (await get(links, `/roadmaps/plain?${link}&audit=2&alerts=2`)).body;
    expect(people(second)).toEqual(Array.from({ length: 20 }, (_, i) => 19 - i));
    expect(alerts(second)).toEqual([4, 3, 2, 1, 0]);
    expect(second).toContain(`href="/roadmaps/plain?${amp}&amp;alerts=2">← Newer`);
    expect(second).not.toContain('Older →');
    expect(second).toContain('Page 2');

    const beyond = (await get(links, `/roadmaps/plain?${link}&audit=3`)).body;
    expect(people(beyond)).toEqual([]);
    expect(beyond).toContain('No older entries.');
  });

  it('TV mode: large type, no chrome, refreshes itself without a script', async () => {
    const tv = (await get(links, `/roadmaps/plain?${linkTo('plain')}&tv=1`)).body;
    expect(tv).toMatch(/<meta http-equiv="refresh" content="60"\s*\/?>/);
    expect(tv).toContain('<body class="tv">');
    expect(tv).not.toContain('<script');
    expect(tv).not.toContain('<header');
    expect(tv).not.toContain('Audit log');
    expect(tv).not.toContain('<form');
    expect(tv).toContain('Upgrade trigger');
  });

  it('shows the v2 parts: timeline with planned dates, budget with burn dates, tracks, plans, to-dos', async () => {
    const body = (await get(open, '/roadmaps/example-v2')).body;
    expect(body).toContain('planned 2026-01-01 → 2026-03-31');
    expect(body).toMatch(/aria-current="step"/);
    expect(body).toContain('Budget');
    expect(body).toContain('infra: no data of');
    expect(body).toContain('Tracks');
    expect(body).toContain('Database: Free tier');
    expect(body).toContain('Plans against actuals');
    expect(body).toContain('mrr: no data');
    expect(body).toContain('error-tracking: Set up error tracking');
    expect(body).toContain('Targets');
    expect(body).toContain('No fresh data');
  });

  it('the page carries the version the live stream announces, which a new point changes', async () => {
    await run('record active_users 300');
    const version = () =>
      get(open, '/roadmaps/plain').then((r) => /data-version="([^"]+)"/.exec(r.body)?.[1]);
    const before = await version();
    expect(before).toBe(await liveVersion(app, 'plain'));
    // Nothing changed: the same version a minute later.
    clock.advance(60_000);
    expect(await version()).toBe(before);
    await run('record active_users 390');
    const after = await version();
    expect(after).not.toBe(before);
    expect(after).toBe(await liveVersion(app, 'plain'));
  });

  it('charts: the same spec as the PNG, as SVG, for the link holder only', async () => {
    clock.set('2026-02-27T12:00:00Z');
    await run('record active_users 300');
    clock.set(NOW);
    await run('record active_users 380');
    const page = (await get(links, `/roadmaps/plain?${linkTo('plain')}`)).body;
    const src = /<img\s+src="(\/roadmaps\/plain\/charts\/active_users\?[^"]+)"/.exec(page)?.[1];
    expect(src).toBeDefined();
    const chart = await get(links, (src as string).replaceAll('&amp;', '&'));
    expect(chart.statusCode).toBe(200);
    expect(chart.headers['content-type']).toBe('image/svg+xml; charset=utf-8');
    expect(chart.headers['content-security-policy']).toContain("default-src 'none'");
    expect(chart.body).toMatch(/^<svg/);
    expect(chart.body).toContain('active_users');
    expect(chart.body).not.toContain('<script');
    const unsigned = await get(links, '/roadmaps/plain/charts/active_users');
    expect(unsigned.statusCode).toBe(403);
    const unknown = await get(links, `/roadmaps/plain/charts/nope?${linkTo('plain')}`);
    expect(unknown.statusCode).toBe(404);
  });
});

describe('live stream over real HTTP', () => {
  it('streams the page version, and closing the server ends open streams at once', async () => {
    await run('record active_users 300');
    const http = await server('links');
    await http.listen({ port: 0, host: '127.0.0.1' });
    const port = (http.server.address() as AddressInfo).port;
    const page = (await get(http, `/roadmaps/plain?${linkTo('plain')}`)).body;
    const version = /data-version="([^"]+)"/.exec(page)?.[1];
    expect(version).toBeDefined();
    let text = '';
    const ended = new Promise<void>((resolve, reject) => {
      httpGet(`http://127.0.0.1:${port}/roadmaps/plain/events?${linkTo('plain')}`, (res) => {
        expect(res.statusCode).toBe(200);
        expect(res.headers['content-type']).toBe('text/event-stream; charset=utf-8');
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', resolve);
        res.on('error', reject);
      }).on('error', reject);
    });
    await vi.waitFor(() => expect(text).toContain(`event: version\ndata: ${version}\n\n`), {
      timeout: 10_000,
      interval: 20,
    });
    // An open stream must not hold the shutdown (main.ts gives up after 15 s and exits 1).
    await http.close();
    await ended;
  });
});
