import { execFile, spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { promisify } from 'node:util';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { pgStore } from '../../src/adapters/pg/store.js';
import type { PointInput } from '../../src/app/ports/points.js';
import { signLink } from '../../src/core/web/link.js';
import { roadmapsFolder } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { shippedRoadmap, shippedRoadmapIds } from '../support/roadmaps.js';
import { ROOT, startMain } from '../support/spawn.js';

/*
 * Issue 17 in a real browser: Debian's Chromium (apt-get install chromium; .ci/run installs it),
 * driven by playwright-core, against the bot started as `npm start` runs it, with real
 * PostgreSQL. One browser for the whole file. Screenshots go to test-results/web/.
 */
const CHROMIUM =
  ['/usr/bin/chromium', '/usr/bin/chromium-browser'].find(
    (p) => spawnSync(p, ['--version'], { encoding: 'utf8' }).status === 0,
  ) ?? spawnSync('sh', ['-c', 'command -v chromium'], { encoding: 'utf8' }).stdout.trim();

const SECRET = 'browser-test-secret-0123456789-abcdefghijklmnop';
const SHOTS = path.join(ROOT, 'test-results', 'web');
const HOSTILE_NAME = `<script>alert(1)</script> "Quoted" & 'single' <img src=x onerror=alert(2)>`;
const HOSTILE = `id: hostile
name: ${JSON.stringify(HOSTILE_NAME)}
timezone: UTC
metrics:
  users: { unit: count, label: "<b onmouseover=alert(3)>Users</b>" }
stages:
  - id: one
    name: "<script>alert('stage')</script>"
    gates:
      - { id: g1, text: "<iframe src=javascript:alert(4)></iframe> \\" onfocus=\\"alert(5)" }
    upgrade:
      when: users >= 100
      message: "<img src=x onerror=alert(6)>"
  - id: two
    name: Two
`;

const db = useTestDatabase();
const execFileAsync = promisify(execFile);
const require = createRequire(import.meta.url);
const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

let bot: ReturnType<typeof startMain> & { base: string };
let browser: Browser;
let desktop: BrowserContext;
const ids = [...shippedRoadmapIds(), 'hostile'];

const link = (id: string, expiresAt = new Date(Date.now() + 3_600_000)) => {
  const { exp, sig } = signLink(SECRET, id, expiresAt);
  return `${bot.base}/roadmaps/${id}?exp=${exp}&sig=${sig}`;
};

/** A few days of hourly points for every recorded metric, rising, so every chart has a line. */
async function seed(id: string, now: Date): Promise<void> {
  const roadmap = id === 'hostile' ? undefined : shippedRoadmap(id);
  const metrics = roadmap
    ? [...roadmap.metrics.values()].filter((m) => !m.derive)
    : [{ name: 'users', unit: 'count' as const }];
  const points: PointInput[] = [];
  metrics.forEach((m, i) => {
    for (let h = 72; h >= 1; h--) {
      const base = m.unit === 'ratio' ? 0.5 : m.unit === 'percent' ? 40 : 10 + 7 * i;
      const value = m.unit === 'flag' ? 0 : base * (1 + (72 - h) / 144);
      points.push({
        roadmapId: id,
        metric: m.name,
        value,
        at: new Date(now.getTime() - h * 3_600_000),
        source: 'test',
      });
    }
  });
  await pgStore(db.pool).points.record(points, {
    actor: { platform: 'cli', id: 'browser-test' },
    roadmapId: id,
    action: 'import',
    at: now,
  });
}

/** Opens a page and collects what went wrong in it. */
async function visit(context: BrowserContext, url: string) {
  const page = await context.newPage();
  const errors: string[] = [];
  const dialogs: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('dialog', (d) => {
    dialogs.push(d.message());
    void d.dismiss();
  });
  const response = await page.goto(url, { waitUntil: 'load' });
  return { page, response, errors, dialogs };
}

// Code run in the page is given as text: this project type-checks without the DOM's types.

/** Every image on the page (the charts) loaded and drawn. */
const chartsLoaded = (page: Page) =>
  page.waitForFunction(
    `[...document.images].length > 0 &&
     [...document.images].every((img) => img.complete && img.naturalWidth > 0)`,
    undefined,
    { timeout: 30_000 },
  );

interface Violation {
  id: string;
  impact: string;
  help: string;
  nodes: { target: unknown }[];
}

/** axe-core's serious and critical violations (injected by CDP, which the page's CSP allows). */
async function seriousViolations(page: Page): Promise<string[]> {
  await page.evaluate(AXE);
  const violations = (await page.evaluate(
    'axe.run(document).then((result) => result.violations)',
  )) as Violation[];
  return violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map(
      (v) => `${v.id} (${v.impact}): ${v.help} at ${JSON.stringify(v.nodes.map((n) => n.target))}`,
    );
}

describe.skipIf(!CHROMIUM)(
  `the web view in Chromium${CHROMIUM ? '' : ' (skipped: chromium is not installed; apt-get install chromium)'}`,
  () => {
    beforeAll(async () => {
      const now = new Date();
      for (const id of ids) await seed(id, now);
      const dir = roadmapsFolder(...shippedRoadmapIds());
      writeFileSync(path.join(dir, 'hostile.yaml'), HOSTILE);
      const main = startMain({
        DATABASE_URL: db.url,
        ROADMAPS_DIR: dir,
        PORT: '0',
        HOST: '127.0.0.1',
        LOG_LEVEL: 'info',
        WEB_SECRET: SECRET,
        WEB_LIVE_INTERVAL: '1s',
      });
      const port = await vi.waitFor(
        () => {
          const match = /http: listening on 127\.0\.0\.1:(\d+)/.exec(main.logs());
          if (!match) throw new Error(`not listening yet:\n${main.logs()}`);
          return Number(match[1]);
        },
        { timeout: 60_000, interval: 50 },
      );
      bot = { ...main, base: `http://127.0.0.1:${port}` };
      expect(bot.logs()).toMatch(new RegExp(`roadmaps: ${ids.length} loaded`));
      expect(bot.logs()).toMatch(/web: pages open from signed links/);
      const { chromium } = await import('playwright-core');
      // Playwright gives the browser a fresh --user-data-dir of its own and --headless.
      browser = await chromium.launch({
        executablePath: CHROMIUM,
        headless: true,
        args: [
          '--no-sandbox',
          '--disable-gpu',
          '--disable-quic',
          '--no-first-run',
          '--disable-background-networking',
          '--disable-component-update',
          '--disable-sync',
        ],
      });
      desktop = await browser.newContext({ viewport: { width: 1280, height: 900 } });
      mkdirSync(SHOTS, { recursive: true });
    }, 120_000);

    afterAll(async () => {
      await browser?.close();
      if (bot) {
        bot.child.kill('SIGTERM');
        expect(await bot.exited).toBe(0);
      }
      console.log(`web view screenshots: ${SHOTS}`);
    }, 60_000);

    it.each(ids)(
      '%s: loads without console errors, shows its stage, triggers and charts; no serious accessibility violation',
      async (id) => {
        const { page, response, errors, dialogs } = await visit(desktop, link(id));
        expect(response?.status()).toBe(200);
        const roadmap = id === 'hostile' ? undefined : shippedRoadmap(id);
        // Escaped, so shown exactly as written.
        expect(await page.locator('h1').textContent()).toBe(roadmap?.name ?? HOSTILE_NAME);
        const stage = roadmap?.stages[0]?.name ?? "<script>alert('stage')</script>";
        await expect
          .poll(() => page.locator('li[aria-current="step"] h3').textContent())
          .toBe(`1. ${stage}`);
        expect(await page.locator('#h-triggers').isVisible()).toBe(true);
        expect(await page.locator('.trigger').count()).toBeGreaterThan(0);
        expect(await page.locator('figure img').count()).toBeGreaterThan(0);
        await chartsLoaded(page);
        await page.screenshot({ path: path.join(SHOTS, `${id}.png`), fullPage: true });
        expect(await seriousViolations(page)).toEqual([]);
        expect(errors).toEqual([]);
        expect(dialogs).toEqual([]);
        await page.close();
      },
      60_000,
    );

    it('is readable on a phone: no horizontal scroll at 375px wide', async () => {
      const phone = await browser.newContext({
        viewport: { width: 375, height: 812 },
        isMobile: true,
        hasTouch: true,
      });
      try {
        for (const id of ids) {
          const { page, errors } = await visit(phone, link(id));
          await chartsLoaded(page);
          const widths = (await page.evaluate(
            '({ page: document.documentElement.scrollWidth, body: document.body.scrollWidth, viewport: window.innerWidth })',
          )) as { page: number; body: number; viewport: number };
          expect(widths.viewport, id).toBe(375);
          expect(Math.max(widths.page, widths.body), id).toBeLessThanOrEqual(375);
          await page.screenshot({ path: path.join(SHOTS, `${id}-375px.png`), fullPage: true });
          expect(errors, id).toEqual([]);
          await page.close();
        }
      } finally {
        await phone.close();
      }
    }, 120_000);

    it('a link opens exactly its roadmap; a tampered, expired or other-roadmap link gets 403', async () => {
      const good = await visit(desktop, link('oviya'));
      expect(good.response?.status()).toBe(200);
      expect(await good.page.locator('h1').textContent()).toBe(shippedRoadmap('oviya').name);
      await good.page.close();

      const url = new URL(link('oviya'));
      const sig = url.searchParams.get('sig') as string;
      url.searchParams.set('sig', `${sig.slice(0, -1)}${sig.endsWith('A') ? 'B' : 'A'}`);
      const other = link('mirai').replace('/roadmaps/mirai?', '/roadmaps/oviya?');
      const refused: [string, RegExp][] = [
        [url.toString(), /not valid for this roadmap/],
        [link('oviya', new Date(Date.now() - 60_000)), /has expired/],
        [other, /not valid for this roadmap/],
        [`${bot.base}/roadmaps/oviya`, /opens from a signed link/],
      ];
      for (const [target, message] of refused) {
        const { page, response } = await visit(desktop, target);
        expect(response?.status(), target).toBe(403);
        expect(await page.locator('main').textContent(), target).toMatch(message);
        await page.close();
      }
    });

    it('works with JavaScript off (all but live updates), and TV mode refreshes itself', async () => {
      const noScript = await browser.newContext({ javaScriptEnabled: false });
      try {
        const { page, response } = await visit(noScript, link('oviya'));
        expect(response?.status()).toBe(200);
        expect(await page.locator('.trigger').count()).toBeGreaterThan(0);
        await chartsLoaded(page);
        // Replay is a plain form.
        await page.fill('#now', '2026-01-01');
        await Promise.all([page.waitForURL(/now=2026-01-01/), page.click('form.replay button')]);
        expect(await page.locator('.notice').textContent()).toMatch(
          /Replay: this is the roadmap as it stood/,
        );
        await page.click('text=TV mode');
        await page.waitForURL(/tv=1/);
        expect(await page.locator('meta[http-equiv="refresh"]').getAttribute('content')).toBe('60');
        expect(await page.locator('body').getAttribute('class')).toBe('tv');
        await page.screenshot({ path: path.join(SHOTS, 'oviya-tv.png'), fullPage: true });
        await page.close();
      } finally {
        await noScript.close();
      }
    }, 60_000);

    it('the live page changes after a point is recorded, without a reload', async () => {
      const { page, errors } = await visit(desktop, link('oviya'));
      await page.waitForFunction(
        `/^Live/.test(document.getElementById('live-status')?.textContent ?? '')`,
      );
      // A reload would lose this.
      await page.evaluate('window.marker = 42');
      const users = page.locator('.items li', { hasText: '(active_users):' }).first();
      expect(await users.textContent()).not.toContain('4,321');
      await pgStore(db.pool).points.record(
        [
          {
            roadmapId: 'oviya',
            metric: 'active_users',
            value: 4321,
            at: new Date(),
            source: 'test',
          },
        ],
        {
          actor: { platform: 'cli', id: 'browser-test' },
          roadmapId: 'oviya',
          action: 'record',
          at: new Date(),
        },
      );
      await expect.poll(() => users.textContent(), { timeout: 20_000 }).toContain('4,321');
      expect(await page.evaluate('window.marker')).toBe(42);
      expect(await page.locator('#live-status').textContent()).toMatch(/^Updated at/);
      expect(errors).toEqual([]);
      await page.close();
    }, 60_000);

    it("the URL `roadmap link` prints opens that roadmap's page (phase 2)", async () => {
      // The CLI from the sources (`npm run roadmap -- link …`), configured as the bot is, with
      // the address the bot is reached at.
      const { stdout } = await execFileAsync(
        process.execPath,
        [
          '--import',
          'tsx',
          path.join(ROOT, 'src/adapters/cli/main.ts'),
          'link',
          '--roadmap',
          'mirai',
          '--ttl',
          '1h',
        ],
        {
          cwd: ROOT,
          env: {
            ...process.env,
            LOG_LEVEL: 'silent',
            DATABASE_URL: db.url,
            ROADMAPS_DIR: roadmapsFolder('mirai'),
            WEB_SECRET: SECRET,
            PUBLIC_URL: bot.base,
          },
        },
      );
      const url = /^Open in browser: (\S+)$/m.exec(stdout)?.[1] as string;
      expect(url).toMatch(new RegExp(`^${bot.base}/roadmaps/mirai\\?exp=\\d+&sig=`));
      const { page, response, errors } = await visit(desktop, url);
      expect(response?.status()).toBe(200);
      expect(await page.locator('h1').textContent()).toBe(shippedRoadmap('mirai').name);
      expect(errors).toEqual([]);
      await page.close();
      // Exactly that roadmap: the same signature on another's page is refused.
      const other = await visit(desktop, url.replace('/roadmaps/mirai?', '/roadmaps/oviya?'));
      expect(other.response?.status()).toBe(403);
      await other.page.close();
    }, 60_000);
  },
);
