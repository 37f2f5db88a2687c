import { ButtonBuilder } from '@discordjs/builders';
import type { APIEmbed } from '@discordjs/core/http-only';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { renderDiscord } from '../../src/adapters/discord/embeds.js';
import { messageProblems, MESSAGE_LIMITS } from '../../src/adapters/discord/limits.js';
import type { AppDeps } from '../../src/app/context.js';
import type { WebSettings } from '../../src/app/web-settings.js';
import { infoMessage } from '../../src/core/messages/compose.js';
import { verifyLink } from '../../src/core/web/link.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { PEOPLE, slash, startBot, textOf, type Bot } from './harness.js';

/** Issue 17, phase 2, in Discord: "Open in browser" on status, and `/roadmap link`. */

const db = useTestDatabase();
const NOW = new Date('2026-03-01T15:00:00Z');
const clock = new TestClock(NOW);
const SECRET = 'discord-link-test-secret-0123456789abcdef';
const LINKS: WebSettings = {
  access: 'links',
  secret: SECRET,
  publicUrl: 'https://roadmap.example.com',
};
let bot: Bot;
let deps: AppDeps;

beforeAll(async () => {
  bot = await startBot({
    pool: db.pool,
    roadmaps: ['oviya'],
    clock,
    // Held, so each test sets the web view's settings the way main.ts would.
    wrap: (d) => (deps = d),
  });
});
afterAll(() => bot?.close());

interface Button {
  type: number;
  style: number;
  label?: string;
  url?: string;
  custom_id?: string;
}
type Rows = { type: number; components: Button[] }[] | undefined;

const linkButtons = (rows: Rows): Button[] =>
  (rows ?? []).flatMap((r) => r.components).filter((b) => b.style === 5);

/** A slash command answered as Discord would show it, within every limit. */
async function run(sub: string, options: Record<string, string | boolean> = {}) {
  const res = await bot.send(slash(sub, options, PEOPLE.rita));
  expect(res.status).toBe(200);
  expect(res.json.type).toBe(4);
  expect(messageProblems(res.json.data)).toEqual([]);
  return res.json.data as { components?: Rows; embeds: APIEmbed[]; flags?: number };
}

describe('status in Discord', () => {
  it('carries a link-style "Open in browser" button whose signed URL opens that roadmap', async () => {
    deps.web = LINKS;
    const data = await run('status');
    const [button, ...others] = linkButtons(data.components);
    expect(others).toEqual([]);
    expect(button).toMatchObject({ type: 2, style: 5, label: 'Open in browser' });
    expect(button?.custom_id).toBeUndefined();
    // @discordjs/builders validates a link button (style, url, no custom_id).
    expect(() => new ButtonBuilder(button as never).toJSON()).not.toThrow();
    const url = new URL(button?.url as string);
    expect(url.origin + url.pathname).toBe('https://roadmap.example.com/roadmaps/oviya');
    expect(verifyLink(SECRET, 'oviya', Object.fromEntries(url.searchParams), NOW)).toEqual({
      ok: true,
      expiresAt: new Date(NOW.getTime() + 7 * 86_400_000),
    });
  });

  it('has no such button without PUBLIC_URL, with the web view off, or for a replay', async () => {
    for (const [web, options] of [
      [{ access: 'links', secret: SECRET }, {}],
      [{ access: 'off' }, {}],
      [undefined, {}],
      [LINKS, { now: '2026-02-20' }],
    ] as const) {
      deps.web = web;
      const data = await run('status', options);
      expect(linkButtons(data.components), `${web?.access}`).toEqual([]);
    }
  });
});

describe('/roadmap link', () => {
  it('answers privately with the button, its expiry and TV mode; refuses without PUBLIC_URL', async () => {
    deps.web = LINKS;
    const data = await run('link', { ttl: '1d', tv: true });
    expect(data.flags).toBe(64);
    const [button] = linkButtons(data.components);
    const url = new URL(button?.url as string);
    expect(url.searchParams.get('tv')).toBe('1');
    expect(verifyLink(SECRET, 'oviya', Object.fromEntries(url.searchParams), NOW)).toEqual({
      ok: true,
      expiresAt: new Date('2026-03-02T15:00:00Z'),
    });
    expect(textOf(data)).toMatch(/in TV mode until 2026-03-02 15:00 \(UTC\)/);

    deps.web = { access: 'links', secret: SECRET };
    const refused = await run('link');
    expect(textOf(refused)).toMatch(/PUBLIC_URL is not set/);
    expect(linkButtons(refused.components)).toEqual([]);
  });
});

describe('link buttons within Discord limits', () => {
  const withLink = (url: string, actions = 0) => ({
    ...infoMessage('Roadmap'),
    actions: Array.from({ length: actions }, (_, i) => ({
      id: `a${i}`,
      label: `Record ${i}`,
      command: `record active_users ${i}`,
    })),
    links: [{ label: 'Open in browser', url }],
  });

  it('keeps a url of up to 512 characters and leaves a longer one out', () => {
    const longest = `https://example.com/${'a'.repeat(MESSAGE_LIMITS.buttonUrl - 20)}`;
    const kept = renderDiscord(withLink(longest));
    expect(messageProblems(kept)).toEqual([]);
    expect(linkButtons(kept.components as Rows).map((b) => b.url)).toEqual([longest]);
    const dropped = renderDiscord(withLink(`${longest}b`));
    expect(messageProblems(dropped)).toEqual([]);
    expect(linkButtons(dropped.components as Rows)).toEqual([]);
  });

  it('keeps a row for the link when command buttons would fill all five', () => {
    const out = renderDiscord(withLink('https://example.com/roadmaps/oviya', 30));
    expect(messageProblems(out)).toEqual([]);
    expect(out.components).toHaveLength(MESSAGE_LIMITS.actionRows);
    expect(linkButtons(out.components as Rows)).toHaveLength(1);
  });

  it('the validator refuses a link button with a custom_id, a bad url, or a url on another style', () => {
    const rows = (button: object) => ({
      embeds: [{ title: 'x' }],
      components: [{ type: 1, components: [{ type: 2, label: 'Open', ...button }] }],
    });
    expect(messageProblems(rows({ style: 5, url: 'https://example.com' }))).toEqual([]);
    expect(messageProblems(rows({ style: 5, url: 'https://example.com', custom_id: 'x' }))).toEqual(
      [expect.stringMatching(/cannot have a custom_id/)],
    );
    expect(messageProblems(rows({ style: 5, url: 'javascript:alert(1)' }))).toEqual([
      expect.stringMatching(/url: expected an http\(s\) address of at most 512/),
    ]);
    expect(
      messageProblems(rows({ style: 1, url: 'https://example.com', custom_id: 'rb:status' })),
    ).toEqual([expect.stringMatching(/only a link button/)]);
  });
});
