import type { ParsedCommand } from '../core/commands/parse.js';
import { parseCommand, tokenize } from '../core/commands/parse.js';
import {
  availableOn,
  findCommand,
  type CommandName,
  type Platform,
} from '../core/commands/table.js';
import { errorMessage } from '../core/messages/compose.js';
import { ack, alerts, snooze } from './commands/alerts.js';
import { use } from './commands/channels.js';
import { deliveries, digest } from './commands/digest.js';
import { subscribe, unsubscribe } from './commands/subscriptions.js';
import { chart, discord, importFile, migrate, terminalOf, validate } from './commands/terminal.js';
import { token } from './commands/tokens.js';
import { forecast } from './commands/forecast.js';
import { advance, gates, tick } from './commands/gates.js';
import { help } from './commands/help.js';
import { budget, move, plan, tracks } from './commands/ladders.js';
import { metrics, record, setFlag } from './commands/metrics.js';
import { status } from './commands/status.js';
import type { AppDeps, Invocation, Reply } from './context.js';
import { CommandError, exitCodeOf, isCodedError } from './errors.js';
import type { Terminal } from './terminal.js';

/** Where a command runs: the platform and, in a terminal, what only a terminal can do. */
export interface Surface {
  platform: Platform;
  terminal?: Terminal;
}

export type Handler = (
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
  surface: Surface,
) => Promise<Reply>;

/** A command that uses no database (`validate`, `discord register`): the CLI opens none for it. */
export interface OfflineHandler {
  offline: (invocation: Invocation, command: ParsedCommand, surface: Surface) => Promise<Reply>;
}

/**
 * One handler per command of the table, keyed by its name: a command without a handler, or a
 * handler without a command, fails the type-check (see test/app/command-layer.test.ts).
 */
export type Handlers = { readonly [Name in CommandName]: Handler | OfflineHandler };

export const HANDLERS: Handlers = {
  status,
  forecast,
  metrics,
  record,
  set: setFlag,
  gates,
  check: tick(true),
  uncheck: tick(false),
  advance,
  budget,
  plan,
  tracks,
  move,
  use,
  alerts,
  ack,
  snooze,
  subscribe,
  unsubscribe,
  digest,
  deliveries,
  token,
  help: async (_deps, _invocation, command, surface) => help(surface.platform, command),
  import: (deps, invocation, command, surface) =>
    importFile(deps, invocation, command, terminalOf(surface, 'import')),
  chart: (deps, invocation, command, surface) =>
    chart(deps, invocation, command, terminalOf(surface, 'chart')),
  migrate: (_deps, _invocation, _command, surface) => migrate(terminalOf(surface, 'migrate')),
  validate: {
    offline: (_invocation, command, surface) =>
      validate(terminalOf(surface, 'validate'), command.rest ?? []),
  },
  discord: {
    offline: (_invocation, command, surface) => discord(terminalOf(surface, 'discord'), command),
  },
};

/** The reply to an expected failure: its sentence, its details, then its usage line. */
export function replyForError(error: CommandError): Reply & { error: CommandError } {
  const usage = error.usage !== undefined ? [`usage: ${error.usage}`] : [];
  return {
    message: errorMessage(error.message, [...error.details, ...usage]),
    exitCode: exitCodeOf(error.code),
    error,
  };
}

/**
 * A command's reply. `error` is the expected failure it reports, if any, so that adapters
 * render from its code and usage rather than from the text (Discord shows its own usage).
 */
export type CommandReply = Reply & { error?: CommandError };

/**
 * Runs one command line for anyone, anywhere: Slack, Discord and (through `runFromTerminal`)
 * the CLI all come to `dispatch`, so they share parsing, authorization, handlers and error
 * wording. Without a terminal, the commands that need one are refused as they are in chat.
 */
export async function runCommand(
  deps: AppDeps,
  invocation: Invocation,
  input: string | string[],
  platform: Platform = 'chat',
): Promise<CommandReply> {
  const started = performance.now();
  const words = typeof input === 'string' ? tokenize(input) : input;
  const run = () => dispatch(async () => deps, invocation, words, { platform });
  const reply = await (platform === 'chat' && deps.admit ? deps.admit(run) : run());
  deps.telemetry?.command(
    invocation.actor.platform,
    findCommand(words[0] ?? '')?.name ?? 'other',
    (performance.now() - started) / 1000,
    reply.exitCode,
  );
  return reply;
}

/**
 * The CLI's way in: the same parsing, authorization and handlers as `runCommand`, with the
 * terminal's capabilities; `open` (connecting to and migrating the database) is called only
 * for commands that use it, so `validate` works without one.
 */
export function runFromTerminal(
  open: () => Promise<AppDeps>,
  invocation: Invocation,
  words: string[],
  terminal: Terminal,
): Promise<CommandReply> {
  return dispatch(open, invocation, words, { platform: 'cli', terminal });
}

async function dispatch(
  open: () => Promise<AppDeps>,
  invocation: Invocation,
  words: string[],
  surface: Surface,
): Promise<CommandReply> {
  const parsed = parseCommand(words);
  if (!parsed.ok)
    return replyForError(
      new CommandError('usage', parsed.error, [], parsed.usage ? { usage: parsed.usage } : {}),
    );
  const { command } = parsed;
  const { spec } = command;
  try {
    if (spec.mutates && !invocation.isAdmin) {
      throw new CommandError(
        'forbidden',
        `Sorry, only roadmap admins can run "${spec.name}". Anyone can read: try status, metrics or gates.`,
      );
    }
    if (!availableOn(spec, surface.platform))
      throw new CommandError('usage', `"${spec.name}" is only available from the command line`);
    const handler = HANDLERS[spec.name];
    if ('offline' in handler) return await handler.offline(invocation, command, surface);
    const deps = await open();
    // A channel bound to a roadmap needs no --roadmap (only commands that take one ask).
    let bound = invocation;
    if (
      bound.defaultRoadmap === undefined &&
      bound.actor.channel &&
      bound.actor.platform !== 'cli' &&
      spec.options.some((o) => o.name === 'roadmap')
    ) {
      const roadmap = await deps.store.channels.roadmapOf(
        bound.actor.platform,
        bound.actor.channel,
      );
      if (roadmap) bound = { ...bound, defaultRoadmap: roadmap };
    }
    return await handler(deps, bound, command, surface);
  } catch (error) {
    if (isCodedError(error))
      return replyForError(error.code === 'usage' ? error.withUsage(usageLine(command)) : error);
    throw error;
  }
}

/** The command and its arguments (`record <metric> <value>`): what a handler's usage error shows. */
function usageLine(command: ParsedCommand): string {
  return [
    command.spec.name,
    ...command.spec.args.map((a) => (a.required ? `<${a.name}>` : `[${a.name}]`)),
  ].join(' ');
}
