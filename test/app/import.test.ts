import { writeFileSync } from 'node:fs';
import { beforeAll, describe, expect, it } from 'vitest';
import type { AppDeps } from '../../src/app/context.js';
import { CommandError } from '../../src/app/errors.js';
import { importCsv, unreadable } from '../../src/app/import-csv.js';
import { admin, appWith, roadmapsFolder, TestClock } from '../support/app.js';
import { useTestDatabase } from '../support/db.js';

const db = useTestDatabase();
const clock = new TestClock(new Date('2026-03-01T00:00:00Z'));
let app: AppDeps;

const points = async () =>
  Number((await db.pool.query('SELECT count(*) AS n FROM metric_points')).rows[0].n);
const importText = (text: string, roadmap = 'oviya') =>
  importCsv(app, admin, 'points.csv', text, app.registry.get(roadmap));

beforeAll(async () => {
  const dir = roadmapsFolder('oviya', 'mirai');
  writeFileSync(`${dir}/README.txt`, 'not a roadmap');
  app = await appWith(db.pool, dir, clock);
});

describe('CSV import', () => {
  it('imports every line in one go and is idempotent when re-run', async () => {
    const csv = [
      'metric,value,at',
      'active_users,100,2026-02-01T00:00:00Z',
      'active_users,120,2026-02-02T00:00:00Z',
      'response_time_p95,1.5s,2026-02-02',
      'infra_cost,$150,2026-02-02T00:00:00Z',
    ].join('\n');
    expect(await importText(csv)).toEqual({ points: 4, written: 4 });
    expect(await importText(csv)).toEqual({ points: 4, written: 0 });
    const latency = await db.pool.query(
      `SELECT value, at FROM metric_points WHERE metric = 'response_time_p95'`,
    );
    // Zone-less dates are read in the roadmap's timezone; 1.5s is 1500 ms.
    expect(latency.rows[0].value).toBe(1500);
  });

  it('is all-or-nothing: one bad line among a thousand writes nothing and is named with its line number', async () => {
    const before = await points();
    const lines = ['metric,value,at'];
    for (let i = 0; i < 1000; i++)
      lines.push(`active_users,${i},${new Date(Date.UTC(2026, 0, 1, 0, i)).toISOString()}`);
    lines[501] = 'active_users,many,2026-01-01T08:20:00Z';
    lines[777] = 'no_such_metric,1,2026-01-01T08:20:00Z';
    const error = await importText(lines.join('\n')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(CommandError);
    const details = (error as CommandError).details.join('\n');
    expect((error as CommandError).message).toMatch(
      /2 bad lines in points.csv; nothing was imported/,
    );
    expect(details).toMatch(/points.csv:502: value: expected a number/);
    expect(details).toMatch(/points.csv:778: metric: no metric "no_such_metric"/);
    expect(await points()).toBe(before);
  });

  it('takes the roadmap from a column, in any column order, with sources', async () => {
    const csv = [
      'source,roadmap,at,value,metric',
      'stripe,mirai,2026-02-01T00:00:00Z,1200,mrr',
      'manual,oviya,2026-02-01T00:00:00Z,50,paid_users',
    ].join('\n');
    expect((await importCsv(app, admin, 'x.csv', csv, undefined)).points).toBe(2);
    const rows = await db.pool.query(
      `SELECT roadmap_id, source FROM metric_points WHERE at = '2026-02-01T00:00:00Z' AND metric IN ('mrr', 'paid_users') ORDER BY roadmap_id`,
    );
    expect(rows.rows).toEqual([
      { roadmap_id: 'mirai', source: 'stripe' },
      { roadmap_id: 'oviya', source: 'manual' },
    ]);
  });

  it('explains a missing header, a missing roadmap and future times', async () => {
    await expect(importText('active_users,1\n')).rejects.toThrow(/bad line/);
    await expect(
      importCsv(app, admin, 'x.csv', 'metric,value\nactive_users,1', undefined),
    ).rejects.toMatchObject({ details: [expect.stringMatching(/--roadmap/)] });
    await expect(
      importText('metric,value,at\nactive_users,1,2030-01-01T00:00:00Z'),
    ).rejects.toMatchObject({ details: [expect.stringMatching(/in the future/)] });
  });

  // Lines are sent to COPY in chunks of 1,000 while the rest are validated, with up to 16
  // chunks waiting to be sent: these files are long enough that PostgreSQL has rows of them
  // when the line that stops the COPY comes.
  const minutes = (n: number, metric = 'active_users', from = Date.UTC(2025, 5, 1)) =>
    Array.from(
      { length: n },
      (_, i) => `${metric},${i},${new Date(from + i * 60_000).toISOString()}`,
    );

  it('rolls back a COPY already under way at a bad line far into the file, and still lists every bad line', async () => {
    const before = await points();
    const lines = ['metric,value,at', ...minutes(40_000)];
    lines[35_000] = 'active_users,lots,2025-06-01T00:00:00Z';
    lines[39_999] = 'active_users,1,next tuesday';
    const error = await importText(lines.join('\n')).catch((e: unknown) => e);
    expect((error as CommandError).message).toMatch(
      /^2 bad lines in points.csv; nothing was imported/,
    );
    expect((error as CommandError).details).toEqual([
      expect.stringMatching(/^points.csv:35001: value: /),
      expect.stringMatching(/^points.csv:40000: at: /),
    ]);
    expect(await points()).toBe(before);
    // The connection the COPY ran on went back to the pool in a usable state.
    expect(await importText(['metric,value,at', ...minutes(10)].join('\n'))).toEqual({
      points: 10,
      written: 10,
    });
  });

  it('falls back to the upsert when a key repeats far into the file or is already stored, with the same result', async () => {
    const from = Date.UTC(2025, 7, 1);
    const first = minutes(30_000, 'paid_users', from);
    const repeated = [...first, `paid_users,-1,${new Date(from + 29_999 * 60_000).toISOString()}`];
    expect(await importText(['metric,value,at', ...repeated].join('\n'))).toEqual({
      points: 30_001,
      written: 30_000,
    });
    const last = await db.pool.query(
      `SELECT value FROM metric_points WHERE metric = 'paid_users' AND at = $1`,
      [new Date(from + 29_999 * 60_000)],
    );
    expect(last.rows).toEqual([{ value: -1 }]);
    // Stored already: 29,999 lines unchanged, one changed back, 2,000 new after them.
    const overlapping = [...first, ...minutes(2000, 'paid_users', from + 30_000 * 60_000)];
    expect(await importText(['metric,value,at', ...overlapping].join('\n'))).toEqual({
      points: 32_000,
      written: 2001,
    });
    const stored = await db.pool.query(
      `SELECT count(*)::int AS n, sum(value)::float8 AS s FROM metric_points WHERE metric = 'paid_users' AND at >= $1 AND at < $2`,
      [new Date(from), new Date(from + 32_000 * 60_000)],
    );
    expect(stored.rows[0]).toEqual({ n: 32_000, s: (29_999 * 30_000) / 2 + (1999 * 2000) / 2 });
  });

  it('numbers bad lines as the file does, blank lines included, and audits what was imported', async () => {
    const error = await importText(
      'metric,value,at\n\nactive_users,1,2026-02-03T00:00:00Z\n\n\nactive_users,x,2026-02-03T00:01:00Z\n',
    ).catch((e: unknown) => e);
    expect((error as CommandError).details).toEqual([
      expect.stringMatching(/^points.csv:6: value: /),
    ]);
    await importText(
      'metric,value,at\n\nactive_users,1,2026-02-03T00:00:00Z\nactive_users,2,2026-02-03T00:01:00Z\n',
    );
    const audit = await db.pool.query(
      `SELECT details FROM audit_log WHERE action = 'import' ORDER BY id DESC LIMIT 1`,
    );
    expect(audit.rows[0].details).toEqual({ file: 'points.csv', points: 2, written: 2 });
  });

  it('says why a file cannot be read: missing, or too large to hold as text', () => {
    const missing = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
    expect(unreadable('x.csv', missing)).toMatchObject({
      code: 'not_found',
      message: 'cannot read x.csv (ENOENT)',
    });
    // What readFile(file, 'utf8') throws for a file over Node's longest string (~512 MB).
    expect(unreadable('big.csv', new RangeError('Invalid string length'))).toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/^big.csv is too large to import at once: split it/),
    });
  });

  it('keeps the last of duplicate keys within one file', async () => {
    await importText(
      'metric,value,at\nuptime,99.1,2026-02-10T00:00:00Z\nuptime,99.9,2026-02-10T00:00:00Z',
    );
    const rows = await db.pool.query(`SELECT value FROM metric_points WHERE metric = 'uptime'`);
    expect(rows.rows).toEqual([{ value: 99.9 }]);
  });
});
