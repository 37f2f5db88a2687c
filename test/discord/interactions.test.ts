import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { chatCommands, optionsOf, type OptionPlan } from '../../src/adapters/discord/commands.js';
import { TONE_COLOUR } from '../../src/adapters/discord/embeds.js';
import { messageProblems } from '../../src/adapters/discord/limits.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import type { AppDeps } from '../../src/app/context.js';
import {
  autocomplete,
  CHANNEL,
  click,
  keyPair,
  PEOPLE,
  ping,
  slash,
  startBot,
  textOf,
  type Bot,
  type Person,
} from './harness.js';

/**
 * The Discord adapter end to end: interactions signed as Discord signs them, sent to the
 * bot's running HTTP server, run against Postgres, answered as Discord would show them.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
let bot: Bot;

const count = async (table: string) =>
  Number((await db.pool.query(`SELECT count(*) AS n FROM ${table}`)).rows[0].n);
const lastAudit = async () =>
  (
    await db.pool.query(
      `SELECT actor, platform, channel, action, roadmap_id FROM audit_log ORDER BY id DESC LIMIT 1`,
    )
  ).rows[0];
const EPHEMERAL = 64;

/** Sends a slash command and returns what Discord would show: the response's message data. */
async function run(
  sub: string,
  options: Record<string, string | boolean> = {},
  who: Person = PEOPLE.alice,
  channel = CHANNEL,
) {
  const res = await bot.send(slash(sub, options, who, channel));
  expect(res.status).toBe(200);
  expect(res.json.type).toBe(4);
  expect(messageProblems(res.json.data)).toEqual([]);
  return {
    data: res.json.data,
    text: textOf(res.json.data),
    ephemeral: (res.json.data.flags ?? 0) === EPHEMERAL,
    isError: res.json.data.embeds?.[0]?.color === TONE_COLOUR.error,
  };
}

beforeAll(async () => {
  bot = await startBot({ pool: db.pool, roadmaps: ['oviya', 'example'], clock });
});

afterAll(async () => {
  await bot?.close();
});

describe('signed requests', () => {
  it('answers PING with PONG', async () => {
    const res = await bot.send(ping());
    expect(res).toEqual({ status: 200, json: { type: 1 } });
  });

  it('refuses a missing, bad, foreign or stale signature with 401 and changes nothing', async () => {
    const points = await count('metric_points');
    const audits = await count('audit_log');
    const record = () =>
      slash('record', { metric: 'active_users', value: '999', roadmap: 'oviya' });
    const now = Math.floor(clock.now().getTime() / 1000);
    const cases: [string, Parameters<Bot['send']>[1]][] = [
      ['no signature', { signature: null }],
      ['not hex', { signature: 'z'.repeat(128) }],
      ['another key', { signature: 'ab'.repeat(64) }],
      ['six minutes old', { timestamp: String(now - 6 * 60) }],
      ['six minutes ahead', { timestamp: String(now + 6 * 60) }],
    ];
    for (const [why, opts] of cases) {
      const res = await bot.send(record(), opts);
      expect({ why, status: res.status }).toEqual({ why, status: 401 });
    }
    expect(await count('metric_points')).toBe(points);
    expect(await count('audit_log')).toBe(audits);
  });

  it('refuses a body changed after signing', async () => {
    const points = await count('metric_points');
    const timestamp = String(Math.floor(clock.now().getTime() / 1000));
    const original = JSON.stringify(
      slash('record', { metric: 'active_users', value: '1', roadmap: 'oviya' }),
    );
    const tampered = original.replace('"value":"1"', '"value":"1000000"');
    expect(tampered).not.toBe(original);
    const res = await bot.send(undefined, {
      rawBody: tampered,
      timestamp,
      signature: bot.signature(original, timestamp),
    });
    expect(res.status).toBe(401);
    expect(await count('metric_points')).toBe(points);
  });

  it('checks the signature whatever the content type, and refuses a signed body that is not JSON', async () => {
    const plain = await fetch(bot.url, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(plain.status).toBe(401);
    const bare = await fetch(bot.url, { method: 'POST' });
    expect(bare.status).toBe(401);
    expect((await bot.send(undefined, { rawBody: 'not json' })).status).toBe(400);
  });

  it('refuses a body over 1 MiB with 413 before verifying it, and serves the next request', async () => {
    const huge = await bot.send(undefined, { rawBody: `"${'x'.repeat(1_048_577)}"` });
    expect(huge).toEqual({ status: 413, json: { error: 'Request body is too large' } });
    expect((await bot.send(undefined, { rawBody: 'not json' })).status).toBe(400);
  });

  it('refuses the same signed interaction twice (replay within the window)', async () => {
    const interaction = slash('record', {
      metric: 'active_users',
      value: '431',
      roadmap: 'oviya',
      at: '2026-02-20',
    });
    const raw = JSON.stringify(interaction);
    const first = await bot.send(undefined, { rawBody: raw });
    expect(first.status).toBe(200);
    const audits = await count('audit_log');
    const second = await bot.send(undefined, { rawBody: raw });
    expect(second.status).toBe(401);
    expect(await count('audit_log')).toBe(audits);
  });
});

describe('signed but malformed bodies (issue 12): 400 with what was wrong, nothing run', () => {
  const record = () =>
    slash('record', { metric: 'active_users', value: '777', roadmap: 'oviya', at: '2026-02-11' });
  /** The interaction with its id written as a JSON number, digits as Discord would send them. */
  const numberId = () => {
    const interaction = record();
    return JSON.stringify(interaction).replace(
      `"id":"${interaction.id}"`,
      `"id":${interaction.id}`,
    );
  };
  const without = (key: string) => {
    const body: Record<string, unknown> = { ...record() };
    delete body[key];
    return JSON.stringify(body);
  };
  const cases: [string, string, RegExp][] = [
    ['JSON null', 'null', /expected a JSON object \(an interaction\), got null/],
    ['a JSON array', '[]', /got an array/],
    ['a JSON string', '"x"', /got a string/],
    ['a JSON number', '123', /got a number/],
    ['an object without id or type', '{}', /^invalid interaction: id: /],
    ['text that is not JSON', 'not json', /the body is not JSON/],
    [
      'an interaction whose id is a JSON number',
      numberId(),
      /^invalid interaction: id: expected a snowflake/,
    ],
    ['an interaction without its id', without('id'), /^invalid interaction: id: /],
    [
      'an interaction whose id is not a snowflake',
      JSON.stringify({ ...record(), id: 'abc' }),
      /^invalid interaction: id: expected a snowflake/,
    ],
    [
      'an interaction whose id is too short for a snowflake',
      JSON.stringify({ ...record(), id: '1234' }),
      /^invalid interaction: id: expected a snowflake/,
    ],
    ['a type given as a string', JSON.stringify({ ...record(), type: '2' }), /type: /],
    ['a command without its data', without('data'), /^invalid interaction: data: /],
    ['a command without its token', without('token'), /^invalid interaction: token: /],
    [
      'a command whose options are not a list',
      JSON.stringify({ ...record(), data: { type: 1, name: 'roadmap', options: 'record' } }),
      /^invalid interaction: data\.options: /,
    ],
    [
      'a member whose user id is a number',
      JSON.stringify(record()).replace(`"id":"${PEOPLE.alice.id}"`, `"id":${PEOPLE.alice.id}`),
      /^invalid interaction: member\.user\.id: expected a snowflake/,
    ],
    [
      'a member whose roles are not a list',
      JSON.stringify({ ...record(), member: { ...record().member, roles: 'admin' } }),
      /^invalid interaction: member\.roles: /,
    ],
    [
      'a button click without the message it is on',
      JSON.stringify({
        ...click({ id: '1', embeds: [], components: [] }, 'rb:record active_users 777'),
        message: undefined,
      }),
      /^invalid interaction: message: /,
    ],
  ];

  it.each(cases)('%s', async (_what, rawBody, error) => {
    const points = await count('metric_points');
    const audits = await count('audit_log');
    const res = await bot.send(undefined, { rawBody });
    expect(res.status).toBe(400);
    expect(res.json.error).toMatch(error);
    expect(res.json.error).not.toMatch(/TypeError|Cannot read|properties of|\bat \S+ \(/);
    expect(await count('metric_points')).toBe(points);
    expect(await count('audit_log')).toBe(audits);
  });

  it('an interaction with a number id is refused every time, so a replay cannot slip past the replay memory', async () => {
    const raw = numberId();
    const audits = await count('audit_log');
    const statuses = [];
    for (let i = 0; i < 3; i++) statuses.push((await bot.send(undefined, { rawBody: raw })).status);
    expect(statuses).toEqual([400, 400, 400]);
    expect(await count('audit_log')).toBe(audits);
  });
});

/** Values for a generic run of every subcommand: by what the option completes to, its type, or its name. */
function sample(plan: OptionPlan): string | boolean {
  if (plan.kind === 'flag') return true;
  const byCompletion: Record<string, string> = {
    roadmap: 'oviya',
    metric: 'active_users',
    flag: 'multi_region_needed',
    gate: 'no-secrets',
    alert: 'tier0.upgrade',
    command: 'status',
    track: 'database',
    step: 'pro',
  };
  if (plan.completion) return byCompletion[plan.completion] as string;
  if (plan.type === 'yesno') return 'yes';
  if (plan.type === 'time') return '2026-02-01';
  const byName: Record<string, string> = {
    value: '420',
    duration: '1d',
    what: 'alerts',
    window: '7d',
  };
  return byName[plan.name] ?? 'x';
}

function sampleOptions(sub: string): Record<string, string | boolean> {
  const spec = chatCommands().find((c) => c.name === sub);
  if (!spec) throw new Error(`no chat command ${sub}`);
  const plans = optionsOf(spec).filter((p) => p.required || p.name === 'roadmap');
  return Object.fromEntries(plans.map((p) => [p.name, sample(p)]));
}

describe('every /roadmap subcommand', () => {
  const commands = chatCommands();

  it.each(commands.map((c) => [c.name, c.mutates] as const))(
    '%s: readers may run it only if it reads; a refusal audits nothing',
    async (name, mutates) => {
      const audits = await count('audit_log');
      const { text, ephemeral, isError } = await run(name, sampleOptions(name), PEOPLE.rita);
      if (mutates) {
        expect(text).toMatch(/only roadmap admins/);
        expect(ephemeral).toBe(true);
        expect(isError).toBe(true);
      } else {
        expect(text).not.toMatch(/only roadmap admins/);
      }
      expect(await count('audit_log')).toBe(audits);
    },
  );

  it.each(commands.map((c) => [c.name, c.mutates] as const))(
    '%s: an admin runs it; a mutation is audited with the Discord user id and channel',
    async (name, mutates) => {
      const before = await count('audit_log');
      const { isError, text } = await run(name, sampleOptions(name), PEOPLE.alice);
      if (!mutates || isError) {
        // Reads write nothing; a refused mutation (ack of an alert that is not firing) neither.
        expect({ text, audits: await count('audit_log') }).toEqual({ text, audits: before });
        return;
      }
      expect(await count('audit_log')).toBe(before + 1);
      expect(await lastAudit()).toMatchObject({
        actor: PEOPLE.alice.id,
        platform: 'discord',
        channel: CHANNEL,
        action: name,
      });
    },
  );
});

describe('commands as people use them', () => {
  it('status is private by default and public when asked', async () => {
    const mine = await run('status', { roadmap: 'oviya' }, PEOPLE.rita);
    expect(mine.ephemeral).toBe(true);
    expect(mine.data.embeds[0].title).toMatch(/Oviya .* Tier \d/);
    const everyone = await run('status', { roadmap: 'oviya', public: true }, PEOPLE.rita);
    expect(everyone.ephemeral).toBe(false);
  });

  it('record: an admin by role records, with units converted, audited with their Discord id', async () => {
    const { text, isError } = await run(
      'record',
      { metric: 'response_time_p95', value: '1.5s', roadmap: 'oviya', at: '2026-03-01T14:00' },
      PEOPLE.alice,
    );
    expect(isError).toBe(false);
    expect(text).toMatch(/Recorded .*1\.5 ?s/);
    const { rows } = await db.pool.query(
      `SELECT value FROM metric_points WHERE roadmap_id = 'oviya' AND metric = 'response_time_p95' ORDER BY recorded_at DESC LIMIT 1`,
    );
    expect(rows[0].value).toBe(1500);
    expect(await lastAudit()).toMatchObject({
      actor: PEOPLE.alice.id,
      platform: 'discord',
      channel: CHANNEL,
      action: 'record',
      roadmap_id: 'oviya',
    });
  });

  it('set: an admin by user id (no admin role) sets a flag', async () => {
    const { isError } = await run(
      'set',
      { flag: 'multi_region_needed', value: 'yes', roadmap: 'oviya' },
      PEOPLE.owner,
    );
    expect(isError).toBe(false);
    expect(await lastAudit()).toMatchObject({
      actor: PEOPLE.owner.id,
      platform: 'discord',
      action: 'set',
    });
  });

  it('refuses mutations to a member whose roles are not admin roles, privately, writing nothing', async () => {
    const points = await count('metric_points');
    const audits = await count('audit_log');
    for (const [sub, options] of [
      ['record', { metric: 'active_users', value: '5000', roadmap: 'oviya' }],
      ['check', { gate: 'no-secrets', roadmap: 'oviya' }],
      ['advance', { roadmap: 'oviya', force: true }],
    ] as const) {
      const { text, ephemeral } = await run(sub, options, PEOPLE.rita);
      expect(text).toMatch(new RegExp(`only roadmap admins can run "${sub}"`));
      expect(ephemeral).toBe(true);
    }
    expect(await count('metric_points')).toBe(points);
    expect(await count('audit_log')).toBe(audits);
  });

  it('answers bad input privately with what was wrong and the usage of that subcommand', async () => {
    const value = await run('record', { metric: 'active_users', value: 'lots', roadmap: 'oviya' });
    expect(value.ephemeral).toBe(true);
    expect(value.text).toMatch(/value: expected a number/);
    const when = await run('status', { roadmap: 'oviya', now: 'someday' });
    expect(when.ephemeral).toBe(true);
    expect(when.text).toMatch(/--now: expected a date/);
    expect(when.text).toContain(
      'usage: /roadmap status [roadmap:<roadmap>] [now:<time>] [public:True]',
    );
    // A value that would read as an option is refused rather than reinterpreted.
    const sneaky = await run('record', { metric: 'at:2026-01-01', value: '5', roadmap: 'oviya' });
    expect(sneaky.text).toMatch(/reads as an option/);
    expect(sneaky.text).toContain('usage: /roadmap record metric:<metric> value:<value>');
    // Definitions registered by an older version name a subcommand this one does not have.
    const stale = await run('frobnicate');
    expect(stale.ephemeral).toBe(true);
    expect(stale.text).toMatch(/out of date: run roadmap discord register/);
  });

  it('metrics shows sparklines from recorded history, and one metric with its window', async () => {
    for (let day = 6; day >= 1; day--)
      await run('record', {
        metric: 'active_users',
        value: String(300 + day * 10),
        roadmap: 'oviya',
        at: `2026-02-${String(28 - day).padStart(2, '0')}`,
      });
    const all = await run('metrics', { roadmap: 'oviya' }, PEOPLE.rita);
    expect(all.text).toMatch(/`[▁▂▃▄▅▆▇█]{2,}`/);
    const one = await run(
      'metrics',
      { name: 'active_users', window: '7d', roadmap: 'oviya' },
      PEOPLE.rita,
    );
    expect(one.data.embeds[0].title).toMatch(/Active users|active_users/i);
  });

  it('gates, check, uncheck and advance (refused with open gates, then forced) through Postgres', async () => {
    expect((await run('check', { gate: 'pagination', roadmap: 'oviya' })).isError).toBe(false);
    let gates = await run('gates', { roadmap: 'oviya' }, PEOPLE.rita);
    expect(gates.text).toMatch(/☑️ pagination/);
    expect((await run('uncheck', { gate: 'pagination', roadmap: 'oviya' })).isError).toBe(false);
    gates = await run('gates', { roadmap: 'oviya' }, PEOPLE.rita);
    expect(gates.text).toMatch(/⬜ pagination/);
    const refused = await run('advance', { roadmap: 'oviya' });
    expect(refused.isError).toBe(true);
    expect(refused.text).toMatch(/cannot advance/);
    const forced = await run('advance', { roadmap: 'oviya', force: true });
    expect(forced.text).toMatch(/Advanced .* to Tier 1/);
    expect(await lastAudit()).toMatchObject({ actor: PEOPLE.alice.id, action: 'advance' });
    const { rows } = await db.pool.query(
      `SELECT to_stage, actor FROM stage_transitions WHERE roadmap_id = 'oviya' ORDER BY id DESC LIMIT 1`,
    );
    expect(rows[0]).toEqual({ to_stage: 'tier1', actor: `discord:${PEOPLE.alice.id}` });
  });

  it('use binds the channel: its commands then need no roadmap, elsewhere they still do', async () => {
    const bound = '400000000000000123';
    const unbound = await run('status', {}, PEOPLE.rita, bound);
    expect(unbound.text).toMatch(/several roadmaps are loaded/);
    expect((await run('use', { roadmap: 'example' }, PEOPLE.alice, bound)).isError).toBe(false);
    const { rows } = await db.pool.query(
      `SELECT roadmap_id FROM channel_bindings WHERE platform = 'discord' AND channel_id = $1`,
      [bound],
    );
    expect(rows).toEqual([{ roadmap_id: 'example' }]);
    const status = await run('status', {}, PEOPLE.rita, bound);
    expect(status.isError).toBe(false);
    expect(status.data.embeds[0].title).not.toMatch(/Oviya/);
  });

  it('help lists the chat commands and explains one', async () => {
    const all = await run('help', {}, PEOPLE.rita);
    for (const c of chatCommands()) expect(all.text).toContain(c.name);
    expect(all.text).not.toMatch(/\bimport\b/);
    const one = await run('help', { command: 'record' }, PEOPLE.rita);
    expect(one.text).toMatch(/record <metric> <value>/);
  });
});

describe('autocomplete', () => {
  const choices = async (
    sub: string,
    options: Record<string, string>,
    focused: string,
    channel = CHANNEL,
  ) => {
    const res = await bot.send(autocomplete(sub, options, focused, PEOPLE.rita, channel));
    expect(res.status).toBe(200);
    expect(res.json.type).toBe(8);
    return res.json.data.choices as { name: string; value: string }[];
  };
  const other = '400000000000000456';

  it('offers roadmap ids, matching what is typed', async () => {
    expect((await choices('status', { roadmap: 'ovi' }, 'roadmap')).map((c) => c.value)).toEqual([
      'oviya',
    ]);
    expect(
      (await choices('status', { roadmap: '' }, 'roadmap')).map((c) => c.value).sort(),
    ).toEqual(['example', 'oviya']);
  });

  it('offers metrics of the named roadmap, derived ones left out where they cannot be recorded', async () => {
    expect(
      (await choices('record', { metric: 'resp', roadmap: 'oviya' }, 'metric', other)).map(
        (c) => c.value,
      ),
    ).toEqual(['response_time_p95']);
    const recordable = (
      await choices('record', { metric: '', roadmap: 'example' }, 'metric', other)
    ).map((c) => c.value);
    expect(recordable).toContain('paid_users');
    expect(recordable).not.toContain('conversion'); // derived: paid_users / active_users
    expect(
      (await choices('metrics', { name: 'conv', roadmap: 'example' }, 'name', other)).map(
        (c) => c.value,
      ),
    ).toEqual(['conversion']);
    const flags = (await choices('set', { flag: '', roadmap: 'oviya' }, 'flag', other)).map(
      (c) => c.value,
    );
    expect(flags).toEqual(['multi_region_needed']);
  });

  it('offers the manual gates of the current stage (metric-checked ones cannot be ticked)', async () => {
    const values = (await choices('check', { gate: '', roadmap: 'oviya' }, 'gate', other)).map(
      (c) => c.value,
    );
    expect(values.length).toBeGreaterThan(0);
    expect(values).not.toContain('latency');
    expect(values).not.toContain('cache-hit');
  });

  it('offers alert ids and upgrade triggers, and command names for help', async () => {
    const alerts = (await choices('ack', { alert: 'tier', roadmap: 'oviya' }, 'alert', other)).map(
      (c) => c.value,
    );
    expect(alerts).toEqual(expect.arrayContaining(['tier1_to_tier2', 'tier0.upgrade']));
    expect((await choices('help', { command: 'rec' }, 'command'))[0]?.value).toBe('record');
  });

  it('uses the channel binding when no roadmap is named', async () => {
    const channel = '400000000000000789';
    await run('use', { roadmap: 'example' }, PEOPLE.alice, channel);
    const example = (await choices('metrics', { name: '' }, 'name', channel)).map((c) => c.value);
    expect(example).toContain('conversion');
    expect(example).not.toContain('retention_d1'); // Oviya's
    expect(example.length).toBeGreaterThan(0);
  });
});

describe('buttons', () => {
  const channel = '400000000000000900';
  const post = async (command: string, label: string) => {
    const { ref } = await bot.discord.sink.post(channel, {
      title: 'Gate reminder',
      tone: 'warn',
      sections: [
        {
          title: 'Tier 1',
          lines: [{ icon: 'open', text: 'redis-caching: Redis caching operational' }],
        },
      ],
      fallback: 'Gate reminder',
      actions: [{ id: 'tick', label, command, style: 'primary' }],
    });
    const message = bot.fake.messages.get(ref as string);
    if (!message) throw new Error('not posted');
    return message;
  };

  it('a click by an admin runs the command as them and edits the message: who acted, buttons gone', async () => {
    const message = await post(
      'record active_users 123 --at 2026-02-02 --roadmap oviya',
      'Record 123 users',
    );
    const customId = message.components[0].components[0].custom_id as string;
    const res = await bot.send(click(message, customId, PEOPLE.alice, channel));
    expect(res.status).toBe(200);
    expect(res.json.type).toBe(7);
    expect(res.json.data.components).toEqual([]);
    expect(res.json.data.embeds[0].title).toBe('Gate reminder');
    expect(res.json.data.embeds[0].footer.text).toMatch(/^Record 123 users by alice: Recorded /);
    expect(messageProblems(res.json.data)).toEqual([]);
    expect(await lastAudit()).toMatchObject({
      actor: PEOPLE.alice.id,
      platform: 'discord',
      channel,
      action: 'record',
    });
  });

  it('a click by someone who may not is refused privately; the message and the database stay as they were', async () => {
    const message = await post('set multi_region_needed no --roadmap oviya', 'Not multi-region');
    const audits = await count('audit_log');
    const res = await bot.send(
      click(message, message.components[0].components[0].custom_id, PEOPLE.rita, channel),
    );
    expect(res.json.type).toBe(4);
    expect(res.json.data.flags).toBe(EPHEMERAL);
    expect(textOf(res.json.data)).toMatch(/only roadmap admins can run "set"/);
    expect(await count('audit_log')).toBe(audits);
  });

  it('a control that is not ours is refused', async () => {
    const res = await bot.send(
      click({ id: '1', embeds: [], components: [] }, 'someone-else:thing', PEOPLE.alice, channel),
    );
    expect(res.json.type).toBe(4);
    expect(textOf(res.json.data)).toMatch(/not one roadmap-bot knows/);
  });
});

describe('an alert end to end: subscribe, fire, post with buttons, acknowledge by click', () => {
  it('posts the firing alert to the subscribed channel and edits it when acknowledged', async () => {
    const { Scheduler } = await import('../../src/app/scheduler.js');
    const channel = '400000000000000950';
    expect(
      (await run('subscribe', { what: 'alerts', roadmap: 'oviya' }, PEOPLE.alice, channel)).isError,
    ).toBe(false);
    // A roadmap-wide alert, whatever the stage: tier1_to_tier2 fires on response_time_p95 > 1.5s.
    await run('record', { metric: 'response_time_p95', value: '3s', roadmap: 'oviya' });
    const scheduler = new Scheduler(bot.deps, bot.deps.store.outbox, {
      evaluateCron: '* * * * *',
      outboxCron: '* * * * *',
      repeatIntervalMs: 4 * 3_600_000,
      worker: { worker: 'test', sinks: new Map([['discord', bot.discord.sink]]) },
      logger: { info() {}, warn() {}, error() {}, debug() {} },
    });
    await scheduler.tick(clock.now());
    const posted = bot.fake.channelMessages(channel);
    expect(posted.length).toBeGreaterThan(0);
    const alert = posted.find((m) => m.components.length > 0 && /tier1_to_tier2/.test(textOf(m)));
    if (!alert)
      throw new Error(
        `no tier1_to_tier2 alert with buttons among ${posted.map((m) => m.embeds[0]?.title).join(', ')}`,
      );
    const ack = alert.components[0].components.find(
      (b: { label: string }) => b.label === 'Acknowledge',
    );
    expect(ack.custom_id).toMatch(/^rb:ack /);
    const res = await bot.send(click(alert, ack.custom_id, PEOPLE.owner, channel));
    expect(res.json.type).toBe(7);
    expect(res.json.data.components).toEqual([]);
    expect(res.json.data.embeds.at(-1).footer.text).toMatch(/Acknowledge by owner/);
    expect(await lastAudit()).toMatchObject({
      actor: PEOPLE.owner.id,
      platform: 'discord',
      action: 'ack',
    });
  });
});

/** Holds the store's snapshot reads until released, and says when one is waiting. */
function hold() {
  let release = () => {};
  let waiting = () => {};
  const released = new Promise<void>((resolve) => (release = resolve));
  const reached = new Promise<void>((resolve) => (waiting = resolve));
  return { release, released, reached, waiting };
}

describe('deferred answers', () => {
  let slow: Bot;
  let current: ReturnType<typeof hold> | undefined;

  beforeAll(async () => {
    // Always defers; the store can be held so the HTTP answer provably comes before the work ends.
    slow = await startBot({
      pool: db.pool,
      roadmaps: ['oviya'],
      clock,
      deferAfterMs: 0,
      wrap: (deps) => {
        const points = new Proxy(deps.store.points, {
          get(target, key) {
            const value = Reflect.get(target, key, target);
            if (typeof value !== 'function') return value;
            if (key !== 'snapshot') return value.bind(target);
            return async (...args: unknown[]) => {
              const h = current;
              if (h) {
                h.waiting();
                await h.released;
              }
              return value.apply(target, args);
            };
          },
        });
        return { ...deps, store: { ...deps.store, points } };
      },
    });
  });

  afterAll(async () => {
    await slow?.close();
  });

  it('defers (type 5, private) and completes by editing the original through the interaction webhook', async () => {
    const h = (current = hold());
    const interaction = slash('status', {}, PEOPLE.rita);
    const res = await slow.send(interaction);
    expect(res.json).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    // The answer went out while the command is still waiting for the database.
    await h.reached;
    expect(slow.fake.interaction(interaction.token).original).toBeUndefined();
    current = undefined;
    h.release();
    await vi.waitFor(() => expect(slow.fake.interaction(interaction.token).original).toBeDefined());
    const edit = slow.fake
      .callsTo('PATCH /webhooks/:app/:token/messages/@original')
      .find((c) => c.params.token === interaction.token);
    expect(edit?.headers.authorization).toBeUndefined(); // the interaction token authorizes it, not the bot token
    expect(edit?.body.embeds[0].title).toMatch(/Oviya/);
    expect(messageProblems(edit?.body)).toEqual([]);
  });

  it('a public deferral answered with an error replaces the public placeholder with a private follow-up', async () => {
    const interaction = slash('status', { now: 'someday', public: true }, PEOPLE.rita);
    const res = await slow.send(interaction);
    expect(res.json).toEqual({ type: 5, data: {} });
    await vi.waitFor(() =>
      expect(slow.fake.interaction(interaction.token).followUps).toHaveLength(1),
    );
    const log = slow.fake.interaction(interaction.token);
    expect(log.originalDeleted).toBe(true);
    expect(log.followUps[0]?.flags).toBe(EPHEMERAL);
    expect(textOf(log.followUps[0])).toMatch(/usage: \/roadmap status/);
  });

  it('a deferred click (type 6) edits the clicked message when the command is done', async () => {
    const { ref } = await slow.discord.sink.post(CHANNEL, {
      title: 'Reminder',
      tone: 'info',
      sections: [],
      fallback: 'Reminder',
      actions: [
        {
          id: 'x',
          label: 'Not multi-region',
          command: 'set multi_region_needed no --roadmap oviya',
        },
      ],
    });
    const message = slow.fake.messages.get(ref as string);
    const interaction = click(
      message as object,
      message?.components[0].components[0].custom_id,
      PEOPLE.alice,
    );
    const res = await slow.send(interaction);
    expect(res.json).toEqual({ type: 6 });
    await vi.waitFor(() => expect(slow.fake.interaction(interaction.token).original).toBeDefined());
    const edited = slow.fake.interaction(interaction.token).original;
    expect(edited?.components).toEqual([]);
    expect(edited?.embeds[0].footer.text).toMatch(/^Not multi-region by alice: /);
  });
});

describe('the first response does not wait for the replay memory (issue 16)', () => {
  /** The shared memory of both replicas below: held until released, else the database's. */
  let hold: Promise<void> | undefined;
  let release: () => void = () => undefined;
  const held = () => {
    hold = new Promise((resolve) => (release = resolve));
    return () => {
      hold = undefined;
      release();
    };
  };
  const withMemory =
    (busy: boolean) =>
    (deps: AppDeps): AppDeps => {
      const real = deps.store.replays;
      return {
        ...deps,
        // busy: every admission slot taken, as in a burst of commands.
        ...(busy ? { admission: { busy: () => true, arrived: () => undefined } } : {}),
        store: {
          ...deps.store,
          replays: {
            ...real,
            firstSeen: async (platform, id, at) => {
              if (hold) await hold;
              return real.firstSeen(platform, id, at);
            },
            firstSeenMany: async (platform, seen) => {
              if (hold) await hold;
              return real.firstSeenMany(platform, seen);
            },
          },
        },
      };
    };
  const keys = keyPair();
  let busy: Bot;
  let replica: Bot;
  let quiet: Bot;
  beforeAll(async () => {
    const common = { pool: db.pool, roadmaps: ['oviya'], clock, keys };
    busy = await startBot({ ...common, wrap: withMemory(true) });
    replica = await startBot({ ...common, wrap: withMemory(true) });
    // Not busy, with a long inline budget: it waits for the memory and the command.
    quiet = await startBot({ ...common, wrap: withMemory(false) });
  });
  afterAll(async () => {
    await busy?.close();
    await replica?.close();
    await quiet?.close();
  });
  const record = (value: string) =>
    slash('record', { metric: 'active_users', value, roadmap: 'oviya', at: '2026-02-21' });
  const edits = (bot: Bot, token: string) =>
    bot.fake
      .callsTo('PATCH /webhooks/:app/:token/messages/@original')
      .filter((c) => c.params.token === token);

  it('a command that would wait for admission is deferred at once, and runs once the memory says it is new', async () => {
    const open = held();
    const interaction = record('501');
    const audits = await count('audit_log');
    const res = await busy.send(interaction);
    expect(res.json).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(await count('audit_log')).toBe(audits);
    open();
    await busy.discord.idle();
    expect(await count('audit_log')).toBe(audits + 1);
    expect(edits(busy, interaction.token)).toHaveLength(1);
  });

  it('the same interaction on two replicas at once: both defer, one runs it and edits the answer, the other touches nothing', async () => {
    const open = held();
    const raw = JSON.stringify(record('502'));
    const token = (JSON.parse(raw) as { token: string }).token;
    const audits = await count('audit_log');
    const answers = await Promise.all([
      busy.send(undefined, { rawBody: raw }),
      replica.send(undefined, { rawBody: raw }),
    ]);
    expect(answers.map((a) => a.json)).toEqual([
      { type: 5, data: { flags: EPHEMERAL } },
      { type: 5, data: { flags: EPHEMERAL } },
    ]);
    open();
    await Promise.all([busy.discord.idle(), replica.discord.idle()]);
    expect(await count('audit_log')).toBe(audits + 1);
    expect(edits(busy, token).length + edits(replica, token).length).toBe(1);
    // Either replica now refuses it at once.
    expect((await busy.send(undefined, { rawBody: raw })).status).toBe(401);
    expect((await replica.send(undefined, { rawBody: raw })).status).toBe(401);
  });

  it('a replay the memory catches before the first response is refused (401), as before', async () => {
    const raw = JSON.stringify(record('503'));
    expect((await busy.send(undefined, { rawBody: raw })).status).toBe(200);
    await busy.discord.idle();
    const audits = await count('audit_log');
    // The quiet replica waits for the memory within its inline budget: it knows in time.
    const there = await quiet.send(undefined, { rawBody: raw });
    expect(there.status).toBe(401);
    expect(await count('audit_log')).toBe(audits);
  });
});

describe('the largest seed roadmap (mirai.yaml: most metrics and alerts)', () => {
  let big: Bot;
  beforeAll(async () => {
    big = await startBot({ pool: db.pool, roadmaps: ['mirai'], clock });
    const roadmap = big.deps.registry.get('mirai');
    if (!roadmap) throw new Error('mirai not loaded');
    // A week of history for every recorded metric, at values that set every alert off.
    const points = [...roadmap.metrics.values()]
      .filter((m) => !m.derive)
      .flatMap((m) =>
        Array.from({ length: 8 }, (_, day) => ({
          roadmapId: 'mirai',
          metric: m.name,
          value: m.unit === 'flag' ? 1 : 1_000_000 * (day + 1),
          at: new Date(clock.now().getTime() - (7 - day) * 86_400_000),
          source: 'manual',
        })),
      );
    await big.deps.store.points.record(points, {
      actor: { platform: 'system', id: 'test' },
      action: 'seed',
      at: clock.now(),
    });
  });
  afterAll(async () => {
    await big?.close();
  });

  it.each(['status', 'metrics', 'gates', 'alerts', 'help'])(
    '%s stays within Discord limits',
    async (sub) => {
      const res = await big.send(slash(sub, {}, PEOPLE.rita, '400000000000000999'));
      expect(res.json.type).toBe(4);
      expect(messageProblems(res.json.data)).toEqual([]);
      expect(res.json.data.embeds[0].color).not.toBe(TONE_COLOUR.error);
    },
  );
});
