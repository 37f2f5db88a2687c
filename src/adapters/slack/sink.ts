import { ErrorCode, type WebClient } from '@slack/web-api';
import type { Logger } from 'pino';
import { DeliveryError, type MessageRef, type Sink } from '../../app/sink.js';
import type { Message } from '../../core/messages/model.js';
import { renderSlack, type SlackPayload } from './blocks.js';
import { checkBlocks, type MessageBudget, MESSAGE_LIMITS } from './limits.js';

/** Slack API errors (HTTP 200, `ok: false`) that mean Slack itself failed and a retry may succeed. */
const SERVER_ERRORS = new Set([
  'internal_error',
  'fatal_error',
  'service_unavailable',
  'request_timeout',
]);

/**
 * Renders for Slack and checks the result against our Block Kit schema. A payload that fails is
 * a renderer bug: log it and send the header and text alone rather than have Slack refuse it all.
 */
export function slackPayload(
  message: Message,
  logger: Logger,
  options: { code?: string; budget?: MessageBudget } = {},
): SlackPayload {
  const payload = renderSlack(message, options);
  const problems = checkBlocks(payload.blocks, options.budget ?? MESSAGE_LIMITS);
  if (problems.length === 0) return payload;
  logger.error(
    { problems, title: message.title },
    'slack: rendered blocks break Block Kit limits; sending text only',
  );
  return { text: payload.text, blocks: payload.blocks.slice(0, 1) };
}

/**
 * A Web API failure in the outbox's terms. The client has already retried what it retries
 * (429 with Retry-After, HTTP 5xx, network errors) by the time an error reaches us.
 */
export function toDeliveryError(error: unknown, method = 'Slack API call'): DeliveryError {
  if (error instanceof DeliveryError) return error;
  const e = error as {
    code?: string;
    message?: string;
    data?: { error?: string };
    statusCode?: number;
    retryAfter?: number;
    original?: Error;
  };
  const message = typeof e?.message === 'string' ? e.message : String(error);
  switch (e?.code) {
    case ErrorCode.RateLimitedError:
      return new DeliveryError(
        'rate_limited',
        `${method}: rate limited by Slack`,
        secondsToMs(e.retryAfter),
      );
    case ErrorCode.PlatformError: {
      const code = e.data?.error ?? 'unknown_error';
      if (code === 'ratelimited')
        return new DeliveryError('rate_limited', `${method}: ratelimited`);
      return new DeliveryError(
        SERVER_ERRORS.has(code) ? 'server' : 'client',
        `${method}: Slack answered ${code}${hint(code)}`,
      );
    }
    case ErrorCode.HTTPError: {
      const status = e.statusCode ?? 0;
      if (status === 429) return new DeliveryError('rate_limited', `${method}: HTTP 429`);
      return new DeliveryError(
        status >= 500 ? 'server' : 'client',
        `${method}: HTTP ${status} from Slack`,
      );
    }
    case ErrorCode.RequestError:
      return (
        rateLimited(e.original?.message ?? '', method) ??
        new DeliveryError(
          'network',
          `${method}: could not reach Slack (${e.original?.message ?? message})`,
        )
      );
  }
  return rateLimited(message, method) ?? new DeliveryError('client', `${method}: ${message}`);
}

/**
 * web-api 8 reports a 429 it has given up on only in words: after the last retry its plain
 * "A rate limit was exceeded (…, retry-after: N)" error is wrapped as a request error (the
 * code network failures have), and a 429 without a usable Retry-After is a plain Error.
 */
function rateLimited(message: string, method: string): DeliveryError | undefined {
  const retryAfter = /^A rate limit was exceeded .*retry-after: (\d+)\)/.exec(message);
  if (retryAfter)
    return new DeliveryError(
      'rate_limited',
      `${method}: still rate limited after retries`,
      secondsToMs(Number(retryAfter[1])),
    );
  if (message.startsWith('Retry header did not contain a valid timeout'))
    return new DeliveryError('rate_limited', `${method}: rate limited (no Retry-After)`);
  return undefined;
}

function secondsToMs(seconds: number | undefined): number | undefined {
  return seconds !== undefined && Number.isFinite(seconds) ? seconds * 1000 : undefined;
}

function hint(code: string): string {
  if (code === 'not_in_channel')
    return ' (invite the bot to the channel, or add the chat:write.public scope for public channels)';
  if (code === 'channel_not_found')
    return ' (the channel id is wrong, or the channel is private and the bot is not in it)';
  if (code === 'invalid_auth' || code === 'not_authed' || code === 'token_revoked')
    return ' (check SLACK_BOT_TOKEN)';
  return '';
}

/** Alerts and digests into Slack channels: chat.postMessage, and chat.update for edits. */
export class SlackSink implements Sink {
  readonly platform = 'slack' as const;

  constructor(
    private readonly client: WebClient,
    private readonly logger: Logger,
  ) {}

  /** `channel` is a channel id (C…); the ref is the message's `ts`. */
  async post(channel: string, message: Message): Promise<{ ref: MessageRef }> {
    const payload = slackPayload(message, this.logger);
    try {
      const result = await this.client.chat.postMessage({
        channel,
        ...payload,
        unfurl_links: false,
        unfurl_media: false,
      });
      if (!result.ts) throw new DeliveryError('server', 'chat.postMessage: Slack returned no ts');
      return { ref: result.ts };
    } catch (error) {
      throw toDeliveryError(error, 'chat.postMessage');
    }
  }

  async update(channel: string, ref: MessageRef, message: Message): Promise<void> {
    const payload = slackPayload(message, this.logger);
    try {
      await this.client.chat.update({ channel, ts: ref, ...payload });
    } catch (error) {
      throw toDeliveryError(error, 'chat.update');
    }
  }
}
