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

export interface CopyBaseline {
  psql: string;
  psqlVersion: string;
  rows: number;
  ms: number;
  rowsPerSec: number;
  /** Time to give bench_copy the same rows as metric_points (setup, not measured). */
  prepareMs: number;
}

/**
 * The baseline: `psql \copy` of the same file into `bench_copy`, a table created LIKE
 * metric_points INCLUDING ALL (same columns, primary key, defaults) and holding the same rows,
 * so both sides insert into an equally large index. Its roadmap_id and source defaults are
 * set to what importCsv writes, so both tables end with the same imported rows.
 */
export async function measureCopy(url: string, psql: string, csv: CsvFile, roadmapId: string, log: (line: string) => void): Promise<CopyBaseline> {
  const client = new pg.Client({ connectionString: url, application_name: 'roadmap-bot bench copy' });
  client.on('error', () => {});
  await client.connect();
  try {
    const prepared = performance.now();
    log('  preparing bench_copy (same shape and rows as metric_points)…');
    await client.query('DROP TABLE IF EXISTS bench_copy');
    await client.query('CREATE TABLE bench_copy (LIKE metric_points INCLUDING ALL)');
    await client.query(`ALTER TABLE bench_copy ALTER roadmap_id SET DEFAULT ${client.escapeLiteral(roadmapId)}, ALTER source SET DEFAULT 'csv'`);
    await client.query('INSERT INTO bench_copy SELECT * FROM metric_points');
    await client.query('VACUUM (ANALYZE) bench_copy');
    await checkpoint(client);
    const prepareMs = performance.now() - prepared;

    const { stdout: version } = await execFileAsync(psql, ['--version']);
    const command = `\\copy bench_copy (metric, value, at) FROM '${csv.file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`;
    log(`  psql -c "${command}"`);
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(psql, [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', command], { stdio: ['ignore', 'ignore', 'pipe'] });
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new Error(`psql exited with ${code}: ${stderr.trim()}`))));
    });
    const ms = performance.now() - started;
    const { rows } = await client.query<{ n: string }>(`SELECT count(*) AS n FROM bench_copy WHERE source = 'csv'`);
    const copied = Number(rows[0]?.n);
    if (copied !== csv.rows) throw new Error(`\\copy wrote ${copied} rows, expected ${csv.rows}`);
    return { psql, psqlVersion: version.trim(), rows: copied, ms, rowsPerSec: (copied / ms) * 1000, prepareMs };
  } finally {
    await client.end();
  }
}

export interface ImportRun {
  rows: number;
  written: number;
  ms: number;
  rowsPerSec: number;
  /** Both tables hold exactly the same imported rows (keys and values), when \copy ran. */
  sameRowsAsCopy?: boolean;
}

/**
 * `roadmap import <file> --roadmap bench` minus process start-up: read the file, then
 * importCsv (parse, validate every line, COPY into a temp table, upsert; all or nothing).
 */
export async function measureImport(url: string, deps: AppDeps, invocation: Invocation, csv: CsvFile, roadmap: Roadmap, compareWithCopy: boolean): Promise<ImportRun> {
  const client = new pg.Client({ connectionString: url, application_name: 'roadmap-bot bench import' });
  client.on('error', () => {});
  await client.connect();
  try {
    await checkpoint(client);
    const started = performance.now();
    const text = await readFile(csv.file, 'utf8');
    const result = await importCsv(deps, invocation, csv.file, text, roadmap);
    const ms = performance.now() - started;
    if (result.points !== csv.rows || result.written !== csv.rows) {
      throw new Error(`import took ${result.points} points and wrote ${result.written}, expected ${csv.rows}`);
    }
    let sameRowsAsCopy: boolean | undefined;
    if (compareWithCopy) {
      // Every imported row, key and value, on both sides and nowhere else.
      const { rows } = await client.query<{ diff: string }>(
        `SELECT count(*) AS diff
           FROM (SELECT roadmap_id, metric, at, source, value FROM metric_points WHERE source = 'csv') a
           FULL JOIN (SELECT roadmap_id, metric, at, source, value FROM bench_copy WHERE source = 'csv') b
             USING (roadmap_id, metric, at, source)
          WHERE a.value IS DISTINCT FROM b.value`,
      );
      sameRowsAsCopy = Number(rows[0]?.diff) === 0;
    }
    return { rows: result.points, written: result.written, ms, rowsPerSec: (result.points / ms) * 1000, ...(sameRowsAsCopy !== undefined ? { sameRowsAsCopy } : {}) };
  } finally {
    await client.end();
  }
}
