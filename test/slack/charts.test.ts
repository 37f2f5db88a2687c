import { afterAll, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { CHART_HEIGHT, CHART_WIDTH } from '../../src/adapters/charts/spec.js';
import { chartHint } from '../../src/adapters/slack/handlers.js';
import { checkBlocks } from '../../src/adapters/slack/limits.js';
import { PNG_SIGNATURE, pngSize, withCharts } from '../fakes/charts.js';
import type { FakeUpload } from '../fakes/slack.js';
import { TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { ADMIN, blocksText, READER, SlackHarness } from './harness.js';

/**
 * `metrics <name>` with a chart, end to end: the real renderer draws the PNG, Bolt answers on
 * response_url, and a public answer's chart goes to the channel through files.uploadV2
 * (files.getUploadURLExternal → the bytes to upload_url → files.completeUploadExternal),
 * all against the fake Slack.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
const CHANNEL = 'C0MAIN';
let slack: SlackHarness;
/** The same app without a chart renderer: what answers looked like before charts. */
let plain: SlackHarness;

beforeAll(async () => {
  slack = await SlackHarness.start({
    pool: db.pool,
    clock,
    roadmaps: ['oviya'],
    deps: withCharts(),
  });
  plain = await SlackHarness.start({ pool: db.pool, clock, roadmaps: ['oviya'] });
  for (const [value, at] of [
    [300, '2026-02-20'],
    [330, '2026-02-23'],
    [350, '2026-02-25'],
    [380, '2026-02-27'],
    [420, '2026-03-01T12:00:00Z'],
  ] as const) {
    expect(blocksText(await slack.command(`record active_users ${value} at ${at}`, ADMIN))).toMatch(
      /Recorded Active users/,
    );
  }
});
afterAll(async () => {
  await slack?.close();
  await plain?.close();
});
beforeEach(() => {
  slack.fake.reset();
  plain.fake.reset();
});

/** Types `/roadmap <text>` and waits for `answers` payloads on its response_url. */
async function run(
  harness: SlackHarness,
  text: string,
  user = READER,
  answers = 1,
): Promise<Record<string, unknown>[]> {
  const { body, responseId } = harness.commandBody(text, user, CHANNEL);
  expect((await harness.send(body, 'application/x-www-form-urlencoded')).status).toBe(200);
  const payloads = await vi.waitFor(
    () => {
      const found = harness.fake.respondedTo(responseId);
      if (found.length < answers) throw new Error(`${found.length} of ${answers} answers so far`);
      return found.map((r) => r.body);
    },
    { timeout: 10_000, interval: 20 },
  );
  for (const p of payloads) expect(checkBlocks(p.blocks)).toEqual([]);
  return payloads;
}

/** The files shared into the channel, once there are `count`. */
function shared(harness: SlackHarness, count: number): Promise<FakeUpload[]> {
  return vi.waitFor(
    () => {
      const files = harness.fake.filesIn(CHANNEL);
      if (files.length < count) throw new Error(`${files.length} of ${count} files shared so far`);
      return files;
    },
    { timeout: 10_000, interval: 20 },
  );
}

/** Lets a listener that would upload something do so, so a test can say nothing was. */
const settle = () => new Promise((resolve) => setTimeout(resolve, 300));

describe('metrics <name> with a chart', () => {
  it('public: answers in the channel, then uploads the real PNG there with files.uploadV2', async () => {
    const [answer] = await run(slack, 'metrics active_users public');
    expect(answer?.response_type).toBe('in_channel');
    expect(blocksText(answer as Record<string, unknown>)).toMatch(/latest: 420/);
    expect(blocksText(answer as Record<string, unknown>)).not.toMatch(/Charts are only posted/);

    const [file] = await shared(slack, 1);
    const upload = file as FakeUpload;
    // 1. asked for an upload URL, declaring the name, size and alt text
    const [asked] = slack.fake.callsTo('files.getUploadURLExternal');
    expect(asked?.token).toBe('xoxb-test-token');
    expect(asked?.body).toMatchObject({
      filename: 'active_users.png',
      length: String(upload.bytes?.length),
      alt_text: 'Active users: history, thresholds and forecast',
    });
    // 2. the bytes arrived at the upload URL: a real PNG of the documented size
    const png = upload.bytes as Buffer;
    expect(png.subarray(0, 8).equals(PNG_SIGNATURE)).toBe(true);
    expect(pngSize(png)).toEqual({ width: CHART_WIDTH, height: CHART_HEIGHT });
    expect(png.length).toBe(upload.length);
    expect(png.length).toBeGreaterThan(5_000);
    // 3. completed into the channel the command was typed in, naming that file
    const [completed] = slack.fake.callsTo('files.completeUploadExternal');
    expect(completed?.body).toMatchObject({
      channel_id: CHANNEL,
      files: [{ id: upload.id, title: 'Active users: history, thresholds and forecast' }],
    });
    expect(upload.completed).toEqual({
      channelId: CHANNEL,
      title: 'Active users: history, thresholds and forecast',
    });
    // One answer only: nothing went wrong to report.
    await settle();
    expect(slack.fake.responses).toHaveLength(1);
  });

  it('private: answers the asker alone, uploads nothing, and says how to post the chart', async () => {
    const [answer] = await run(slack, 'metrics active_users --window 7d');
    expect(answer?.response_type).toBe('ephemeral');
    const text = blocksText(answer as Record<string, unknown>);
    expect(text).toMatch(/latest: 420/);
    expect(text).toContain(
      '`/roadmap metrics active_users --window 7d public` posts this one to the channel',
    );
    expect(chartHint(' metrics active_users ')).toBe(
      'Charts are only posted with public answers: `/roadmap metrics active_users public` posts this one to the channel.',
    );
    await settle();
    expect(slack.fake.callsTo('files.getUploadURLExternal')).toEqual([]);
    expect(slack.fake.uploads.size).toBe(0);
  });

  it('replies without attachments are unchanged: same payload as without charts, nothing uploaded', async () => {
    for (const line of [
      'metrics active_users public',
      'metrics active_users',
      'metrics public',
      'status public',
    ]) {
      const [withoutCharts] = await run(plain, line);
      // Without a renderer there is no chart, so no hint and no upload.
      expect(blocksText(withoutCharts as Record<string, unknown>)).not.toMatch(
        /Charts are only posted/,
      );
      if (line === 'metrics active_users') continue; // with charts this one gains the hint (above)
      const [withCharts] = await run(slack, line);
      expect({ line, payload: withCharts }).toEqual({ line, payload: withoutCharts });
    }
    await settle();
    expect(plain.fake.uploads.size).toBe(0);
    // Of the chart-enabled app's lines, only `metrics active_users public` carries a file.
    expect(slack.fake.callsTo('files.getUploadURLExternal')).toHaveLength(1);
    expect(slack.fake.callsTo('files.completeUploadExternal')).toHaveLength(1);
  });

  it('a refused upload leaves the public answer and tells the asker privately what to fix', async () => {
    slack.fake.fail('files.completeUploadExternal', { error: 'not_in_channel' });
    const [answer, problem] = await run(slack, 'metrics active_users public', READER, 2);
    expect(answer?.response_type).toBe('in_channel');
    expect(problem).toMatchObject({ response_type: 'ephemeral', replace_original: false });
    expect(blocksText(problem as Record<string, unknown>)).toMatch(
      /The chart could not be posted: the app is not in this channel; invite it/,
    );
    expect(slack.logs).toMatch(/slack: could not share the chart/);
  });

  it('a missing files:write scope is named', async () => {
    slack.fake.fail('files.getUploadURLExternal', { error: 'missing_scope' });
    const [, problem] = await run(slack, 'metrics active_users public', READER, 2);
    expect(blocksText(problem as Record<string, unknown>)).toMatch(/lacks the files:write scope/);
    expect(slack.fake.callsTo('files.completeUploadExternal')).toEqual([]);
  });
});
