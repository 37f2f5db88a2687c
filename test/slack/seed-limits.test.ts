import { readdirSync, statSync } from 'node:fs';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import {
  ACTIONS_BLOCK_ID,
  renderSlack,
  renderSlackHome,
  withOutcome,
} from '../../src/adapters/slack/blocks.js';
import { checkBlocks, HOME_LIMITS } from '../../src/adapters/slack/limits.js';
import type { AppDeps, Invocation } from '../../src/app/context.js';
import { evaluateAt } from '../../src/app/evaluate.js';
import { runCommand } from '../../src/app/run.js';
import { availableOn, COMMANDS } from '../../src/core/commands/table.js';
import { alertMessage } from '../../src/core/messages/alerts.js';
import type { Roadmap } from '../../src/core/roadmap/model.js';
import { appWith, roadmapsFolder, TestClock } from '../support/app.js';
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
