import type { API } from '@discordjs/core/http-only';
import {
  DiscordAPIError,
  HTTPError,
  RateLimitError,
  REST,
  type RESTOptions,
} from '@discordjs/rest';
import { DeliveryError, type Sink } from '../../app/sink.js';
import type { Config } from '../../config.js';
import type { Message } from '../../core/messages/model.js';
import { renderDiscord } from './embeds.js';

export const DEFAULT_DISCORD_API = 'https://discord.com/api';

/**
 * A wait on a channel's rate limit longer than this is handed back to the outbox (as a
 * `rate_limited` DeliveryError carrying retry_after) instead of holding a delivery worker.
 */
const MAX_CHANNEL_WAIT_MS = 10_000;

/** The discord.js REST client: queues per bucket, waits out 429s (retry_after), retries 5xx. */
export function createRest(
  config: Pick<Config, 'DISCORD_TOKEN' | 'DISCORD_API_URL'>,
  options: Partial<RESTOptions> = {},
): REST {
  const rest = new REST({
    api: config.DISCORD_API_URL ?? DEFAULT_DISCORD_API,
    rejectOnRateLimit: (limit) =>
      limit.route.startsWith('/channels/') && limit.retryAfter > MAX_CHANNEL_WAIT_MS,
    ...options,
  });
  if (config.DISCORD_TOKEN) rest.setToken(config.DISCORD_TOKEN);
  return rest;
}

/** Stops the REST client's sweep timers (they are unref'd, but a clean stop leaves nothing behind). */
export function closeRest(rest: REST): void {
  rest.clearHashSweeper();
  rest.clearHandlerSweeper();
}

/** Discord's JSON error codes we can say something useful about. */
const HINTS: Record<number, string> = {
  10003: 'the channel does not exist (deleted, or in a server the bot left): unsubscribe it',
  50001: 'the bot cannot see the channel: invite it to the server and give it View Channel',
  50013: 'the bot lacks a permission in the channel: give it Send Messages and Embed Links',
  50035: 'Discord refused the message as malformed (a renderer bug: please report it)',
};

/**
 * A failed REST call in the outbox's terms: only rate limits, 5xx and network failures can
 * succeed later; a 4xx is a problem someone has to fix, said in words they can act on.
 */
export function toDeliveryError(error: unknown, where = 'Discord'): DeliveryError {
  if (error instanceof DeliveryError) return error;
  if (error instanceof RateLimitError) {
    return new DeliveryError(
      'rate_limited',
      `${where}: rate limited on ${error.route} for ${Math.ceil(error.retryAfter / 1000)} s`,
      error.retryAfter,
    );
  }
  if (error instanceof DiscordAPIError) {
    if (error.status === 429) return new DeliveryError('rate_limited', `${where}: rate limited`);
    if (error.status >= 500)
      return new DeliveryError(
        'server',
        `${where}: Discord answered ${error.status}: ${error.message}`,
      );
    if (error.status === 401)
      return new DeliveryError(
        'client',
        `${where}: Discord refused DISCORD_TOKEN (401): check the bot token in the developer portal`,
      );
    const hint = typeof error.code === 'number' ? HINTS[error.code] : undefined;
    return new DeliveryError(
      'client',
      `${where}: Discord answered ${error.status} (${error.code}: ${error.message})${hint ? `; ${hint}` : ''}`,
    );
  }
  if (error instanceof HTTPError) {
    return new DeliveryError(
      error.status >= 500 ? 'server' : 'client',
      `${where}: Discord answered ${error.status} ${error.message}`,
    );
  }
  const message =
    error instanceof Error
      ? error.cause instanceof Error
        ? `${error.message} (${error.cause.message})`
        : error.message
      : String(error);
  return new DeliveryError('network', `${where}: cannot reach Discord: ${message}`);
}

/** Posts alerts and digests to channels as embeds; edits them in place. */
export class DiscordSink implements Sink {
  readonly platform = 'discord' as const;

  constructor(
    private readonly api: API,
    private readonly opts: { hasToken: boolean; alertRoleId?: string },
  ) {}

  private render(message: Message) {
    if (!this.opts.hasToken)
      throw new DeliveryError(
        'client',
        'DISCORD_TOKEN is not set: the bot cannot post to Discord channels',
      );
    return renderDiscord(
      message,
      this.opts.alertRoleId ? { alertRoleId: this.opts.alertRoleId } : {},
    );
  }

  async post(channel: string, message: Message): Promise<{ ref: string }> {
    const body = this.render(message);
    try {
      const sent = await this.api.channels.createMessage(channel, body);
      return { ref: sent.id };
    } catch (error) {
      throw toDeliveryError(error, `discord channel ${channel}`);
    }
  }

  async update(channel: string, ref: string, message: Message): Promise<void> {
    const body = this.render(message);
    try {
      // An edit keeps what it does not name: clear buttons and a role mention that no longer apply.
      await this.api.channels.editMessage(channel, ref, {
        ...body,
        content: body.content ?? '',
        components: body.components ?? [],
      });
    } catch (error) {
      throw toDeliveryError(error, `discord channel ${channel}`);
    }
  }
}
