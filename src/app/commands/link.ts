import type { ParsedCommand } from '../../core/commands/parse.js';
import { parseDurationLiteral } from '../../core/condition/parse.js';
import { formatDuration } from '../../core/duration.js';
import type { LinkButton, Message } from '../../core/messages/model.js';
import { formatDateTime } from '../../core/time.js';
import { DEFAULT_LINK_TTL_MS, MAX_LINK_TTL_MS } from '../../core/web/link.js';
import type { AppDeps, Invocation, Reply } from '../context.js';
import { CommandError } from '../errors.js';
import { resolveRoadmap } from '../evaluate.js';
import { webLink, type WebSettings } from '../web.js';

/** The shortest `--ttl`: a link that expires before it is opened helps nobody. */
export const MIN_LINK_TTL_MS = 60_000;

/** The label of the button that opens a roadmap's page, on `status` and `link` answers. */
export const OPEN_LABEL = 'Open in browser';

/** `--ttl`: a duration from 1m to MAX_LINK_TTL_MS; absent, the default (7d). */
export function ttlFrom(option: string | true | undefined): number {
  if (option === undefined) return DEFAULT_LINK_TTL_MS;
  const text = typeof option === 'string' ? option : '';
  const ms = parseDurationLiteral(text);
  const range = `from ${formatDuration(MIN_LINK_TTL_MS)} to ${formatDuration(MAX_LINK_TTL_MS)}`;
  if (ms === undefined)
    throw new CommandError(
      'invalid',
      `--ttl: expected a duration ${range} such as 1h, 7d or 30d, got "${text}"`,
    );
  if (ms < MIN_LINK_TTL_MS || ms > MAX_LINK_TTL_MS)
    throw new CommandError(
      'invalid',
      `--ttl: ${formatDuration(ms)} is out of bounds: a link is valid ${range}`,
    );
  return ms;
}

/**
 * The "Open in browser" button for a roadmap, when the pages are on and PUBLIC_URL says where
 * people open them; none otherwise (status is answered just the same without it).
 */
export function openButton(
  web: WebSettings | undefined,
  roadmapId: string,
  now: Date,
): LinkButton | undefined {
  if (!web || web.access === 'off' || !web.publicUrl) return undefined;
  if (web.access === 'links' && !web.secret) return undefined; // config refuses this; be safe
  return { label: OPEN_LABEL, url: webLink(web, roadmapId, now).url };
}

/**
 * `link [--roadmap id] [--ttl 7d] [--tv]`: the address of a roadmap's page. With signed links
 * it opens that roadmap until it expires; with public pages it is the plain address. Refused,
 * saying what to configure, while the pages are off or PUBLIC_URL is unset.
 */
export async function link(
  deps: AppDeps,
  invocation: Invocation,
  command: ParsedCommand,
): Promise<Reply> {
  const roadmap = resolveRoadmap(deps, invocation, command.options.roadmap);
  const ttlMs = ttlFrom(command.options.ttl);
  const tv = command.options.tv === true;
  const web = deps.web ?? { access: 'off' };
  const { url, expiresAt } = webLink(web, roadmap.id, deps.clock(), ttlMs, { tv });
  const zone = roadmap.timezone;
  const what = `${roadmap.name} (${roadmap.id})${tv ? ' in TV mode' : ''}`;
  const lines = expiresAt
    ? [
        `Opens the page of ${what} until ${formatDateTime(expiresAt, zone)} (${zone}).`,
        'Anyone holding it can read that page until then, and nothing else.',
      ]
    : [
        `Opens the page of ${what}.`,
        'The pages are public (WEB_ACCESS=public): this is the plain address, with no signature and no expiry.',
      ];
  const message: Message = {
    title: `Web page of ${roadmap.name}`,
    tone: 'info',
    sections: [{ lines: lines.map((text) => ({ text })) }],
    fallback: `Web page of ${roadmap.name}`,
    links: [{ label: OPEN_LABEL, url }],
  };
  return { message, exitCode: 0 };
}
