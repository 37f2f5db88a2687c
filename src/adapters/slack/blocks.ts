import type {
  ActionsBlock,
  Button,
  ContextBlock,
  HeaderBlock,
  KnownBlock,
  SectionBlock,
} from '@slack/web-api';
import { percent, progressBar, sparkline } from '../../core/messages/graphics.js';
import type {
  Action,
  Icon,
  Line,
  LinkButton,
  Message,
  Section,
  Tone,
} from '../../core/messages/model.js';
import { BLOCK_KIT, charsOf, HOME_LIMITS, MESSAGE_LIMITS, type MessageBudget } from './limits.js';

/**
 * Block Kit for the shared message model (status, metrics, gates, alerts, digests all come
 * through here). Pure. Long lists are cut to fit the limits in limits.ts, ending with
 * "… and N more", so Slack never refuses a message for its size.
 */

/** Buttons are `roadmap_action:<i>`; their value is the command line to run. */
export const ACTION_ID_PREFIX = 'roadmap_action:';
export const ACTIONS_BLOCK_ID = 'roadmap_actions';
/**
 * Link buttons ("Open in browser") are `roadmap_action:link:<i>`, with a `url` and no value:
 * Slack still sends a click on one to the app, and under this prefix the buttons' listener
 * acknowledges it and runs nothing. Their own block, so a command button's outcome keeps them.
 */
export const LINK_ACTION_ID_PREFIX = `${ACTION_ID_PREFIX}link:`;
export const LINKS_BLOCK_ID = 'roadmap_links';

export const SLACK_EMOJI: Record<Icon, string> = {
  firing: ':fire:',
  pending: ':hourglass_flowing_sand:',
  approaching: ':warning:',
  ok: ':white_check_mark:',
  resolved: ':heavy_check_mark:',
  unknown: ':grey_question:',
  passed: ':ballot_box_with_check:',
  open: ':white_large_square:',
  met: ':dart:',
  missed: ':x:',
  info: ':information_source:',
  error: ':no_entry:',
};

const TONE_EMOJI: Record<Tone, string | undefined> = {
  alert: ':rotating_light:',
  warn: ':warning:',
  error: ':no_entry:',
  ok: undefined,
  info: undefined,
};

/** Room left in a message with buttons for the outcome line a click adds (see withOutcome). */
const OUTCOME_RESERVE = 600;
/** Longest `text` we send: it is only the notification preview. */
const FALLBACK_MAX = 3000;

export interface SlackPayload {
  /** Plain fallback for notifications and clients that cannot show blocks. */
  text: string;
  blocks: KnownBlock[];
}

/** `&`, `<` and `>` are control characters in mrkdwn (`<!channel>`, links): user text must not trigger them. */
export function escapeMrkdwn(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Cuts `text` to at most `max` UTF-16 units without splitting a character, ending with "…". */
export function clip(text: string, max: number): string {
  if (text.length <= max) return text;
  let out = '';
  for (const ch of text) {
    if (out.length + ch.length > max - 1) break;
    out += ch;
  }
  return `${out}…`;
}

const mrkdwn = (text: string) => ({ type: 'mrkdwn' as const, text });
const context = (text: string): ContextBlock => ({
  type: 'context',
  elements: [mrkdwn(clip(text, BLOCK_KIT.contextText))],
});

/** One line of a section: emoji, text, bar with percent, sparkline, then the detail indented below. */
export function lineText(line: Line): string {
  const parts = [line.icon ? SLACK_EMOJI[line.icon] : '•', escapeMrkdwn(line.text)];
  if (line.progress !== undefined)
    parts.push(`\`${progressBar(line.progress)}\` ${percent(line.progress)}`);
  if (line.series && line.series.length > 1) parts.push(`\`${sparkline(line.series)}\``);
  // Em spaces: Slack keeps them at the start of a line where it may trim ordinary ones.
  return parts.join('  ') + (line.detail ? `\n\u2003\u2003${escapeMrkdwn(line.detail)}` : '');
}

/** A section with its first `shown` lines, as as many section blocks as 3,000 characters each need. */
function sectionBlocks(section: Section, shown: number): SectionBlock[] {
  const lines = section.lines.slice(0, shown).map((l) => clip(lineText(l), BLOCK_KIT.sectionText));
  const more = section.lines.length - shown + (section.omitted ?? 0);
  if (more > 0) lines.push(`… and ${more} more`);
  const chunks: string[] = [];
  let current = section.title
    ? `*${clip(escapeMrkdwn(section.title), BLOCK_KIT.sectionText - 2)}*`
    : '';
  for (const line of lines) {
    if (current === '') current = line;
    else if (current.length + 1 + line.length <= BLOCK_KIT.sectionText) current += `\n${line}`;
    else {
      chunks.push(current);
      current = line;
    }
  }
  if (current !== '') chunks.push(current);
  return chunks.map((text) => ({ type: 'section', text: mrkdwn(text) }));
}

function headBlocks(message: Message): KnownBlock[] {
  const tone = TONE_EMOJI[message.tone];
  const title = message.title || message.fallback || 'roadmap-bot';
  const header: HeaderBlock = {
    type: 'header',
    text: {
      type: 'plain_text',
      text: clip(tone ? `${tone} ${title}` : title, BLOCK_KIT.headerText),
      emoji: true,
    },
  };
  const blocks: KnownBlock[] = [header];
  if (message.subtitle) blocks.push(context(escapeMrkdwn(message.subtitle)));
  // Mentions notify from a section's mrkdwn; the model leaves paging to the platform.
  if (message.urgent)
    blocks.push({
      type: 'section',
      text: mrkdwn(
        clip(`<!here> ${escapeMrkdwn(message.fallback || title)}`, BLOCK_KIT.sectionText),
      ),
    });
  return blocks;
}

export function actionsBlock(actions: readonly Action[]): ActionsBlock | undefined {
  const buttons: Button[] = actions
    // A command too long for a button's value cannot be a button; nothing we compose comes close.
    .filter((a) => a.command.length > 0 && a.command.length <= BLOCK_KIT.buttonValue)
    .slice(0, BLOCK_KIT.actionsElements)
    .map((a, i) => ({
      type: 'button',
      action_id: `${ACTION_ID_PREFIX}${i}`,
      text: { type: 'plain_text', text: clip(a.label || a.id, BLOCK_KIT.buttonText), emoji: true },
      value: a.command,
      ...(a.style ? { style: a.style } : {}),
    }));
  return buttons.length > 0
    ? { type: 'actions', block_id: ACTIONS_BLOCK_ID, elements: buttons }
    : undefined;
}

/** URL buttons; an address too long for Block Kit (a very long PUBLIC_URL) is left out. */
export function linksBlock(links: readonly LinkButton[]): ActionsBlock | undefined {
  const buttons: Button[] = links
    .filter((l) => l.url.length > 0 && l.url.length <= BLOCK_KIT.buttonUrl)
    .slice(0, BLOCK_KIT.actionsElements)
    .map((l, i) => ({
      type: 'button',
      action_id: `${LINK_ACTION_ID_PREFIX}${i}`,
      text: {
        type: 'plain_text',
        text: clip(l.label || 'Open', BLOCK_KIT.buttonText),
        emoji: true,
      },
      url: l.url,
    }));
  return buttons.length > 0
    ? { type: 'actions', block_id: LINKS_BLOCK_ID, elements: buttons }
    : undefined;
}

function tailBlocks(
  message: Message,
  actions: readonly Action[],
  links: readonly LinkButton[],
): KnownBlock[] {
  const blocks: KnownBlock[] = [];
  const buttons = actionsBlock(actions);
  if (buttons) blocks.push(buttons);
  const opens = linksBlock(links);
  if (opens) blocks.push(opens);
  if (message.footer) blocks.push(context(escapeMrkdwn(message.footer)));
  return blocks;
}

function codeBlocks(code: string, max: number): SectionBlock[] {
  const fence = (text: string) => `\`\`\`${text}\`\`\``;
  const body = code.length + 6 <= max ? code : `${clip(code, max - 6 - 40)}\n(truncated)`;
  return body.length > 0 ? [{ type: 'section', text: mrkdwn(fence(body)) }] : [];
}

interface ComposeOptions {
  withActions: boolean;
  code?: string;
}

/**
 * The blocks of one message within `budget`: header, subtitle, sections (each cut to the lines
 * that fit, with "… and N more"), an optional code block, buttons, footer. Empty when not even
 * the header fits.
 */
function compose(message: Message, budget: MessageBudget, options: ComposeOptions): KnownBlock[] {
  let head = headBlocks(message);
  let tail: KnownBlock[] = [];
  let reserve = 0;
  const body: KnownBlock[] = [];
  const fits = (extra: KnownBlock[]) => {
    const all = [...head, ...body, ...extra, ...tail];
    return (
      all.length <= budget.maxBlocks &&
      (budget.maxChars === undefined || charsOf(all) + reserve <= budget.maxChars)
    );
  };
  // The fixed parts first. Only absurd input gets here without fitting (a button's command may
  // be 2,000 characters): then buttons go from the end, and at last all but the header.
  const actions = options.withActions ? (message.actions ?? []) : [];
  const links = options.withActions ? (message.links ?? []) : [];
  for (let n = actions.length; n >= 0; n--) {
    tail = tailBlocks(message, actions.slice(0, n), links);
    reserve = n > 0 ? OUTCOME_RESERVE : 0;
    if (fits([])) break;
  }
  if (!fits([])) {
    head = head.slice(0, 1);
    tail = [];
    if (!fits([])) return [];
    return head;
  }

  const sections = message.sections;
  for (const [i, section] of sections.entries()) {
    const later = sections.length - i - 1;
    // Keep room for the line that says how many sections were left out.
    const notice = later > 0 ? [context(`… and ${sections.length} more sections`)] : [];
    // The most lines that fit: more lines never take less room, so a binary search is exact.
    const fitsWith = (shown: number) => fits([...sectionBlocks(section, shown), ...notice]);
    let chosen: SectionBlock[] | undefined;
    if (fitsWith(section.lines.length)) chosen = sectionBlocks(section, section.lines.length);
    else if (fitsWith(0)) {
      let [lo, hi] = [0, section.lines.length - 1];
      while (lo < hi) {
        const mid = Math.ceil((lo + hi) / 2);
        if (fitsWith(mid)) lo = mid;
        else hi = mid - 1;
      }
      chosen = sectionBlocks(section, lo);
    }
    if (chosen === undefined) {
      const left = sections.length - i;
      const more = context(`… and ${left} more ${left === 1 ? 'section' : 'sections'}`);
      // Room for this was kept by the section before; the first has nobody to keep it.
      if (fits([more])) body.push(more);
      break;
    }
    body.push(...chosen);
  }

  if (options.code !== undefined) {
    for (let max: number = BLOCK_KIT.sectionText; max >= 200; max = Math.floor(max / 2)) {
      const candidate = codeBlocks(options.code, max);
      if (fits(candidate)) {
        body.push(...candidate);
        break;
      }
    }
  }
  return [...head, ...body, ...tail];
}

function fallbackText(message: Message): string {
  const text = escapeMrkdwn(message.fallback || message.title || 'roadmap-bot');
  return clip(message.urgent ? `<!here> ${text}` : text, FALLBACK_MAX);
}

/**
 * A message as Block Kit within a message's limits (50 blocks, about 13k characters).
 * `code` is shown in a code block after the sections, cut to fit (the JSON of `status --json`).
 */
export function renderSlack(
  message: Message,
  options: { code?: string; budget?: MessageBudget } = {},
): SlackPayload {
  return {
    text: fallbackText(message),
    blocks: compose(message, options.budget ?? MESSAGE_LIMITS, {
      withActions: true,
      ...(options.code !== undefined ? { code: options.code } : {}),
    }),
  };
}

/**
 * The App Home tab: several messages (one per roadmap) in one view of at most 100 blocks,
 * divided, ending with "… and N more roadmaps" when they do not all fit. Buttons are left out:
 * the Home tab has no message to update.
 */
export function renderSlackHome(
  messages: readonly Message[],
  intro?: string,
  budget: MessageBudget = HOME_LIMITS,
): KnownBlock[] {
  const blocks: KnownBlock[] = [
    { type: 'header', text: { type: 'plain_text', text: 'Roadmaps', emoji: true } },
  ];
  if (intro) blocks.push(context(intro));
  if (messages.length === 0)
    blocks.push({
      type: 'section',
      text: mrkdwn('No roadmap is loaded yet. Add a roadmap file and it shows here.'),
    });
  for (const [i, message] of messages.entries()) {
    const later = messages.length - i - 1;
    const room: MessageBudget = {
      maxBlocks: budget.maxBlocks - blocks.length - 1 - (later > 0 ? 1 : 0),
      ...(budget.maxChars !== undefined
        ? { maxChars: budget.maxChars - charsOf(blocks) - 200 }
        : {}),
    };
    const rendered = room.maxBlocks > 0 ? compose(message, room, { withActions: false }) : [];
    if (rendered.length === 0) {
      const left = messages.length - i;
      blocks.push(context(`… and ${left} more ${left === 1 ? 'roadmap' : 'roadmaps'}`));
      break;
    }
    blocks.push({ type: 'divider' }, ...rendered);
  }
  return blocks;
}

/**
 * The blocks of a posted message after one of its buttons was used: the buttons are removed
 * and a context line says who did what. `blocks` are the message's blocks as Slack sent them.
 */
export function withOutcome(
  blocks: readonly KnownBlock[],
  actionsBlockId: string | undefined,
  outcome: string,
): KnownBlock[] {
  const kept = blocks.filter(
    (b) =>
      !(b.type === 'actions' && (actionsBlockId === undefined || b.block_id === actionsBlockId)),
  );
  const line = context(outcome);
  // Keep within the limits even when Slack's copy of the blocks was already full.
  while (
    kept.length > 1 &&
    (kept.length + 1 > MESSAGE_LIMITS.maxBlocks ||
      charsOf([...kept, line]) > (MESSAGE_LIMITS.maxChars ?? Infinity))
  ) {
    kept.splice(kept.length - 1, 1);
  }
  return [...kept, line];
}
