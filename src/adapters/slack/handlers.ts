import type { App, BlockAction, ButtonAction, RespondArguments, RespondFn } from '@slack/bolt';
import { ErrorCode, type KnownBlock, type WebClient } from '@slack/web-api';
import type { Attachment, Reply } from '../../app/context.js';
import { runCommand } from '../../app/run.js';
import { parseCommand, tokenize } from '../../core/commands/parse.js';
import { errorMessage } from '../../core/messages/compose.js';
import { ACTION_ID_PREFIX, escapeMrkdwn, type SlackPayload, withOutcome } from './blocks.js';
import { type HandlerContext, invocationFor, slackDate } from './context.js';
import { homeView } from './home.js';
import { slackPayload, toDeliveryError } from './sink.js';

/** The slash command the manifest declares. */
export const SLASH_COMMAND = '/roadmap';

const APOLOGY = errorMessage(
  'Sorry, something went wrong on our side. It has been logged; please try again in a moment.',
);

interface Answer {
  /** Undefined when the command threw (a bug): the payload is then an apology. */
  reply?: Reply;
  payload: SlackPayload;
  public: boolean;
}

/*
 * Charts and other files (a reply's `attachments`) in Slack.
 *
 * respond() cannot carry files, and an ephemeral message cannot hold one, so files are
 * shared only with a public answer: uploaded to the channel with files.uploadV2 (files:write)
 * right after the answer, as the next message. A private answer keeps its text and says how to
 * post the chart instead (`/roadmap metrics <name> public`). Sending the chart to the person's
 * DM was considered and not chosen: it needs another scope (im:write), and it would put the
 * picture somewhere other than where it was asked for.
 */

/** The line a private answer with files gets: how to have the files posted. */
export function chartHint(line: string): string {
  return `Charts are only posted with public answers: \`${SLASH_COMMAND} ${line.trim()} public\` posts this one to the channel.`;
}

function withChartHint(reply: Reply, line: string): Reply {
  if (!reply.attachments?.length) return reply;
  const sections = [
    ...reply.message.sections,
    { lines: [{ icon: 'info' as const, text: chartHint(line) }] },
  ];
  return { ...reply, message: { ...reply.message, sections } };
}

/**
 * Runs one command line through the shared command layer as a Slack user and renders the
 * reply. Expected failures come back as replies with a usage line; a thrown error is a bug,
 * logged here and answered with an apology, never a stack trace.
 */
export async function answer(
  ctx: HandlerContext,
  userId: string,
  channelId: string | undefined,
  line: string,
): Promise<Answer> {
  try {
    const reply = await runCommand(ctx.deps, invocationFor(ctx, userId, channelId), line, 'chat');
    const code = reply.json !== undefined ? JSON.stringify(reply.json, null, 2) : undefined;
    // Refusals and usage errors stay with the person who typed them, whatever they asked.
    const isPublic = reply.public === true && reply.exitCode === 0;
    const shown = isPublic ? reply : withChartHint(reply, line);
    return {
      reply,
      payload: slackPayload(shown.message, ctx.logger, code !== undefined ? { code } : {}),
      public: isPublic,
    };
  } catch (error) {
    ctx.logger.error(
      { err: error, command: line, user: userId, channel: channelId },
      'slack: command failed',
    );
    return { payload: slackPayload(APOLOGY, ctx.logger), public: false };
  }
}

/** Whether a button's command line changes state (then the message records who did it). */
function mutates(line: string): boolean {
  const parsed = parseCommand(tokenize(line));
  return parsed.ok && parsed.command.spec.mutates;
}

async function respondSafely(
  ctx: HandlerContext,
  respond: RespondFn | undefined,
  message: RespondArguments,
): Promise<void> {
  if (!respond) {
    ctx.logger.warn('slack: no response_url to answer on');
    return;
  }
  try {
    await respond(message);
  } catch (error) {
    // response_url works 5 times within 30 minutes; past that the answer is lost, not retried.
    ctx.logger.warn({ err: error }, 'slack: could not answer through response_url');
  }
}

/** Why a file could not be shared, in words an admin can act on. */
function uploadProblem(error: unknown): string {
  const e = error as { code?: string; data?: { error?: string } };
  const code = e?.code === ErrorCode.PlatformError ? e.data?.error : undefined;
  if (code === 'not_in_channel' || code === 'channel_not_found')
    return 'the app is not in this channel; invite it (`/invite @<app name>`) and ask again';
  if (code === 'missing_scope')
    return 'the app lacks the files:write scope; a workspace admin has to add it and reinstall the app';
  return toDeliveryError(error, 'files.uploadV2').message;
}

/**
 * Uploads a public answer's files to the channel (files.uploadV2: files.getUploadURLExternal,
 * the bytes to the upload URL, then files.completeUploadExternal with channel_id), as one
 * message. The answer is already out; if Slack refuses the files, the asker alone is told why.
 */
async function shareFiles(
  ctx: HandlerContext,
  client: WebClient,
  respond: RespondFn | undefined,
  channelId: string,
  attachments: readonly Attachment[],
): Promise<void> {
  try {
    await client.files.uploadV2({
      channel_id: channelId,
      file_uploads: attachments.map((a) => ({
        file: a.bytes,
        filename: a.filename,
        title: a.title,
        alt_text: a.title,
      })),
    });
  } catch (error) {
    ctx.logger.warn(
      { err: error, channel: channelId, files: attachments.map((a) => a.filename) },
      'slack: could not share the chart',
    );
    const message = errorMessage(`The chart could not be posted: ${uploadProblem(error)}`);
    await respondSafely(ctx, respond, {
      response_type: 'ephemeral',
      replace_original: false,
      ...slackPayload(message, ctx.logger),
    });
  }
}

/**
 * Whether the listeners below acknowledge `body` at once and with nothing: `/roadmap`, a click
 * on one of our buttons (Bolt routes block_actions by their first action), and events (Bolt
 * acknowledges those itself before any listener runs). The receiver then answers them before
 * the replay memory or Bolt see them (see receiver.ts). A listener added here that acknowledges
 * with a response, or after some work, must not be counted in.
 */
export function acknowledgedAtOnce(body: Record<string, unknown>): boolean {
  if (body.command !== undefined) return body.command === SLASH_COMMAND;
  if (body.type === 'block_actions') {
    const first = Array.isArray(body.actions) ? (body.actions[0] as unknown) : undefined;
    const actionId = (first as { action_id?: unknown } | undefined)?.action_id;
    return typeof actionId === 'string' && actionId.startsWith(ACTION_ID_PREFIX);
  }
  if (body.type === 'event_callback') {
    // function_executed is the one event Bolt leaves to its listener to acknowledge.
    const event = body.event as { type?: unknown } | undefined;
    return event?.type !== 'function_executed';
  }
  return false;
}

/** `/roadmap <text>`, buttons on our messages, and the App Home tab. */
export function registerHandlers(app: App, ctx: HandlerContext): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond, client }) => {
    // Ack first and empty: Slack's 3-second deadline holds however slow the command is.
    await ack();
    const result = await answer(ctx, command.user_id, command.channel_id, command.text ?? '');
    await respondSafely(ctx, respond, {
      response_type: result.public ? 'in_channel' : 'ephemeral',
      ...result.payload,
    });
    // Files follow a public answer as the next message in the channel (see chartHint for private ones).
    const attachments = result.reply?.attachments ?? [];
    if (result.public && attachments.length > 0)
      await shareFiles(ctx, client, respond, command.channel_id, attachments);
  });

  app.action<BlockAction<ButtonAction>>(
    { type: 'block_actions', action_id: new RegExp(`^${ACTION_ID_PREFIX}`) },
    async ({ ack, body, action, respond, client }) => {
      await ack();
      const line = action.value;
      if (action.type !== 'button' || !line) return;
      const user = body.user.id;
      const channel =
        body.channel?.id ??
        (typeof body.container?.channel_id === 'string'
          ? (body.container.channel_id as string)
          : undefined);
      const result = await answer(ctx, user, channel, line);

      // Refusals, errors and read-only results go to the clicker alone; the message stays as it is.
      if (!result.reply || result.reply.exitCode !== 0 || !mutates(line)) {
        await respondSafely(ctx, respond, {
          response_type: 'ephemeral',
          replace_original: false,
          ...result.payload,
        });
        return;
      }

      const outcome = `:white_check_mark: *${escapeMrkdwn(action.text.text)}* by <@${user}> — ${escapeMrkdwn(result.reply.message.title)} · ${slackDate(ctx.deps.clock())}`;
      const message = body.message;
      const blocks = withOutcome((message?.blocks ?? []) as KnownBlock[], action.block_id, outcome);
      const text =
        typeof message?.text === 'string' && message.text !== ''
          ? message.text
          : result.payload.text;
      if (channel && message?.ts && body.container?.is_ephemeral !== true) {
        try {
          await client.chat.update({ channel, ts: message.ts, text, blocks });
        } catch (error) {
          ctx.logger.warn(
            { err: error, channel, ts: message.ts },
            'slack: could not update the message after a button; telling the clicker instead',
          );
          await respondSafely(ctx, respond, {
            response_type: 'ephemeral',
            replace_original: false,
            ...result.payload,
          });
        }
      } else {
        // An ephemeral message has no ts to update; its response_url can replace it.
        await respondSafely(ctx, respond, { replace_original: true, text, blocks });
      }
    },
  );

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      await client.views.publish({ user_id: event.user, view: await homeView(ctx, event.user) });
    } catch (error) {
      // The tab keeps its last view; it is published again the next time it is opened.
      ctx.logger.warn(
        { err: error, user: event.user },
        'slack: could not publish the App Home tab',
      );
    }
  });
}
