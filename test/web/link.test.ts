import { describe, expect, it } from 'vitest';
import { webLink } from '../../src/app/web.js';
import { readConfig, webSettings } from '../../src/config.js';
import { escapeHtml, html, trusted } from '../../src/core/web/html.js';
import { pageUrl, signLink, verifyLink } from '../../src/core/web/link.js';

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const NOW = new Date('2026-03-02T12:00:00Z');
const LATER = new Date('2026-03-09T12:00:00Z');

describe('signed links (issue 17, "Who may look")', () => {
  it('opens its roadmap until it expires', () => {
    const link = signLink(SECRET, 'oviya', LATER);
    expect(link.exp).toBe(String(LATER.getTime() / 1000));
    expect(link.sig).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(verifyLink(SECRET, 'oviya', link, NOW)).toEqual({ ok: true, expiresAt: LATER });
    // The same instant signs the same link: nothing random, so replicas agree.
    expect(signLink(SECRET, 'oviya', LATER)).toEqual(link);
  });

  it('refuses it at and after its expiry, another roadmap, another secret and any tampering', () => {
    const link = signLink(SECRET, 'oviya', LATER);
    expect(verifyLink(SECRET, 'oviya', link, LATER)).toMatchObject({
      ok: false,
      reason: 'expired',
    });
    expect(verifyLink(SECRET, 'mirai', link, NOW)).toEqual({ ok: false, reason: 'forged' });
    expect(verifyLink(`${SECRET}x`, 'oviya', link, NOW)).toEqual({ ok: false, reason: 'forged' });
    // A later expiry with the old signature: the signature covers the expiry.
    const extended = { ...link, exp: String(Number(link.exp) + 86_400) };
    expect(verifyLink(SECRET, 'oviya', extended, NOW)).toEqual({ ok: false, reason: 'forged' });
    // One character of the signature changed.
    const flipped = {
      ...link,
      sig: `${link.sig.slice(0, -1)}${link.sig.endsWith('A') ? 'B' : 'A'}`,
    };
    expect(verifyLink(SECRET, 'oviya', flipped, NOW)).toEqual({ ok: false, reason: 'forged' });
    // An expired link re-signed by someone without the secret is forged, not expired.
    const old = signLink('another-secret-of-enough-length-000000000', 'oviya', NOW);
    expect(verifyLink(SECRET, 'oviya', old, LATER)).toEqual({ ok: false, reason: 'forged' });
  });

  it('tells a missing link from a malformed one, and never throws on garbage', () => {
    expect(verifyLink(SECRET, 'oviya', {}, NOW)).toEqual({ ok: false, reason: 'missing' });
    for (const params of [
      { exp: '123' },
      { sig: 'x' },
      { exp: '-5', sig: 'a'.repeat(43) },
      { exp: '1e9', sig: 'a'.repeat(43) },
      { exp: '1790000000', sig: 'a'.repeat(44) },
      { exp: '1790000000', sig: '+'.repeat(43) },
      { exp: ['1790000000'], sig: 'a'.repeat(43) },
      { exp: '9'.repeat(40), sig: 'a'.repeat(43) },
    ])
      expect(verifyLink(SECRET, 'oviya', params, NOW)).toEqual({ ok: false, reason: 'malformed' });
  });

  it('pageUrl puts the page under PUBLIC_URL, with or without a path or a trailing slash', () => {
    const link = signLink(SECRET, 'oviya', LATER);
    expect(pageUrl('https://bot.example.com', 'oviya', link)).toBe(
      `https://bot.example.com/roadmaps/oviya?exp=${link.exp}&sig=${link.sig}`,
    );
    expect(pageUrl('https://example.com/tools/bot/', 'oviya', undefined, { tv: true })).toBe(
      'https://example.com/tools/bot/roadmaps/oviya?tv=1',
    );
  });

  it('webLink (phase 2: `roadmap link`) signs for the TTL, or says what to configure', () => {
    const settings = {
      access: 'links' as const,
      secret: SECRET,
      publicUrl: 'https://bot.example.com',
    };
    const { url, expiresAt } = webLink(settings, 'oviya', NOW, 7 * 86_400_000);
    expect(expiresAt).toEqual(LATER);
    const params = Object.fromEntries(new URL(url).searchParams);
    expect(verifyLink(SECRET, 'oviya', params, NOW).ok).toBe(true);
    expect(webLink({ ...settings, access: 'public' }, 'oviya', NOW)).toEqual({
      url: 'https://bot.example.com/roadmaps/oviya',
    });
    expect(() => webLink({ access: 'off' }, 'oviya', NOW)).toThrow(/web view is off/);
    expect(() => webLink({ access: 'links', secret: SECRET }, 'oviya', NOW)).toThrow(/PUBLIC_URL/);
    expect(() => webLink(settings, 'oviya', NOW, 400 * 86_400_000)).toThrow(/--ttl/);
  });
});

describe('web configuration', () => {
  const read = (env: Record<string, string>) => readConfig(env, '/tmp');

  it('is off unless configured; WEB_SECRET alone means signed links', () => {
    expect(webSettings(read({})).access).toBe('off');
    expect(webSettings(read({ WEB_SECRET: SECRET }))).toEqual({ access: 'links', secret: SECRET });
    expect(webSettings(read({ WEB_ACCESS: 'public' })).access).toBe('public');
    expect(webSettings(read({ WEB_ACCESS: 'off', WEB_SECRET: SECRET })).access).toBe('off');
    expect(read({}).WEB_LIVE_INTERVAL).toBe(5000);
  });

  it('refuses what cannot work, naming the variable and what to do', () => {
    expect(() => read({ WEB_ACCESS: 'links' })).toThrow(
      /WEB_SECRET: WEB_ACCESS=links needs WEB_SECRET .*openssl rand -hex 32/,
    );
    expect(() => read({ WEB_SECRET: 'short' })).toThrow(
      /WEB_SECRET: expected at least 32 characters/,
    );
    expect(() => read({ WEB_ACCESS: 'everyone' })).toThrow(
      /WEB_ACCESS: expected off, links or public/,
    );
    expect(() => read({ PUBLIC_URL: 'ftp://x' })).toThrow(
      /PUBLIC_URL: expected the http\(s\) address/,
    );
    expect(() => read({ PUBLIC_URL: 'https://x.example/?a=1' })).toThrow(/PUBLIC_URL/);
    expect(() => read({ WEB_LIVE_INTERVAL: '100ms' })).toThrow(
      /WEB_LIVE_INTERVAL: expected at least 1s/,
    );
    // Every bad variable at once.
    expect(() => read({ WEB_SECRET: 'short', PUBLIC_URL: 'nope' })).toThrow(
      /WEB_SECRET[\s\S]*PUBLIC_URL|PUBLIC_URL[\s\S]*WEB_SECRET/,
    );
  });
});

describe('html (escaping by default)', () => {
  it('escapes every interpolated string, in text and in attributes', () => {
    const hostile = `<script>alert(1)</script> "double" 'single' & more`;
    const out = html`<p title="${hostile}">${hostile}</p>`.value;
    expect(out).toBe(
      '<p title="&lt;script&gt;alert(1)&lt;/script&gt; &quot;double&quot; &#39;single&#39; &amp; more">&lt;script&gt;alert(1)&lt;/script&gt; &quot;double&quot; &#39;single&#39; &amp; more</p>',
    );
    expect(escapeHtml('a&b')).toBe('a&amp;b');
  });

  it('nests html, joins lists, and leaves out null, undefined and booleans', () => {
    const items = ['<a>', 'b'].map((t) => html`<li>${t}</li>`);
    // Whitespace aside: Prettier lays out html`…` templates as HTML.
    expect(
      html`<ul>
          ${items}
        </ul>
        ${null}${undefined}${false}${0}`.value.replace(/\s+/g, ''),
    ).toBe('<ul><li>&lt;a&gt;</li><li>b</li></ul>0');
    expect(html`${trusted('<br>')}`.value).toBe('<br>');
  });
});
