import type { ParsedCommand } from '../core/commands/parse.js';
import { parseCommand, tokenize } from '../core/commands/parse.js';
import {
  availableOn,
  findCommand,
  type CommandName,
  type Platform,
} from '../core/commands/table.js';
import { errorMessage } from '../core/messages/compose.js';
import { help } from './commands/help.js';
import type { AppDeps, Invocation, Reply } from './context.js';
import { CommandError, exitCodeOf, isCodedError } from './errors.js';
import type { Terminal } from './terminal.js';

/** Where a command runs: the platform and, in a terminal, what only a terminal can do. */
export interface Surface {
  platform: Platform;
  terminal?: Terminal;
}

export interface Handler {
  (deps: AppDeps, invocation: Invocation, command: ParsedCommand, surface: Surface): Promise<Reply>;
  /** Starts loading the handler's module, for a lazy one, while the session opens. */
  preload?(): void;
}

/**
 * A command that needs no session (`help`, `validate`, `discord register`, and `migrate`, which
 * migrates through the terminal): the CLI opens none for it.
 */
export interface OfflineHandler {
  offline: (invocation: Invocation, command: ParsedCommand, surface: Surface) => Promise<Reply>;
}

/**
 * One handler per command of the table, keyed by its name: a command without a handler, or a
 * handler without a command, fails the type-check (see test/app/command-layer.test.ts).
 */
export type Handlers = { readonly [Name in CommandName]: Handler | OfflineHandler };

/**
 * A handler loaded with its command's first use rather than with this module: the command
 * modules bring the roadmap loader, YAML, zod and the condition parser with them, which
 * `roadmap help` need not load (the CLI's start-up is its latency). Node caches each module.
 */
function lazy<M extends { [P in K]: Handler }, K extends string>(
  load: () => Promise<M>,
  name: K,
): Handler {
  // Loaded once per process: later commands skip the module loader's resolution. A failed
  // load is forgotten, so the next command tries again and reports its own failure.
  let loading: Promise<M> | undefined;
  const loaded = () =>
    (loading ??= load().catch((error: unknown) => {
      loading = undefined;
      throw error;
    }));
  const handler: Handler = async (...args) => (await loaded())[name](...args);
  handler.preload = () => void loaded().catch(() => undefined);
  return handler;
}

const alertCommands = () => import('./commands/alerts.js');
const digestCommands = () => import('./commands/digest.js');
const gateCommands = () => import('./commands/gates.js');
const ladderCommands = () => import('./commands/ladders.js');
const metricCommands = () => import('./commands/metrics.js');
const subscriptionCommands = () => import('./commands/subscriptions.js');
const terminalCommands = () => import('./commands/terminal.js');

export const HANDLERS: Handlers = {
  status: lazy(() => import('./commands/status.js'), 'status'),
  link: lazy(() => import('./commands/link.js'), 'link'),
  forecast: lazy(() => import('./commands/forecast.js'), 'forecast'),
  metrics: lazy(metricCommands, 'metrics'),
  record: lazy(metricCommands, 'record'),
  set: lazy(metricCommands, 'setFlag'),
  gates: lazy(gateCommands, 'gates'),
  check: async (deps, invocation, command) =>
    (await gateCommands()).tick(true)(deps, invocation, command),
  uncheck: async (deps, invocation, command) =>
    (await gateCommands()).tick(false)(deps, invocation, command),
  advance: lazy(gateCommands, 'advance'),
  budget: lazy(ladderCommands, 'budget'),
  plan: lazy(ladderCommands, 'plan'),
  tracks: lazy(ladderCommands, 'tracks'),
  move: lazy(ladderCommands, 'move'),
  use: lazy(() => import('./commands/channels.js'), 'use'),
  alerts: lazy(alertCommands, 'alerts'),
  ack: lazy(alertCommands, 'ack'),
  snooze: lazy(alertCommands, 'snooze'),
  subscribe: lazy(subscriptionCommands, 'subscribe'),
  unsubscribe: lazy(subscriptionCommands, 'unsubscribe'),
  digest: lazy(digestCommands, 'digest'),
  deliveries: lazy(digestCommands, 'deliveries'),
  token: lazy(() => import('./commands/tokens.js'), 'token'),
  // Offline: the CLI opens no database for help, nor a session for migrate (it migrates itself).
  help: { offline: async (_invocation, command, surface) => help(surface.platform, command) },
  import: async (deps, invocation, command, surface) => {
    const { importFile, terminalOf } = await terminalCommands();
    return importFile(deps, invocation, command, terminalOf(surface, 'import'));
  },
  chart: async (deps, invocation, command, surface) => {
    const { chart, terminalOf } = await terminalCommands();
    return chart(deps, invocation, command, terminalOf(surface, 'chart'));
  },
  migrate: {
    offline: async (_invocation, _command, surface) => {
      const { migrate, terminalOf } = await terminalCommands();
      return migrate(terminalOf(surface, 'migrate'));
    },
  },
  validate: {
    offline: async (_invocation, command, surface) => {
      const { validate, terminalOf } = await terminalCommands();
      return validate(terminalOf(surface, 'validate'), command.rest ?? []);
    },
  },
  discord: {
    offline: async (_invocation, command, surface) => {
      const { discord, terminalOf } = await terminalCommands();
      return discord(terminalOf(surface, 'discord'), command);
    },
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
    handler.preload?.();
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
