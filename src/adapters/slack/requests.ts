import { createHash } from 'node:crypto';
import { parse as parseQuery } from 'node:querystring';
import { z } from 'zod';
import { ACTION_ID_PREFIX } from './blocks.js';

/**
 * What a signed request to /slack/events asks for, once its body has the shape Slack sends:
 * a challenge to echo, a rate-limit notice to acknowledge, or something for Bolt to run.
 */
export type SlackRequest =
  | { kind: 'url_verification'; challenge: string }
  | { kind: 'app_rate_limited' }
  | { kind: 'run'; body: Record<string, unknown>; eventId?: string };

export type ParsedRequest = { ok: true; request: SlackRequest } | { ok: false; error: string };

const text = z.string().min(1);

/** `/roadmap …`: Slack sends slash commands as form fields. */
const SlashCommand = z.looseObject({
  command: z.string().regex(/^\/\S+$/, 'expected a slash command such as /roadmap'),
  user_id: text,
  team_id: text,
  channel_id: text,
  text: z.string().optional(),
  response_url: z.string().optional(),
  trigger_id: z.string().optional(),
});

/*
 * What Bolt reads to route an interactivity payload (App#processEvent: getTypeAndConversation,
 * buildSource) and what our listeners read: without it Bolt throws on a property of
 * undefined or null and the request would fail with a 500.
 */
const Interactivity = z.looseObject({
  type: text,
  user: z.looseObject({ id: text, team_id: z.string().nullable().optional() }),
  team: z.looseObject({ id: text }).nullable().optional(),
  enterprise: z.looseObject({ id: text }).nullable().optional(),
  channel: z.looseObject({ id: text }).optional(),
  actions: z.array(z.looseObject({})).optional(),
  view: z.looseObject({}).optional(),
  response_url: z.string().optional(),
});

const BlockAction = z
  .looseObject({
    type: text,
    action_id: text,
    block_id: z.string().optional(),
    value: z.string().optional(),
    text: z.looseObject({ text: z.string() }).optional(),
  })
  // Our buttons' listener writes the clicked button's label into the message.
  .refine(
    (a) => a.type !== 'button' || !a.action_id.startsWith(ACTION_ID_PREFIX) || a.text !== undefined,
    { message: 'a button of this app needs its text', path: ['text'] },
  );
const BlockActions = z.looseObject({ actions: z.array(BlockAction).min(1) });

/** Events API callbacks; `event` as Bolt reads it (user, channel, item, subteam). */
const EventCallback = z.looseObject({
  type: z.literal('event_callback'),
  event_id: text,
  team_id: z.string().optional(),
  event: z.looseObject({
    type: text,
    user: z.union([z.string(), z.looseObject({ id: text })]).optional(),
    channel: z.union([z.string(), z.looseObject({})]).optional(),
    channel_id: z.string().optional(),
    item: z.looseObject({}).optional(),
    subteam: z.looseObject({}).optional(),
  }),
});

const UrlVerification = z.looseObject({
  type: z.literal('url_verification'),
  challenge: z.string(),
});

/**
 * Checks the body of a signed request against the shapes Slack sends, so that whatever else
 * arrives is refused with a sentence saying what was expected instead of reaching Bolt.
 * Slash commands are form fields; interactivity is a form with one JSON `payload`; the Events
 * API sends JSON.
 */
export function parseSlackRequest(raw: string, isForm: boolean): ParsedRequest {
  if (isForm) {
    const fields = parseQuery(raw);
    if (fields.payload !== undefined) {
      if (typeof fields.payload !== 'string')
        return { ok: false, error: 'payload: expected one form field, got several' };
      const payload = parseJson(fields.payload);
      if (!payload.ok) return { ok: false, error: 'payload: expected JSON, got text that is not' };
      if (!isObject(payload.value))
        return {
          ok: false,
          error: `payload: expected a JSON object (an interactivity payload), got ${kindOf(payload.value)}`,
        };
      const checked = Interactivity.safeParse(payload.value);
      if (!checked.success) return { ok: false, error: issues(checked.error, 'payload') };
      if (checked.data.type === 'block_actions') {
        const actions = BlockActions.safeParse(payload.value);
        if (!actions.success) return { ok: false, error: issues(actions.error, 'payload') };
      }
      if (checked.data.type.startsWith('view_') && checked.data.view === undefined)
        return { ok: false, error: `payload.view: expected an object for ${checked.data.type}` };
      return { ok: true, request: { kind: 'run', body: payload.value } };
    }
    if (fields.command === undefined)
      return {
        ok: false,
        error:
          'expected a slash command (form fields command, user_id, team_id, channel_id) or an interactivity payload=<JSON>',
      };
    const checked = SlashCommand.safeParse(fields);
    if (!checked.success) return { ok: false, error: issues(checked.error) };
    return { ok: true, request: { kind: 'run', body: { ...fields } } };
  }

  const json = parseJson(raw);
  if (!json.ok) return { ok: false, error: 'expected a JSON body (an Events API request)' };
  const body = json.value;
  if (!isObject(body))
    return {
      ok: false,
      error: `expected a JSON object (an Events API request), got ${kindOf(body)}`,
    };
  switch (body.type) {
    case 'url_verification': {
      const checked = UrlVerification.safeParse(body);
      if (!checked.success) return { ok: false, error: issues(checked.error) };
      return { ok: true, request: { kind: 'url_verification', challenge: checked.data.challenge } };
    }
    case 'app_rate_limited':
      return { ok: true, request: { kind: 'app_rate_limited' } };
    case 'event_callback': {
      const checked = EventCallback.safeParse(body);
      if (!checked.success) return { ok: false, error: issues(checked.error) };
      return { ok: true, request: { kind: 'run', body, eventId: checked.data.event_id } };
    }
    default:
      return {
        ok: false,
        error: `type: expected url_verification, event_callback or app_rate_limited, got ${kindOf(body.type)}`,
      };
  }
}

/**
 * What identifies one Slack request in the replay memory: the signed base string (the same
 * bytes signed at the same second are the same request, whoever sends them), and for Events
 * API callbacks the event_id too, because Slack may retry an event with a fresh signature.
 */
export function requestKeys(
  timestamp: string,
  raw: string,
  request: { eventId?: string | undefined },
): string[] {
  const signed = createHash('sha256').update(`v0:${timestamp}:${raw}`).digest('hex');
  return [`sig:${signed}`, ...(request.eventId ? [`event:${request.eventId}`] : [])];
}

function parseJson(raw: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A short description of a JSON value for an error message (never the value itself). */
function kindOf(value: unknown): string {
  if (value === undefined) return 'nothing';
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

/** The first problems zod found, each with the field it is about. */
function issues(error: z.ZodError, prefix = ''): string {
  return error.issues
    .slice(0, 3)
    .map((i) => {
      const field = [prefix, ...i.path.map(String)].filter(Boolean).join('.') || 'body';
      return `${field}: ${i.message}`;
    })
    .join('; ');
}
