/* global document, window, EventSource, DOMParser, fetch */
// Live updates of a roadmap's page (README "Web view"). The server says over server-sent events
// when what the page shows has changed (a version); the page then fetches itself again and swaps
// its content in, without a reload. With JavaScript off the page is complete, only not live.
(() => {
  'use strict';
  const main = document.querySelector('main[data-live-url]');
  if (!main || !('EventSource' in window) || !window.fetch || !window.DOMParser) return;
  const status = document.getElementById('live-status');
  const say = (text) => {
    if (status) status.textContent = text;
  };
  const current = () => document.getElementById('live')?.getAttribute('data-version') ?? '';

  let source;
  let loading = false;
  let wanted;

  const stop = (text) => {
    source?.close();
    say(text);
  };

  async function refresh() {
    if (loading) return;
    loading = true;
    try {
      while (wanted !== undefined && wanted !== current()) {
        const target = wanted;
        const response = await fetch(window.location.href, {
          cache: 'no-store',
          headers: { accept: 'text/html' },
        });
        if (response.status === 403) {
          stop('This link has expired: ask the bot for a new one (roadmap link).');
          return;
        }
        if (!response.ok) {
          say(`Could not update (HTTP ${response.status}); will try again on the next change.`);
          return;
        }
        const next = new DOMParser()
          .parseFromString(await response.text(), 'text/html')
          .getElementById('live');
        const live = document.getElementById('live');
        if (!next || !live) return;
        live.replaceWith(document.importNode(next, true));
        say(`Updated at ${new Date().toLocaleTimeString()}.`);
        // A newer change announced meanwhile is fetched next; the same one is done.
        if (wanted === target) wanted = current();
      }
    } catch {
      say('Could not update; will try again on the next change.');
    } finally {
      loading = false;
    }
  }

  source = new EventSource(main.getAttribute('data-live-url'));
  source.addEventListener('open', () => say('Live: this page updates itself.'));
  source.addEventListener('error', () => say('Live updates paused; reconnecting…'));
  source.addEventListener('version', (event) => {
    wanted = event.data;
    if (wanted !== current()) void refresh();
  });
  source.addEventListener('expired', () =>
    stop('This link has expired: ask the bot for a new one (roadmap link).'),
  );
  source.addEventListener('gone', () => stop('This roadmap is no longer loaded.'));
})();
