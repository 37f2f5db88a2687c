import {
  ButtonStyle,
  ComponentType,
  type APIActionRowComponent,
  type APIAllowedMentions,
  type APIButtonComponentWithCustomId,
  type APIButtonComponentWithURL,
  type APIEmbed,
  type APIEmbedField,
} from '@discordjs/core/http-only';
import { percent, progressBar, sparkline } from '../../core/messages/graphics.js';
import type { Action, Line, LinkButton, Message, Tone } from '../../core/messages/model.js';
import { ICON_TEXT } from '../../core/messages/text.js';
import { clip, encodeCustomId, slashForm } from './commands.js';
import { MESSAGE_LIMITS as L } from './limits.js';

/** A message as Discord takes it (channel posts, interaction replies and their edits). */
export interface DiscordMessage {
  content?: string;
  embeds: APIEmbed[];
  components?: APIActionRowComponent<DiscordButton>[];
  allowed_mentions: APIAllowedMentions;
}

/** A link-style button (opens its url); no custom_id, as Discord requires. */
export type LinkStyleButton = APIButtonComponentWithURL & { custom_id?: never };
/** The buttons we send: ones running a command (custom_id) and ones opening an address. */
export type DiscordButton = APIButtonComponentWithCustomId | LinkStyleButton;

export interface RenderOptions {
  /** Role mentioned in the content of urgent messages (DISCORD_ALERT_ROLE_ID). */
  alertRoleId?: string;
}

/** Embed colour by tone: Discord's own green, blurple, yellow, red, and a darker red for errors. */
export const TONE_COLOUR: Record<Tone, number> = {
  ok: 0x57f287,
  info: 0x5865f2,
  warn: 0xfee75c,
  alert: 0xed4245,
  error: 0x992d22,
};

/** Field name for continuations and untitled sections (Discord refuses empty names). */
const BLANK = '\u200b';
/** One line never takes more than this, so it always fits in a fresh field. */
const MAX_LINE = 600;
/** Kept back from the 6,000 for the "… and N more" marker, so there is always room to say what was cut. */
const MARKER_RESERVE = 80;
const SPARK_POINTS = 48;

/** Backslash-escapes Discord markdown, so roadmap text (`active_users`, `*`) shows as written. */
export function escapeMarkdown(text: string): string {
  return text
    .replace(/[\\*_~`|[\]<]/g, (c) => `\\${c}`)
    .replace(
      /^(\s*)(>|#{1,3}\s|-#\s|[-+]\s|\d+\.\s)/gm,
      (_m, space: string, mark: string) => `${space}\\${mark}`,
    );
}

/** Cuts rendered markdown without leaving an open code span or a dangling escape. */
function cutLine(text: string, max: number): string {
  if (text.length <= max) return text;
  let cut = text.slice(0, max - 1);
  if ((cut.match(/`/g) ?? []).length % 2 === 1) cut = cut.slice(0, cut.lastIndexOf('`'));
  if (/(^|[^\\])(\\\\)*\\$/.test(cut)) cut = cut.slice(0, -1);
  return `${cut}…`;
}

/** `⚠️ active_users 350 >= 400 \`█████████░\` 88%`, with a sparkline and the detail below. */
export function lineMarkdown(line: Line): string {
  const parts = [line.icon ? ICON_TEXT[line.icon] : '•', escapeMarkdown(line.text)];
  if (line.progress !== undefined)
    parts.push(`\`${progressBar(line.progress)}\` ${percent(line.progress)}`);
  if (line.series && line.series.length > 1)
    parts.push(`\`${sparkline(line.series.slice(-SPARK_POINTS))}\``);
  const head = cutLine(parts.join(' '), line.detail ? MAX_LINE - 100 : MAX_LINE);
  // The detail goes on its own indented line (an em space: Discord trims plain leading spaces).
  return line.detail ? `${head}\n\u2003↳ ${cutLine(escapeMarkdown(line.detail), 96)}` : head;
}

/** A rendered line and how many of the message's lines it stands for (a marker stands for the lines it counts). */
interface Item {
  text: string;
  weight: number;
}

const more = (n: number) => `… and ${n} more`;

/**
 * Lays sections into embeds: the first embed's description takes the subtitle and leading
 * untitled sections; titled sections become fields (split over several when longer than a
 * field); further embeds follow when one is full. Everything stays within Discord's limits,
 * and whatever does not fit is counted in a final "… and N more".
 */
class Layout {
  readonly embeds: APIEmbed[];
  /** Characters left across all embeds (the 6,000), less what is reserved. */
  private left: number;

  constructor(first: APIEmbed, reserved: number) {
    this.embeds = [first];
    this.left = L.embedsTotal - reserved - (first.title?.length ?? 0);
  }

  private get current(): APIEmbed {
    return this.embeds[this.embeds.length - 1] as APIEmbed;
  }

  private fieldsUsed(): number {
    return this.embeds.reduce((n, e) => n + (e.fields?.length ?? 0), 0);
  }

  /** Adds as many items as fit to the first embed's description; returns how many. */
  describe(items: Item[], separator = '\n'): number {
    const embed = this.embeds[0] as APIEmbed;
    let taken = 0;
    for (const item of items) {
      const add = (embed.description ? separator.length : 0) + item.text.length;
      if ((embed.description?.length ?? 0) + add > L.description || add > this.left) break;
      embed.description = embed.description ? embed.description + separator + item.text : item.text;
      this.left -= add;
      taken++;
      separator = '\n';
    }
    return taken;
  }

  /**
   * Adds one field with as many items as fit (at least one, or none when out of room).
   * `keepSlot` leaves a field free for the final marker.
   */
  field(name: string, items: Item[], keepSlot: boolean): number {
    const capacity = L.embeds * L.fields - (keepSlot ? 1 : 0);
    if (this.fieldsUsed() >= capacity) return 0;
    const room = Math.min(L.fieldValue, this.left - name.length);
    let length = 0;
    let taken = 0;
    for (const item of items) {
      const add = (taken > 0 ? 1 : 0) + item.text.length;
      if (length + add > room) break;
      length += add;
      taken++;
    }
    if (taken === 0) return 0;
    if ((this.current.fields?.length ?? 0) >= L.fields)
      this.embeds.push({ color: this.current.color as number });
    const value = items
      .slice(0, taken)
      .map((i) => i.text)
      .join('\n');
    (this.current.fields ??= []).push({ name, value } satisfies APIEmbedField);
    this.left -= name.length + value.length;
    return taken;
  }

  /** The marker, in the room kept for it. */
  mark(text: string): void {
    this.left += MARKER_RESERVE;
    this.field(BLANK, [{ text, weight: 0 }], false);
  }
}

/** Renders a message as Discord embeds, buttons and (for urgent messages) a role mention. Pure. */
export function renderDiscord(message: Message, opts: RenderOptions = {}): DiscordMessage {
  const colour = TONE_COLOUR[message.tone];
  // Footers do not render mentions: a footer naming people ("Acknowledged by <@…>") goes in the body.
  const mentions = message.footer !== undefined && /<@!?\d+>/.test(message.footer);
  const footer = message.footer && !mentions ? clip(message.footer, L.footer) : undefined;
  const { buttons, leftOver } = buttonsFor(message.actions ?? [], message.links ?? []);

  const sections = message.sections.map((s) => ({
    title: s.title,
    lines: s.lines,
    omitted: s.omitted ?? 0,
  }));
  if (mentions)
    sections.push({ title: undefined, lines: [{ text: message.footer as string }], omitted: 0 });
  // Actions whose command is too long for a button are shown as commands to type.
  if (leftOver.length > 0)
    sections.push({
      title: 'To act, run',
      lines: leftOver.map((a) => ({ text: `${a.label}: ${slashForm(a.command)}` })),
      omitted: 0,
    });

  const layout = new Layout(
    { title: cutLine(escapeMarkdown(message.title), L.title), color: colour },
    (footer?.length ?? 0) + MARKER_RESERVE,
  );
  let notShown = 0; // lines that did not fit
  let droppedSections = 0;
  let full = false;
  let inDescription = true;
  if (message.subtitle)
    layout.describe([
      { text: cutLine(escapeMarkdown(message.subtitle), L.description), weight: 0 },
    ]);

  for (const [index, section] of sections.entries()) {
    let items: Item[] = section.lines.map((line) => ({ text: lineMarkdown(line), weight: 1 }));
    if (section.omitted > 0) items.push({ text: more(section.omitted), weight: section.omitted });
    const weight = () => items.reduce((n, i) => n + i.weight, 0);
    if (full) {
      notShown += weight();
      droppedSections++;
      continue;
    }
    // Leading sections without a title read as the body of the message.
    if (inDescription && !section.title) {
      const taken = layout.describe(items, index === 0 && message.subtitle ? '\n\n' : '\n');
      items = items.slice(taken);
      if (items.length === 0) continue;
    }
    inDescription = false;
    let name = section.title ? cutLine(escapeMarkdown(section.title), L.fieldName) : BLANK;
    if (items.length === 0) items = [{ text: BLANK, weight: 0 }];
    while (items.length > 0) {
      const last = index === sections.length - 1;
      const taken = layout.field(name, items, !last || items.length > 1);
      if (taken === 0) {
        full = true;
        notShown += weight();
        break;
      }
      items = items.slice(taken);
      name = BLANK;
    }
  }
  if (notShown > 0)
    layout.mark(
      more(notShown) +
        (droppedSections > 0
          ? ` (${droppedSections} more section${droppedSections === 1 ? '' : 's'} not shown)`
          : ''),
    );

  const embeds = layout.embeds;
  if (footer) (embeds[embeds.length - 1] as APIEmbed).footer = { text: footer };

  const role = message.urgent ? opts.alertRoleId : undefined;
  return {
    // Mentions inside embeds notify nobody, so an urgent message pages its role in the content.
    ...(role
      ? { content: cutLine(`<@&${role}> ${escapeMarkdown(message.fallback)}`, L.content) }
      : {}),
    embeds,
    ...(buttons.length > 0 ? { components: buttons } : {}),
    // Only the configured role may ever be pinged, whatever a roadmap's text contains.
    allowed_mentions: { parse: [], ...(role ? { roles: [role] } : {}) },
  };
}

const BUTTON_STYLE: Record<
  NonNullable<Action['style']> | 'default',
  ButtonStyle.Primary | ButtonStyle.Danger | ButtonStyle.Secondary
> = {
  primary: ButtonStyle.Primary,
  danger: ButtonStyle.Danger,
  default: ButtonStyle.Secondary,
};

/**
 * Actions as rows of buttons (5 by 5 at most), then the links as link-style buttons in a row
 * of their own (Discord opens the address itself and sends the bot nothing). Actions whose
 * command cannot fit a custom_id, or that find no room, are returned apart; a link whose
 * address Discord would refuse (over 512 characters) is left out.
 */
function buttonsFor(
  actions: Action[],
  links: LinkButton[],
): {
  buttons: APIActionRowComponent<DiscordButton>[];
  leftOver: Action[];
} {
  const opens: LinkStyleButton[] = links
    .filter((l) => /^https?:\/\//.test(l.url) && l.url.length <= L.buttonUrl)
    .slice(0, L.buttonsPerRow)
    .map((l) => ({
      type: ComponentType.Button,
      style: ButtonStyle.Link,
      label: clip(l.label || 'Open', L.buttonLabel),
      url: l.url,
    }));
  const room = (L.actionRows - (opens.length > 0 ? 1 : 0)) * L.buttonsPerRow;
  const made: APIButtonComponentWithCustomId[] = [];
  const leftOver: Action[] = [];
  const ids = new Set<string>();
  for (const action of actions) {
    const customId = encodeCustomId(action.command);
    if (customId === undefined || made.length >= room) {
      leftOver.push(action);
      continue;
    }
    if (ids.has(customId)) continue; // the same command twice is one button (custom_ids must be unique)
    ids.add(customId);
    made.push({
      type: ComponentType.Button,
      style: BUTTON_STYLE[action.style ?? 'default'],
      label: clip(action.label, L.buttonLabel),
      custom_id: customId,
    });
  }
  const buttons: APIActionRowComponent<DiscordButton>[] = [];
  for (let i = 0; i < made.length; i += L.buttonsPerRow)
    buttons.push({ type: ComponentType.ActionRow, components: made.slice(i, i + L.buttonsPerRow) });
  if (opens.length > 0) buttons.push({ type: ComponentType.ActionRow, components: opens });
  return { buttons, leftOver };
}
