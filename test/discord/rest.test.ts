import { API, type APIEmbed } from '@discordjs/core/http-only';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandDefinition } from '../../src/adapters/discord/commands.js';
import { answerOverRest } from '../../src/adapters/discord/gateway.js';
import { createInteractionHandler } from '../../src/adapters/discord/handler.js';
import { createDiscord, discordStatus } from '../../src/adapters/discord/interactions.js';
import { registerCommands } from '../../src/adapters/discord/register.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import { readConfig } from '../../src/config.js';
import { closeRest, createRest, DiscordSink } from '../../src/adapters/discord/rest.js';
import { DeliveryError } from '../../src/app/sink.js';
import type { Message } from '../../src/core/messages/model.js';
import { createLogger } from '../../src/logger.js';
import { FakeDiscord } from '../fakes/discord.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { APP_ID, GUILD, PEOPLE, slash, textOf } from './harness.js';

/** The real @discordjs/rest client against the fake Discord: channel posts, rate limits, errors, registration, gateway answers. */

const db = useTestDatabase();
let fake: FakeDiscord;
const rests: ReturnType<typeof createRest>[] = [];

function sinkFor(opts: { token?: string; api?: string; alertRoleId?: string } = {}): DiscordSink {
  const rest = createRest(
    {
      DISCORD_TOKEN: 'token' in opts ? opts.token : fake.token,
      DISCORD_API_URL: opts.api ?? fake.url,
    },
    { retries: 3, timeout: 5_000 },
  );
  rests.push(rest);
  return new DiscordSink(new API(rest), {
    hasToken: Boolean('token' in opts ? opts.token : fake.token),
    ...(opts.alertRoleId ? { alertRoleId: opts.alertRoleId } : {}),
  });
}

const alert: Message = {
  title: 'Oviya: db-cpu-high 🔥 firing',
  tone: 'alert',
  sections: [
    {
      title: 'database_cpu > 80%',
      lines: [{ icon: 'met', text: 'database_cpu 93% > 80%', progress: 1.16 }],
    },
  ],
  fallback: 'Oviya: db-cpu-high firing',
  actions: [
    {
      id: 'ack',
      label: 'Acknowledge',
      command: 'ack db-cpu-high --roadmap oviya',
      style: 'primary',
    },
  ],
  urgent: true,
};

/** Each test uses its own channel: rate-limit state is kept per channel (bucket) by the client. */
let nextChannel = 410_000_000_000_000_000n;
const channel = () => String(nextChannel++);

async function deliveryError(work: Promise<unknown>): Promise<DeliveryError> {
  const error = await work.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(DeliveryError);
  return error as DeliveryError;
}

beforeAll(async () => {
  fake = await FakeDiscord.start({ applicationId: APP_ID });
});

afterAll(async () => {
  rests.forEach(closeRest);
  await fake?.close();
});

describe('the Discord sink', () => {
  it('posts embeds and buttons to a channel with the bot token, and returns the message id as ref', async () => {
    const to = channel();
    const { ref } = await sinkFor({ alertRoleId: '777' }).post(to, alert);
    const [posted] = fake.channelMessages(to);
    expect(ref).toBe(posted?.id);
    expect(fake.callsTo('POST /channels/:channel/messages').at(-1)?.headers.authorization).toBe(
      `Bot ${fake.token}`,
    );
    // Critical: the role is paged in the content (mentions inside embeds notify nobody).
    expect(posted?.content).toBe('<@&777> Oviya: db-cpu-high firing');
    expect(fake.callsTo('POST /channels/:channel/messages').at(-1)?.body.allowed_mentions).toEqual({
      parse: [],
      roles: ['777'],
    });
    expect(posted?.components[0].components[0].custom_id).toBe(
      'rb:ack db-cpu-high --roadmap oviya',
    );
  });

  it('edits in place, clearing buttons and the mention that no longer apply', async () => {
    const to = channel();
    const sink = sinkFor({ alertRoleId: '777' });
    const { ref } = await sink.post(to, alert);
    await sink.update?.(to, ref as string, {
      ...alert,
      title: 'Oviya: db-cpu-high acknowledged',
      actions: [],
      urgent: false,
      footer: 'Acknowledged by alice',
    });
    const edited = fake.messages.get(ref as string);
    expect(edited?.components).toEqual([]);
    expect(edited?.content).toBe('');
    expect(textOf(edited)).toContain('Acknowledged by alice');
  });

  it('waits out a 429 (retry_after and rate-limit headers) in the client, and the message arrives once', async () => {
    const to = channel();
    fake.failNext('POST /channels/:channel/messages', 1, { status: 429, retryAfter: 0.05 });
    const { ref } = await sinkFor().post(to, alert);
    const calls = fake
      .callsTo('POST /channels/:channel/messages')
      .filter((c) => c.params.channel === to);
    expect(calls.map((c) => c.status)).toEqual([429, 200]);
    expect(fake.channelMessages(to).map((m) => m.id)).toEqual([ref]);
  });

  it('retries 5xx in the client and succeeds when Discord recovers', async () => {
    const to = channel();
    fake.failNext('POST /channels/:channel/messages', 2, { status: 500 });
    await sinkFor().post(to, alert);
    expect(
      fake
        .callsTo('POST /channels/:channel/messages')
        .filter((c) => c.params.channel === to)
        .map((c) => c.status),
    ).toEqual([500, 500, 200]);
    expect(fake.channelMessages(to)).toHaveLength(1);
  });

  it('gives the outbox a retryable server error when 5xx outlasts the client retries', async () => {
    const to = channel();
    fake.failNext('POST /channels/:channel/messages', 4, { status: 503 });
    const error = await deliveryError(sinkFor().post(to, alert));
    expect(error).toMatchObject({ kind: 'server', retryable: true });
    expect(fake.channelMessages(to)).toHaveLength(0);
  });

  it('hands a long rate limit back to the outbox with its retry_after instead of holding the worker', async () => {
    const to = channel();
    fake.failNext('POST /channels/:channel/messages', 1, { status: 429, retryAfter: 30 });
    const error = await deliveryError(sinkFor().post(to, alert));
    expect(error.kind).toBe('rate_limited');
    expect(error.retryAfterMs).toBeGreaterThanOrEqual(30_000);
    expect(fake.channelMessages(to)).toHaveLength(0);
  });

  it('classifies 4xx as client errors (not retried) with a sentence saying what to fix', async () => {
    const to = channel();
    fake.failNext('POST /channels/:channel/messages', 1, {
      status: 403,
      code: 50013,
      message: 'Missing Permissions',
    });
    const missing = await deliveryError(sinkFor().post(to, alert));
    expect(missing).toMatchObject({ kind: 'client', retryable: false });
    expect(missing.message).toMatch(/Send Messages and Embed Links/);
    const refused = await deliveryError(sinkFor({ token: 'wrong' }).post(channel(), alert));
    expect(refused.message).toMatch(/DISCORD_TOKEN \(401\)/);
  });

  it('says a missing token is a configuration problem, without calling Discord', async () => {
    const before = fake.calls.length;
    const error = await deliveryError(sinkFor({ token: undefined }).post(channel(), alert));
    expect(error).toMatchObject({ kind: 'client' });
    expect(error.message).toMatch(/DISCORD_TOKEN is not set/);
    expect(fake.calls.length).toBe(before);
  });

  it('classifies an unreachable Discord as a network error', async () => {
    const closed = await FakeDiscord.start();
    const api = closed.url;
    await closed.close();
    const error = await deliveryError(sinkFor({ api }).post(channel(), alert));
    expect(error).toMatchObject({ kind: 'network', retryable: true });
  });
});

describe('roadmap discord register', () => {
  const config = () => ({
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_API_URL: fake.url,
  });

  it('bulk-overwrites the global commands with the definition generated from the table', async () => {
    const result = await registerCommands(config());
    const put = fake.callsTo('PUT /applications/:app/commands').at(-1);
    expect(put?.params.app).toBe(APP_ID);
    expect(put?.headers.authorization).toBe(`Bot ${fake.token}`);
    expect(put?.body).toEqual([commandDefinition()]);
    expect(result).toEqual({
      count: 1,
      subcommands: commandDefinition().options?.length,
      scope: 'global',
    });
  });

  it('registers on one server with --guild (immediate, for trying changes)', async () => {
    const result = await registerCommands(config(), { guildId: GUILD });
    const put = fake.callsTo('PUT /applications/:app/guilds/:guild/commands').at(-1);
    expect(put?.params.guild).toBe(GUILD);
    expect(put?.body).toEqual([commandDefinition()]);
    expect(result.scope).toBe('guild');
  });

  it('says what is missing or wrong', async () => {
    await expect(registerCommands({ ...config(), DISCORD_TOKEN: undefined })).rejects.toThrow(
      /needs DISCORD_TOKEN/,
    );
    await expect(registerCommands(config(), { guildId: 'my-server' })).rejects.toThrow(
      /--guild: expected a numeric server id/,
    );
    await expect(
      registerCommands({ ...config(), DISCORD_APPLICATION_ID: '100000000000000999' }),
    ).rejects.toThrow(/registering \/roadmap failed: .*403/);
  });
});

describe('gateway mode: the shared handler answers over REST', () => {
  const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));

  async function handlerWith(deferAfterMs: number) {
    const deps = await appWith(db.pool, roadmapsFolder('oviya'), clock);
    const rest = createRest(
      { DISCORD_TOKEN: fake.token, DISCORD_API_URL: fake.url },
      { retries: 0 },
    );
    rests.push(rest);
    const handle = createInteractionHandler({
      deps,
      api: new API(rest),
      logger: createLogger('silent'),
      admins: { roles: [], users: [] },
      deferAfterMs,
      clock: clock.now,
    });
    return { rest, handle };
  }

  it('posts the answer to the interaction callback route, authorized by the interaction token', async () => {
    const { rest, handle } = await handlerWith(60_000);
    const interaction = slash('status', {}, PEOPLE.rita);
    const finish = await answerOverRest(rest, handle, interaction);
    expect(finish).toBeUndefined();
    const [callback] = fake.interaction(interaction.token).callbacks as {
      type: number;
      data: { flags: number; content?: string; embeds?: APIEmbed[] };
    }[];
    expect(callback?.type).toBe(4);
    expect(callback?.data.flags).toBe(64);
    expect(textOf(callback?.data)).toMatch(/Oviya/);
    expect(
      fake.callsTo('POST /interactions/:id/:token/callback').at(-1)?.headers.authorization,
    ).toBeUndefined();
  });

  it('defers over REST too, and finishes through the interaction webhook', async () => {
    const { rest, handle } = await handlerWith(0);
    const interaction = slash('gates', {}, PEOPLE.rita);
    const finish = await answerOverRest(rest, handle, interaction);
    expect(fake.interaction(interaction.token).callbacks).toEqual([
      { type: 5, data: { flags: 64 } },
    ]);
    await finish?.();
    expect(textOf(fake.interaction(interaction.token).original)).toMatch(/gates \d+ of \d+ passed/);
  });
});

describe('configuration', () => {
  const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));

  it('says at start-up what the adapter can do with the variables set', () => {
    expect(discordStatus(readConfig({})).enabled).toBe(false);
    const http = discordStatus(
      readConfig({ DISCORD_PUBLIC_KEY: 'a'.repeat(64), DISCORD_TOKEN: 't' }),
    );
    expect(http).toEqual({
      enabled: true,
      summary: 'discord: interactions at POST /discord/interactions; posting to channels',
    });
    expect(discordStatus(readConfig({ DISCORD_PUBLIC_KEY: 'a'.repeat(64) })).summary).toMatch(
      /no DISCORD_TOKEN: alerts and digests cannot be posted/,
    );
  });

  it('serves no interactions route without DISCORD_PUBLIC_KEY, and gateway mode needs the token', async () => {
    const deps = await appWith(db.pool, roadmapsFolder('oviya'), clock);
    const logger = createLogger('silent');
    const http = createHttpServer({
      store: deps.store,
      registry: deps.registry,
      logger,
      started: () => true,
    });
    const discord = createDiscord({
      config: readConfig({ DISCORD_GATEWAY: 'true', DISCORD_API_URL: fake.url }),
      deps,
      logger,
      http,
    });
    const res = await http.inject({ method: 'POST', url: '/discord/interactions', payload: {} });
    expect(res.statusCode).toBe(404);
    await expect(discord.start()).rejects.toThrow(/DISCORD_GATEWAY=true needs DISCORD_TOKEN/);
    await discord.stop();
    await http.close();
  });
});
