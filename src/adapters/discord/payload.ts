import type { APIInteraction } from '@discordjs/core/http-only';
import { z } from 'zod';

/**
 * Discord ids are snowflakes: 64-bit integers that Discord writes as strings, because a JSON
 * number loses precision past 2^53. 17 to 20 digits covers every id since 2015.
 */
export const SNOWFLAKE = /^\d{17,20}$/;

const snowflake = z
  .string('expected a snowflake: a string of 17 to 20 digits')
  .regex(SNOWFLAKE, 'expected a snowflake: a string of 17 to 20 digits');

const User = z.looseObject({ id: snowflake, username: z.string() });
const Member = z.looseObject({ user: User.optional(), roles: z.array(snowflake) });

type Option = { name: string; type: number; options?: Option[] };
/** Slash command options as the translation reads them: nested for subcommands. */
const Option: z.ZodType<Option> = z.lazy(() =>
  z.looseObject({
    name: z.string().min(1),
    type: z.number().int(),
    value: z.union([z.string(), z.number(), z.boolean()]).optional(),
    focused: z.boolean().optional(),
    options: z.array(Option).optional(),
  }),
);
const CommandData = z.looseObject({
  type: z.number().int(),
  name: z.string().min(1),
  options: z.array(Option).optional(),
});

/** What every interaction carries that the bot reads: who, where, and the webhook token. */
const Envelope = z.looseObject({
  id: snowflake,
  application_id: snowflake,
  type: z.number().int(),
  channel_id: snowflake.optional(),
  channel: z.looseObject({ id: snowflake }).optional(),
  member: Member.optional(),
  user: User.optional(),
});
const WithToken = z.looseObject({ token: z.string().min(1) });

/**
 * The parts each kind the handler answers reads (src/adapters/discord/handler.ts). A change to
 * any schema here needs the same change in acceptedInteraction below (its test says so).
 */
const ByType: Record<number, z.ZodType> = {
  2: z.looseObject({ data: CommandData }),
  3: z.looseObject({
    data: z.looseObject({ custom_id: z.string(), component_type: z.number().int() }),
    message: z.looseObject({
      embeds: z.array(z.looseObject({})),
      components: z.array(z.looseObject({})).optional(),
    }),
  }),
  4: z.looseObject({ data: CommandData }),
};

export type CheckedInteraction =
  { ok: true; interaction: APIInteraction } | { ok: false; error: string };

/**
 * The body of a signed request, checked before the replay memory and the handler see it: a
 * JSON object with a snowflake id (a number id would slip past the replay check) and the
 * fields the handler reads for its type. Kinds the handler does not know only need the
 * envelope; they are answered "not handled".
 *
 * Checked by hand first (acceptedInteraction), since this runs before every acknowledgement on
 * the one event loop (issue 16); zod is asked only when the hand check refuses, for its
 * field-level message.
 */
export function checkInteraction(raw: string): CheckedInteraction {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'the body is not JSON' };
  }
  if (acceptedInteraction(value)) return { ok: true, interaction: value };
  return checkWithZod(value);
}

/** checkInteraction's verdict on a parsed body by zod alone: the words of every refusal. */
export function checkWithZod(value: unknown): CheckedInteraction {
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    return { ok: false, error: `expected a JSON object (an interaction), got ${kindOf(value)}` };
  const envelope = Envelope.safeParse(value);
  if (!envelope.success) return { ok: false, error: issues(envelope.error) };
  const type = envelope.data.type;
  if (type !== 1) {
    const token = WithToken.safeParse(value);
    if (!token.success) return { ok: false, error: issues(token.error) };
  }
  const specific = ByType[type]?.safeParse(value);
  if (specific && !specific.success) return { ok: false, error: issues(specific.error) };
  return { ok: true, interaction: value as APIInteraction };
}

/**
 * Whether zod would accept a parsed body (checkWithZod's ok), by the same rules written out:
 * plain typeof checks, no copy. zod's safeParse of the envelope, token and command data cost
 * about 5 µs per interaction when warm and far more in a burst (issue 16). zod's rules, as
 * matched here: `.optional()` accepts an absent key (undefined) but not null;
 * `z.number().int()` is a safe integer (a JSON number past 2^53, or 1e400 read as Infinity, is
 * refused); looseObject keeps other keys (an own "__proto__" from JSON included); arrays are
 * real arrays. Options nested deeper than
 * OPTION_DEPTH are left to zod (refused here), which decides as before.
 * test/discord/payload-check.test.ts holds it to zod's verdict.
 */
export function acceptedInteraction(value: unknown): value is APIInteraction {
  if (!isObject(value)) return false;
  const type = value.type;
  if (!isSnowflake(value.id) || !isSnowflake(value.application_id) || !Number.isSafeInteger(type))
    return false;
  if (value.channel_id !== undefined && !isSnowflake(value.channel_id)) return false;
  const channel = value.channel;
  if (channel !== undefined && !(isObject(channel) && isSnowflake(channel.id))) return false;
  const member = value.member;
  if (member !== undefined) {
    if (!isObject(member) || (member.user !== undefined && !isUser(member.user))) return false;
    const roles = member.roles;
    if (!Array.isArray(roles)) return false;
    for (let i = 0; i < roles.length; i++) if (!isSnowflake(roles[i])) return false;
  }
  if (value.user !== undefined && !isUser(value.user)) return false;
  if (type !== 1 && !isFilled(value.token)) return false;
  if (type === 2 || type === 4) {
    const data = value.data;
    return (
      isObject(data) &&
      Number.isSafeInteger(data.type) &&
      isFilled(data.name) &&
      (data.options === undefined || areOptions(data.options, 1))
    );
  }
  if (type === 3) {
    const data = value.data;
    if (!isObject(data) || typeof data.custom_id !== 'string') return false;
    if (!Number.isSafeInteger(data.component_type)) return false;
    const message = value.message;
    if (!isObject(message) || !areObjects(message.embeds)) return false;
    return message.components === undefined || areObjects(message.components);
  }
  return true;
}

/** Subcommand groups hold subcommands hold options: 3 levels. Deeper goes to zod. */
const OPTION_DEPTH = 32;

function areOptions(value: unknown, depth: number): boolean {
  if (!Array.isArray(value) || depth > OPTION_DEPTH) return false;
  for (let i = 0; i < value.length; i++) {
    const option: unknown = value[i];
    if (!isObject(option) || !isFilled(option.name) || !Number.isSafeInteger(option.type))
      return false;
    const v = option.value;
    if (
      v !== undefined &&
      typeof v !== 'string' &&
      typeof v !== 'boolean' &&
      !(typeof v === 'number' && Number.isFinite(v))
    )
      return false;
    if (option.focused !== undefined && typeof option.focused !== 'boolean') return false;
    if (option.options !== undefined && !areOptions(option.options, depth + 1)) return false;
  }
  return true;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function areObjects(value: unknown): boolean {
  if (!Array.isArray(value)) return false;
  for (let i = 0; i < value.length; i++) if (!isObject(value[i])) return false;
  return true;
}

function isSnowflake(value: unknown): boolean {
  return typeof value === 'string' && SNOWFLAKE.test(value);
}

function isFilled(value: unknown): boolean {
  return typeof value === 'string' && value.length > 0;
}

function isUser(value: unknown): boolean {
  return isObject(value) && isSnowflake(value.id) && typeof value.username === 'string';
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  return `a ${typeof value}`;
}

/** The first problems zod found, each with the field it is about. */
function issues(error: z.ZodError): string {
  return error.issues
    .slice(0, 3)
    .map((i) => `${i.path.map(String).join('.') || 'body'}: ${i.message}`)
    .join('; ');
}
