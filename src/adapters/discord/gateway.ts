import { Routes, type APIInteraction } from '@discordjs/core/http-only';
import type { REST } from '@discordjs/rest';
import type { Logger } from 'pino';
import type { InteractionHandler } from './handler.js';

/**
 * Gateway mode, for teams without a public URL: a discord.js Client holds the bot's one
 * gateway connection and hands each INTERACTION_CREATE to the same handler as the HTTP
 * endpoint. The answer goes back over REST (an HTTP interaction answers in the response
 * body instead); deferred work finishes through the same interaction webhook.
 *
 * Limits: Discord delivers interactions over the gateway only while no Interactions
 * Endpoint URL is set; a bot token has one gateway session per shard, so only one replica
 * may run this (a second login competes for the same session). Use HTTP to scale out.
 */

/** Answers one interaction received from the gateway; returns the deferred work, if any. */
export async function answerOverRest(
  rest: REST,
  handle: InteractionHandler,
  interaction: APIInteraction,
): Promise<(() => Promise<void>) | undefined> {
  const answer = await handle(interaction);
  // The callback route is authorized by the interaction token, not the bot token.
  await rest.post(Routes.interactionCallback(interaction.id, interaction.token), {
    body: answer.response,
    auth: false,
  });
  return answer.finish;
}

export interface GatewayOptions {
  token: string;
  api: string;
  rest: REST;
  handle: InteractionHandler;
  logger: Pick<Logger, 'info' | 'warn' | 'error'>;
  /** Runs background work so stop() can wait for it. */
  track: (work: () => Promise<void>) => void;
}

/** Logs in and starts answering; resolves once the connection is up. */
export async function connectGateway(opts: GatewayOptions): Promise<{ close(): Promise<void> }> {
  // Loaded only in gateway mode: the HTTP route never needs discord.js's client.
  const { Client, Events } = await import('discord.js');
  // Interactions need no intents: they arrive on every connection.
  const client = new Client({ intents: [], rest: { api: opts.api } });
  client.on(Events.Raw, (packet: { t?: string | null; d?: unknown }) => {
    if (packet.t !== 'INTERACTION_CREATE') return;
    opts.track(async () => {
      const finish = await answerOverRest(opts.rest, opts.handle, packet.d as APIInteraction);
      if (finish) await finish();
    });
  });
  client.on(Events.Error, (error) => opts.logger.error({ err: error }, 'discord gateway error'));
  client.once(Events.ClientReady, (ready) =>
    opts.logger.info(`discord: gateway connected as ${ready.user.tag}`),
  );
  await client.login(opts.token);
  return { close: () => client.destroy() };
}
