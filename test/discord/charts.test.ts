import { API, type APIEmbed } from '@discordjs/core/http-only';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/adapters/charts/spec.js';
import { answerOverRest } from '../../src/adapters/discord/gateway.js';
import { createInteractionHandler, withAttachments } from '../../src/adapters/discord/handler.js';
import { messageProblems } from '../../src/adapters/discord/limits.js';
import { closeRest, createRest } from '../../src/adapters/discord/rest.js';
import { createLogger } from '../../src/logger.js';
import { PNG_SIGNATURE, pngSize, withCharts } from '../fakes/charts.js';
import { DEFAULT_MAX_FILE_BYTES, type FakeCall, type FakeMessage } from '../fakes/discord.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { PEOPLE, slash, startBot, textOf, type Bot } from './harness.js';

/**
 * `/roadmap metrics name:<name>` with a chart, end to end: the real renderer draws the PNG,
 * the answer is deferred and edited in through the interaction webhook as multipart (the
 * JSON as `payload_json`, the PNG as `files[0]`), and the first embed shows it.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
const EPHEMERAL = 64;
const EDIT = 'PATCH /webhooks/:app/:token/messages/@original';
const TITLE = 'Active users: history, thresholds and forecast';
let bot: Bot;
/** The same app without a chart renderer: what answers looked like before charts. */
let plain: Bot;
/** Always defers, as a slow command would. */
let slow: Bot;

beforeAll(async () => {
  bot = await startBot({ pool: db.pool, roadmaps: ['oviya'], clock, wrap: withCharts() });
  plain = await startBot({ pool: db.pool, roadmaps: ['oviya'], clock });
  slow = await startBot({
    pool: db.pool,
    roadmaps: ['oviya'],
    clock,
    deferAfterMs: 0,
    wrap: withCharts(),
  });
  for (const [value, at] of [
    [300, '2026-02-20'],
    [330, '2026-02-23'],
    [350, '2026-02-25'],
    [380, '2026-02-27'],
    [420, '2026-03-01T12:00'],
  ] as const) {
    const res = await bot.send(
      slash('record', { metric: 'active_users', value: String(value), at }, PEOPLE.alice),
    );
    expect(textOf(res.json.data)).toMatch(/Recorded Active users/);
  }
});

afterAll(async () => {
  await bot?.close();
  await plain?.close();
  await slow?.close();
});

/** Sends the command; once the deferred work is done, returns the response and what reached the fake for it. */
async function run(on: Bot, sub: string, options: Record<string, string | boolean>) {
  const interaction = slash(sub, options, PEOPLE.rita);
  const res = await on.send(interaction);
  expect(res.status).toBe(200);
  await on.discord.idle();
  const calls = on.fake.calls.filter((c) => c.params.token === interaction.token);
  return { res, calls, log: on.fake.interaction(interaction.token) };
}

/** The chart as the fake received it: one PNG of the documented size, as files[0]. */
function expectChart(call: FakeCall | undefined): Buffer {
  expect(call?.headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
  expect(
    call?.files.map((f) => ({ field: f.field, filename: f.filename, contentType: f.contentType })),
  ).toEqual([{ field: 'files[0]', filename: 'active_users.png', contentType: 'image/png' }]);
  const png = call?.files[0]?.bytes as Buffer;
  expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
  expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
  expect(png.length).toBe(call?.files[0]?.size);
  expect(png.length).toBeGreaterThan(5_000);
  return png;
}

/** The message referencing its file: the first embed's image, and the attachment Discord lists. */
function expectReferenced(message: FakeMessage | undefined, size: number) {
  expect(message?.embeds[0]?.image).toEqual({ url: 'attachment://active_users.png' });
  expect(message?.attachments).toEqual([
    expect.objectContaining({
      filename: 'active_users.png',
      description: TITLE,
      content_type: 'image/png',
      size,
    }),
  ]);
  expect(textOf(message)).toMatch(/latest: 420/);
}

/** A message's data without what the chart adds (the image and the attachment list). */
function withoutChart(data: { embeds: APIEmbed[]; attachments?: unknown }) {
  const { attachments: _attachments, ...rest } = data;
  const [first, ...others] = data.embeds;
  const { image: _image, ...embed } = first ?? {};
  return { ...rest, embeds: [embed, ...others] };
}

describe('metrics <name> with a chart', () => {
  it('public:true defers in public, then edits the answer in with the real PNG as multipart', async () => {
    const { res, calls, log } = await run(bot, 'metrics', { name: 'active_users', public: true });
    // Files cannot ride on the HTTP response body: a public "thinking…", then the edit.
    expect(res.json).toEqual({ type: 5, data: {} });
    expect(calls.map((c) => `${c.route} ${c.status}`)).toEqual([`${EDIT} 200`]);
    const edit = calls[0];
    const png = expectChart(edit);
    expect(edit?.body.attachments).toEqual([
      { id: 0, filename: 'active_users.png', description: TITLE },
    ]);
    expect(edit?.body.embeds[0].image).toEqual({ url: 'attachment://active_users.png' });
    expect(messageProblems(edit?.body)).toEqual([]);
    expectReferenced(log.original, png.length);
    expect(log.followUps).toEqual([]);
  });

  it('the message is the one sent without charts, plus the image (and stays within limits)', async () => {
    const before = await run(plain, 'metrics', { name: 'active_users', public: true });
    // No renderer: answered at once as before, no files.
    expect(before.res.json.type).toBe(4);
    expect(before.calls).toEqual([]);
    const after = await run(bot, 'metrics', { name: 'active_users', public: true });
    expect(withoutChart(after.calls[0]?.body)).toEqual(before.res.json.data);
  });

  it('private: the deferral is ephemeral and the chart is attached to the ephemeral answer', async () => {
    const { res, calls, log } = await run(bot, 'metrics', { name: 'active_users' });
    expect(res.json).toEqual({ type: 5, data: { flags: EPHEMERAL } });
    const png = expectChart(calls[0]);
    expectReferenced(log.original, png.length);
  });

  it('replies without attachments are unchanged: answered at once as JSON, nothing uploaded', async () => {
    for (const [sub, options] of [
      ['metrics', { public: true }],
      ['status', {}],
      ['gates', { public: true }],
    ] as const) {
      const withCharts = await run(bot, sub, options);
      const without = await run(plain, sub, options);
      expect(withCharts.res.json.type).toBe(4);
      expect(withCharts.res.json.data.embeds[0].image).toBeUndefined();
      expect(withCharts.calls).toEqual([]);
      expect({ sub, data: withCharts.res.json.data }).toEqual({ sub, data: without.res.json.data });
    }
  });

  it('a slow answer (deferred before it was known) gets its chart in the edit too', async () => {
    const { res, calls, log } = await run(slow, 'metrics', { name: 'active_users', public: true });
    expect(res.json).toEqual({ type: 5, data: {} });
    const png = expectChart(calls[0]);
    expectReferenced(log.original, png.length);
  });

  it('a file Discord refuses (too large) is dropped: the answer arrives without it and says so', async () => {
    bot.fake.maxFileBytes = 1_000;
    try {
      const { calls, log } = await run(bot, 'metrics', { name: 'active_users', public: true });
      expect(calls.map((c) => `${c.route} ${c.status} ${c.files.length}`)).toEqual([
        `${EDIT} 413 1`,
        `${EDIT} 200 0`,
      ]);
      expect(log.original?.attachments).toEqual([]);
      expect(log.original?.embeds[0]?.image).toBeUndefined();
      expect(textOf(log.original)).toMatch(/latest: 420/);
      expect(textOf(log.original)).toMatch(
        /The chart could not be attached \(Discord answered 413: Request entity too large\)/,
      );
    } finally {
      bot.fake.maxFileBytes = DEFAULT_MAX_FILE_BYTES;
    }
  });

  it('gateway mode: the callback defers and the webhook edit carries the chart', async () => {
    const rest = createRest(
      { DISCORD_TOKEN: bot.fake.token, DISCORD_API_URL: bot.fake.url },
      { retries: 0 },
    );
    try {
      const handle = createInteractionHandler({
        deps: bot.deps,
        api: new API(rest),
        logger: createLogger('silent'),
        admins: { roles: [], users: [] },
        deferAfterMs: 60_000,
        clock: clock.now,
      });
      const interaction = slash('metrics', { name: 'active_users', public: true }, PEOPLE.rita);
      const finish = await answerOverRest(rest, handle, interaction);
      expect(bot.fake.interaction(interaction.token).callbacks).toEqual([{ type: 5, data: {} }]);
      await finish?.();
      const edit = bot.fake.calls.find(
        (c) => c.route === EDIT && c.params.token === interaction.token,
      );
      const png = expectChart(edit);
      expectReferenced(bot.fake.interaction(interaction.token).original, png.length);
    } finally {
      closeRest(rest);
    }
  });
});

describe('withAttachments', () => {
  const png = (n: number) => ({
    filename: `chart ${n}.png`,
    contentType: 'image/png' as const,
    bytes: Buffer.from([n]),
    title: `chart ${n}`,
  });

  it('shows the first file in the first embed, lists every file with its alt text, and keeps names Discord can link', () => {
    const message = { embeds: [{ title: 'a' }, { title: 'b' }], allowed_mentions: { parse: [] } };
    const out = withAttachments(message, [png(1), png(2), { ...png(3), filename: 'chart 1.png' }]);
    expect(out.embeds).toEqual([
      { title: 'a', image: { url: 'attachment://chart_1.png' } },
      { title: 'b' },
    ]);
    expect(out.attachments).toEqual([
      { id: 0, filename: 'chart_1.png', description: 'chart 1' },
      { id: 1, filename: 'chart_2.png', description: 'chart 2' },
      { id: 2, filename: '2-chart_1.png', description: 'chart 3' },
    ]);
    expect(out.files.map((f) => f.name)).toEqual(['chart_1.png', 'chart_2.png', '2-chart_1.png']);
    // The input is left as it was.
    expect(message.embeds[0]).toEqual({ title: 'a' });
  });
});
