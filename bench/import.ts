/**
 * CSV import next to `psql \copy` of the same file, both timed the same way. Helpers for
 * bench/run.ts (which imports into its 10.5 M-row store), and a bench of its own:
 * `npx tsx bench/import.ts`. Each round writes fresh CSV files (time ranges the store does not
 * hold) and measures, in alternating order:
 *
 *   - without start-up: psql's own time for the `\copy` (its `\timing`, from sending the
 *     command to its answer) next to the import in this process (read the file, importCsv);
 *   - from process start: `psql -c "\copy …"` from spawn to exit next to
 *     `node bin/roadmap.js import <file> --roadmap bench` from spawn to exit (as a user runs it),
 *     on a second file of the same size.
 *
 * \copy writes into a copy of metric_points (same columns, keys, rows), in two versions: the
 * goal's baseline, bench_copy_triggers, which also has metric_points' triggers (evaluation on
 * write, the rollups' stale marks: migrations 0010-0012), since a \copy into metric_points
 * pays them as the import does; and bench_copy without them (LIKE … INCLUDING ALL copies no
 * trigger), the baseline before, still printed beside it (a kinder one for \copy). At the end
 * every table must hold the same imported rows.
 *
 *   IMPORT_ROWS=1000000        rows per CSV file (metric,value,at; 20 metrics, one a minute)
 *   IMPORT_STORE_ROWS=1000000  rows in metric_points before the rounds (so both sides insert
 *                              into an index of that size)
 *   IMPORT_ROUNDS=3            rounds; the table gives each and the medians
 *   IMPORT_CLI=1               0: skip the from-process-start pair
 *   IMPORT_NO_TRIGGERS=1       0: skip the diagnostic: a third file imported in this process with
 *                              metric_points' triggers (evaluation on write, rollups: migrations
 *                              0010, 0011) disabled, as bench_copy has none (LIKE copies none)
 *   DATABASE_URL=…             use that server (a fresh roadmap_bench_<random> database)
 *
 * Progress to stderr, the table to stdout, figures to bench/.out/import.json.
 */
import { execFile, spawn } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { once } from 'node:events';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { promisify } from 'node:util';
import pg from 'pg';
import { createPool } from '../src/adapters/pg/pool.js';
import { pgStore } from '../src/adapters/pg/store.js';
import type { AppDeps, Invocation } from '../src/app/context.js';
import { importCsv } from '../src/app/import-csv.js';
import type { Roadmap } from '../src/core/roadmap/model.js';
import { postmasterPid, reapedCpuOf, serverCpu, serverDelta } from './bench-cpu.js';
import { openBenchDatabase, type BenchDatabase } from './db.js';
import { numberEnv } from './env.js';
import { checkpoint, loadYear } from './load.js';
import { loadBenchRoadmap, SERIES } from './roadmap.js';

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
async function rowsOf(c: pg.Client, table: string, csv: CsvFile): Promise<number> {
  const { rows } = await c.query<{ n: string }>(
    `SELECT count(*) AS n FROM ${table} WHERE source = 'csv' AND at >= $1 AND at < $2`,
    [csv.from, csv.to],
  );
  return Number(rows[0]?.n);
}

/** The baseline's tables: without metric_points' triggers (as before), and with them (the goal's). */
export const COPY_TABLE = 'bench_copy';
export const COPY_TABLE_TRIGGERS = 'bench_copy_triggers';

/**
 * A baseline's table (default `bench_copy`), created LIKE metric_points INCLUDING ALL (same
 * columns, primary key, defaults) and holding the same rows, so that both sides insert into an
 * equally large index; with `triggers`, metric_points' triggers too (copyPointTriggers), which
 * LIKE does not copy. Its roadmap_id and source defaults are what importCsv writes, so both
 * tables end with the same imported rows. Returns the time it took (setup, not measured).
 */
export async function prepareCopyTable(
  url: string,
  roadmapId: string,
  table = COPY_TABLE,
  triggers = false,
): Promise<number> {
  return withClient(url, async (c) => {
    const started = performance.now();
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.query(`CREATE TABLE ${table} (LIKE metric_points INCLUDING ALL)`);
    await c.query(
      `ALTER TABLE ${table} ALTER roadmap_id SET DEFAULT ${c.escapeLiteral(roadmapId)}, ALTER source SET DEFAULT 'csv'`,
    );
    await c.query(`INSERT INTO ${table} SELECT * FROM metric_points`);
    if (triggers) await copyPointTriggers(c, table);
    await c.query(`VACUUM (ANALYZE) ${table}`);
    return performance.now() - started;
  });
}

/**
 * Gives `table` the triggers metric_points has (evaluation on write, rollups' stale marks:
 * migrations 0010-0012), read from the catalog so that it follows whatever migrations made:
 * their functions read only the transition tables, so on `table` they do the same work. A
 * \copy into metric_points pays them; LIKE … INCLUDING ALL copies none. Returns their names.
 */
export async function copyPointTriggers(
  c: Pick<pg.ClientBase, 'query'>,
  table: string,
): Promise<string[]> {
  const { rows } = await c.query<{ name: string; def: string }>(
    `SELECT tgname AS name, pg_get_triggerdef(oid) AS def FROM pg_trigger
      WHERE tgrelid = 'metric_points'::regclass AND NOT tgisinternal ORDER BY tgname`,
  );
  for (const { def } of rows) {
    const on = / ON (public\.)?metric_points /;
    if (!on.test(def)) throw new Error(`unexpected trigger definition: ${def}`);
    await c.query(def.replace(on, ` ON ${table} `));
  }
  return rows.map((r) => r.name);
}

export async function psqlVersion(psql: string): Promise<string> {
  return (await execFileAsync(psql, ['--version'])).stdout.trim();
}

/**
 * Runs one psql command (a `\copy`, say) against `url` with `\timing on`; rejects with psql's
 * error output. Returns the command's own time as psql reports it (from sending it to its
 * answer: no process start-up, no connection), in ms.
 */
export function runPsql(psql: string, url: string, command: string): Promise<number> {
  return new Promise<number>((resolve, reject) => {
    const child = spawn(
      psql,
      [url, '-X', '-q', '-v', 'ON_ERROR_STOP=1', '-c', '\\timing on', '-c', command],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.once('error', reject);
    child.once('close', (code) => {
      if (code !== 0) return reject(new Error(`psql exited with ${code}: ${stderr.trim()}`));
      // "Time: 1234.567 ms", past a second followed by " (00:01.235)".
      const timed = /Time: ([\d.]+) ms/.exec(stdout);
      if (!timed) return reject(new Error(`psql printed no timing: "${stdout.slice(0, 200)}"`));
      resolve(Number(timed[1]));
    });
  });
}

export interface CopyRun {
  rows: number;
  /** The \copy itself, as psql's \timing reports it: no process start-up, no connection. */
  ms: number;
  rowsPerSec: number;
  /** From psql's spawn to its exit: start-up and connection included. */
  processMs: number;
}

/**
 * The baseline: `psql -c "\copy <table> (metric, value, at) FROM <file> CSV HEADER"` (default
 * bench_copy); the copy's own time, and the time from psql's spawn to its exit.
 */
export async function measureCopy(
  url: string,
  psql: string,
  csv: CsvFile,
  table = COPY_TABLE,
): Promise<CopyRun> {
  return withClient(url, async (c) => {
    await checkpoint(c);
    const started = performance.now();
    const ms = await runPsql(
      psql,
      url,
      `\\copy ${table} (metric, value, at) FROM '${csv.file.replace(/'/g, "''")}' WITH (FORMAT csv, HEADER true)`,
    );
    const processMs = performance.now() - started;
    const copied = await rowsOf(c, table, csv);
    if (copied !== csv.rows) throw new Error(`\\copy wrote ${copied} rows, expected ${csv.rows}`);
    return { rows: copied, ms, rowsPerSec: (copied / ms) * 1000, processMs };
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
export async function differingRows(url: string, table = COPY_TABLE): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ diff: string }>(
      `SELECT count(*) AS diff
         FROM (SELECT roadmap_id, metric, at, source, value FROM metric_points WHERE source = 'csv') a
         FULL JOIN (SELECT roadmap_id, metric, at, source, value FROM ${table} WHERE source = 'csv') b
           USING (roadmap_id, metric, at, source)
        WHERE a.value IS DISTINCT FROM b.value`,
    );
    return Number(rows[0]?.diff);
  });
}

export interface CliImportRun {
  rows: number;
  /** From the CLI's spawn to its exit. */
  ms: number;
  rowsPerSec: number;
}

const ROOT = fileURLToPath(new URL('../', import.meta.url));

/**
 * `roadmap import <file> --roadmap <id>` as a user runs it (`node bin/roadmap.js`), from spawn
 * to exit, against `url` with the roadmaps of `roadmapsDir`.
 */
export async function measureImportCli(
  url: string,
  roadmapsDir: string,
  dataDir: string,
  csv: CsvFile,
  roadmapId: string,
): Promise<CliImportRun> {
  // Only the bench's settings: nothing from the shell that would start Slack or Discord.
  const env = Object.fromEntries(
    Object.entries(process.env).filter(
      ([k]) =>
        !/^(SLACK_|DISCORD_|CLOCK_|API_|PRODUCT_DATABASE_URL$|DATABASE_URL$|ROADMAPS_DIR$|DATA_DIR$|ROADMAP_ACTOR$)/.test(
          k,
        ),
    ),
  );
  return withClient(url, async (c) => {
    await checkpoint(c);
    const started = performance.now();
    await new Promise<void>((resolve, reject) => {
      const child = spawn(
        process.execPath,
        [path.join(ROOT, 'bin/roadmap.js'), 'import', csv.file, '--roadmap', roadmapId],
        {
          cwd: ROOT,
          env: {
            ...env,
            DATABASE_URL: url,
            ROADMAPS_DIR: roadmapsDir,
            DATA_DIR: dataDir,
            ROADMAP_ACTOR: 'bench',
          },
          stdio: ['ignore', 'ignore', 'pipe'],
        },
      );
      let stderr = '';
      child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
      child.once('error', reject);
      child.once('close', (code) =>
        code === 0
          ? resolve()
          : reject(new Error(`roadmap import exited with ${code}: ${stderr.trim().slice(-2000)}`)),
      );
    });
    const ms = performance.now() - started;
    const stored = await rowsOf(c, 'metric_points', csv);
    if (stored !== csv.rows)
      throw new Error(`roadmap import stored ${stored}, expected ${csv.rows}`);
    return { rows: stored, ms, rowsPerSec: (stored / ms) * 1000 };
  });
}

// ---------------------------------------------------------------------------------------------
// The bench of its own.

const log = (line: string): void => void process.stderr.write(`${line}\n`);
const loadAverage = (): number => Number((os.loadavg()[0] ?? 0).toFixed(2));
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? (s[m] as number) : ((s[m - 1] as number) + (s[m] as number)) / 2;
};
const int = (n: number): string => Math.round(n).toLocaleString('en-US');
const f2 = (n: number | null | undefined): string =>
  n === null || n === undefined || !Number.isFinite(n) ? '—' : n.toFixed(2);
const GOAL_RATIO = 0.8;

interface ImportRound {
  round: number;
  order: 'copy first' | 'import first';
  /** Without start-up: psql's \timing of the \copy (into bench_copy_triggers), and importCsv in this process. */
  copy: CopyRun;
  import: ImportRun;
  ratio: number;
  /** The same file's \copy into bench_copy (no triggers), and the import against it. */
  copyNoTriggers: CopyRun;
  ratioNoTriggers: number;
  /** CPU of each side, ms per 1,000 rows: the client (psql or this process) and PostgreSQL. */
  cpu: {
    copyClient: number | null;
    copyServer: number | null;
    importClient: number;
    importServer: number | null;
  };
  /** From process start: psql spawn → exit, and `node bin/roadmap.js import` spawn → exit (second file). */
  fromStart: { copy: CopyRun; cli: CliImportRun; ratio: number } | null;
  /** The diagnostic: importCsv of a third file with metric_points' triggers off, against this round's \copy. */
  withoutTriggers: { import: ImportRun; ratio: number } | null;
  loadAverage: number;
}

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: string[]): string =>
    cells
      .map((c, i) => (i === 0 ? c.padEnd(widths[i] as number) : c.padStart(widths[i] as number)))
      .join('  ');
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

async function main(): Promise<void> {
  const rows = numberEnv('IMPORT_ROWS', 1_000_000, { integer: true, positive: true });
  const storeRows = numberEnv('IMPORT_STORE_ROWS', 1_000_000, { integer: true });
  const roundsWanted = numberEnv('IMPORT_ROUNDS', 3, { integer: true, positive: true });
  const withCli = numberEnv('IMPORT_CLI', 1, { integer: true }) !== 0;
  const noTriggers = numberEnv('IMPORT_NO_TRIGGERS', 1, { integer: true }) !== 0;
  const startedAt = new Date();
  const startLoad = loadAverage();
  const psql = await findPsql();
  if (!psql) throw new Error('psql is not on PATH: the \\copy baseline needs it');

  const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-import-'));
  const { registry, roadmap, dir: roadmapsDir } = await loadBenchRoadmap();
  let db: BenchDatabase | undefined;
  let pool: pg.Pool | undefined;
  const cleanup = async (): Promise<void> => {
    await pool?.end().catch(() => undefined);
    await db?.close().catch((e: Error) => log(`cleanup: ${e.message}`));
    await rm(tmp, { recursive: true, force: true });
    await rm(roadmapsDir, { recursive: true, force: true });
  };
  process.once('SIGINT', () => {
    log('interrupted: cleaning up…');
    void cleanup().finally(() => process.exit(130));
  });
  try {
    db = await openBenchDatabase(log);
    log(`database: ${db.kind}, ${db.serverVersion}`);
    pool = createPool(db.url, {
      max: 4,
      applicationName: 'bench import',
      onError: () => undefined,
    });
    const dataDir = (
      await pool.query<{ data_directory: string }>('SHOW data_directory').catch(() => undefined)
    )?.rows[0]?.data_directory;
    const pgPid = dataDir ? await postmasterPid(dataDir) : undefined;
    const deps: AppDeps = { store: pgStore(pool), registry, clock: () => new Date() };
    const invocation: Invocation = { actor: { platform: 'cli', id: 'bench' }, isAdmin: true };

    // The store, ending a minute ago; the CSV files go back in time from its start.
    const storeEnd = new Date(Math.floor(Date.now() / MINUTE_MS) * MINUTE_MS - MINUTE_MS);
    const minutes = Math.max(1, Math.round(storeRows / SERIES.length));
    log(`loading ${int(minutes * SERIES.length)} rows into metric_points…`);
    const load = await loadYear(db.url, roadmap.id, storeEnd, minutes, log);
    log(
      `preparing ${COPY_TABLE} and ${COPY_TABLE_TRIGGERS} (same shape and rows as metric_points)…`,
    );
    await prepareCopyTable(db.url, roadmap.id, COPY_TABLE, false);
    await prepareCopyTable(db.url, roadmap.id, COPY_TABLE_TRIGGERS, true);

    const rounds: ImportRound[] = [];
    let csvTo = load.from;
    let bytes = 0;
    const nextCsv = async (name: string): Promise<CsvFile> => {
      const csv = await writeCsv(path.join(tmp, name), rows, csvTo);
      csvTo = csv.from;
      bytes = csv.bytes;
      return csv;
    };
    for (let round = 1; round <= roundsWanted; round++) {
      const order = round % 2 === 1 ? 'copy first' : 'import first';
      const csv = await nextCsv(`points-${round}.csv`);
      log(
        `round ${round}/${roundsWanted} (${order}): ${int(csv.rows)} rows, ${(csv.bytes / 1e6).toFixed(1)} MB`,
      );
      const timedCopy = async (file: CsvFile, table = COPY_TABLE_TRIGGERS) => {
        await pool!.query('CHECKPOINT').catch(() => undefined);
        const client = await reapedCpuOf(process.pid);
        const server = pgPid ? await serverCpu(pgPid) : undefined;
        const run = await measureCopy(db!.url, psql, file, table);
        // psql's backend exits after psql does; its CPU reaches the postmaster's reaped total a moment later.
        await new Promise((r) => setTimeout(r, 300));
        const clientAfter = await reapedCpuOf(process.pid);
        const serverAfter = pgPid ? await serverCpu(pgPid) : undefined;
        return {
          run,
          client:
            client !== undefined && clientAfter !== undefined
              ? ((clientAfter - client) * 1e6) / file.rows
              : null,
          server:
            server && serverAfter ? (serverDelta(server, serverAfter) * 1e6) / file.rows : null,
        };
      };
      const timedImport = async (file: CsvFile) => {
        // The checkpoint measureImport takes first flushes what came before: not this import's.
        await pool!.query('CHECKPOINT').catch(() => undefined);
        const server = pgPid ? await serverCpu(pgPid) : undefined;
        const before = process.cpuUsage();
        const run = await measureImport(db!.url, deps, invocation, file, roadmap);
        const used = process.cpuUsage(before);
        const serverAfter = pgPid ? await serverCpu(pgPid) : undefined;
        return {
          run,
          client: ((used.user + used.system) / 1000 / file.rows) * 1000,
          server:
            server && serverAfter ? (serverDelta(server, serverAfter) * 1e6) / file.rows : null,
        };
      };
      let copy: Awaited<ReturnType<typeof timedCopy>>;
      let imported: Awaited<ReturnType<typeof timedImport>>;
      if (order === 'copy first') {
        copy = await timedCopy(csv);
        imported = await timedImport(csv);
      } else {
        imported = await timedImport(csv);
        copy = await timedCopy(csv);
      }
      const copyNoTriggers = (await timedCopy(csv, COPY_TABLE)).run;
      let withoutTriggers: ImportRound['withoutTriggers'] = null;
      if (noTriggers) {
        const third = await nextCsv(`points-${round}-no-triggers.csv`);
        await pool.query('ALTER TABLE metric_points DISABLE TRIGGER USER');
        try {
          const run = (await timedImport(third)).run;
          withoutTriggers = { import: run, ratio: run.rowsPerSec / copyNoTriggers.rowsPerSec };
        } finally {
          await pool.query('ALTER TABLE metric_points ENABLE TRIGGER USER');
        }
        // Untimed: the baselines' tables get the same rows.
        await measureCopy(db.url, psql, third, COPY_TABLE);
        await measureCopy(db.url, psql, third, COPY_TABLE_TRIGGERS);
      }
      let fromStart: ImportRound['fromStart'] = null;
      if (withCli) {
        const second = await nextCsv(`points-${round}-cli.csv`);
        const cliData = path.join(tmp, 'data');
        let copyB: CopyRun;
        let cli: CliImportRun;
        if (order === 'copy first') {
          copyB = await measureCopy(db.url, psql, second, COPY_TABLE_TRIGGERS);
          cli = await measureImportCli(db.url, roadmapsDir, cliData, second, roadmap.id);
        } else {
          cli = await measureImportCli(db.url, roadmapsDir, cliData, second, roadmap.id);
          copyB = await measureCopy(db.url, psql, second, COPY_TABLE_TRIGGERS);
        }
        await measureCopy(db.url, psql, second, COPY_TABLE); // untimed: the same rows
        fromStart = {
          copy: copyB,
          cli,
          ratio: cli.rowsPerSec / ((copyB.rows / copyB.processMs) * 1000),
        };
      }
      const r: ImportRound = {
        round,
        order,
        copy: copy.run,
        import: imported.run,
        ratio: imported.run.rowsPerSec / copy.run.rowsPerSec,
        copyNoTriggers,
        ratioNoTriggers: imported.run.rowsPerSec / copyNoTriggers.rowsPerSec,
        cpu: {
          copyClient: copy.client,
          copyServer: copy.server,
          importClient: imported.client,
          importServer: imported.server,
        },
        fromStart,
        withoutTriggers,
        loadAverage: loadAverage(),
      };
      log(
        `  without start-up: \\copy ${int(r.copy.ms)} ms (${int(r.copyNoTriggers.ms)} ms without triggers), import ${int(r.import.ms)} ms, ratio ${f2(r.ratio)} (${f2(r.ratioNoTriggers)})` +
          (fromStart
            ? `; from process start: psql ${int(fromStart.copy.processMs)} ms, roadmap import ${int(fromStart.cli.ms)} ms, ratio ${f2(fromStart.ratio)}`
            : '') +
          ` (load average ${r.loadAverage})`,
      );
      rounds.push(r);
    }
    const differing =
      (await differingRows(db.url, COPY_TABLE)) +
      (await differingRows(db.url, COPY_TABLE_TRIGGERS));
    if (differing !== 0)
      throw new Error(`the import and \\copy did not end with the same rows: ${differing} differ`);

    const ratio = median(rounds.map((r) => r.ratio));
    const ratioNoTriggers = median(rounds.map((r) => r.ratioNoTriggers));
    const fromStartRatio = withCli
      ? median(rounds.map((r) => (r.fromStart as { ratio: number }).ratio))
      : null;
    const out = {
      startedAt: startedAt.toISOString(),
      durationMs: Date.now() - startedAt.getTime(),
      machine: {
        node: process.version,
        cpus: os.cpus().length,
        cpuModel: os.cpus()[0]?.model ?? '?',
        loadAverage: { start: startLoad, end: loadAverage() },
      },
      database: { kind: db.kind, version: db.serverVersion, psql: await psqlVersion(psql) },
      setup: { rows, bytes, storeRows: load.rows, rounds: roundsWanted, header: 'metric,value,at' },
      rounds,
      medians: {
        withoutStartup: {
          copyMs: median(rounds.map((r) => r.copy.ms)),
          importMs: median(rounds.map((r) => r.import.ms)),
          ratio,
          copyNoTriggersMs: median(rounds.map((r) => r.copyNoTriggers.ms)),
          ratioNoTriggers,
        },
        fromStart: withCli
          ? {
              copyMs: median(rounds.map((r) => (r.fromStart as { copy: CopyRun }).copy.processMs)),
              cliMs: median(rounds.map((r) => (r.fromStart as { cli: CliImportRun }).cli.ms)),
              ratio: fromStartRatio,
            }
          : null,
      },
      goal: { ratio: GOAL_RATIO, met: ratio >= GOAL_RATIO },
      withoutTriggers: noTriggers
        ? {
            importMs: median(
              rounds.map((r) => (r.withoutTriggers as { import: ImportRun }).import.ms),
            ),
            ratio: median(rounds.map((r) => (r.withoutTriggers as { ratio: number }).ratio)),
          }
        : null,
      check: { differingRows: differing },
    };
    const outDir = fileURLToPath(new URL('./.out/', import.meta.url));
    await mkdir(outDir, { recursive: true });
    await writeFile(path.join(outDir, 'import.json'), `${JSON.stringify(out, null, 2)}\n`);

    console.log(
      `\nCSV import of ${int(rows)} rows (${(bytes / 1e6).toFixed(1)} MB, metric,value,at) into a store of ${int(load.rows)} rows, next to psql \\copy of the same file into a copy of it with metric_points' triggers (${COPY_TABLE_TRIGGERS}) and without (${COPY_TABLE}); ${db.kind} PostgreSQL`,
    );
    console.log(
      `Load average ${startLoad} → ${loadAverage()} on ${os.cpus().length} CPUs; rows differing between the two tables at the end: ${differing}\n`,
    );
    console.log(
      table(
        [
          'round',
          'order',
          '\\copy ms',
          'import ms',
          'import/\\copy',
          `≥ ${GOAL_RATIO}`,
          '\\copy no triggers ms',
          'ratio',
          'cpu/1k rows: psql+pg',
          'import+pg',
          'from start: psql ms',
          'roadmap import ms',
          'ratio',
          'no triggers: import ms',
          'ratio',
          'load',
        ],
        rounds.map((r) => [
          String(r.round),
          r.order,
          int(r.copy.ms),
          int(r.import.ms),
          f2(r.ratio),
          r.ratio >= GOAL_RATIO ? 'yes' : 'no',
          int(r.copyNoTriggers.ms),
          f2(r.ratioNoTriggers),
          `${f2(r.cpu.copyClient)}+${f2(r.cpu.copyServer)}`,
          `${f2(r.cpu.importClient)}+${f2(r.cpu.importServer)}`,
          r.fromStart ? int(r.fromStart.copy.processMs) : '—',
          r.fromStart ? int(r.fromStart.cli.ms) : '—',
          r.fromStart ? f2(r.fromStart.ratio) : '—',
          r.withoutTriggers ? int(r.withoutTriggers.import.ms) : '—',
          r.withoutTriggers ? f2(r.withoutTriggers.ratio) : '—',
          String(r.loadAverage),
        ]),
      ),
    );
    console.log(
      `\nMedian ratio without start-up (psql's \\timing of the \\copy into ${COPY_TABLE_TRIGGERS}; importCsv in-process): ${f2(ratio)} (goal ≥ ${GOAL_RATIO}: ${ratio >= GOAL_RATIO ? 'met' : 'not met'}); against the \\copy into ${COPY_TABLE} (no triggers, the baseline before): ${f2(ratioNoTriggers)}` +
        (fromStartRatio !== null
          ? `\nMedian ratio from process start (psql and node bin/roadmap.js, spawn to exit): ${f2(fromStartRatio)}`
          : '') +
        (out.withoutTriggers
          ? `\nDiagnostic, median ratio of importCsv with metric_points' triggers off to the same round's \\copy into ${COPY_TABLE} (no triggers either): ${f2(out.withoutTriggers.ratio)}`
          : ''),
    );
    console.log(`Figures: ${path.relative(ROOT, path.join(outDir, 'import.json'))}`);
  } finally {
    await cleanup();
  }
}

if (process.argv[1] && import.meta.url === pathToFileURL(path.resolve(process.argv[1])).href) {
  main().catch((error: Error) => {
    console.error(`import bench failed: ${error.stack ?? error.message}`);
    process.exit(1);
  });
}
