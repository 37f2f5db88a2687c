import type { ParsedCommand } from '../../core/commands/parse.js';
import { infoMessage } from '../../core/messages/compose.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import type { Destination } from '../sink.js';

const PLATFORMS = ['slack', 'discord', 'console'] as const;

/** The channel a command is about: the one it was typed in, or `--channel platform:id` from the CLI. */
export function channelOf(invocation: Invocation, command: ParsedCommand): Destination {
  const named = command.options.channel;
  if (typeof named === 'string' && invocation.actor.platform !== 'cli') {
    // In chat the channel is the one typed in: nobody binds or subscribes another channel from afar.
    throw new CommandError(
      'usage',
      '--channel is for the command line; in chat, run the command in the channel itself',
    );
  }
  if (typeof named === 'string') {
    const match = /^(slack|discord|console):(\S+)$/.exec(named);
    if (!match)
      throw new CommandError(
        'usage',
        `--channel: expected slack:<id>, discord:<id> or console:<name>, got "${named}"`,
      );
    return { platform: match[1] as Destination['platform'], channel: match[2] as string };
  }
  const platform = invocation.actor.platform;
  if (invocation.actor.channel && (PLATFORMS as readonly string[]).includes(platform)) {
    return { platform: platform as Destination['platform'], channel: invocation.actor.channel };
  }
  throw new CommandError(
    'usage',
    `${command.spec.name} needs a channel: --channel slack:<id>, discord:<id> or console:<name>`,
  );
}

/** `use <roadmap>`: bind the channel to a roadmap. */
export async function use(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const id = command.args.roadmap as string;
  const roadmap = deps.registry.get(id);
  if (!roadmap) {
    throw new CommandError(
      'not_found',
      `no roadmap "${id}" is loaded (loaded: ${
        deps.registry
          .list()
          .map((r) => r.id)
          .join(', ') || 'none'
      })`,
    );
  }
  const where = channelOf(invocation, command);
  const now = deps.clock();
  await deps.store.transaction(async (tx) => {
    await tx.channels.bind(where, roadmap.id, invocation.actor, now);
    await tx.audit.record({
      actor: invocation.actor,
      roadmapId: roadmap.id,
      action: 'use',
      details: { platform: where.platform, channel: where.channel },
      at: now,
    });
  });
  return {
    message: infoMessage(`This channel now follows ${roadmap.name} (${roadmap.id})`),
    exitCode: 0,
  };
}
