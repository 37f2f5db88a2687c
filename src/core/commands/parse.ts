import type { TableCommand } from './table.js';
import { COMMANDS, findCommand, usageOf } from './table.js';

/** A command line, tokenized and matched against the table; values are still text. */
export interface ParsedCommand {
  spec: TableCommand;
  args: Record<string, string>;
  options: Record<string, string | true>;
  /** Every word a variadic last argument took, the first included (it is also in `args`). */
  rest?: string[];
}

export type ParseResult =
  { ok: true; command: ParsedCommand } | { ok: false; error: string; usage?: string };

/** Command lines longer than this are refused unread (hostile-input guard). */
export const MAX_COMMAND_LENGTH = 4000;

/** Splits a chat message into words, honouring "double" and 'single' quotes. */
export function tokenize(text: string): string[] {
  const tokens: string[] = [];
  let current = '';
  let quote: string | undefined;
  let inToken = false;
  for (const ch of text) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else current += ch;
    } else if (ch === '"' || ch === "'" || ch === '“' || ch === '”') {
      quote = ch === '“' ? '”' : ch;
      inToken = true;
    } else if (/\s/.test(ch)) {
      if (inToken) tokens.push(current);
      current = '';
      inToken = false;
    } else {
      current += ch;
      inToken = true;
    }
  }
  if (inToken) tokens.push(current);
  return tokens;
}

/**
 * Parses words into a command. Options may be written `--at 2026-03-01`, `--at=2026-03-01`,
 * `at:2026-03-01` (as Discord shows them) or, where the table allows, as bare words
 * (`record users 420 at 2026-03-01`, `advance force`, `status public`).
 */
export function parseCommand(words: string[]): ParseResult {
  if (words.join(' ').length > MAX_COMMAND_LENGTH)
    return { ok: false, error: `command is longer than ${MAX_COMMAND_LENGTH} characters` };
  const [name, ...rest] = words;
  if (!name)
    return {
      ok: false,
      error: 'no command given',
      usage: COMMANDS.map((c) => usageOf(c)).join('\n'),
    };
  const spec = findCommand(name);
  if (!spec) {
    return {
      ok: false,
      error: `unknown command "${name}"; commands: ${COMMANDS.map((c) => c.name).join(', ')}`,
      usage: 'help [command]',
    };
  }
  const usage = usageOf(spec);
  const fail = (error: string): ParseResult => ({ ok: false, error, usage });
  const options: Record<string, string | true> = {};
  const positional: string[] = [];
  for (let i = 0; i < rest.length; i++) {
    const word = rest[i] as string;
    let optName: string | undefined;
    let inline: string | undefined;
    const dashed = /^--([a-z][a-z-]*)(?:=(.*))?$/s.exec(word);
    const colon = /^([a-z][a-z-]*):(.*)$/s.exec(word);
    if (dashed) [optName, inline] = [dashed[1], dashed[2]];
    else if (colon && spec.options.some((o) => o.name === colon[1]))
      [optName, inline] = [colon[1], colon[2]];
    else if (spec.options.some((o) => o.word && o.name === word.toLowerCase()))
      optName = word.toLowerCase();
    if (optName === undefined) {
      positional.push(word);
      continue;
    }
    const option = spec.options.find((o) => o.name === optName);
    if (!option) return fail(`unknown option "${word}" for ${spec.name}`);
    if (option.takes === 'flag') {
      if (inline !== undefined && !['', 'true', 'yes'].includes(inline.toLowerCase()))
        return fail(`--${option.name} takes no value`);
      options[option.name] = true;
      continue;
    }
    const value = inline !== undefined && inline !== '' ? inline : rest[++i];
    if (value === undefined || value === '') return fail(`--${option.name} needs a value`);
    options[option.name] = value;
  }
  const args: Record<string, string> = {};
  for (const [index, arg] of spec.args.entries()) {
    const value = positional[index];
    if (value === undefined) {
      if (arg.required) return fail(`missing <${arg.name}>: ${arg.description}`);
      continue;
    }
    args[arg.name] = value;
  }
  const last = spec.args[spec.args.length - 1];
  if (last?.variadic && positional.length >= spec.args.length) {
    const rest = positional.slice(spec.args.length - 1);
    return { ok: true, command: { spec, args, options, rest } };
  }
  if (positional.length > spec.args.length)
    return fail(`unexpected "${positional.slice(spec.args.length).join(' ')}"`);
  return { ok: true, command: { spec, args, options } };
}
