import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps, Invocation } from '../../src/app/context.js';
import { runCommand, runFromTerminal, type CommandReply } from '../../src/app/run.js';
import type { Terminal } from '../../src/app/terminal.js';
import type { WebSettings } from '../../src/app/web-settings.js';
import { pageUrl, verifyLink } from '../../src/core/web/link.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, reader, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

/**
 * `link` (issue 17, phase 2) through the command layer, from the CLI and from chat, in every
 * mode of the web view; and the "Open in browser" link `status` carries.
 */

const db = useTestDatabase();
const NOW = new Date('2026-03-02T12:00:00Z');
const clock = new TestClock(NOW);
const SECRET = 'link-command-test-secret-0123456789abcdef';
const PUBLIC_URL = 'https://roadmap.example.com/tools/bot/';

const MODES = {
  off: { access: 'off' },
  linksWithoutPublicUrl: { access: 'links', secret: SECRET },
  links: { access: 'links', secret: SECRET, publicUrl: PUBLIC_URL },
  public: { access: 'public', publicUrl: PUBLIC_URL },
} satisfies Record<string, WebSettings>;

let base: AppDeps;
beforeAll(async () => {
  base = await appWith(db.pool, roadmapsFolder('oviya', 'example'), clock);
});

/** A terminal `link` never uses: anything it touched would fail the test. */
const terminal = new Proxy({} as Terminal, {
  get: (_target, name) => {
    throw new Error(`link used the terminal's ${String(name)}`);
  },
});

const surfaces: Record<'cli' | 'chat', (deps: AppDeps, line: string) => Promise<CommandReply>> = {
  cli: (deps, line) => runFromTerminal(async () => deps, admin, line.split(' '), terminal),
  // Someone who may only read: `link` mutates nothing.
  chat: (deps, line) => runCommand(deps, reader, line, 'chat'),
};

const withWeb = (web: WebSettings | undefined): AppDeps => (web ? { ...base, web } : base);

/** The URL the reply's button opens (and the text shows). */
function urlOf(reply: CommandReply): URL {
  const links = reply.message.links ?? [];
  expect(links).toHaveLength(1);
  expect(links[0]?.label).toBe('Open in browser');
  return new URL(links[0]?.url as string);
}

describe.each(['cli', 'chat'] as const)('link from the %s', (platform) => {
  const run = surfaces[platform];

  it('links mode: a signed URL that opens exactly that roadmap until the expiry it states', async () => {
    const reply = await run(withWeb(MODES.links), 'link --roadmap example');
    expect(reply.exitCode).toBe(0);
    expect(reply.error).toBeUndefined();
    const url = urlOf(reply);
    expect(`${url.origin}${url.pathname}`).toBe(
      'https://roadmap.example.com/tools/bot/roadmaps/example',
    );
    const params = Object.fromEntries(url.searchParams);
    expect(Object.keys(params).sort()).toEqual(['exp', 'sig']);
    const expiresAt = new Date(NOW.getTime() + 7 * 86_400_000);
    expect(verifyLink(SECRET, 'example', params, NOW)).toEqual({ ok: true, expiresAt });
    // That roadmap only, and until then only.
    expect(verifyLink(SECRET, 'oviya', params, NOW)).toMatchObject({ ok: false, reason: 'forged' });
    expect(verifyLink(SECRET, 'example', params, expiresAt)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    // The expiry in the roadmap's timezone (New York is on daylight time from March 8).
    const text = renderText(reply.message);
    expect(text).toContain(
      'Opens the page of Example SaaS — scaling roadmap (example) until 2026-03-09 08:00 (America/New_York).',
    );
    expect(text).toContain(`Open in browser: ${url.toString()}`);
    // A link is handed to whoever asked, not posted to the channel.
    expect(reply.public).toBeFalsy();
  });

  it('--ttl sets the expiry; --tv opens TV mode; the fake clock is the start', async () => {
    clock.set('2026-03-02T12:00:00Z');
    const reply = await run(withWeb(MODES.links), 'link --roadmap oviya --ttl 90m --tv');
    expect(reply.exitCode).toBe(0);
    const url = urlOf(reply);
    expect(url.searchParams.get('tv')).toBe('1');
    const params = { exp: url.searchParams.get('exp'), sig: url.searchParams.get('sig') };
    expect(verifyLink(SECRET, 'oviya', params, NOW)).toEqual({
      ok: true,
      expiresAt: new Date('2026-03-02T13:30:00Z'),
    });
    expect(renderText(reply.message)).toMatch(/in TV mode until 2026-03-02 13:30 \(UTC\)/);
  });

  it('--ttl is a duration from 1m to 366d, else refused saying so', async () => {
    const deps = withWeb(MODES.links);
    for (const ttl of ['1m', '366d', '52w']) {
      const reply = await run(deps, `link --roadmap oviya --ttl ${ttl}`);
      expect(reply.exitCode, ttl).toBe(0);
    }
    for (const [ttl, said] of [
      ['59s', /--ttl: 59s is out of bounds: a link is valid from 1m to 366d/],
      ['367d', /--ttl: 367d is out of bounds: a link is valid from 1m to 366d/],
      ['0m', /--ttl: 0ms is out of bounds/],
      ['soon', /--ttl: expected a duration from 1m to 366d such as 1h, 7d or 30d, got "soon"/],
      ['-1d', /--ttl: expected a duration/],
    ] as const) {
      const reply = await run(deps, `link --roadmap oviya --ttl ${ttl}`);
      expect(reply.error?.code, ttl).toBe('invalid');
      expect(reply.exitCode).toBe(1);
      expect(renderText(reply.message)).toMatch(said);
      expect(reply.message.links).toBeUndefined();
    }
  });

  it('public mode: the plain page URL, no signature and no expiry, and says so', async () => {
    const reply = await run(withWeb(MODES.public), 'link --roadmap oviya --ttl 1d');
    expect(reply.exitCode).toBe(0);
    expect(urlOf(reply).toString()).toBe(pageUrl(PUBLIC_URL, 'oviya'));
    expect(renderText(reply.message)).toMatch(
      /The pages are public \(WEB_ACCESS=public\): this is the plain address, with no signature and no expiry/,
    );
  });

  it('with the web view off, or without PUBLIC_URL, refuses with what to configure', async () => {
    for (const [web, said] of [
      [undefined, /the web view is off: set WEB_SECRET .* or WEB_ACCESS=public, and PUBLIC_URL/],
      [MODES.off, /the web view is off/],
      [MODES.linksWithoutPublicUrl, /PUBLIC_URL is not set: set it to the address people open/],
    ] as const) {
      const reply = await run(withWeb(web), 'link --roadmap oviya');
      expect(reply.error?.code).toBe('invalid');
      expect(reply.exitCode).toBe(1);
      expect(renderText(reply.message)).toMatch(said);
      expect(reply.message.links).toBeUndefined();
    }
  });

  it('a roadmap that is not loaded is not_found; with several loaded, one must be named', async () => {
    const missing = await run(withWeb(MODES.links), 'link --roadmap nope');
    expect(missing.error?.code).toBe('not_found');
    expect(renderText(missing.message)).toMatch(/no roadmap "nope" is loaded/);
    expect(missing.message.links).toBeUndefined();
    const which = await run(withWeb(MODES.links), 'link');
    expect(which.error?.code).toBe('usage');
    expect(renderText(which.message)).toMatch(/several roadmaps are loaded/);
  });
});

describe('link in chat', () => {
  it('uses the roadmap bound to the channel, and anyone who may read may run it', async () => {
    const bind: Invocation = {
      actor: { platform: 'slack', id: 'U-ADMIN', channel: 'C-LINK' },
      isAdmin: true,
    };
    expect((await runCommand(base, bind, 'use example', 'chat')).exitCode).toBe(0);
    const someone: Invocation = { ...reader, actor: { ...reader.actor, channel: 'C-LINK' } };
    const reply = await runCommand(withWeb(MODES.links), someone, 'link', 'chat');
    expect(reply.exitCode).toBe(0);
    expect(urlOf(reply).pathname).toBe('/tools/bot/roadmaps/example');
  });
});

describe('status carries "Open in browser"', () => {
  const status = (web: WebSettings | undefined, line: string) =>
    runCommand(withWeb(web), reader, line, 'chat');

  it('a signed 7-day link to that roadmap in links mode, the plain page in public mode', async () => {
    clock.set(NOW);
    const signed = await status(MODES.links, 'status --roadmap oviya');
    const url = urlOf(signed);
    expect(verifyLink(SECRET, 'oviya', Object.fromEntries(url.searchParams), NOW)).toEqual({
      ok: true,
      expiresAt: new Date(NOW.getTime() + 7 * 86_400_000),
    });
    const open = await status(MODES.public, 'status --roadmap oviya');
    expect(urlOf(open).toString()).toBe(pageUrl(PUBLIC_URL, 'oviya'));
  });

  it('none without PUBLIC_URL, with the web view off, under --json or for a replay (--now)', async () => {
    for (const [web, line] of [
      [undefined, 'status --roadmap oviya'],
      [MODES.off, 'status --roadmap oviya'],
      [MODES.linksWithoutPublicUrl, 'status --roadmap oviya'],
      [MODES.links, 'status --roadmap oviya --json'],
      [MODES.links, 'status --roadmap oviya --now 2026-03-01'],
    ] as const) {
      const reply = await status(web, line);
      expect(reply.exitCode, line).toBe(0);
      expect(reply.message.links, `${web?.access} ${line}`).toBeUndefined();
    }
    // `--now now` is not a replay.
    expect(
      (await status(MODES.links, 'status --roadmap oviya --now now')).message.links,
    ).toHaveLength(1);
  });
});
