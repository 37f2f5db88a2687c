import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { SLACK_EVENTS_PATH } from '../../src/adapters/slack/app.js';
import { SLASH_COMMAND } from '../../src/adapters/slack/handlers.js';
import { ROOT } from '../support/spawn.js';

/** The manifest must declare what the adapter serves, within Slack's manifest field limits. */

interface Manifest {
  display_information: { name: string; description: string; long_description: string };
  features: {
    app_home: { home_tab_enabled: boolean };
    slash_commands: { command: string; url: string; usage_hint: string; description: string }[];
  };
  oauth_config: { scopes: { bot: string[] } };
  settings: {
    event_subscriptions: { request_url: string; bot_events: string[] };
    interactivity: { is_enabled: boolean; request_url: string };
    socket_mode_enabled: boolean;
  };
}

const manifest = parse(readFileSync(path.join(ROOT, 'slack/manifest.yaml'), 'utf8')) as Manifest;

describe('slack/manifest.yaml', () => {
  it('declares /roadmap with a usage hint, sent where the receiver listens', () => {
    const [command] = manifest.features.slash_commands;
    expect(command).toMatchObject({
      command: SLASH_COMMAND,
      usage_hint: expect.stringMatching(/status/),
    });
    for (const url of [
      command?.url,
      manifest.settings.event_subscriptions.request_url,
      manifest.settings.interactivity.request_url,
    ]) {
      expect(url).toBe(`https://YOUR-HOST${SLACK_EVENTS_PATH}`);
    }
  });

  it('asks for the scopes the adapter uses and no more', () => {
    // files:write: files.uploadV2 shares the chart of a public `metrics <name>` answer.
    expect(manifest.oauth_config.scopes.bot.sort()).toEqual([
      'chat:write',
      'chat:write.public',
      'commands',
      'files:write',
    ]);
  });

  it('turns on interactivity, the Home tab and its event, and leaves Socket Mode to the operator', () => {
    expect(manifest.settings.interactivity.is_enabled).toBe(true);
    expect(manifest.features.app_home.home_tab_enabled).toBe(true);
    expect(manifest.settings.event_subscriptions.bot_events).toEqual(['app_home_opened']);
    expect(manifest.settings.socket_mode_enabled).toBe(false);
  });

  it("keeps within Slack's field lengths", () => {
    const info = manifest.display_information;
    expect(info.name.length).toBeLessThanOrEqual(35);
    expect(info.description.length).toBeLessThanOrEqual(140);
    expect(info.long_description.length).toBeGreaterThanOrEqual(175);
    expect(info.long_description.length).toBeLessThanOrEqual(4000);
  });
});
