import type { App, BlockAction, ButtonAction, RespondArguments, RespondFn } from '@slack/bolt';
import type { KnownBlock } from '@slack/web-api';
import type { Reply } from '../../app/context.js';
import { runCommand } from '../../app/run.js';
import { parseCommand, tokenize } from '../../core/commands/parse.js';
import { errorMessage } from '../../core/messages/compose.js';
import { ACTION_ID_PREFIX, escapeMrkdwn, type SlackPayload, withOutcome } from './blocks.js';
import { type HandlerContext, invocationFor, slackDate } from './context.js';
import { homeView } from './home.js';
import { slackPayload } from './sink.js';

/** The slash command the manifest declares. */
export const SLASH_COMMAND = '/roadmap';

const APOLOGY = errorMessage('Sorry, something went wrong on our side. It has been logged; please try again in a moment.');

interface Answer {
  /** Undefined when the command threw (a bug): the payload is then an apology. */
  reply?: Reply;
  payload: SlackPayload;
  public: boolean;
}

/**
 * Runs one command line through the shared command layer as a Slack user and renders the
 * reply. Expected failures come back as replies with a usage line; a thrown error is a bug,
 * logged here and answered with an apology, never a stack trace.
 */
export async function answer(ctx: HandlerContext, userId: string, channelId: string | undefined, line: string): Promise<Answer> {
  try {
    const reply = await runCommand(ctx.deps, invocationFor(ctx, userId, channelId), line, 'chat');
    const code = reply.json !== undefined ? JSON.stringify(reply.json, null, 2) : undefined;
    return {
      reply,
      payload: slackPayload(reply.message, ctx.logger, code !== undefined ? { code } : {}),
      // Refusals and usage errors stay with the person who typed them, whatever they asked.
      public: reply.public === true && reply.exitCode === 0,
    };
  } catch (error) {
    ctx.logger.error({ err: error, command: line, user: userId, channel: channelId }, 'slack: command failed');
    return { payload: slackPayload(APOLOGY, ctx.logger), public: false };
  }
}

/** Whether a button's command line changes state (then the message records who did it). */
function mutates(line: string): boolean {
  const parsed = parseCommand(tokenize(line));
  return parsed.ok && parsed.command.spec.mutates;
}

async function respondSafely(ctx: HandlerContext, respond: RespondFn | undefined, message: RespondArguments): Promise<void> {
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

/** `/roadmap <text>`, buttons on our messages, and the App Home tab. */
export function registerHandlers(app: App, ctx: HandlerContext): void {
  app.command(SLASH_COMMAND, async ({ command, ack, respond }) => {
    // Ack first and empty: Slack's 3-second deadline holds however slow the command is.
    await ack();
    const result = await answer(ctx, command.user_id, command.channel_id, command.text ?? '');
    await respondSafely(ctx, respond, { response_type: result.public ? 'in_channel' : 'ephemeral', ...result.payload });
  });

  app.action<BlockAction<ButtonAction>>({ type: 'block_actions', action_id: new RegExp(`^${ACTION_ID_PREFIX}`) }, async ({ ack, body, action, respond, client }) => {
    await ack();
    const line = action.value;
    if (action.type !== 'button' || !line) return;
    const user = body.user.id;
    const channel = body.channel?.id ?? (typeof body.container?.channel_id === 'string' ? (body.container.channel_id as string) : undefined);
    const result = await answer(ctx, user, channel, line);

    // Refusals, errors and read-only results go to the clicker alone; the message stays as it is.
    if (!result.reply || result.reply.exitCode !== 0 || !mutates(line)) {
      await respondSafely(ctx, respond, { response_type: 'ephemeral', replace_original: false, ...result.payload });
      return;
    }

    const outcome = `:white_check_mark: *${escapeMrkdwn(action.text.text)}* by <@${user}> — ${escapeMrkdwn(result.reply.message.title)} · ${slackDate(ctx.deps.clock())}`;
    const message = body.message;
    const blocks = withOutcome((message?.blocks ?? []) as KnownBlock[], action.block_id, outcome);
    const text = typeof message?.text === 'string' && message.text !== '' ? message.text : result.payload.text;
    if (channel && message?.ts && body.container?.is_ephemeral !== true) {
      try {
        await client.chat.update({ channel, ts: message.ts, text, blocks });
      } catch (error) {
        ctx.logger.warn({ err: error, channel, ts: message.ts }, 'slack: could not update the message after a button; telling the clicker instead');
        await respondSafely(ctx, respond, { response_type: 'ephemeral', replace_original: false, ...result.payload });
      }
    } else {
      // An ephemeral message has no ts to update; its response_url can replace it.
      await respondSafely(ctx, respond, { replace_original: true, text, blocks });
    }
  });

  app.event('app_home_opened', async ({ event, client }) => {
    if (event.tab !== 'home') return;
    try {
      await client.views.publish({ user_id: event.user, view: await homeView(ctx, event.user) });
    } catch (error) {
      // The tab keeps its last view; it is published again the next time it is opened.
      ctx.logger.warn({ err: error, user: event.user }, 'slack: could not publish the App Home tab');
    }
  });
}
