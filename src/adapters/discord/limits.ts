import type {
  APIEmbed,
  RESTPostAPIChatInputApplicationCommandsJSONBody,
} from '@discordjs/core/http-only';

/**
 * Discord's documented limits for messages, embeds, components and application commands,
 * with validators the renderer and the command generator are tested against (Discord has
 * no offline validator for whole payloads; a payload over a limit is refused with 400).
 *
 * Lengths are counted in UTF-16 code units (`string.length`), as @discordjs/builders does:
 * an emoji counts as two, which is stricter than Discord's own count and so always safe.
 */
export const MESSAGE_LIMITS = {
  content: 2000,
  embeds: 10,
  /** Titles, descriptions, field names and values, footers and author names of all embeds together. */
  embedsTotal: 6000,
  title: 256,
  description: 4096,
  fields: 25,
  fieldName: 256,
  fieldValue: 1024,
  footer: 2048,
  author: 256,
  actionRows: 5,
  buttonsPerRow: 5,
  buttonLabel: 80,
  customId: 100,
  /** A link-style button's address. */
  buttonUrl: 512,
} as const;

export const COMMAND_LIMITS = {
  name: 32,
  description: 100,
  /** Options of a command or subcommand, and subcommands of a command. */
  options: 25,
  choices: 25,
  choiceName: 100,
  choiceValue: 100,
  /** Names, descriptions and choice values of a command, its subcommands and options together. */
  commandTotal: 4000,
} as const;

/** What Discord accepts as a chat-input command or option name (lower case). */
const NAME = /^[-_'\p{L}\p{N}\p{sc=Deva}\p{sc=Thai}]{1,32}$/u;

/** The part of a message payload the limits are about. */
export interface MessagePayload {
  content?: string;
  embeds?: APIEmbed[];
  components?: unknown[];
}

/** Characters that count toward the 6,000 of one embed. */
export function embedLength(embed: APIEmbed): number {
  return (
    (embed.title?.length ?? 0) +
    (embed.description?.length ?? 0) +
    (embed.fields ?? []).reduce((n, f) => n + f.name.length + f.value.length, 0) +
    (embed.footer?.text.length ?? 0) +
    (embed.author?.name.length ?? 0)
  );
}

/** Every way a message payload breaks Discord's limits; empty when Discord would accept it. */
export function messageProblems(payload: MessagePayload): string[] {
  const problems: string[] = [];
  const over = (what: string, length: number, max: number) => {
    if (length > max) problems.push(`${what}: ${length} characters, more than ${max}`);
  };
  if (payload.content !== undefined)
    over('content', payload.content.length, MESSAGE_LIMITS.content);
  const embeds = payload.embeds ?? [];
  if (embeds.length > MESSAGE_LIMITS.embeds)
    problems.push(`embeds: ${embeds.length}, more than ${MESSAGE_LIMITS.embeds}`);
  if (!payload.content && embeds.length === 0 && (payload.components ?? []).length === 0)
    problems.push('message: no content, embeds or components');
  let total = 0;
  for (const [i, embed] of embeds.entries()) {
    const at = `embeds[${i}]`;
    if (embed.title !== undefined) {
      over(`${at}.title`, embed.title.length, MESSAGE_LIMITS.title);
      if (embed.title.trim() === '') problems.push(`${at}.title: empty`);
    }
    if (embed.description !== undefined) {
      over(`${at}.description`, embed.description.length, MESSAGE_LIMITS.description);
      if (embed.description.trim() === '') problems.push(`${at}.description: empty`);
    }
    const fields = embed.fields ?? [];
    if (fields.length > MESSAGE_LIMITS.fields)
      problems.push(`${at}.fields: ${fields.length}, more than ${MESSAGE_LIMITS.fields}`);
    for (const [j, field] of fields.entries()) {
      over(`${at}.fields[${j}].name`, field.name.length, MESSAGE_LIMITS.fieldName);
      over(`${at}.fields[${j}].value`, field.value.length, MESSAGE_LIMITS.fieldValue);
      // Discord refuses empty (or all-whitespace) field names and values.
      if (field.name.trim() === '') problems.push(`${at}.fields[${j}].name: empty`);
      if (field.value.trim() === '') problems.push(`${at}.fields[${j}].value: empty`);
    }
    if (embed.footer) over(`${at}.footer.text`, embed.footer.text.length, MESSAGE_LIMITS.footer);
    if (embed.author) over(`${at}.author.name`, embed.author.name.length, MESSAGE_LIMITS.author);
    if (
      embed.title === undefined &&
      embed.description === undefined &&
      fields.length === 0 &&
      !embed.footer
    )
      problems.push(`${at}: empty embed`);
    total += embedLength(embed);
  }
  over('embeds (all together)', total, MESSAGE_LIMITS.embedsTotal);
  problems.push(...componentProblems(payload.components ?? []));
  return problems;
}

/** ButtonStyle.Link. */
const LINK_STYLE = 5;

function componentProblems(rows: unknown[]): string[] {
  const problems: string[] = [];
  if (rows.length > MESSAGE_LIMITS.actionRows)
    problems.push(`components: ${rows.length} rows, more than ${MESSAGE_LIMITS.actionRows}`);
  const ids = new Set<string>();
  for (const [i, row] of rows.entries()) {
    const buttons =
      (
        row as {
          components?: { style?: number; label?: string; custom_id?: string; url?: string }[];
        }
      ).components ?? [];
    if (buttons.length === 0 || buttons.length > MESSAGE_LIMITS.buttonsPerRow)
      problems.push(
        `components[${i}]: ${buttons.length} buttons, expected 1 to ${MESSAGE_LIMITS.buttonsPerRow}`,
      );
    for (const [j, button] of buttons.entries()) {
      const at = `components[${i}].components[${j}]`;
      if ((button.label?.length ?? 0) > MESSAGE_LIMITS.buttonLabel)
        problems.push(`${at}.label: more than ${MESSAGE_LIMITS.buttonLabel} characters`);
      // A link button (style 5) opens its url and has no custom_id; every other has one.
      if (button.style === LINK_STYLE) {
        const url = button.url ?? '';
        if (!/^https?:\/\/\S+$/.test(url) || url.length > MESSAGE_LIMITS.buttonUrl)
          problems.push(
            `${at}.url: expected an http(s) address of at most ${MESSAGE_LIMITS.buttonUrl} characters`,
          );
        if (button.custom_id !== undefined)
          problems.push(`${at}: a link button cannot have a custom_id`);
        continue;
      }
      if (button.url !== undefined)
        problems.push(`${at}.url: only a link button (style 5) has one`);
      const id = button.custom_id ?? '';
      if (id.length === 0 || id.length > MESSAGE_LIMITS.customId)
        problems.push(
          `${at}.custom_id: ${id.length} characters, expected 1 to ${MESSAGE_LIMITS.customId}`,
        );
      if (ids.has(id)) problems.push(`${at}.custom_id: "${id}" is used twice`);
      ids.add(id);
    }
  }
  return problems;
}

interface OptionLike {
  type: number;
  name: string;
  description: string;
  required?: boolean;
  autocomplete?: boolean;
  choices?: { name: string; value: string | number }[];
  options?: OptionLike[];
}

/** Every way a chat-input command definition breaks Discord's limits; empty when it would register. */
export function commandProblems(
  command: RESTPostAPIChatInputApplicationCommandsJSONBody,
): string[] {
  const problems: string[] = [];
  const named = (at: string, name: string, description: string) => {
    if (!NAME.test(name) || name !== name.toLowerCase())
      problems.push(
        `${at}: name "${name}" is not a valid lower-case command name of 1 to ${COMMAND_LIMITS.name} characters`,
      );
    if (description.length < 1 || description.length > COMMAND_LIMITS.description)
      problems.push(
        `${at}: description of ${description.length} characters, expected 1 to ${COMMAND_LIMITS.description}`,
      );
  };
  const visit = (at: string, options: OptionLike[]) => {
    if (options.length > COMMAND_LIMITS.options)
      problems.push(`${at}: ${options.length} options, more than ${COMMAND_LIMITS.options}`);
    const seen = new Set<string>();
    let optionalSeen = false;
    for (const option of options) {
      const here = `${at} ${option.name}`;
      named(here, option.name, option.description);
      if (seen.has(option.name)) problems.push(`${here}: name used twice`);
      seen.add(option.name);
      // Discord requires every required option to come before the optional ones.
      if (option.required && optionalSeen)
        problems.push(`${here}: required option after an optional one`);
      if (!option.required && option.type !== 1 && option.type !== 2) optionalSeen = true;
      const choices = option.choices ?? [];
      if (choices.length > COMMAND_LIMITS.choices)
        problems.push(`${here}: ${choices.length} choices, more than ${COMMAND_LIMITS.choices}`);
      if (choices.length > 0 && option.autocomplete)
        problems.push(`${here}: choices and autocomplete together`);
      for (const choice of choices) {
        if (choice.name.length < 1 || choice.name.length > COMMAND_LIMITS.choiceName)
          problems.push(`${here}: choice name "${choice.name}" too long`);
        if (String(choice.value).length > COMMAND_LIMITS.choiceValue)
          problems.push(`${here}: choice value "${choice.value}" too long`);
      }
      if (option.options) visit(here, option.options);
    }
  };
  named('/' + command.name, command.name, command.description ?? '');
  visit('/' + command.name, (command.options ?? []) as OptionLike[]);
  const total = commandLength(command);
  if (total > COMMAND_LIMITS.commandTotal)
    problems.push(
      `/${command.name}: ${total} characters in names, descriptions and choices, more than ${COMMAND_LIMITS.commandTotal}`,
    );
  return problems;
}

/** Total characters Discord counts against a command's 4,000 (for tests and logs). */
export function commandLength(command: RESTPostAPIChatInputApplicationCommandsJSONBody): number {
  let total = command.name.length + (command.description ?? '').length;
  const visit = (options: OptionLike[]) => {
    for (const o of options) {
      total += o.name.length + o.description.length;
      for (const c of o.choices ?? []) total += c.name.length + String(c.value).length;
      if (o.options) visit(o.options);
    }
  };
  visit((command.options ?? []) as OptionLike[]);
  return total;
}
