import type { KnownBlock } from '@slack/web-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  LINK_ACTION_ID_PREFIX,
  LINKS_BLOCK_ID,
  renderSlack,
} from '../../src/adapters/slack/blocks.js';
import { BLOCK_KIT, checkBlocks } from '../../src/adapters/slack/limits.js';
import type { AppDeps } from '../../src/app/context.js';
import type { WebSettings } from '../../src/app/web-settings.js';
import { infoMessage } from '../../src/core/messages/compose.js';
import { verifyLink } from '../../src/core/web/link.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { READER, SlackHarness } from './harness.js';

/** Issue 17, phase 2, in Slack: "Open in browser" on status, and `/roadmap link`. */

const db = useTestDatabase();
const NOW = new Date('2026-03-01T15:00:00Z');
const clock = new TestClock(NOW);
const SECRET = 'slack-link-test-secret-0123456789abcdefgh';
const LINKS: WebSettings = {
  access: 'links',
  secret: SECRET,
  publicUrl: 'https://roadmap.example.com',
};
let slack: SlackHarness;
let deps: AppDeps;

beforeAll(async () => {
  slack = await SlackHarness.start({
    pool: db.pool,
    clock,
    roadmaps: ['oviya'],
    // Held, so each test sets the web view's settings the way main.ts would.
    deps: (d) => (deps = d),
  });
});
afterAll(() => slack?.close());

type UrlButton = {
  type: 'button';
  action_id: string;
  text: { text: string };
  url?: string;
  value?: string;
};
type ActionsBlock = { type: 'actions'; block_id: string; elements: UrlButton[] };

const linkBlock = (blocks: unknown): ActionsBlock | undefined =>
  (blocks as KnownBlock[]).find(
    (b) => b.type === 'actions' && b.block_id === LINKS_BLOCK_ID,
  ) as unknown as ActionsBlock | undefined;

describe('status in Slack', () => {
  it('carries an "Open in browser" URL button whose signed link opens that roadmap', async () => {
    deps.web = LINKS;
    const payload = await slack.command('status', READER);
    expect(checkBlocks(payload.blocks)).toEqual([]);
    const block = linkBlock(payload.blocks);
    expect(block?.elements).toHaveLength(1);
    const button = block?.elements[0] as UrlButton;
    expect(button.text.text).toBe('Open in browser');
    expect(button.action_id).toBe(`${LINK_ACTION_ID_PREFIX}0`);
    expect(button.value).toBeUndefined();
    const url = new URL(button.url as string);
    expect(url.origin + url.pathname).toBe('https://roadmap.example.com/roadmaps/oviya');
    expect(verifyLink(SECRET, 'oviya', Object.fromEntries(url.searchParams), NOW)).toEqual({
      ok: true,
      expiresAt: new Date(NOW.getTime() + 7 * 86_400_000),
    });
  });

  it('a click on it (Slack sends one even for a URL button) is acknowledged and runs nothing', async () => {
    deps.web = LINKS;
    const payload = await slack.command('status', READER);
    const button = linkBlock(payload.blocks)?.elements[0] as UrlButton;
    const responseId = `click-${Math.random().toString(36).slice(2)}`;
    const click = {
      type: 'block_actions',
      user: { id: READER, username: 'reader', name: 'reader', team_id: 'T0FAKE' },
      api_app_id: 'A0FAKE',
      token: 'legacy-verification-token',
      container: { type: 'message', message_ts: '1.2', channel_id: 'C0MAIN', is_ephemeral: true },
      trigger_id: '1.2.3',
      team: { id: 'T0FAKE', domain: 'fake' },
      enterprise: null,
      is_enterprise_install: false,
      channel: { id: 'C0MAIN', name: 'roadmap' },
      response_url: slack.fake.responseUrl(responseId),
      actions: [
        {
          type: 'button',
          action_id: button.action_id,
          block_id: LINKS_BLOCK_ID,
          text: { type: 'plain_text', text: button.text.text, emoji: true },
          url: button.url,
          action_ts: '1772377200.000000',
        },
      ],
    };
    const updatesBefore = slack.fake.callsTo('chat.update').length;
    const res = await slack.send(
      new URLSearchParams({ payload: JSON.stringify(click) }).toString(),
      'application/x-www-form-urlencoded',
    );
    expect(res.status).toBe(200);
    // A command the click ran would have answered on its response_url by the time a later
    // command is answered.
    await slack.command('help', READER);
    expect(slack.fake.respondedTo(responseId)).toEqual([]);
    expect(slack.fake.callsTo('chat.update')).toHaveLength(updatesBefore);
  });

  it('has no such button without PUBLIC_URL, with the web view off, or for --json', async () => {
    for (const [web, line] of [
      [{ access: 'links', secret: SECRET }, 'status'],
      [{ access: 'off' }, 'status'],
      [undefined, 'status'],
      [LINKS, 'status --json'],
    ] as const) {
      deps.web = web;
      const payload = await slack.command(line, READER);
      expect(checkBlocks(payload.blocks)).toEqual([]);
      expect(linkBlock(payload.blocks), `${web?.access} ${line}`).toBeUndefined();
      expect(JSON.stringify(payload.blocks)).not.toContain('"url"');
    }
  });
});

describe('/roadmap link', () => {
  it('answers the person who asked with the button and the expiry; refuses what cannot work', async () => {
    deps.web = LINKS;
    const payload = await slack.command('link --ttl 1d', READER);
    expect(payload.response_type).toBe('ephemeral');
    expect(checkBlocks(payload.blocks)).toEqual([]);
    const url = new URL(linkBlock(payload.blocks)?.elements[0]?.url as string);
    expect(verifyLink(SECRET, 'oviya', Object.fromEntries(url.searchParams), NOW)).toEqual({
      ok: true,
      expiresAt: new Date('2026-03-02T15:00:00Z'),
    });
    expect(JSON.stringify(payload.blocks)).toMatch(/until 2026-03-02 15:00 \(UTC\)/);

    deps.web = { access: 'links', secret: SECRET };
    const refused = await slack.command('link', READER);
    expect(JSON.stringify(refused.blocks)).toMatch(/PUBLIC_URL is not set/);
    expect(linkBlock(refused.blocks)).toBeUndefined();
  });
});

describe('URL buttons within Block Kit limits', () => {
  const withLink = (url: string) => ({
    ...infoMessage('Roadmap'),
    links: [{ label: 'Open in browser', url }],
  });

  it('keeps a url of up to 3,000 characters and leaves a longer one out', () => {
    const longest = `https://example.com/${'a'.repeat(BLOCK_KIT.buttonUrl - 20)}`;
    expect(longest).toHaveLength(3000);
    const kept = renderSlack(withLink(longest)).blocks;
    expect(checkBlocks(kept)).toEqual([]);
    expect(linkBlock(kept)?.elements[0]?.url).toBe(longest);
    const dropped = renderSlack(withLink(`${longest}b`)).blocks;
    expect(checkBlocks(dropped)).toEqual([]);
    expect(linkBlock(dropped)).toBeUndefined();
  });

  it('the schema refuses a button url over 3,000 characters, or not http(s)', () => {
    const block = (url: string) => [
      {
        type: 'actions',
        elements: [
          { type: 'button', action_id: 'a', text: { type: 'plain_text', text: 'Open' }, url },
        ],
      },
    ];
    expect(checkBlocks(block(`https://example.com/${'a'.repeat(2981)}`))).toEqual([
      expect.stringMatching(/^0\.elements\.0\.url: /),
    ]);
    expect(checkBlocks(block('javascript:alert(1)'))).toHaveLength(1);
    expect(checkBlocks(block('https://example.com/roadmaps/oviya'))).toEqual([]);
  });
});
