import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { readFile, stat } from 'node:fs/promises';
import { once } from 'node:events';
import { promisify } from 'node:util';
import pg from 'pg';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { importCsv } from '../src/app/import-csv.js';
import type { Roadmap } from '../src/core/roadmap/model.js';
import { checkpoint } from './load.js';
import { SERIES } from './roadmap.js';

const execFileAsync = promisify(execFile);
const MINUTE_MS = 60_000;

export interface CsvFile {
  file: string;
  rows: number;
  bytes: number;
  from: Date;
  /** Exclusive. */
  to: Date;
}

/**
 * `rows` points (`metric,value,at`, ISO times with Z), one per minute per metric, time-major
 * like an export, over the minutes just before `to` (a range the loaded data does not cover).
 */
export async function writeCsv(file: string, rows: number, to: Date): Promise<CsvFile> {
  const metrics = SERIES.map((s) => s.name);
  const minutes = Math.ceil(rows / metrics.length);
  const from = new Date(to.getTime() - minutes * MINUTE_MS);
  const out = createWriteStream(file);
  out.write('metric,value,at\n');
  let seed = 12345;
  const random = (): number => {
    // xorshift32: deterministic, so every run imports the same file
    seed ^= seed << 13;
    seed ^= seed >>> 17;
    seed ^= seed << 5;
    return (seed >>> 0) / 4294967296;
  };
  let written = 0;
  let chunk = '';
  for (let m = 0; m < minutes && written < rows; m++) {
    const at = new Date(from.getTime() + m * MINUTE_MS).toISOString().replace('.000Z', 'Z');
    for (let i = 0; i < SERIES.length && written < rows; i++) {
      const s = SERIES[i] as (typeof SERIES)[number];
      const value = Math.min(s.max, Math.max(s.min, s.start + s.noise * (random() - 0.5)));
      chunk += `${s.name},${Number(value.toFixed(3))},${at}\n`;
      written++;
    }
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return { file, rows: written, bytes: (await stat(file)).size, from, to };
}

export async function findPsql(): Promise<string | undefined> {
  try {
    const { stdout } = await execFileAsync('which', ['psql']);
    return stdout.trim() || undefined;
  } catch {
    return undefined;
  }
}

export interface CopyRun {
  rows: number;
  ms: number;
  rowsPerSec: number;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({
    connectionString: url,
    application_name: 'roadmap-bot bench import',
  });
  client.on('error', () => {});
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end();
  }
}

/** Imported rows (source csv) within the file's time range, in `table`. */
async function rowsOf(
  c: pg.Client,
  table: 'metric_points' | 'bench_copy',
  csv: CsvFile,
): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE source = 'csv' AND at >= $1 AND at < $2`,
    [csv.from, csv.to],
  );
  return Number(rows[0]?.n);
}

/**
 * The baseline's table: `bench_copy`, created LIKE metric_points INCLUDING ALL (same columns,
 * primary key, defaults) and holding the same rows, so that both sides insert into an equally
 * large index. Its roadmap_id and source defaults are what importCsv writes, so both tables end
 * with the same imported rows. Returns the time it took (setup, not measured).
 */
export async function prepareCopyTable(url: string, roadmapId: string): Promise<number> {
  return withClient(url, async (c) => {
    const started = performance.now();
    await c.query('DROP TABLE IF EXISTS bench_copy');
    await c.query('CREATE TABLE bench_copy (LIKE metric_points INCLUDING ALL)');
    await c.query(
      `ALTER TABLE bench_copy ALTER roadmap_id SET DEFAULT ${c.escapeLiteral(roadmapId)}, ALTER source SET DEFAULT 'csv'`,
    );
    await c.query('INSERT INTO bench_copy SELECT * FROM metric_points');
    await c.query('VACUUM (ANALYZE) bench_copy');
    return performance.now() - started;
  });
}

export async function psqlVersion(psql: string): Promise<string> {
  return (await execFileAsync(psql, ['--version'])).stdout.trim();
}

/** Runs one psql command (a `\\copy`, say) against `url`; rejects with psql's error output. */
export function runPsql(psql: string, url: string, command: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(psql, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) =>
      code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr.trim()}`)),
    );
  });
}

/** The baseline: `psql -c "\copy bench_copy (metric, value, at) FROM <file> CSV HEADER"`, timed from spawn to exit. */
export async function measureCopy(url: string, psql: string, csv: CsvFile): Promise<CopyRun> {
  return withClient(url, async (c) => {
    await checkpoint(c);
    const started = performance.now();
    await runPsql(
      psql,
      url,
      `\\copy bench_copy (metric, value, at) FROM '${csv.file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`,
    );
    const ms = performance.now() - started;
    const copied = await rowsOf(c, 'bench_copy', csv);
    if (copied !== csv.rows) throw new Error(`\\copy wrote ${copied} rows, expected ${csv.rows}`);
    return { rows: copied, ms, rowsPerSec: (copied / ms) * 1000 };
  });
}

export interface ImportRun {
  rows: number;
  written: number;
  ms: number;
  rowsPerSec: number;
}

/**
 * `roadmap import <file> --roadmap bench` minus process start-up: read the file, then
 * importCsv (parse and validate every line while COPY streams them into metric_points; all or nothing).
 */
export async function measureImport(
  url: string,
  deps: AppDeps,
  invocation: Invocation,
  csv: CsvFile,
  roadmap: Roadmap,
): Promise<ImportRun> {
  return withClient(url, async (c) => {
    await checkpoint(c);
    const started = performance.now();
    const text = await readFile(csv.file, 'utf8');
    const result = await importCsv(deps, invocation, csv.file, text, roadmap);
    const ms = performance.now() - started;
    const stored = await rowsOf(c, 'metric_points', csv);
    if (result.points !== csv.rows || result.written !== csv.rows || stored !== csv.rows) {
      throw new Error(
        `import took ${result.points} points, wrote ${result.written}, stored ${stored}; expected ${csv.rows}`,
      );
    }
    return {
      rows: result.points,
      written: result.written,
      ms,
      rowsPerSec: (result.points / ms) * 1000,
    };
  });
}

/** Rows imported by one side and not the other, or with another value: 0 when both ended the same. */
export async function differingRows(url: string): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ diff: string }>(
      `SELECT count(*) AS diff
         FROM (SELECT roadmap_id, metric, at, source, value FROM metric_points WHERE source = 'csv') a
         FULL JOIN (SELECT roadmap_id, metric, at, source, value FROM bench_copy WHERE source = 'csv') b
           USING (roadmap_id, metric, at, source)
        WHERE a.value IS DISTINCT FROM b.value`,
    );
    return Number(rows[0]?.diff);
  });
}
