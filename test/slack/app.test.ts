import Fastify from 'fastify';
import { describe, expect, it } from 'vitest';
import { createSlack, slackMode } from '../../src/adapters/slack/app.js';
import type { AppDeps } from '../../src/app/context.js';
import { readConfig } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FakeSlack } from '../fakes/slack.js';

/** Which Slack mode the environment selects, and the mistakes createSlack refuses up front. */

const logger = createLogger('silent');
/** Nothing below runs a command. */
const deps = {} as AppDeps;

describe('slackMode (from the environment)', () => {
  it.each<[string, Record<string, string>, unknown]>([
    ['nothing set', {}, { mode: 'off', reason: 'SLACK_BOT_TOKEN is not set' }],
    [
      'token and signing secret',
      { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' },
      { mode: 'http' },
    ],
    [
      'token and app token',
      { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_APP_TOKEN: 'xapp-1' },
      { mode: 'socket' },
    ],
    [
      'all three: Socket Mode wins',
      { SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's', SLACK_APP_TOKEN: 'xapp-1' },
      { mode: 'socket' },
    ],
    [
      'a token alone',
      { SLACK_BOT_TOKEN: 'xoxb-1' },
      {
        mode: 'off',
        reason: expect.stringMatching(
          /neither SLACK_SIGNING_SECRET \(HTTP mode\) nor SLACK_APP_TOKEN \(Socket Mode\)/,
        ),
      },
    ],
    [
      'a signing secret without a token',
      { SLACK_SIGNING_SECRET: 's' },
      { mode: 'off', reason: 'SLACK_BOT_TOKEN is not set' },
    ],
  ])('%s', (_what, env, expected) => {
    expect(slackMode(readConfig(env))).toEqual(expected);
  });
});

describe('createSlack', () => {
  it('refuses to start with Slack off, saying why', () => {
    expect(() => createSlack({ config: readConfig({}), deps, logger })).toThrow(
      /Slack is off: SLACK_BOT_TOKEN is not set/,
    );
  });

  it('HTTP mode needs the HTTP server', () => {
    const config = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(() => createSlack({ config, deps, logger })).toThrow(/needs the HTTP server/);
  });

  it("HTTP mode mounts on the bot's own server (createHttpServer), whose raw routes it uses", () => {
    const config = readConfig({ SLACK_BOT_TOKEN: 'xoxb-1', SLACK_SIGNING_SECRET: 's' });
    expect(() => createSlack({ config, deps, logger, http: Fastify() })).toThrow(
      /not made by createHttpServer/,
    );
  });

  it('a bad token fails start() with a sentence naming SLACK_BOT_TOKEN', async () => {
    const fake = await FakeSlack.start();
    try {
      fake.fail('auth.test', { error: 'invalid_auth' });
      const config = readConfig({
        SLACK_BOT_TOKEN: 'xoxb-1',
        SLACK_APP_TOKEN: 'xapp-1',
        SLACK_API_URL: fake.apiUrl,
      });
      const slack = createSlack({
        config,
        deps,
        logger,
        clientOptions: { retryConfig: { retries: 0 } },
      });
      await expect(slack.start()).rejects.toThrow(
        /auth\.test failed: auth\.test: Slack answered invalid_auth \(check SLACK_BOT_TOKEN\)/,
      );
      expect(fake.callsTo('apps.connections.open')).toEqual([]);
    } finally {
      await fake.close();
    }
  });
});
