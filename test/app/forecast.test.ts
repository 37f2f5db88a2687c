import { mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { buildDigest } from '../../src/app/alerts/digests.js';
import { runCommand } from '../../src/app/run.js';
import { digestSnapshot } from '../../src/core/digest/compose.js';
import { renderText } from '../../src/core/messages/text.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';
import { cli } from '../support/spawn.js';

const db = useTestDatabase();
const DAY = 86_400_000;
const NOW = new Date('2026-03-21T12:00:00Z');
const clock = new TestClock(NOW);
let app: AppDeps;
const as = { ...admin, defaultRoadmap: 'example' };

/** 20 days of hourly points growing 10 users a day: 200 now, 400 in 20 days. */
async function growUsers(perDay = 10) {
  await db.pool.query(`DELETE FROM metric_points WHERE metric = 'active_users'`);
  const points = [];
  for (let h = 20 * 24; h >= 0; h--) {
    const at = new Date(NOW.getTime() - h * 3_600_000);
    points.push({
      roadmapId: 'example',
      metric: 'active_users',
      value: 200 - (perDay * h) / 24,
      at,
      source: 'test',
    });
  }
  await app.store.points.import(points, {
    actor: { platform: 'cli', id: 'test' },
    action: 'import',
    at: NOW,
  });
}

beforeAll(async () => {
  app = await appWith(db.pool, roadmapsFolder('example'), clock);
  await growUsers();
  await runCommand(app, as, 'record response_time_p95 300ms', 'cli');
  await runCommand(app, as, 'record paid_users 20', 'cli');
  await runCommand(app, as, 'record mrr $500', 'cli');
});

describe('forecasts where people look', () => {
  it('status --json gives each comparison an ETA with its 80% interval and model', async () => {
    const doc = (await runCommand(app, as, 'status --json', 'cli')).json as {
      triggers: {
        id: string;
        comparisons: {
          metric: string;
          eta: string | null;
          eta_low: string | null;
          eta_high: string | null;
          model: string | null;
          forecast: string | null;
        }[];
      }[];
      targets: { id: string; state: string }[];
    };
    const users = doc.triggers
      .find((t) => t.id === 'tier0.upgrade')!
      .comparisons.find((c) => c.metric === 'active_users')!;
    // 200 users growing 10 a day reach 400 in 20 days.
    expect(users.model).toBe('linear');
    expect(Math.abs(Date.parse(users.eta!) - (NOW.getTime() + 20 * DAY))).toBeLessThan(DAY);
    expect(Date.parse(users.eta_low!)).toBeLessThanOrEqual(Date.parse(users.eta!));
    expect(users.eta_high === null || Date.parse(users.eta_high) >= Date.parse(users.eta!)).toBe(
      true,
    );
    const latency = doc.triggers
      .find((t) => t.id === 'tier0.upgrade')!
      .comparisons.find((c) => c.metric === 'response_time_p95')!;
    expect(latency.forecast).toBe('not-enough-data');
    // Targets are met, on track, at risk or missed once forecasts are known.
    expect(['met', 'on_track', 'at_risk', 'missed']).toContain(doc.targets[0]!.state);
  });

  it('forecast lists comparisons soonest first, and status shows the ETA under an approaching trigger', async () => {
    const text = renderText((await runCommand(app, as, 'forecast', 'cli')).message);
    expect(text).toMatch(/tier0\.upgrade: active_users 200 >= 400[\s\S]*ETA 2026-04-1\d/);
    expect(text).toMatch(/not enough data to forecast/);
    clock.advance(60_000);
    await runCommand(app, as, 'record active_users 350', 'cli');
    const status = renderText((await runCommand(app, as, 'status', 'cli')).message);
    clock.set(NOW);
    expect(status).toMatch(/APPROACHING[\s\S]*active_users 350 >= 400[\s\S]*ETA /);
    await growUsers();
  });

  it('a flat series is not trending', async () => {
    await growUsers(0);
    const doc = (await runCommand(app, as, 'forecast --json', 'cli')).json as {
      comparisons: { metric: string; forecast: string | null }[];
    };
    expect(doc.comparisons.find((c) => c.metric === 'active_users')?.forecast).toBe('not-trending');
    await growUsers();
  });

  it('the digest says when an ETA moved by more than a week', async () => {
    const roadmap = app.registry.get('example')!;
    const before = await buildDigest(app, roadmap, NOW, { localDate: '2026-03-21', late: false });
    const previous = digestSnapshot(before.report);
    expect(Object.keys(previous.etas ?? {})).toContain('tier0.upgrade#0');
    await growUsers(5); // half the growth: 400 comes 20 days later
    const after = await buildDigest(app, roadmap, NOW, {
      localDate: '2026-03-22',
      late: false,
      previous,
    });
    expect(renderText(after.message)).toMatch(/ETA of tier0\.upgrade moved \d+ days later/);
    await growUsers();
  });

  it('roadmap chart writes the PNG of a metric', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'chart-'));
    const file = path.join(dir, 'users.png');
    const run = await cli(['chart', 'active_users', '-o', file, '--now', NOW.toISOString()], {
      DATABASE_URL: db.url,
      ROADMAPS_DIR: roadmapsFolder('example'),
    });
    expect(run.code, run.stderr).toBe(0);
    const png = readFileSync(file);
    expect(png.subarray(0, 8).toString('hex')).toBe('89504e470d0a1a0a');
    // IHDR: width and height, big-endian, at bytes 16 and 20.
    expect([png.readUInt32BE(16), png.readUInt32BE(20)]).toEqual([800, 400]);
  });
});
