import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { APIEmbed, APIInteraction, APIMessage } from '@discordjs/core/http-only';
import type { FastifyInstance } from 'fastify';
import type pg from 'pg';
import { createDiscord, type Discord } from '../../src/adapters/discord/interactions.js';
import { createHttpServer } from '../../src/adapters/http/server.js';
import type { AppDeps } from '../../src/app/context.js';
import { readConfig, type Config } from '../../src/config.js';
import { createLogger } from '../../src/logger.js';
import { FakeDiscord } from '../fakes/discord.js';
import { appWith, roadmapsFolder, type TestClock } from '../support/app.js';

/** Ids as Discord writes them (snowflakes); config validation wants them numeric. */
export const APP_ID = '100000000000000001';
export const GUILD = '300000000000000001';
export const CHANNEL = '400000000000000001';
export const ADMIN_ROLE = '500000000000000001';
export const OTHER_ROLE = '500000000000000099';
export const ALERT_ROLE = '500000000000000777';

export interface Person {
  id: string;
  username: string;
  roles: string[];
}

export const PEOPLE = {
  /** An admin through DISCORD_ADMIN_ROLE_IDS. */
  alice: { id: '600000000000000001', username: 'alice', roles: [ADMIN_ROLE] },
  /** An admin through DISCORD_ADMIN_USER_IDS, with no admin role. */
  owner: { id: '600000000000000002', username: 'owner', roles: [] },
  /** Neither: may read, may not mutate. */
  rita: { id: '600000000000000003', username: 'rita', roles: [OTHER_ROLE] },
} satisfies Record<string, Person>;

/** A key pair like the application's: the public half as Discord shows it (64 hex characters). */
export function keyPair(): { publicKeyHex: string; privateKey: KeyObject } {
  const { publicKey, privateKey } = generateKeyPairSync('ed25519');
  const x = publicKey.export({ format: 'jwk' }).x as string;
  return { publicKeyHex: Buffer.from(x, 'base64url').toString('hex'), privateKey };
}

export interface Bot {
  url: string;
  fake: FakeDiscord;
  deps: AppDeps;
  discord: Discord;
  config: Config;
  http: FastifyInstance;
  /** The signature Discord would send for this body at this timestamp. */
  signature(rawBody: string, timestamp: string): string;
  /** Sends a body signed as Discord signs it (or with the signature and timestamp given). */
  send(
    body: unknown,
    opts?: { timestamp?: string; signature?: string | null; rawBody?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- the response JSON as Discord would get it; tests inspect it freely
  ): Promise<{ status: number; json: any }>;
  close(): Promise<void>;
}

export interface BotOptions {
  pool: pg.Pool;
  roadmaps: string[];
  clock: TestClock;
  deferAfterMs?: number;
  /** Wraps the app's dependencies (a test can hold the store to force a deferral). */
  wrap?: (deps: AppDeps) => AppDeps;
  /** The application's key pair; another replica of the same application shares it. */
  keys?: { publicKeyHex: string; privateKey: KeyObject };
}

/**
 * The bot's real HTTP server with the Discord adapter mounted, the real REST client pointed at
 * a fresh fake Discord, and a real database. Answers come back directly unless a test asks
 * for deferral (a long budget: the fake has no 3 s deadline and tests never race the clock).
 */
export async function startBot(opts: BotOptions): Promise<Bot> {
  const fake = await FakeDiscord.start({ applicationId: APP_ID });
  const keys = opts.keys ?? keyPair();
  const config = readConfig({
    DISCORD_TOKEN: fake.token,
    DISCORD_APPLICATION_ID: APP_ID,
    DISCORD_PUBLIC_KEY: keys.publicKeyHex,
    DISCORD_API_URL: fake.url,
    DISCORD_ADMIN_ROLE_IDS: ADMIN_ROLE,
    DISCORD_ADMIN_USER_IDS: PEOPLE.owner.id,
    DISCORD_ALERT_ROLE_ID: ALERT_ROLE,
    LOG_LEVEL: 'silent',
  });
  const logger = createLogger('silent');
  const base = await appWith(opts.pool, roadmapsFolder(...opts.roadmaps), opts.clock);
  const deps = opts.wrap ? opts.wrap(base) : base;
  const http = createHttpServer({
    store: deps.store,
    registry: deps.registry,
    logger,
    started: () => true,
  });
  const discord = createDiscord({
    config,
    deps,
    logger,
    http,
    clock: opts.clock.now,
    deferAfterMs: opts.deferAfterMs ?? 60_000,
    rest: { retries: 3, timeout: 5_000 },
  });
  await discord.start();
  await http.listen({ port: 0, host: '127.0.0.1' });
  const url = `http://127.0.0.1:${(http.server.address() as AddressInfo).port}/discord/interactions`;
  const signatureOf = (raw: string, timestamp: string) =>
    sign(null, Buffer.from(timestamp + raw), keys.privateKey).toString('hex');

  return {
    url,
    fake,
    deps,
    discord,
    config,
    http,
    signature: signatureOf,
    async send(body, sendOpts = {}) {
      const raw = sendOpts.rawBody ?? JSON.stringify(body);
      const timestamp = sendOpts.timestamp ?? String(Math.floor(opts.clock.now().getTime() / 1000));
      const signature =
        sendOpts.signature === undefined ? signatureOf(raw, timestamp) : sendOpts.signature;
      const headers: Record<string, string> = {
        'content-type': 'application/json',
        'x-signature-timestamp': timestamp,
      };
      if (signature !== null) headers['x-signature-ed25519'] = signature;
      const res = await fetch(url, { method: 'POST', headers, body: raw });
      const text = await res.text();
      return { status: res.status, json: text ? JSON.parse(text) : undefined };
    },
    async close() {
      await discord.stop();
      await http.close();
      await fake.close();
    },
  };
}

let sequence = 0;
const snowflake = () => String(700_000_000_000_000_000n + BigInt(++sequence));

type OptionValue = string | boolean | number;

function dataOptions(options: Record<string, OptionValue>, focused?: string) {
  return Object.entries(options).map(([name, value]) => ({
    name,
    type: typeof value === 'boolean' ? 5 : typeof value === 'number' ? 10 : 3,
    value,
    ...(name === focused ? { focused: true } : {}),
  }));
}

function base(type: number, who: Person, channel: string) {
  const id = snowflake();
  return {
    id,
    application_id: APP_ID,
    type,
    token: `token-${id}`,
    version: 1,
    guild_id: GUILD,
    channel_id: channel,
    channel: { id: channel, type: 0 },
    member: {
      user: {
        id: who.id,
        username: who.username,
        global_name: null,
        discriminator: '0',
        avatar: null,
      },
      roles: who.roles,
      nick: null,
      joined_at: '2026-01-01T00:00:00Z',
      deaf: false,
      mute: false,
      flags: 0,
      permissions: '0',
    },
    app_permissions: '0',
    locale: 'en-US',
    guild_locale: 'en-US',
    entitlements: [],
    authorizing_integration_owners: {},
    context: 0,
  };
}

/** `/roadmap <sub> name:value …` as Discord sends it. */
export function slash(
  sub: string,
  options: Record<string, OptionValue> = {},
  who: Person = PEOPLE.alice,
  channel = CHANNEL,
) {
  return {
    ...base(2, who, channel),
    data: {
      id: '800000000000000001',
      name: 'roadmap',
      type: 1,
      options: [{ type: 1, name: sub, options: dataOptions(options) }],
    },
  } as unknown as APIInteraction & { token: string };
}

/** An autocomplete request while `focused` is being typed. */
export function autocomplete(
  sub: string,
  options: Record<string, OptionValue>,
  focused: string,
  who: Person = PEOPLE.rita,
  channel = CHANNEL,
) {
  return {
    ...base(4, who, channel),
    data: {
      id: '800000000000000001',
      name: 'roadmap',
      type: 1,
      options: [{ type: 1, name: sub, options: dataOptions(options, focused) }],
    },
  } as unknown as APIInteraction;
}

/** A click on the button `customId` of `message` (as Discord sends the message along). */
export function click(
  message: APIMessage | object,
  customId: string,
  who: Person = PEOPLE.alice,
  channel = CHANNEL,
) {
  return {
    ...base(3, who, channel),
    message,
    data: { custom_id: customId, component_type: 2 },
  } as unknown as APIInteraction & { token: string };
}

export function ping() {
  return { id: snowflake(), application_id: APP_ID, type: 1, token: 'ping', version: 1 };
}

/** Every piece of text a person would see in a message. */
export function textOf(data: { content?: string; embeds?: APIEmbed[] } | undefined): string {
  if (!data) return '';
  const parts = [data.content ?? ''];
  for (const e of data.embeds ?? []) {
    parts.push(
      e.title ?? '',
      e.description ?? '',
      ...(e.fields ?? []).flatMap((f) => [f.name, f.value]),
      e.footer?.text ?? '',
    );
  }
  // Markdown escapes are not what people read.
  return parts.join('\n').replace(/\\(.)/g, '$1');
}
