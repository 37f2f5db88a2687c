import { API } from '@discordjs/core/http-only';
import type { RESTOptions } from '@discordjs/rest';
import type { Config } from '../../config.js';
import { commandDefinition } from './commands.js';
import { commandProblems } from './limits.js';
import { closeRest, createRest, toDeliveryError } from './rest.js';

/**
 * `roadmap discord register [--guild id]`: bulk-overwrites the application's commands with
 * the `/roadmap` definition generated from the command table. Global commands reach every
 * server the bot is in (Discord may take a while to show changes); a guild's are immediate,
 * which suits trying a change on one server first.
 */
export async function registerCommands(
  config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_APPLICATION_ID' | 'DISCORD_API_URL'>,
  opts: { guildId?: string; rest?: Partial<RESTOptions> } = {},
): Promise<{ count: number; subcommands: number; scope: 'global' | 'guild' }> {
  const missing = [
    config.DISCORD_TOKEN ? undefined : 'DISCORD_TOKEN (the bot token)',
    config.DISCORD_APPLICATION_ID ? undefined : 'DISCORD_APPLICATION_ID',
  ].filter(Boolean);
  if (missing.length > 0)
    throw new Error(
      `discord register needs ${missing.join(' and ')}: both are on the application's page in the Discord developer portal`,
    );
  if (opts.guildId !== undefined && !/^\d+$/.test(opts.guildId))
    throw new Error(`--guild: expected a numeric server id, got "${opts.guildId}"`);
  const definition = commandDefinition();
  const problems = commandProblems(definition);
  if (problems.length > 0)
    throw new Error(
      `the generated /roadmap command breaks Discord's limits, so it was not sent:\n  ${problems.join('\n  ')}`,
    );

  const appId = config.DISCORD_APPLICATION_ID as string;
  const rest = createRest(config, opts.rest);
  try {
    const api = new API(rest);
    const registered = opts.guildId
      ? await api.applicationCommands.bulkOverwriteGuildCommands(appId, opts.guildId, [definition])
      : await api.applicationCommands.bulkOverwriteGlobalCommands(appId, [definition]);
    return {
      count: registered.length,
      subcommands: definition.options?.length ?? 0,
      scope: opts.guildId ? 'guild' : 'global',
    };
  } catch (error) {
    throw new Error(
      `registering /roadmap failed: ${toDeliveryError(error, 'discord register').message}`,
    );
  } finally {
    closeRest(rest);
  }
}
