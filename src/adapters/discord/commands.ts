import {
  ApplicationCommandOptionType,
  ApplicationCommandType,
  ApplicationIntegrationType,
  InteractionContextType,
  type APIApplicationCommandBasicOption,
  type APIApplicationCommandInteractionDataOption,
  type APIApplicationCommandSubcommandOption,
  type RESTPostAPIChatInputApplicationCommandsJSONBody,
} from '@discordjs/core/http-only';
import type { Completion } from '../../app/completions.js';
import { parseCommand, tokenize, type ParsedCommand } from '../../core/commands/parse.js';
import {
  availableOn,
  COMMANDS,
  type ArgType,
  type CommandSpec,
} from '../../core/commands/table.js';
import { COMMAND_LIMITS, MESSAGE_LIMITS } from './limits.js';

/**
 * The `/roadmap` application command, generated from the one command table, and the way
 * back: an interaction's subcommand and options become the words `runCommand` parses, so
 * Discord shares the parser, the handlers and their error wording with the CLI and Slack.
 * Pure: no I/O.
 */

export const ROOT_COMMAND = 'roadmap';

/**
 * Options that only make sense from a terminal: chat always acts on the channel it is typed
 * in (`--channel` would let a Discord user bind a Slack channel), and `--json` is for scripts.
 */
const TERMINAL_OPTIONS = new Set(['channel', 'json']);

/** What an option's autocomplete offers (the app finds the candidates: src/app/completions.ts). */
export type { Completion } from '../../app/completions.js';

const COMPLETION_BY_NAME: Record<string, Completion> = {
  roadmap: 'roadmap',
  metric: 'metric',
  flag: 'flag',
  gate: 'gate',
  alert: 'alert',
  command: 'command',
  track: 'track',
  step: 'step',
};

/** One Discord option of a subcommand, planned from an argument or option of the table. */
export interface OptionPlan {
  name: string;
  /** `arg`: positional in the command line; `flag`: `--name`; `value`: `--name=value`. */
  kind: 'arg' | 'flag' | 'value';
  type?: ArgType;
  description: string;
  required: boolean;
  completion?: Completion;
}

/** The commands chat can run (CLI-only ones such as import and migrate are left out). */
export function chatCommands(table: readonly CommandSpec[] = COMMANDS): CommandSpec[] {
  return table.filter((c) => availableOn(c, 'chat'));
}

/**
 * What an option completes to: by its name (`roadmap`, `metric`, `gate`…), or for an
 * argument named for its role (`metrics [name]`) by a description such as "a metric name".
 */
export function completionOf(
  name: string,
  type: ArgType | undefined,
  description: string,
): Completion | undefined {
  const byName = COMPLETION_BY_NAME[name];
  if (byName) return byName;
  if (type !== 'text') return undefined;
  const said = /^(?:an? )?(roadmap|metric|gate|alert)(?: (?:name|id))?\b/i.exec(description.trim());
  return said ? (said[1]?.toLowerCase() as Completion) : undefined;
}

/** optionsOf and discordUsage per command: read on every interaction, fixed for a table's life. */
const plansOf = new WeakMap<CommandSpec, readonly OptionPlan[]>();
const usages = new WeakMap<CommandSpec, string>();

/** The Discord options of a subcommand, required ones first (Discord's rule), args before options. */
export function optionsOf(spec: CommandSpec): readonly OptionPlan[] {
  let plans = plansOf.get(spec);
  if (!plans) plansOf.set(spec, (plans = planOptions(spec)));
  return plans;
}

function planOptions(spec: CommandSpec): OptionPlan[] {
  const plans: OptionPlan[] = spec.args.map((a) => ({
    name: a.name,
    kind: 'arg',
    type: a.type,
    description: a.description,
    required: a.required,
    ...withCompletion(completionOf(a.name, a.type, a.description)),
  }));
  for (const o of spec.options) {
    if (TERMINAL_OPTIONS.has(o.name) || plans.some((p) => p.name === o.name)) continue;
    const type = o.takes === 'value' ? (o.type ?? 'text') : undefined;
    plans.push({
      name: o.name,
      kind: o.takes === 'flag' ? 'flag' : 'value',
      ...(type ? { type } : {}),
      description: o.description,
      required: false,
      ...withCompletion(
        o.takes === 'value' ? completionOf(o.name, type, o.description) : undefined,
      ),
    });
  }
  // Stable: the table's order within required and within optional.
  return [...plans.filter((p) => p.required), ...plans.filter((p) => !p.required)];
}

function withCompletion(completion: Completion | undefined): { completion?: Completion } {
  return completion ? { completion } : {};
}

/** Cuts text to `max` characters, marking the cut. */
export function clip(text: string, max: number): string {
  return text.length <= max ? text : `${text.slice(0, max - 1)}…`;
}

function discordOption(plan: OptionPlan): APIApplicationCommandBasicOption {
  const base = {
    name: plan.name,
    description: clip(plan.description, COMMAND_LIMITS.description),
    ...(plan.required ? { required: true } : {}),
  };
  if (plan.kind === 'flag') return { ...base, type: ApplicationCommandOptionType.Boolean };
  if (plan.type === 'yesno') {
    return {
      ...base,
      type: ApplicationCommandOptionType.String,
      choices: [
        { name: 'yes', value: 'yes' },
        { name: 'no', value: 'no' },
      ],
    };
  }
  // Everything else travels as text, numbers included: the table's numbers accept units
  // (`1.5s`, `99.5%`, `$1.2k`), which a Discord NUMBER option refuses in the client, while
  // the command layer parses text and answers a bad value with the same words as the CLI.
  return {
    ...base,
    type: ApplicationCommandOptionType.String,
    ...(plan.completion ? { autocomplete: true as const } : {}),
  };
}

/** `/roadmap` with one subcommand per chat command, typed options and autocomplete. */
export function commandDefinition(
  table: readonly CommandSpec[] = COMMANDS,
): RESTPostAPIChatInputApplicationCommandsJSONBody {
  const subcommands: APIApplicationCommandSubcommandOption[] = chatCommands(table).map((spec) => ({
    type: ApplicationCommandOptionType.Subcommand,
    name: spec.name,
    description: clip(spec.summary + (spec.mutates ? ' (admins)' : ''), COMMAND_LIMITS.description),
    options: optionsOf(spec).map(discordOption),
  }));
  return {
    type: ApplicationCommandType.ChatInput,
    name: ROOT_COMMAND,
    description: 'Your scaling roadmap: stage, triggers, metrics, gates, alerts',
    // Guild channels only: admin rights come from guild roles, and alerts go to guild channels.
    contexts: [InteractionContextType.Guild],
    integration_types: [ApplicationIntegrationType.GuildInstall],
    options: subcommands,
  };
}

/** `/roadmap record metric:<metric> value:<value> [at:<time>] [roadmap:<roadmap>]` */
export function discordUsage(spec: CommandSpec): string {
  let usage = usages.get(spec);
  if (usage === undefined) usages.set(spec, (usage = usageOf(spec)));
  return usage;
}

function usageOf(spec: CommandSpec): string {
  const parts = optionsOf(spec).map((p) => {
    const shown =
      p.kind === 'flag' ? `${p.name}:True` : `${p.name}:<${p.type === 'time' ? 'time' : p.name}>`;
    return p.required ? shown : `[${shown}]`;
  });
  return [`/${ROOT_COMMAND}`, spec.name, ...parts].join(' ');
}

export type Translation =
  /** `public`: the person asked for an answer everyone in the channel sees. */
  | { ok: true; spec: CommandSpec; words: string[]; public: boolean }
  | { ok: false; error: string; usage?: string };

type InteractionOption = APIApplicationCommandInteractionDataOption;

/** The subcommand and option values of an interaction, or why there are none. */
function subcommandOf(
  data: { name: string; options?: InteractionOption[] },
  table: readonly CommandSpec[],
):
  | { spec: CommandSpec; values: Map<string, string | number | boolean>; focused?: string }
  | { error: string; usage?: string } {
  const help = `/${ROOT_COMMAND} help`;
  const sub = data.options?.[0];
  if (data.name !== ROOT_COMMAND || !sub || sub.type !== ApplicationCommandOptionType.Subcommand)
    return { error: `unknown command /${data.name}`, usage: help };
  const spec = chatCommands(table).find((c) => c.name === sub.name);
  // A subcommand the table no longer has: the registered definitions are older than this bot.
  if (!spec)
    return {
      error: `unknown command "${sub.name}" (the registered commands are out of date: run roadmap discord register)`,
      usage: help,
    };
  const values = new Map<string, string | number | boolean>();
  let focused: string | undefined;
  for (const option of sub.options ?? []) {
    if ('value' in option) values.set(option.name, option.value);
    if ('focused' in option && option.focused) focused = option.name;
  }
  return { spec, values, ...(focused ? { focused } : {}) };
}

/**
 * The words for `runCommand` from a `/roadmap <sub> …` interaction: args in the table's
 * order, options as `--name=value` (never ambiguous), flags as `--name` when true.
 */
export function wordsFor(
  data: { name: string; options?: InteractionOption[] },
  table: readonly CommandSpec[] = COMMANDS,
): Translation {
  const found = subcommandOf(data, table);
  if ('error' in found)
    return { ok: false, error: found.error, ...(found.usage ? { usage: found.usage } : {}) };
  const { spec, values } = found;
  const usage = discordUsage(spec);
  const fail = (error: string): Translation => ({ ok: false, error, usage });
  const plans = optionsOf(spec);
  for (const name of values.keys()) {
    if (!plans.some((p) => p.name === name))
      return fail(
        `unknown option "${name}" for ${spec.name} (the registered commands are out of date: run roadmap discord register)`,
      );
  }
  const text = (name: string): string | undefined => {
    const value = values.get(name);
    return value === undefined || typeof value === 'boolean' || String(value) === ''
      ? undefined
      : String(value);
  };

  const words = [spec.name];
  const intended: Record<string, string> = {};
  const readsAsOption = (word: string) =>
    /^--[a-z]/.test(word) ||
    spec.options.some(
      (o) =>
        word.toLowerCase().startsWith(`${o.name}:`) || (o.word && word.toLowerCase() === o.name),
    );
  let gap: string | undefined;
  for (const arg of spec.args) {
    const value = text(arg.name);
    if (value === undefined) {
      gap ??= arg.name;
      continue;
    }
    // The command line is positional and cannot skip an argument (`subscribe digest [when] [timezone]`).
    if (gap !== undefined) return fail(`to give ${arg.name}, give ${gap} too`);
    // A value the parser would take for an option (`at:5`, `--force`, `public`) would make it
    // run something other than what was typed: refuse it rather than guess.
    if (readsAsOption(value))
      return fail(`${arg.name}: "${value}" reads as an option; give a plain value`);
    words.push(value);
    intended[arg.name] = value;
  }
  for (const plan of plans) {
    if (plan.kind === 'flag' && values.get(plan.name) === true) words.push(`--${plan.name}`);
    if (plan.kind === 'value') {
      const value = text(plan.name);
      if (value !== undefined) words.push(`--${plan.name}=${value}`);
    }
  }

  // Belt and braces: the words must parse back to exactly the arguments given.
  const parsed = parseCommand(words);
  if (parsed.ok) {
    for (const [name, value] of Object.entries(intended)) {
      if (parsed.command.args[name] !== value)
        return fail(`${name}: "${value}" reads as an option; give a plain value`);
    }
  }
  return { ok: true, spec, words, public: values.get('public') === true };
}

/** The option being typed in an autocomplete interaction, with the other values given so far. */
export function focusedOption(
  data: { name: string; options?: InteractionOption[] },
  table: readonly CommandSpec[] = COMMANDS,
):
  | {
      spec: CommandSpec;
      plan: OptionPlan;
      typed: string;
      values: Map<string, string | number | boolean>;
    }
  | undefined {
  const found = subcommandOf(data, table);
  if ('error' in found || found.focused === undefined) return undefined;
  const plan = optionsOf(found.spec).find((p) => p.name === found.focused);
  if (!plan) return undefined;
  return {
    spec: found.spec,
    plan,
    typed: String(found.values.get(plan.name) ?? ''),
    values: found.values,
  };
}

// Buttons: the custom_id carries the command line itself, so any replica can run a click
// without looking anything up. Discord caps it at 100 characters.

const CUSTOM_ID_PREFIX = 'rb:';

/**
 * The custom_id of a button running `command`: the line as written when it fits, else a
 * lossless shorter spelling (`roadmap:x` for `--roadmap x`, bare words for word flags),
 * else undefined (the renderer then shows the command as text instead of a button).
 */
export function encodeCustomId(command: string): string | undefined {
  const verbatim = tokenize(command).map(quoted).join(' ');
  for (const line of [verbatim, compactLine(command)]) {
    if (line !== undefined && CUSTOM_ID_PREFIX.length + line.length <= MESSAGE_LIMITS.customId)
      return CUSTOM_ID_PREFIX + line;
  }
  return undefined;
}

/** The command line of a button's custom_id, or undefined when the button is not ours. */
export function decodeCustomId(customId: string): string | undefined {
  return customId.startsWith(CUSTOM_ID_PREFIX) && customId.length > CUSTOM_ID_PREFIX.length
    ? customId.slice(CUSTOM_ID_PREFIX.length)
    : undefined;
}

function quoted(word: string): string {
  if (word !== '' && !/[\s"'“”]/.test(word)) return word;
  return word.includes('"') ? `'${word}'` : `"${word}"`;
}

function sameCommand(a: ParsedCommand, b: ParsedCommand): boolean {
  return (
    a.spec === b.spec &&
    JSON.stringify(a.args) === JSON.stringify(b.args) &&
    JSON.stringify(Object.entries(a.options).sort()) ===
      JSON.stringify(Object.entries(b.options).sort())
  );
}

function compactLine(command: string): string | undefined {
  const parsed = parseCommand(tokenize(command));
  if (!parsed.ok) return undefined;
  const { spec, args, options } = parsed.command;
  const words = [
    spec.name,
    ...spec.args
      .filter((a) => args[a.name] !== undefined)
      .map((a) => quoted(args[a.name] as string)),
  ];
  for (const [name, value] of Object.entries(options)) {
    const option = spec.options.find((o) => o.name === name);
    if (value === true) words.push(option?.word ? name : `--${name}`);
    else words.push(`${name}:${quoted(value)}`);
  }
  const line = words.join(' ');
  const again = parseCommand(tokenize(line));
  // Only a spelling that parses to exactly the same command is used.
  return again.ok && sameCommand(again.command, parsed.command) ? line : undefined;
}

/** `snooze db-cpu-high 1d --roadmap oviya` as it is typed in Discord, for text in place of a button. */
export function slashForm(command: string): string {
  const parsed = parseCommand(tokenize(command));
  if (!parsed.ok) return command;
  const { spec, args, options } = parsed.command;
  const parts = [`/${ROOT_COMMAND}`, spec.name];
  for (const plan of optionsOf(spec)) {
    const value = plan.kind === 'arg' ? args[plan.name] : options[plan.name];
    if (value === true) parts.push(`${plan.name}:True`);
    else if (typeof value === 'string') parts.push(`${plan.name}:${value}`);
  }
  return parts.join(' ');
}
