import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { RoadmapRegistry } from '../../src/app/registry.js';
import { roadmapsFolder } from '../support/app.js';

describe('roadmap registry', () => {
  it('loads every file; one bad file never blocks the others', async () => {
    const dir = roadmapsFolder('oviya', 'mirai');
    writeFileSync(path.join(dir, 'broken.yaml'), 'id: broken\nname: x\nmetrics: {}\nstages: []\n');
    const registry = new RoadmapRegistry(dir);
    const statuses = await registry.reload();
    expect(registry.list().map((r) => r.id)).toEqual(['mirai', 'oviya']);
    const broken = statuses.find((s) => s.file.endsWith('broken.yaml'));
    expect(broken?.errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^4:9: stages: expected at least one stage/)]),
    );
  });

  it('keeps serving the last good version when an edit breaks a file, and picks up the fix', async () => {
    const dir = roadmapsFolder('oviya');
    const file = path.join(dir, 'oviya.yaml');
    const good = readFileSync(file, 'utf8');
    const registry = new RoadmapRegistry(dir);
    await registry.reload();
    writeFileSync(file, good.replace('active_users >= 400', 'active_userz >= 400'));
    const [status] = await registry.reload();
    expect(status?.servingPrevious).toBe(true);
    expect(status?.errors[0]?.message).toMatch(/unknown metric "active_userz"/);
    expect(registry.get('oviya')?.stages[0]?.upgrade?.when.text).toContain('active_users >= 400');
    writeFileSync(file, good.replace('active_users >= 400', 'active_users >= 450'));
    await registry.reload();
    expect(registry.get('oviya')?.stages[0]?.upgrade?.when.text).toContain('active_users >= 450');
  });

  it('refuses a second file with an id already loaded', async () => {
    const dir = roadmapsFolder('oviya');
    writeFileSync(
      path.join(dir, 'zz-copy.yaml'),
      readFileSync(path.join(dir, 'oviya.yaml'), 'utf8'),
    );
    const statuses = await new RoadmapRegistry(dir).reload();
    expect(statuses.find((s) => s.file.endsWith('zz-copy.yaml'))?.errors[0]?.message).toMatch(
      /already used by/,
    );
  });

  it('notices a changed file without a restart (fs.watch)', async () => {
    const dir = roadmapsFolder('oviya');
    const registry = new RoadmapRegistry(dir);
    await registry.reload();
    registry.watch(10);
    try {
      writeFileSync(
        path.join(dir, 'second.yaml'),
        readFileSync(path.join(dir, 'oviya.yaml'), 'utf8').replace('id: oviya', 'id: second'),
      );
      await vi.waitFor(() => expect(registry.get('second')).toBeDefined(), {
        timeout: 5000,
        interval: 20,
      });
      rmSync(path.join(dir, 'second.yaml'));
      await vi.waitFor(() => expect(registry.get('second')).toBeUndefined(), {
        timeout: 5000,
        interval: 20,
      });
    } finally {
      registry.unwatch();
    }
  });
});
