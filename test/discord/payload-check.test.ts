import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  acceptedInteraction,
  checkInteraction,
  checkWithZod,
} from '../../src/adapters/discord/payload.js';
import { anyText, runs } from '../property/support.js';
import { autocomplete, click, ping, slash } from './harness.js';

/*
 * A signed Discord body is checked by hand (acceptedInteraction) before its acknowledgement,
 * and zod is asked only when that check refuses it, for the message (issue 16). Both must
 * agree on every body JSON can give: what the hand check accepts, zod accepts; what it
 * refuses, zod refuses. And checkInteraction answers exactly what the zod path alone would,
 * message included.
 */

type Json = Record<string, unknown>;

/** Through JSON and back, as the route's JSON.parse gives a body. */
const asJson = (value: unknown): unknown => JSON.parse(JSON.stringify(value)) as unknown;

/** Both verdicts on one parsed body; true when it is accepted. */
function agree(value: unknown): boolean {
  const zod = checkWithZod(value);
  expect(acceptedInteraction(value), JSON.stringify(zod)).toBe(zod.ok);
  return zod.ok;
}

/** The same, through checkInteraction on the JSON text: the same answer, word for word. */
function agreeOnText(raw: string): void {
  let parsed: unknown;
  try {
    parsed = JSON.parse(raw);
  } catch {
    return;
  }
  expect(checkInteraction(raw)).toEqual(checkWithZod(parsed));
}

// Well-formed parts, as Discord sends them.
const snowflake = fc.bigInt({ min: 10n ** 16n, max: 10n ** 20n - 1n }).map((n) => n.toString());
const safeInt = fc.integer({ min: -5, max: 12 });
const name = fc.oneof(fc.constantFrom('roadmap', 'status', 'record', 'metric'), anyText(6));
const user = fc.record({
  id: snowflake,
  username: fc.string({ maxLength: 8 }),
  global_name: fc.constantFrom(null, 'Alice'),
  discriminator: fc.constant('0'),
  avatar: fc.constant(null),
});
const member = fc.record(
  {
    user,
    roles: fc.array(snowflake, { maxLength: 3 }),
    nick: fc.constant(null),
    joined_at: fc.constant('2026-01-01T00:00:00Z'),
    permissions: fc.constant('0'),
  },
  { requiredKeys: ['roles'] },
);
const optionValue = fc.oneof(
  fc.string({ maxLength: 6 }),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.boolean(),
);
/** Options nested like subcommand group > subcommand > option, and a level more. */
const options: fc.Arbitrary<Json[]> = fc.letrec<{ options: Json[]; option: Json }>((tie) => ({
  options: fc.array(tie('option'), { maxLength: 3 }),
  option: fc.record(
    {
      name,
      type: safeInt,
      value: optionValue,
      focused: fc.boolean(),
      options: fc.oneof(
        { depthSize: 'small', withCrossShrink: true },
        fc.constant([]),
        tie('options'),
      ),
    },
    { requiredKeys: ['name', 'type'] },
  ),
})).options;
const commandData = fc.record(
  { id: snowflake, name, type: safeInt, options },
  { requiredKeys: ['name', 'type'] },
);
const envelope = (type: number) =>
  fc.record(
    {
      id: snowflake,
      application_id: snowflake,
      type: fc.constant(type),
      token: fc.string({ minLength: 1, maxLength: 12 }),
      version: fc.constant(1),
      guild_id: snowflake,
      channel_id: snowflake,
      channel: fc.record({ id: snowflake, type: fc.constant(0) }),
      member,
      user,
      locale: fc.constant('en-US'),
      entitlements: fc.constant([]),
    },
    { requiredKeys: ['id', 'application_id', 'type', 'token'] },
  );
const anyObject = fc.dictionary(fc.string({ maxLength: 4 }), fc.jsonValue({ maxDepth: 1 }), {
  maxKeys: 3,
});
const interaction: fc.Arbitrary<Json> = fc.oneof(
  envelope(1),
  fc.tuple(envelope(2), commandData).map(([e, data]) => ({ ...e, data })),
  fc
    .tuple(
      envelope(3),
      fc.string({ maxLength: 12 }),
      safeInt,
      fc.array(anyObject, { maxLength: 2 }),
      fc.option(fc.array(anyObject, { maxLength: 2 }), { nil: undefined }),
    )
    .map(([e, custom_id, component_type, embeds, components]) => ({
      ...e,
      data: { custom_id, component_type },
      message: components === undefined ? { id: e.id, embeds } : { id: e.id, embeds, components },
    })),
  fc.tuple(envelope(4), commandData).map(([e, data]) => ({ ...e, data })),
  fc.tuple(envelope(5), anyObject).map(([e, data]) => ({ ...e, data })),
  // A kind the handler does not know: the envelope alone.
  fc.tuple(envelope(1), fc.integer({ min: 6, max: 99 })).map(([e, type]) => ({ ...e, type })),
);

/** What a field may be given instead: wrong types, null, empty, fractions, numbers for ids. */
const astray: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: fc.constant(null), weight: 3 },
  { arbitrary: fc.constant(undefined), weight: 1 },
  fc.constantFrom(null, '', 0, 1.5, -1, true, false, [], {}, '12345', 'abc', '2'),
  fc.constantFrom(2 ** 53, 2 ** 53 + 2, -(2 ** 53), 1e300, 700_000_000_000_000_000),
  snowflake.map((s) => ` ${s}`),
  snowflake.map((s) => `${s}0000`),
  snowflake,
  safeInt,
  anyText(4),
  fc.array(fc.oneof(snowflake, fc.constant(null)), { maxLength: 2 }),
  fc.array(anyObject, { maxLength: 2 }),
  anyObject,
  fc.jsonValue({ maxDepth: 2 }),
);

/** Every place in a value: the path of each property and array element. */
function places(value: unknown, at: (string | number)[] = [], out: (string | number)[][] = []) {
  if (Array.isArray(value)) {
    value.forEach((v, i) => {
      out.push([...at, i]);
      places(v, [...at, i], out);
    });
  } else if (typeof value === 'object' && value !== null) {
    for (const [k, v] of Object.entries(value)) {
      out.push([...at, k]);
      places(v, [...at, k], out);
    }
  }
  return out;
}

type Path = (string | number)[];
type Change = { kind: 'set' | 'drop' | 'add'; where: number | Path; value: unknown; key: string };

/** The fields the check reads, each a likely place for a mistake (options to depth 3). */
const OPTION_FIELDS = ['name', 'type', 'value', 'focused', 'options'];
const READ: Path[] = [
  ['id'],
  ['application_id'],
  ['type'],
  ['token'],
  ['channel_id'],
  ['channel'],
  ['channel', 'id'],
  ['member'],
  ['member', 'user'],
  ['member', 'user', 'id'],
  ['member', 'user', 'username'],
  ['member', 'roles'],
  ['member', 'roles', 0],
  ['user'],
  ['user', 'id'],
  ['user', 'username'],
  ['data'],
  ['data', 'type'],
  ['data', 'name'],
  ['data', 'options'],
  ['data', 'custom_id'],
  ['data', 'component_type'],
  ['message'],
  ['message', 'embeds'],
  ['message', 'embeds', 0],
  ['message', 'components'],
  ['message', 'components', 0],
  ...[1, 2, 3].flatMap((depth) => {
    const at: Path = ['data'];
    for (let i = 0; i < depth; i++) at.push('options', 0);
    return [at, ...OPTION_FIELDS.map((f) => [...at, f])];
  }),
];

/**
 * One field astray (set to another value, left out), or an extra key where an object is: at a
 * field the check reads (where its parent is there), or at any place in the body.
 */
function change(body: Json, { kind, where, value, key }: Change): unknown {
  const copy = structuredClone(body);
  const all = places(copy);
  const path = typeof where === 'number' ? all[where % all.length] : where;
  if (!path) return copy;
  let parent: unknown = copy;
  for (const step of path.slice(0, -1)) {
    if (typeof parent !== 'object' || parent === null) return copy;
    parent = (parent as Json)[step];
  }
  if (typeof parent !== 'object' || parent === null) return copy;
  const last = path[path.length - 1] as string | number;
  const target = parent as Json;
  if (kind === 'set') target[last] = value;
  else if (kind === 'drop' && !Array.isArray(target)) delete target[last];
  else {
    const object = target[last];
    const into = typeof object === 'object' && object !== null && !Array.isArray(object);
    // An own key, as JSON.parse makes it: "__proto__" included.
    Object.defineProperty(into ? object : target, key, {
      value,
      enumerable: true,
      writable: true,
      configurable: true,
    });
  }
  return copy;
}

const aChange: fc.Arbitrary<Change> = fc.record({
  kind: fc.constantFrom('set', 'set', 'set', 'drop', 'add'),
  where: fc.oneof(fc.nat(), fc.constantFrom(...READ)),
  value: astray,
  key: fc.oneof(
    fc.constantFrom('__proto__', 'constructor', 'toString', 'extra', 'id', 'options', 'value'),
    fc.string({ maxLength: 4 }),
  ),
});

const body: fc.Arbitrary<unknown> = fc.oneof(
  { arbitrary: interaction, weight: 2 },
  { arbitrary: fc.tuple(interaction, aChange).map(([i, c]) => change(i, c)), weight: 6 },
  {
    arbitrary: fc
      .tuple(interaction, aChange, aChange)
      .map(([i, c, d]) => change(change(i, c) as Json, d)),
    weight: 2,
  },
  { arbitrary: fc.jsonValue({ maxDepth: 3 }), weight: 1 },
);

describe('acceptedInteraction (the hand check of a Discord body)', () => {
  it('accepts exactly what zod accepts, and checkInteraction answers as zod alone', () => {
    let accepted = 0;
    let refused = 0;
    fc.assert(
      fc.property(body, (b) => {
        const raw = JSON.stringify(b);
        const value = JSON.parse(raw) as unknown;
        if (agree(value)) accepted++;
        else refused++;
        agreeOnText(raw);
      }),
      runs(4000),
    );
    // The generator reaches both verdicts often (else the property says little).
    expect(accepted).toBeGreaterThan(500);
    expect(refused).toBeGreaterThan(500);
  });

  it('agrees on interactions as the bot tests send them, and on each rule', () => {
    const command = asJson(slash('status', { roadmap: 'oviya' })) as Json;
    const data = command.data as Json;
    const options = data.options as Json[];
    const nested = (option: Json): Json => ({
      ...command,
      data: { ...data, options: [{ ...options[0], options: [option] }] },
    });
    const message = { id: '1', embeds: [{ title: 't' }], components: [{ type: 1 }] };
    const clicked = asJson(click(message, 'rb:record active_users 777')) as Json;
    const accepted: unknown[] = [
      command,
      asJson(autocomplete('record', { roadmap: 'oviya', metric: 'act' }, 'metric')),
      clicked,
      asJson(ping()),
      { ...(asJson(ping()) as Json), token: undefined },
      { ...clicked, message: { embeds: [] } },
      { ...command, extra: { any: [1] } },
      nested({ name: 'n', type: 4, value: -2.5 }),
      nested({ name: 'n', type: 5, value: false, focused: true }),
      nested({ name: 'n', type: 1, options: [] }),
      { ...command, type: 9, data: null },
      { ...command, type: 1, token: '' },
      JSON.parse(`{"__proto__": {"id": 5}, ${JSON.stringify(command).slice(1)}`),
    ];
    const refused: unknown[] = [
      { ...command, channel_id: null },
      { ...command, channel: null },
      { ...command, channel: [] },
      { ...command, member: null },
      { ...command, user: { id: '100000000000000001' } },
      { ...command, member: { ...(command.member as Json), roles: undefined } },
      { ...command, member: { ...(command.member as Json), roles: [5] } },
      { ...command, token: '' },
      { ...command, token: undefined },
      { ...command, type: 2.5 },
      { ...command, type: 2 ** 53 },
      { ...command, id: 700_000_000_000_000_000 },
      { ...command, id: '7000000000000000011' + '0'.repeat(2) },
      { ...command, data: { ...data, name: '' } },
      { ...command, data: { ...data, options: {} } },
      nested({ name: 'n', type: 4, value: null }),
      nested({ name: 'n', type: 4, value: [1] }),
      nested({ name: 'n', type: 4, focused: 'yes' }),
      nested({ name: '', type: 4 }),
      nested({ name: 'n', type: 1, options: [{ name: 'm', type: 1.5 }] }),
      { ...clicked, data: { custom_id: 'x' } },
      { ...clicked, message: { embeds: [null] } },
      { ...clicked, message: { embeds: [], components: [[]] } },
      { ...clicked, message: undefined },
      [command],
      null,
      'x',
    ];
    for (const value of accepted) expect(agree(value)).toBe(true);
    for (const value of refused) expect(agree(value)).toBe(false);
    for (const value of [...accepted, ...refused]) {
      const raw = JSON.stringify(value);
      if (raw !== undefined) agreeOnText(raw);
    }
  });

  it('answers JSON that JSON.stringify never writes as zod does', () => {
    const command = JSON.stringify(slash('status', { roadmap: 'oviya' }));
    const texts = [
      // 1e400 reads as Infinity: not a number to zod.
      command.replace('"value":"oviya"', '"value":1e400'),
      command.replace('"type":2', '"type":2.0'),
      command.replace('"type":2', '"type":1e400'),
      command.replace('"type":2', '"type":9007199254740993'),
      command.replace('{', '{"__proto__":null,'),
      command.replace('{', '{"id":5,'),
    ];
    for (const raw of texts) {
      expect(acceptedInteraction(JSON.parse(raw))).toBe(checkWithZod(JSON.parse(raw)).ok);
      agreeOnText(raw);
    }
    expect(checkInteraction(texts[1]!).ok).toBe(true);
    expect(checkInteraction(texts[0]!)).toEqual({
      ok: false,
      error: expect.stringMatching(/^data\.options\.0\.options\.0\.value: /) as string,
    });
  });

  it('leaves options nested past any command Discord has to zod, which decides as before', () => {
    const command = asJson(slash('status', { roadmap: 'oviya' })) as Json;
    let options: Json[] = [{ name: 'leaf', type: 3, value: 'x' }];
    for (let i = 0; i < 40; i++) options = [{ name: `level${i}`, type: 2, options }];
    const deep = { ...command, data: { ...(command.data as Json), options } };
    expect(acceptedInteraction(deep)).toBe(false);
    expect(checkInteraction(JSON.stringify(deep)).ok).toBe(true);
  });
});
