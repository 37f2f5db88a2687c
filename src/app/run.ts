import type { ParsedCommand } from '../core/commands/parse.js';
import { parseCommand, tokenize } from '../core/commands/parse.js';
import { errorMessage } from '../core/messages/compose.js';
import { ack, alerts, snooze } from './commands/alerts.js';
import { use } from './commands/channels.js';
import { deliveries, digest } from './commands/digest.js';
import { subscribe, unsubscribe } from './commands/subscriptions.js';
import { token } from './commands/tokens.js';
import { forecast } from './commands/forecast.js';
import { advance, gates, tick } from './commands/gates.js';
import { help } from './commands/help.js';
import { metrics, record, setFlag } from './commands/metrics.js';
import { status } from './commands/status.js';
import type { AppDeps, Invocation, Reply } from './context.js';
import { CommandError, exitCodeOf, isCommandError } from './errors.js';

type Handler = (deps: AppDeps, invocation: Invocation, command: ParsedCommand) => Promise<Reply>;

/** Handlers shared by every platform; CLI-only commands are handled by the CLI adapter. */
const HANDLERS: Record<string, Handler> = {
  status,
  forecast,
  metrics,
  record,
  set: setFlag,
  gates,
  check: tick(true),
  uncheck: tick(false),
  advance,
  use,
  alerts,
  ack,
  snooze,
  subscribe,
  unsubscribe,
  digest,
  deliveries,
  token,
};

export function replyForError(error: CommandError): Reply {
  return { message: errorMessage(error.message, error.details), exitCode: exitCodeOf(error.code) };
}

/**
 * Runs one command line for anyone, anywhere: the CLI, Slack and Discord all come through
 * here, so they share parsing, authorization, handlers and error wording.
 */
export async function runCommand(
  deps: AppDeps,
  invocation: Invocation,
  input: string | string[],
  platform: 'cli' | 'chat' = 'chat',
): Promise<Reply> {
  const started = performance.now();
  const words = typeof input === 'string' ? tokenize(input) : input;
  const run = () => dispatch(deps, invocation, words, platform);
  const reply = await (platform === 'chat' && deps.admit ? deps.admit(run) : run());
  const name = words[0]?.toLowerCase() ?? '';
  deps.telemetry?.command(
    invocation.actor.platform,
    HANDLERS[name] ? name : 'other',
    (performance.now() - started) / 1000,
    reply.exitCode,
  );
  return reply;
}

async function dispatch(
  deps: AppDeps,
  invocation: Invocation,
  words: string[],
  platform: 'cli' | 'chat',
): Promise<Reply> {
  const parsed = parseCommand(words);
  if (!parsed.ok)
    return replyForError(
      new CommandError('usage', parsed.error, parsed.usage ? [`usage: ${parsed.usage}`] : []),
    );
  const { command } = parsed;
  try {
    if (command.spec.name === 'help') return help(platform, command);
    if (command.spec.mutates && !invocation.isAdmin) {
      throw new CommandError(
        'forbidden',
        `Sorry, only roadmap admins can run "${command.spec.name}". Anyone can read: try status, metrics or gates.`,
      );
    }
    const handler = HANDLERS[command.spec.name];
    if (!handler || (command.spec.cliOnly && platform !== 'cli')) {
      throw new CommandError(
        'usage',
        `"${command.spec.name}" is only available from the command line`,
      );
    }
    // A channel bound to a roadmap needs no --roadmap.
    let bound = invocation;
    if (
      bound.defaultRoadmap === undefined &&
      bound.actor.channel &&
      bound.actor.platform !== 'cli'
    ) {
      const roadmap = await deps.store.channelRoadmap(bound.actor.platform, bound.actor.channel);
      if (roadmap) bound = { ...bound, defaultRoadmap: roadmap };
    }
    return await handler(deps, bound, command);
  } catch (error) {
    if (isCommandError(error)) {
      const withUsage =
        error.code === 'usage'
          ? new CommandError(error.code, error.message, [
              ...error.details,
              `usage: ${usageLine(command)}`,
            ])
          : error;
      return replyForError(withUsage);
    }
    throw error;
  }
}

function usageLine(command: ParsedCommand): string {
  return [
    command.spec.name,
    ...command.spec.args.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)),
  ].join(' ');
}
