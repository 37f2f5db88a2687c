import { readdirSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONS_BLOCK_ID,
  renderSlack,
  renderSlackHome,
  withOutcome,
} from '../../src/adapters/slack/blocks.js';
import { renderDiscord } from '../../src/adapters/discord/embeds.js';
import { messageProblems } from '../../src/adapters/discord/limits.js';
import { checkBlocks, HOME_LIMITS } from '../../src/adapters/slack/limits.js';
import { buildDigest } from '../../src/app/alerts/digests.js';
import type { AppDeps, Invocation } from '../../src/app/context.js';
import { evaluateAt } from '../../src/app/evaluate.js';
import { runCommand } from '../../src/app/run.js';
import { availableOn, COMMANDS } from '../../src/core/commands/table.js';
import type { DigestSnapshot } from '../../src/core/digest/compose.js';
import { alertMessage } from '../../src/core/messages/alerts.js';
import type { Message } from '../../src/core/messages/model.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { BIG_V2_ID, bigV2Values, bigV2Yaml } from '../support/big-v2.js';
import { useTestDatabase } from '../support/db.js';
import { ROADMAPS_DIR } from '../support/roadmaps.js';

/**
 * Every payload the bot renders for the largest shipped roadmap, at every stage and with data
 * for every metric, passes our Block Kit schema: Slack would take each of them whole.
 */

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T15:00:00Z'));
const DAY = 86_400_000;

/** The largest roadmap file shipped: the one most likely to overflow a message. */
const LARGEST = readdirSync(ROADMAPS_DIR)
  .filter((f) => f.endsWith('.yaml'))
  .map((f) => ({ id: path.basename(f, '.yaml'), size: statSync(path.join(ROADMAPS_DIR, f)).size }))
  .sort((a, b) => b.size - a.size)[0]?.id as string;

const admin: Invocation = {
  actor: { platform: 'slack', id: 'U0ADMIN', channel: 'C0MAIN' },
  isAdmin: true,
};
let deps: AppDeps;
let roadmap: Roadmap;

const run = (line: string) => runCommand(deps, { ...admin, defaultRoadmap: LARGEST }, line, 'chat');

/** Renders a reply as the adapter does and returns the schema's complaints with where they came from. */
async function problemsOf(line: string): Promise<string[]> {
  const reply = await run(line);
  const { blocks } = renderSlack(
    reply.message,
    reply.json !== undefined ? { code: JSON.stringify(reply.json, null, 2) } : {},
  );
  return checkBlocks(blocks).map((p) => `${line}: ${p}`);
}

beforeAll(async () => {
  deps = await appWith(db.pool, roadmapsFolder(LARGEST), clock);
  roadmap = deps.registry.get(LARGEST) as Roadmap;
  // A week of points for every metric that is recorded, so sparklines and changes show.
  for (const metric of roadmap.metrics.values()) {
    if (metric.derive) continue;
    for (let day = 7; day >= 0; day--) {
      const at = new Date(clock.now().getTime() - day * DAY).toISOString();
      const line =
        metric.unit === 'flag'
          ? `set ${metric.name} ${day % 2 === 0 ? 'yes' : 'no'}`
          : `record ${metric.name} ${1000 + day * 37} at ${at}`;
      // `set` has no --at; one flag point is enough.
      if (metric.unit === 'flag' && day > 0) continue;
      const reply = await run(line);
      expect({ line, exitCode: reply.exitCode }).toEqual({ line, exitCode: 0 });
    }
  }
});

describe(`Block Kit limits for the largest seed roadmap`, () => {
  it('is the largest file under roadmaps/', () => {
    expect(LARGEST).toBe('mirai');
  });

  it('every read command, and each metric and command on its own, at every stage', async () => {
    const reads = COMMANDS.filter((c) => availableOn(c, 'chat') && !c.mutates).map((c) => c.name);
    const lines = [
      ...reads,
      'status --json',
      'alerts history',
      ...[...roadmap.metrics.keys()].map((m) => `metrics ${m}`),
      ...COMMANDS.map((c) => `help ${c.name}`),
    ];
    const problems: string[] = [];
    for (let stage = 0; stage < roadmap.stages.length; stage++) {
      for (const line of lines) problems.push(...(await problemsOf(line)));
      if (stage < roadmap.stages.length - 1) expect((await run('advance force')).exitCode).toBe(0);
    }
    expect(problems).toEqual([]);
  });

  it('every alert message of every trigger, and each after a button click', async () => {
    const report = await evaluateAt(deps, roadmap, clock.now());
    const units = new Map(report.metrics.map((m) => [m.name, m.unit]));
    const problems: string[] = [];
    for (const trigger of report.triggers) {
      for (const kind of ['firing', 'repeat', 'resolved', 'approaching'] as const) {
        const message = alertMessage({
          kind,
          roadmap: report.roadmap,
          trigger,
          units,
          ...(report.next ? { next: report.next } : {}),
        });
        const { blocks } = renderSlack({ ...message, urgent: true });
        problems.push(...checkBlocks(blocks).map((p) => `${trigger.id} ${kind}: ${p}`));
        const clicked = withOutcome(
          blocks,
          ACTIONS_BLOCK_ID,
          `:white_check_mark: *Acknowledge* by <@U0ADMIN> — Acknowledged ${trigger.id}`,
        );
        problems.push(...checkBlocks(clicked).map((p) => `${trigger.id} ${kind} clicked: ${p}`));
      }
    }
    expect(report.triggers.length).toBeGreaterThan(0);
    expect(problems).toEqual([]);
  });

  it('the App Home tab with this roadmap and every other shipped one', async () => {
    const all = await appWith(
      db.pool,
      roadmapsFolder(
        ...readdirSync(ROADMAPS_DIR)
          .filter((f) => f.endsWith('.yaml'))
          .map((f) => path.basename(f, '.yaml')),
      ),
      clock,
    );
    const messages = await Promise.all(
      all.registry
        .list()
        .map(
          async (r) =>
            (await runCommand(all, admin, ['status', '--roadmap', r.id], 'chat')).message,
        ),
    );
    expect(checkBlocks(renderSlackHome(messages, 'intro'), HOME_LIMITS)).toEqual([]);
  });
});

/**
 * The v2 parts (issue 14): status, budget, plan, tracks and the digest of the shipped v2 example
 * and of a big synthetic v2 roadmap (5 tracks, 10 budget lines, 5 plans, 20 long to-dos), each
 * at every stage with data for every metric, within Slack's and Discord's limits.
 */
describe('Block Kit and Discord limits for v2 roadmaps', () => {
  let v2: AppDeps;
  const V2_IDS = ['example-v2', BIG_V2_ID];

  beforeAll(async () => {
    const dir = roadmapsFolder('example-v2');
    writeFileSync(path.join(dir, `${BIG_V2_ID}.yaml`), bigV2Yaml());
    v2 = await appWith(db.pool, dir, clock);
    const values = bigV2Values();
    for (const id of V2_IDS) {
      const r = v2.registry.get(id) as Roadmap;
      for (const metric of r.metrics.values()) {
        if (metric.derive) continue;
        const value = values[metric.name] ?? 1_000_000;
        const reply = await runCommand(
          v2,
          { ...admin, defaultRoadmap: id },
          `record ${metric.name} ${value}`,
          'chat',
        );
        expect({ id, metric: metric.name, exitCode: reply.exitCode }).toEqual({
          id,
          metric: metric.name,
          exitCode: 0,
        });
      }
    }
  });

  it.each(V2_IDS)('%s: status, budget, plan, tracks and the digest at every stage', async (id) => {
    const roadmap = v2.registry.get(id) as Roadmap;
    const runV2 = (line: string) => runCommand(v2, { ...admin, defaultRoadmap: id }, line, 'chat');
    const problems: string[] = [];
    const check = (what: string, message: Message, code?: string) => {
      const { blocks } = renderSlack(message, code !== undefined ? { code } : {});
      problems.push(...checkBlocks(blocks).map((p) => `${id} ${what} (Slack): ${p}`));
      problems.push(
        ...messageProblems(renderDiscord(message)).map((p) => `${id} ${what} (Discord): ${p}`),
      );
    };
    for (let stage = 0; stage < roadmap.stages.length; stage++) {
      for (const line of ['status', 'status --json', 'budget', 'plan', 'tracks', 'gates']) {
        const reply = await runV2(line);
        expect({ line, exitCode: reply.exitCode }).toEqual({ line, exitCode: 0 });
        // The v2 parts are there to be measured: both roadmaps have tracks and plans.
        if (line === 'status')
          expect(reply.message.sections.map((s) => s.title)).toEqual(
            expect.arrayContaining(['Tracks', 'Plan']),
          );
        check(
          line,
          reply.message,
          reply.json !== undefined ? JSON.stringify(reply.json, null, 2) : undefined,
        );
      }
      // A digest after one where every plan was on plan and no track was due: all of it is news.
      const previous: DigestSnapshot = {
        takenAt: new Date(clock.now().getTime() - 40 * DAY).toISOString(),
        stageId: roadmap.stages[stage]?.id as string,
        gatesPassed: [],
        triggers: {},
        stale: [],
        plans: Object.fromEntries(roadmap.plans.map((p) => [p.metric, 'on_plan'])),
        tracksDue: {},
      };
      const digest = await buildDigest(v2, roadmap, clock.now(), {
        localDate: '2026-03-01',
        late: true,
        previous,
      });
      check('digest', digest.message);
      if (stage < roadmap.stages.length - 1)
        expect((await runV2('advance force')).exitCode).toBe(0);
    }
    expect(problems).toEqual([]);
  });
});
