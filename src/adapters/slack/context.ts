import type { Logger } from 'pino';
import type { AppDeps, Invocation } from '../../app/context.js';

/** What the Slack listeners need: the command layer's dependencies, the admins, a logger. */
export interface HandlerContext {
  deps: AppDeps;
  /** SLACK_ADMIN_USER_IDS: who may run mutating commands and buttons. */
  admins: ReadonlySet<string>;
  logger: Logger;
}

/** A Slack user in a channel, as the command layer sees them; runCommand resolves the channel's roadmap. */
export function invocationFor(ctx: HandlerContext, userId: string, channelId?: string): Invocation {
  return {
    actor: { platform: 'slack', id: userId, ...(channelId ? { channel: channelId } : {}) },
    isAdmin: ctx.admins.has(userId),
  };
}

/** `<!date^…>`: Slack shows the moment in each reader's own time zone. */
export function slackDate(at: Date): string {
  const seconds = Math.floor(at.getTime() / 1000);
  return `<!date^${seconds}^{date_short_pretty} {time}|${new Date(seconds * 1000).toISOString()}>`;
}
