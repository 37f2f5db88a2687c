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
import { DiscordAPIError, HTTPError, type RawFile } from '@discordjs/rest';
import type { Logger } from 'pino';
import type { AppDeps, Attachment, Invocation, Reply } from '../../app/context.js';
import { replyForError, runCommand, type CommandReply } from '../../app/run.js';
import { CommandError } from '../../app/errors.js';
import { ReplayRefused } from '../../app/replay-guard.js';
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

/**
 * `taken`, when given, is the replay memory's verdict on this interaction (see
 * interactions.ts): no command runs before it resolves true. A replay makes the handler throw
 * ReplayRefused when that is known before it answers, and finish nothing when it is known
 * after (the interaction's token is the original's: its answer must not be touched). Without
 * it (the gateway) commands run at once.
 */
export type InteractionHandler = (
  interaction: APIInteraction,
  taken?: Promise<boolean>,
) => Promise<Answer>;

export interface HandlerOptions {
  deps: AppDeps;
  /** REST API for the interaction webhook (follow-ups and edits need no bot token). */
  api: API;
  logger: Pick<Logger, 'error' | 'warn' | 'debug'>;
  admins: { roles: readonly string[]; users: readonly string[] };
  /**
   * Answer in the first response when the command finishes within this many ms, else defer
   * and edit the answer in. 0 always defers; so does a command that would wait for admission
   * (a burst: its acknowledgement must not wait for the commands before it). Discord allows
   * 3 s for the first response, network included.
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

/** Resolves once the replay memory says the interaction is new; rejects with ReplayRefused if not. */
async function once(taken: Promise<boolean> | undefined): Promise<void> {
  if (taken && !(await taken)) throw new ReplayRefused();
}

function settle(work: Promise<Reply>): Promise<Outcome> {
  return work.then(
    (reply) => ({ ok: true as const, reply }),
    (error: unknown) => ({ ok: false as const, error }),
  );
}

/**
 * Usage errors name the slash form of the subcommand, not the CLI's `--options`: the reply is
 * rendered again from its error, the slash usage where the command line's would be.
 */
function forDiscord(reply: CommandReply, spec: CommandSpec): Reply {
  const error = reply.error;
  if (error?.code !== 'usage') return reply;
  const usage = `usage: ${discordUsage(spec)}`;
  if (error.usage !== undefined)
    return { ...reply, message: errorMessage(error.message, [...error.details, usage]) };
  const message = errorMessage(error.message, error.details);
  const sections = [...message.sections, { lines: [{ icon: 'info' as const, text: usage }] }];
  return { ...reply, message: { ...message, sections } };
}

/** Discord's limit on an attachment's description (its alt text). */
const ALT_TEXT_MAX = 1024;

/** A file name Discord keeps as given, so `attachment://<name>` finds it. */
function safeFilename(name: string, index: number, taken: Set<string>): string {
  let safe = name.replace(/[^\w.-]/g, '_') || `file-${index}`;
  if (taken.has(safe)) safe = `${index}-${safe}`;
  taken.add(safe);
  return safe;
}

/**
 * A message with files, as the interaction webhook takes it (multipart: the JSON as
 * `payload_json`, each file as `files[n]`, listed in `attachments` with its alt text). The
 * first embed shows the first file as its image, `attachment://<filename>`; any others are
 * plain attachments below.
 */
export function withAttachments(
  message: DiscordMessage,
  attachments: readonly Attachment[],
): DiscordMessage & {
  attachments: { id: number; filename: string; description: string }[];
  files: RawFile[];
} {
  const taken = new Set<string>();
  const named = attachments.map((a, i) => ({ ...a, filename: safeFilename(a.filename, i, taken) }));
  const [first] = named;
  const embeds = [...message.embeds];
  if (first) embeds[0] = { ...(embeds[0] ?? {}), image: { url: `attachment://${first.filename}` } };
  return {
    ...message,
    embeds,
    attachments: named.map((a, id) => ({
      id,
      filename: a.filename,
      description: clip(a.title, ALT_TEXT_MAX),
    })),
    files: named.map((a) => ({ name: a.filename, data: a.bytes, contentType: a.contentType })),
  };
}

/** A reply with a line added at its end (why its chart is missing). */
function withNote(reply: Reply, text: string): Reply {
  return {
    ...reply,
    message: {
      ...reply.message,
      sections: [...reply.message.sections, { lines: [{ icon: 'info', text }] }],
    },
  };
}

function ephemeral(message: Message): Answer {
  return {
    response: {
      type: InteractionResponseType.ChannelMessageWithSource,
      data: { ...renderDiscord(message), ...EPHEMERAL },
    },
  };
}

/** Who acts: their Discord id, the channel, and whether a configured role or id makes them an admin. */
function whoIs(
  interaction: APIInteraction,
  admins: HandlerOptions['admins'],
): { invocation: Invocation; name: string } | undefined {
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

const embedFields = [
  'title',
  'description',
  'url',
  'color',
  'fields',
  'footer',
  'timestamp',
  'author',
] as const;

/**
 * The clicked message with its buttons removed and who acted in the footer of its last
 * embed; the embeds are sent back as they are (a message Discord accepted stays within
 * limits, and the note makes room for itself).
 */
export function actedOn(
  message: Pick<APIMessage, 'embeds'>,
  note: string,
  at: Date,
): DiscordMessage {
  const embeds: APIEmbed[] = message.embeds.map(
    (e) =>
      Object.fromEntries(
        embedFields.filter((k) => e[k] !== undefined).map((k) => [k, e[k]]),
      ) as APIEmbed,
  );
  const text = clip(note, 200);
  const last = embeds[embeds.length - 1];
  if (!last)
    return {
      embeds: [{ description: text, timestamp: at.toISOString() }],
      components: [],
      allowed_mentions: { parse: [] },
    };
  const total = embeds.reduce((n, e) => n + embedLength(e), 0) - (last.footer?.text.length ?? 0);
  const previous = last.footer?.text;
  // Keep the earlier footer (who acted before) when there is room; else the newest note wins.
  const footer =
    previous &&
    total + previous.length + 1 + text.length <= MESSAGE_LIMITS.embedsTotal &&
    previous.length + 1 + text.length <= MESSAGE_LIMITS.footer
      ? `${previous}\n${text}`
      : text;
  embeds[embeds.length - 1] = { ...last, footer: { text: footer }, timestamp: at.toISOString() };
  return { embeds, components: [], allowed_mentions: { parse: [] } };
}

function buttonLabel(message: APIMessage | undefined, customId: string): string | undefined {
  for (const row of message?.components ?? []) {
    if (row.type !== ComponentType.ActionRow) continue;
    for (const c of row.components)
      if (c.type === ComponentType.Button && 'custom_id' in c && c.custom_id === customId)
        return c.label;
  }
  return undefined;
}

export function createInteractionHandler(opts: HandlerOptions): InteractionHandler {
  const { deps, api, logger } = opts;

  /** A bug or an outage: logged with the interaction, and a sentence for the person. */
  const replyOf = (outcome: Outcome, what: string, id: string): Reply => {
    if (outcome.ok) return outcome.reply;
    logger.error({ err: outcome.error, interaction: id }, `discord: ${what} failed`);
    return {
      message: errorMessage(
        'Something went wrong on our side; it has been logged. Try again in a moment.',
      ),
      exitCode: 1,
    };
  };

  const payload = (reply: Reply): DiscordMessage => renderDiscord(reply.message);

  /**
   * Sends a reply through the interaction webhook: an edit of @original, or an ephemeral
   * follow-up. Its files go as multipart with it. If Discord refuses the message with its
   * files (too large, no Attach Files permission…), it is sent again without them and says
   * so, so the person still gets the answer; network failures are not retried here (the
   * REST client already has, and a follow-up sent twice would show twice).
   */
  async function deliver(
    interaction: APIChatInputApplicationCommandInteraction,
    reply: Reply,
    how: 'edit' | 'followUp',
  ): Promise<void> {
    const send = (body: DiscordMessage & { files?: RawFile[] }) =>
      how === 'edit'
        ? api.interactions.editReply(interaction.application_id, interaction.token, body)
        : api.interactions.followUp(interaction.application_id, interaction.token, {
            ...body,
            ...EPHEMERAL,
          });
    const attachments = reply.attachments ?? [];
    if (attachments.length === 0) {
      await send(payload(reply));
      return;
    }
    try {
      await send(withAttachments(payload(reply), attachments));
    } catch (error) {
      if (!(error instanceof DiscordAPIError || error instanceof HTTPError)) throw error;
      logger.warn(
        { err: error, interaction: interaction.id, files: attachments.map((a) => a.filename) },
        'discord: the reply with its chart was refused; sending it without',
      );
      await send(
        payload(
          withNote(
            reply,
            `The chart could not be attached (Discord answered ${error.status}: ${error.message}).`,
          ),
        ),
      );
    }
  }

  /** Defer at once when the command would wait for admission; else allow the inline budget. */
  const budget = (): number => (deps.admission?.busy() ? 0 : opts.deferAfterMs);

  /** A replay known before the answer: thrown, so the route refuses it (401). */
  const refuseReplay = (outcome: Outcome): void => {
    if (!outcome.ok && outcome.error instanceof ReplayRefused) throw outcome.error;
  };

  /** A replay known after a deferral: nothing is finished (the token is the original's). */
  const isReplay = (outcome: Outcome, id: string): boolean => {
    if (outcome.ok || !(outcome.error instanceof ReplayRefused)) return false;
    logger.warn(
      { interaction: id },
      'discord: an interaction already received (a replay, taken by another replica) was acknowledged and not run',
    );
    return true;
  };

  async function command(
    interaction: APIChatInputApplicationCommandInteraction,
    taken: Promise<boolean> | undefined,
  ): Promise<Answer> {
    const translated = wordsFor(interaction.data);
    if (!translated.ok) {
      const usage = translated.usage ? { usage: translated.usage } : {};
      return ephemeral(
        replyForError(new CommandError('usage', translated.error, [], usage)).message,
      );
    }
    const who = whoIs(interaction, opts.admins);
    if (!who) return ephemeral(errorMessage('This interaction names no user.'));
    const { spec } = translated;
    const work = settle(
      once(taken)
        .then(() => runCommand(deps, who.invocation, translated.words, 'chat'))
        .then((reply) => forDiscord(reply, spec)),
    );
    const early = await within(work, budget());
    if (early) {
      refuseReplay(early.value);
      const reply = replyOf(early.value, spec.name, interaction.id);
      if (reply.attachments?.length) {
        // Files need multipart, which Discord does not reliably take as the body of the HTTP
        // response to an interaction (refused for larger files: discord-api-docs #5250,
        // #5925). So defer, visible as the answer will be, and edit the answer in with its
        // files through the webhook, the documented multipart route. The gateway does the same.
        return {
          response: {
            type: InteractionResponseType.DeferredChannelMessageWithSource,
            data: reply.public ? {} : EPHEMERAL,
          },
          finish: () => deliver(interaction, reply, 'edit'),
        };
      }
      return {
        response: {
          type: InteractionResponseType.ChannelMessageWithSource,
          data: { ...payload(reply), ...(reply.public ? {} : EPHEMERAL) },
        },
      };
    }
    // Deferred: whether the answer is public must be decided now, from what was asked.
    const deferredPublic = translated.public;
    return {
      response: {
        type: InteractionResponseType.DeferredChannelMessageWithSource,
        data: deferredPublic ? {} : EPHEMERAL,
      },
      finish: async () => {
        const outcome = await work;
        if (isReplay(outcome, interaction.id)) return;
        const reply = replyOf(outcome, spec.name, interaction.id);
        if (deferredPublic && !reply.public) {
          // Asked in public but answered for the asker only (a refusal, a typo): replace the
          // public "thinking…" with a private follow-up.
          await api.interactions.deleteReply(interaction.application_id, interaction.token);
          await deliver(interaction, reply, 'followUp');
          return;
        }
        await deliver(interaction, reply, 'edit');
      },
    };
  }

  async function click(
    interaction: APIMessageComponentInteraction,
    taken: Promise<boolean> | undefined,
  ): Promise<Answer> {
    const customId = interaction.data.custom_id;
    const line =
      interaction.data.component_type === ComponentType.Button
        ? decodeCustomId(customId)
        : undefined;
    if (line === undefined)
      return ephemeral(
        errorMessage(
          'This control is not one roadmap-bot knows (it may come from an older version).',
        ),
      );
    const who = whoIs(interaction, opts.admins);
    if (!who) return ephemeral(errorMessage('This interaction names no user.'));
    const label = buttonLabel(interaction.message, customId) ?? line;
    const work = settle(once(taken).then(() => runCommand(deps, who.invocation, line, 'chat')));
    const done = (reply: Reply) => reply.exitCode === 0;
    const acted = (reply: Reply) =>
      actedOn(interaction.message, `${label} by ${who.name}: ${reply.message.title}`, opts.clock());
    const early = await within(work, budget());
    if (early) {
      refuseReplay(early.value);
      const reply = replyOf(early.value, `button ${line}`, interaction.id);
      if (done(reply))
        return { response: { type: InteractionResponseType.UpdateMessage, data: acted(reply) } };
      // Refused or failed: only the clicker sees why, and the buttons stay for someone who may.
      return {
        response: {
          type: InteractionResponseType.ChannelMessageWithSource,
          data: { ...payload(reply), ...EPHEMERAL },
        },
      };
    }
    return {
      response: { type: InteractionResponseType.DeferredMessageUpdate },
      finish: async () => {
        const outcome = await work;
        if (isReplay(outcome, interaction.id)) return;
        const reply = replyOf(outcome, `button ${line}`, interaction.id);
        // For a component interaction, @original is the message the button is on.
        if (done(reply))
          await api.interactions.editReply(
            interaction.application_id,
            interaction.token,
            acted(reply),
          );
        else
          await api.interactions.followUp(interaction.application_id, interaction.token, {
            ...payload(reply),
            ...EPHEMERAL,
          });
      },
    };
  }

  async function complete(
    interaction: APIApplicationCommandAutocompleteInteraction,
    taken: Promise<boolean> | undefined,
  ): Promise<Answer> {
    const focus = focusedOption(interaction.data);
    let choices: Awaited<ReturnType<typeof autocompleteChoices>> = [];
    if (focus?.plan.completion) {
      await once(taken);
      try {
        choices = await autocompleteChoices(
          deps,
          focus,
          interaction.channel?.id ?? interaction.channel_id,
        );
      } catch (error) {
        // Suggestions are a convenience: an empty list beats an error popup.
        logger.warn({ err: error, interaction: interaction.id }, 'discord: autocomplete failed');
      }
    }
    return {
      response: {
        type: InteractionResponseType.ApplicationCommandAutocompleteResult,
        data: { choices },
      },
    };
  }

  return async (interaction, taken) => {
    switch (interaction.type) {
      case InteractionType.Ping:
        return { response: { type: InteractionResponseType.Pong } };
      case InteractionType.ApplicationCommand:
        if (interaction.data.type !== ApplicationCommandType.ChatInput)
          return ephemeral(errorMessage('roadmap-bot only has the /roadmap command.'));
        return command(interaction as APIChatInputApplicationCommandInteraction, taken);
      case InteractionType.ApplicationCommandAutocomplete:
        return complete(interaction, taken);
      case InteractionType.MessageComponent:
        return click(interaction, taken);
      default:
        return ephemeral(errorMessage('roadmap-bot does not handle this kind of interaction.'));
    }
  };
}
