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

/** The parts each kind the handler answers reads (src/adapters/discord/handler.ts). */
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
 */
export function checkInteraction(raw: string): CheckedInteraction {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return { ok: false, error: 'the body is not JSON' };
  }
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
