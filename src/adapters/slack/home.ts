import type { HomeView } from '@slack/web-api';
import type { ChannelBindings } from '../../app/ports/subscriptions.js';
import { runCommand } from '../../app/run.js';
import type { Message } from '../../core/messages/model.js';
import { renderSlackHome } from './blocks.js';
import { type HandlerContext, invocationFor, slackDate } from './context.js';
import { checkBlocks, HOME_LIMITS } from './limits.js';

/**
 * The roadmaps channels of this workspace follow (`/roadmap use`). The bot serves one
 * workspace per token, so every Slack binding is this workspace's.
 */
export function boundRoadmapIds(channels: ChannelBindings): Promise<string[]> {
  return channels.boundRoadmaps('slack');
}

/**
 * The App Home tab: the status of every roadmap bound to a channel here, or of every loaded
 * roadmap while none is. Built through the command layer like `/roadmap status`, as the
 * person who opened it.
 */
export async function homeView(ctx: HandlerContext, userId: string): Promise<HomeView> {
  const loaded = ctx.deps.registry.list();
  const bound = (await boundRoadmapIds(ctx.deps.store.channels)).filter((id) =>
    loaded.some((r) => r.id === id),
  );
  const ids = bound.length > 0 ? bound : loaded.map((r) => r.id);
  const replies = await Promise.all(
    ids.map((id) =>
      runCommand(ctx.deps, invocationFor(ctx, userId), ['status', '--roadmap', id], 'chat'),
    ),
  );
  const messages: Message[] = replies.filter((r) => r.exitCode === 0).map((r) => r.message);
  const intro =
    (bound.length > 0
      ? 'Roadmaps followed by channels in this workspace'
      : 'Every loaded roadmap (no channel follows one yet: type `/roadmap use <roadmap>` in a channel)') +
    ` · as of ${slackDate(ctx.deps.clock())} · \`/roadmap help\` for commands`;
  const blocks = renderSlackHome(messages, intro);
  const problems = checkBlocks(blocks, HOME_LIMITS);
  if (problems.length > 0) {
    ctx.logger.error(
      { problems },
      'slack: the Home view breaks Block Kit limits; publishing its header only',
    );
    return { type: 'home', blocks: blocks.slice(0, 1) };
  }
  return { type: 'home', blocks };
}
