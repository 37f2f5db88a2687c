import { ApplicationCommandOptionType as T } from '@discordjs/core/http-only';
import { SlashCommandBuilder } from '@discordjs/builders';
import { describe, expect, it } from 'vitest';
import {
  chatCommands,
  commandDefinition,
  decodeCustomId,
  discordUsage,
  encodeCustomId,
  slashForm,
  wordsFor,
} from '../../src/adapters/discord/commands.js';
import {
  commandLength,
  commandProblems,
  COMMAND_LIMITS,
} from '../../src/adapters/discord/limits.js';
import { parseCommand, tokenize } from '../../src/core/commands/parse.js';
import { availableOn, COMMANDS, type CommandSpec } from '../../src/core/commands/table.js';

/** The `/roadmap` definition generated from the command table, and interactions back to words. Pure. */

const definition = commandDefinition();
type Sub = {
  name: string;
  description: string;
  options: {
    name: string;
    type: number;
    required?: boolean;
    autocomplete?: boolean;
    choices?: { value: string }[];
  }[];
};
const sub = (name: string) =>
  (definition.options as unknown as Sub[]).find((o) => o.name === name) as Sub;
const option = (command: string, name: string) => sub(command).options.find((o) => o.name === name);

/** The interaction data Discord sends for `/roadmap <name> key:value …`. */
function data(name: string, options: Record<string, string | number | boolean>) {
  return {
    name: 'roadmap',
    options: [
      {
        type: T.Subcommand,
        name,
        options: Object.entries(options).map(([n, value]) => ({
          name: n,
          type:
            typeof value === 'boolean'
              ? T.Boolean
              : typeof value === 'number'
                ? T.Number
                : T.String,
          value,
        })),
      },
    ],
  } as never;
}

describe('the /roadmap definition', () => {
  it('has one subcommand per chat command of the table, CLI-only ones left out', () => {
    expect(definition.name).toBe('roadmap');
    expect((definition.options as unknown as Sub[]).map((o) => o.name)).toEqual(
      COMMANDS.filter((c) => availableOn(c, 'chat')).map((c) => c.name),
    );
    expect(sub('import')).toBeUndefined();
    expect(sub('migrate')).toBeUndefined();
  });

  it('is within every Discord limit: names, descriptions, counts, required-first order, 4,000 characters', () => {
    expect(commandProblems(definition)).toEqual([]);
    expect(commandLength(definition)).toBeLessThanOrEqual(COMMAND_LIMITS.commandTotal);
    expect(definition.options?.length).toBeLessThanOrEqual(25);
  });

  it('is accepted by @discordjs/builders, which validates every name and description', () => {
    const builder = new SlashCommandBuilder()
      .setName(definition.name)
      .setDescription(definition.description);
    for (const s of definition.options as unknown as Sub[]) {
      builder.addSubcommand((b) => {
        b.setName(s.name).setDescription(s.description);
        for (const o of s.options) {
          if (o.type === T.Boolean)
            b.addBooleanOption((x) =>
              x.setName(o.name).setDescription('d').setRequired(Boolean(o.required)),
            );
          else
            b.addStringOption((x) =>
              x
                .setName(o.name)
                .setDescription('d')
                .setRequired(Boolean(o.required))
                .setAutocomplete(Boolean(o.autocomplete)),
            );
        }
        return b;
      });
    }
    expect(() => builder.toJSON()).not.toThrow();
  });

  it('names options as the CLI does: /roadmap check gate:<id>, record metric:<name> value:<…> at:<time>', () => {
    expect(sub('check').options.map((o) => [o.name, o.required ?? false])).toEqual([
      ['gate', true],
      ['roadmap', false],
    ]);
    expect(sub('record').options.map((o) => o.name)).toEqual(['metric', 'value', 'roadmap', 'at']);
    expect(discordUsage(chatCommands().find((c) => c.name === 'record') as CommandSpec)).toBe(
      '/roadmap record metric:<metric> value:<value> [roadmap:<roadmap>] [at:<time>]',
    );
  });

  it('has the v2 commands: budget, plan and tracks read (with now and public), move is for admins', () => {
    for (const name of ['budget', 'plan', 'tracks'])
      expect(sub(name).options.map((o) => [o.name, o.type])).toEqual([
        ['roadmap', T.String],
        ['now', T.String],
        ['public', T.Boolean],
      ]);
    expect(sub('move').options.map((o) => [o.name, o.required ?? false])).toEqual([
      ['track', true],
      ['step', true],
      ['roadmap', false],
    ]);
    expect(sub('move').description).toMatch(/\(admins\)$/);
    expect(sub('check').description).toMatch(/gate or a to-do/);
  });

  it('keeps values with units as text (1.5s, $1.2k), flags as booleans, yes/no as a choice', () => {
    expect(option('record', 'value')?.type).toBe(T.String);
    expect(option('advance', 'force')?.type).toBe(T.Boolean);
    expect(option('status', 'public')?.type).toBe(T.Boolean);
    expect(option('set', 'value')?.choices?.map((c) => c.value)).toEqual(['yes', 'no']);
  });

  it('autocompletes roadmaps, metrics, flags, gates, alerts and command names', () => {
    const completed = (command: string, name: string) =>
      option(command, name)?.autocomplete === true;
    expect(completed('status', 'roadmap')).toBe(true);
    expect(completed('record', 'metric')).toBe(true);
    expect(completed('metrics', 'name')).toBe(true); // "a metric name"
    expect(completed('set', 'flag')).toBe(true);
    expect(completed('check', 'gate')).toBe(true);
    expect(completed('use', 'roadmap')).toBe(true);
    expect(completed('help', 'command')).toBe(true);
    expect(completed('move', 'track')).toBe(true);
    expect(completed('move', 'step')).toBe(true);
    expect(completed('record', 'value')).toBe(false);
    if (sub('ack')) expect(completed('ack', 'alert')).toBe(true);
  });

  it('leaves out terminal-only options: chat acts on its own channel, and JSON is for scripts', () => {
    expect(option('status', 'json')).toBeUndefined();
    expect(option('use', 'channel')).toBeUndefined();
  });

  it('follows the table: a new chat command becomes a subcommand without touching the adapter', () => {
    const extra: CommandSpec = {
      name: 'forecast',
      summary: 'when each approaching trigger will fire',
      args: [{ name: 'metric', type: 'text', required: false, description: 'a metric name' }],
      options: [{ name: 'roadmap', takes: 'value', type: 'text', description: 'roadmap id' }],
      mutates: false,
      platforms: ['cli', 'chat'],
    };
    const generated = commandDefinition([...COMMANDS, extra]).options as unknown as Sub[];
    expect(generated.at(-1)).toMatchObject({
      name: 'forecast',
      options: [
        { name: 'metric', autocomplete: true },
        { name: 'roadmap', autocomplete: true },
      ],
    });
  });

  it('reports a table that outgrows Discord (more than 25 subcommands)', () => {
    const many = Array.from({ length: 26 }, (_, i): CommandSpec => ({
      name: `c${i}`,
      summary: 's',
      args: [],
      options: [],
      mutates: false,
      platforms: ['cli', 'chat'],
    }));
    expect(commandProblems(commandDefinition(many))).toEqual([
      expect.stringMatching(/26 options, more than 25/),
    ]);
  });
});

describe('an interaction back to words for runCommand', () => {
  it('puts args in the table order and options as --name=value; true flags as --name', () => {
    expect(
      wordsFor(
        data('record', {
          value: '1.5s',
          at: '2026-03-01',
          metric: 'response_time_p95',
          roadmap: 'oviya',
        }),
      ),
    ).toMatchObject({
      ok: true,
      words: ['record', 'response_time_p95', '1.5s', '--roadmap=oviya', '--at=2026-03-01'],
    });
    expect(wordsFor(data('advance', { force: true }))).toMatchObject({
      ok: true,
      words: ['advance', '--force'],
    });
    expect(wordsFor(data('advance', { force: false }))).toMatchObject({
      ok: true,
      words: ['advance'],
    });
    expect(wordsFor(data('status', { public: true }))).toMatchObject({ ok: true, public: true });
  });

  it('parses to exactly what was given for every chat command, values with spaces included', () => {
    for (const spec of chatCommands()) {
      const given = Object.fromEntries(spec.args.map((a) => [a.name, `${a.name} value`]));
      const result = wordsFor(data(spec.name, given));
      if (!result.ok) throw new Error(`${spec.name}: ${result.error}`);
      const parsed = parseCommand(result.words);
      expect({ command: spec.name, ok: parsed.ok }).toEqual({ command: spec.name, ok: true });
      if (parsed.ok) expect(parsed.command.args).toEqual(given);
    }
  });

  it('refuses a value that would read as an option instead of running something else', () => {
    for (const value of ['at:2026-01-01', '--force', 'roadmap:other']) {
      const result = wordsFor(data('record', { metric: value, value: '5' }));
      expect(result).toMatchObject({
        ok: false,
        error: expect.stringMatching(/reads as an option/),
        usage: expect.stringMatching(/^\/roadmap record/),
      });
    }
    // A bare word flag (`public`) is an option word for status, but a fine metric name elsewhere.
    expect(wordsFor(data('metrics', { name: 'public' }))).toMatchObject({ ok: false });
    expect(wordsFor(data('record', { metric: 'public', value: '1' }))).toMatchObject({ ok: true });
  });

  it('asks for a skipped optional argument, since the command line is positional', () => {
    const two: CommandSpec = {
      name: 'subscribe',
      summary: 's',
      args: [
        { name: 'what', type: 'text', required: true, description: 'd' },
        { name: 'when', type: 'text', required: false, description: 'd' },
        { name: 'timezone', type: 'text', required: false, description: 'd' },
      ],
      options: [],
      mutates: true,
      platforms: ['cli', 'chat'],
    };
    expect(
      wordsFor(data('subscribe', { what: 'digest', timezone: 'Europe/Paris' }), [two]),
    ).toMatchObject({ ok: false, error: 'to give timezone, give when too' });
    expect(
      wordsFor(data('subscribe', { what: 'digest', when: '08:00', timezone: 'Europe/Paris' }), [
        two,
      ]),
    ).toMatchObject({ ok: true, words: ['subscribe', 'digest', '08:00', 'Europe/Paris'] });
  });

  it('says when the registered definition is older than the bot (unknown subcommand or option)', () => {
    expect(wordsFor(data('frobnicate', {}))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/roadmap discord register/),
    });
    expect(wordsFor(data('status', { colour: 'red' }))).toMatchObject({
      ok: false,
      error: expect.stringMatching(/unknown option "colour"/),
    });
    expect(wordsFor(data('status', { json: true }))).toMatchObject({ ok: false });
  });
});

describe('button custom_ids', () => {
  it('carry the command line itself, which decodes to the same command', () => {
    const id = encodeCustomId('snooze db-cpu-high 1d --roadmap oviya');
    expect(id).toBe('rb:snooze db-cpu-high 1d --roadmap oviya');
    expect(decodeCustomId(id as string)).toBe('snooze db-cpu-high 1d --roadmap oviya');
    expect(decodeCustomId('something-else')).toBeUndefined();
  });

  it('use a shorter spelling that parses the same when the line is over 100 characters', () => {
    const line = `advance --force --roadmap ${'r'.repeat(72)}`;
    expect(`rb:${line}`.length).toBeGreaterThan(100);
    const id = encodeCustomId(line) as string;
    expect(id.length).toBeLessThanOrEqual(100);
    const again = parseCommand(tokenize(decodeCustomId(id) as string));
    const original = parseCommand(tokenize(line));
    expect(again.ok && original.ok && again.command.options).toEqual(
      original.ok && original.command.options,
    );
  });

  it('give up (undefined) when nothing fits, and the command is then shown as a slash command', () => {
    const line = `ack ${'a'.repeat(120)} --roadmap oviya`;
    expect(encodeCustomId(line)).toBeUndefined();
    expect(slashForm(line)).toBe(`/roadmap ack alert:${'a'.repeat(120)} roadmap:oviya`);
  });

  it('keep quoted values quoted', () => {
    const id = encodeCustomId('record "metric with space" 5') as string;
    expect(tokenize(decodeCustomId(id) as string)).toEqual(['record', 'metric with space', '5']);
  });
});
