import {
  ApplicationCommandType,
  ComponentType,
  InteractionResponseType,
  InteractionType,
  MessageFlags,
  type API,
  type APIApplicationCommandAutocompleteInteraction,
  type APIChatInputApplicationCommandInteraction,
  type APIEmbed,
  type APIInteraction,
  type APIInteractionResponse,
  type APIMessage,
  type APIMessageComponentInteraction,
} from '@discordjs/core/http-only';
import type { Logger } from 'pino';
import type { AppDeps, Invocation, Reply } from '../../app/context.js';
import { runCommand } from '../../app/run.js';
import type { CommandSpec } from '../../core/commands/table.js';
import { errorMessage } from '../../core/messages/compose.js';
import type { Message } from '../../core/messages/model.js';
import { autocompleteChoices } from './autocomplete.js';
import { clip, decodeCustomId, discordUsage, focusedOption, wordsFor } from './commands.js';
import { renderDiscord, type DiscordMessage } from './embeds.js';
import { embedLength, MESSAGE_LIMITS } from './limits.js';

/**
 * One handler for every interaction, whether it arrived over HTTP or the gateway: it says
 * what to answer now (`response`) and, for deferred work, how to finish it later through
 * the interaction webhook (`finish`, run once the response has been sent).
 */
export interface Answer {
  response: APIInteractionResponse;
  finish?: () => Promise<void>;
}

export type InteractionHandler = (interaction: APIInteraction) => Promise<Answer>;

export interface HandlerOptions {
  deps: AppDeps;
  /** REST API for the interaction webhook (follow-ups and edits need no bot token). */
  api: API;
  logger: Pick<Logger, 'error' | 'warn' | 'debug'>;
  admins: { roles: readonly string[]; users: readonly string[] };
  /**
   * Answer in the first response when the command finishes within this many ms, else defer
   * and edit the answer in. 0 always defers. Discord allows 3 s for the first response,
   * network included.
   */
  deferAfterMs: number;
  clock: () => Date;
}

/** The command's outcome: a reply, or a bug (the command layer throws only for those). */
type Outcome = { ok: true; reply: Reply } | { ok: false; error: unknown };

const EPHEMERAL = { flags: MessageFlags.Ephemeral } as const;

/** Waits for `work` at most `ms`; `undefined` when it is still running. */
async function within<T>(work: Promise<T>, ms: number): Promise<{ value: T } | undefined> {
  if (ms <= 0) return undefined;
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => {
    timer = setTimeout(() => resolve(undefined), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ value })), late]);
  } finally {
    clearTimeout(timer);
  }
}

function settle(work: Promise<Reply>): Promise<Outcome> {
  return work.then(
    (reply) => ({ ok: true as const, reply }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/** Usage errors name the slash form of the subcommand, not the CLI's `--options`. */
function forDiscord(reply: Reply, spec: CommandSpec): Reply {
  if (reply.exitCode !== 2) return reply;
  const usage = `usage: ${discordUsage(spec)}`;
  let replaced = false;
  const sections = reply.message.sections.map((s) => ({
    ...s,
    lines: s.lines.map((l) => (l.text.startsWith('usage: ') ? ((replaced = true), { ...l, text: usage }) : l)),
  }));
  if (!replaced) sections.push({ lines: [{ icon: 'info', text: usage }] });
  return { ...reply, message: { ...reply.message, sections } };
}

function ephemeral(message: Message): Answer {
  return { response: { type: InteractionResponseType.ChannelMessageWithSource, data: { ...renderDiscord(message), ...EPHEMERAL } } };
}

/** Who acts: their Discord id, the channel, and whether a configured role or id makes them an admin. */
function whoIs(interaction: APIInteraction, admins: HandlerOptions['admins']): { invocation: Invocation; name: string } | undefined {
  const member = 'member' in interaction ? interaction.member : undefined;
  const user = member?.user ?? interaction.user;
  if (!user) return undefined;
  const roles = member?.roles ?? [];
  const channel = interaction.channel?.id ?? interaction.channel_id;
  return {
    invocation: {
      actor: { platform: 'discord', id: user.id, ...(channel ? { channel } : {}) },
      isAdmin: admins.users.includes(user.id) || roles.some((r) => admins.roles.includes(r)),
    },
    name: member?.nick ?? user.global_name ?? user.username,
  };
}

const embedFields = ['title', 'description', 'url', 'color', 'fields', 'footer', 'timestamp', 'author'] as const;

/**
 * The clicked message with its buttons removed and who acted in the footer of its last
 * embed; the embeds are sent back as they are (a message Discord accepted stays within
 * limits, and the note makes room for itself).
 */
export function actedOn(message: Pick<APIMessage, 'embeds'>, note: string, at: Date): DiscordMessage {
  const embeds: APIEmbed[] = message.embeds.map((e) => Object.fromEntries(embedFields.filter((k) => e[k] !== undefined).map((k) => [k, e[k]])) as APIEmbed);
  const text = clip(note, 200);
  const last = embeds[embeds.length - 1];
  if (!last) return { embeds: [{ description: text, timestamp: at.toISOString() }], components: [], allowed_mentions: { parse: [] } };
  const total = embeds.reduce((n, e) => n + embedLength(e), 0) - (last.footer?.text.length ?? 0);
  const previous = last.footer?.text;
  // Keep the earlier footer (who acted before) when there is room; else the newest note wins.
  const footer = previous && total + previous.length + 1 + text.length <= MESSAGE_LIMITS.embedsTotal && previous.length + 1 + text.length <= MESSAGE_LIMITS.footer ? `${previous}\n${text}` : text;
  embeds[embeds.length - 1] = { ...last, footer: { text: footer }, timestamp: at.toISOString() };
  return { embeds, components: [], allowed_mentions: { parse: [] } };
}

function buttonLabel(message: APIMessage | undefined, customId: string): string | undefined {
  for (const row of message?.components ?? []) {
    if (row.type !== ComponentType.ActionRow) continue;
    for (const c of row.components) if (c.type === ComponentType.Button && 'custom_id' in c && c.custom_id === customId) return c.label;
  }
  return undefined;
}

export function createInteractionHandler(opts: HandlerOptions): InteractionHandler {
  const { deps, api, logger } = opts;

  /** A bug or an outage: logged with the interaction, and a sentence for the person. */
  const replyOf = (outcome: Outcome, what: string, id: string): Reply => {
    if (outcome.ok) return outcome.reply;
    logger.error({ err: outcome.error, interaction: id }, `discord: ${what} failed`);
    return { message: errorMessage('Something went wrong on our side; it has been logged. Try again in a moment.'), exitCode: 1 };
  };

  const payload = (reply: Reply): DiscordMessage => renderDiscord(reply.message);

  async function command(interaction: APIChatInputApplicationCommandInteraction): Promise<Answer> {
    const translated = wordsFor(interaction.data);
    if (!translated.ok) return ephemeral(errorMessage(translated.error, translated.usage ? [`usage: ${translated.usage}`] : []));
    const who = whoIs(interaction, opts.admins);
    if (!who) return ephemeral(errorMessage('This interaction names no user.'));
    const { spec } = translated;
    const work = settle(runCommand(deps, who.invocation, translated.words, 'chat').then((reply) => forDiscord(reply, spec)));
    const early = await within(work, opts.deferAfterMs);
    if (early) {
      const reply = replyOf(early.value, spec.name, interaction.id);
      return { response: { type: InteractionResponseType.ChannelMessageWithSource, data: { ...payload(reply), ...(reply.public ? {} : EPHEMERAL) } } };
    }
    // Deferred: whether the answer is public must be decided now, from what was asked.
    const deferredPublic = translated.public;
    return {
      response: { type: InteractionResponseType.DeferredChannelMessageWithSource, data: deferredPublic ? {} : EPHEMERAL },
      finish: async () => {
        const reply = replyOf(await work, spec.name, interaction.id);
        if (deferredPublic && !reply.public) {
          // Asked in public but answered for the asker only (a refusal, a typo): replace the
          // public "thinking…" with a private follow-up.
          await api.interactions.deleteReply(interaction.application_id, interaction.token);
          await api.interactions.followUp(interaction.application_id, interaction.token, { ...payload(reply), ...EPHEMERAL });
          return;
        }
        await api.interactions.editReply(interaction.application_id, interaction.token, payload(reply));
      },
    };
  }

  async function click(interaction: APIMessageComponentInteraction): Promise<Answer> {
    const customId = interaction.data.custom_id;
    const line = interaction.data.component_type === ComponentType.Button ? decodeCustomId(customId) : undefined;
    if (line === undefined) return ephemeral(errorMessage('This control is not one roadmap-bot knows (it may come from an older version).'));
    const who = whoIs(interaction, opts.admins);
    if (!who) return ephemeral(errorMessage('This interaction names no user.'));
    const label = buttonLabel(interaction.message, customId) ?? line;
    const work = settle(runCommand(deps, who.invocation, line, 'chat'));
    const done = (reply: Reply) => reply.exitCode === 0;
    const acted = (reply: Reply) => actedOn(interaction.message, `${label} by ${who.name}: ${reply.message.title}`, opts.clock());
    const early = await within(work, opts.deferAfterMs);
    if (early) {
      const reply = replyOf(early.value, `button ${line}`, interaction.id);
      if (done(reply)) return { response: { type: InteractionResponseType.UpdateMessage, data: acted(reply) } };
      // Refused or failed: only the clicker sees why, and the buttons stay for someone who may.
      return { response: { type: InteractionResponseType.ChannelMessageWithSource, data: { ...payload(reply), ...EPHEMERAL } } };
    }
    return {
      response: { type: InteractionResponseType.DeferredMessageUpdate },
      finish: async () => {
        const reply = replyOf(await work, `button ${line}`, interaction.id);
        // For a component interaction, @original is the message the button is on.
        if (done(reply)) await api.interactions.editReply(interaction.application_id, interaction.token, acted(reply));
        else await api.interactions.followUp(interaction.application_id, interaction.token, { ...payload(reply), ...EPHEMERAL });
      },
    };
  }

  async function complete(interaction: APIApplicationCommandAutocompleteInteraction): Promise<Answer> {
    const focus = focusedOption(interaction.data);
    let choices: Awaited<ReturnType<typeof autocompleteChoices>> = [];
    if (focus?.plan.completion) {
      try {
        choices = await autocompleteChoices(deps, focus, interaction.channel?.id ?? interaction.channel_id);
      } catch (error) {
        // Suggestions are a convenience: an empty list beats an error popup.
        logger.warn({ err: error, interaction: interaction.id }, 'discord: autocomplete failed');
      }
    }
    return { response: { type: InteractionResponseType.ApplicationCommandAutocompleteResult, data: { choices } } };
  }

  return async (interaction) => {
    switch (interaction.type) {
      case InteractionType.Ping:
        return { response: { type: InteractionResponseType.Pong } };
      case InteractionType.ApplicationCommand:
        if (interaction.data.type !== ApplicationCommandType.ChatInput) return ephemeral(errorMessage('roadmap-bot only has the /roadmap command.'));
        return command(interaction as APIChatInputApplicationCommandInteraction);
      case InteractionType.ApplicationCommandAutocomplete:
        return complete(interaction);
      case InteractionType.MessageComponent:
        return click(interaction);
      default:
        return ephemeral(errorMessage('roadmap-bot does not handle this kind of interaction.'));
    }
  };
}
