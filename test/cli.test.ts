import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { roadmapsFolder } from './support/app.js';
import { useTestDatabase } from './support/db.js';
import { cli } from './support/spawn.js';

const db = useTestDatabase();
let env: Record<string, string>;

beforeAll(() => {
  env = { DATABASE_URL: db.url, ROADMAPS_DIR: roadmapsFolder('oviya'), ROADMAP_ACTOR: 'ci' };
});

describe('the roadmap CLI (a real process, a real database)', () => {
  it('records, then prints status --json with the documented contract, exit 0', async () => {
    expect((await cli(['record', 'active_users', '420'], env)).code).toBe(0);
    const run = await cli(['status', '--json'], env);
    expect(run.code).toBe(0);
    const doc = JSON.parse(run.stdout);
    expect(doc).toMatchObject({ roadmap: { id: 'oviya' }, stage: { id: 'tier0' } });
    expect(doc.triggers[0]).toMatchObject({ id: 'tier0.upgrade', state: 'firing' });
  });

  it('exits 2 on usage errors and 1 on invalid data, with the message on stderr', async () => {
    const usage = await cli(['record', 'active_users'], env);
    expect(usage.code).toBe(2);
    expect(usage.stderr).toMatch(/missing <value>/);
    expect(usage.stderr).toMatch(/usage: record <metric> <value>/);
    const invalid = await cli(['record', 'active_users', 'many'], env);
    expect(invalid.code).toBe(1);
    expect(invalid.stderr).toMatch(/value: expected a number/);
  });

  it('imports a CSV all-or-nothing and lists bad lines by number', async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'csv-'));
    writeFileSync(
      path.join(dir, 'bad.csv'),
      'metric,value,at\nactive_users,1,2026-01-01T00:00:00Z\nactive_users,x,2026-01-02T00:00:00Z\n',
    );
    const bad = await cli(['import', path.join(dir, 'bad.csv')], env);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(/bad.csv:3: value/);
    writeFileSync(
      path.join(dir, 'good.csv'),
      'metric,value,at\nactive_users,1,2026-01-01T00:00:00Z\nactive_users,2,2026-01-02T00:00:00Z\n',
    );
    const good = await cli(['import', path.join(dir, 'good.csv')], env);
    expect(good.code).toBe(0);
    expect(good.stdout).toMatch(/imported 2 points/);
  });

  it('validates roadmap files without a database, listing every problem as file:line:column', async () => {
    const dir = roadmapsFolder('oviya');
    writeFileSync(
      path.join(dir, 'bad.yaml'),
      readFileSync(path.join(dir, 'oviya.yaml'), 'utf8')
        .replace('id: oviya', 'id: Bad')
        .replace('unit: ms', 'unit: msec'),
    );
    const run = await cli(['validate', dir], {
      DATABASE_URL: 'postgres://nobody@127.0.0.1:1/none',
    });
    expect(run.code).toBe(1);
    expect(run.stdout + run.stderr).toMatch(/bad\.yaml:3:5: id: expected a slug/);
    expect(run.stdout + run.stderr).toMatch(
      /bad\.yaml:\d+:\d+: metrics\.response_time_p95\.unit: expected a unit/,
    );
    const ok = await cli(['validate', path.join(dir, 'oviya.yaml')], {});
    expect(ok.code).toBe(0);
  });

  it('migrate is safe to run again', async () => {
    const run = await cli(['migrate'], env);
    expect(run.code).toBe(0);
    expect(run.stdout).toMatch(/up to date/);
  });
});
