/**
 * Where `roadmap import` spends its time: the steps of importCsv + PgStore.importPoints run one
 * by one on the same store and CSV as `npm run bench`, each timed, next to psql \copy.
 *
 *   npx tsx bench/profile-import.ts        (BENCH_SCALE as for the bench)
 *
 * parsePointsCsv is called as importCsv calls it (csv-parse, then ingest.validateBatch); the
 * steps of PgStore.importPoints are replicated (same library calls, same SQL): if it changes,
 * change this too.
 */
import { readFile, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { parse } from 'csv-parse/sync';
import copyStreams from 'pg-copy-streams';
import { createPool } from '../src/adapters/pg/pool.js';
import type { PointInput } from '../src/adapters/pg/store.js';
import { parsePointsCsv } from '../src/app/import-csv.js';
import { openBenchDatabase } from './db.js';
import { findPsql, measureCopy, prepareCopyTable, writeCsv } from './import.js';
import { checkpoint, loadYear } from './load.js';
import { loadBenchRoadmap, SERIES } from './roadmap.js';

const DATA_END = new Date('2026-01-01T00:00:00Z');
const log = (line: string): void => void process.stderr.write(`${line}\n`);

/** Same as the private copyLines of src/adapters/pg/store.ts. */
function* copyLines(points: Iterable<PointInput>): Generator<string> {
  const escape = (text: string) => text.replace(/[\\\t\n\r]/g, (c) => ({ '\\': '\\\\', '\t': '\\t', '\n': '\\n', '\r': '\\r' })[c] as string);
  let chunk = '';
  let n = 0;
  for (const p of points) {
    chunk += `${escape(p.roadmapId)}\t${escape(p.metric)}\t${p.at.toISOString()}\t${escape(p.source)}\t${p.value}\n`;
    if (++n % 1000 === 0) {
      yield chunk;
      chunk = '';
    }
  }
  if (chunk) yield chunk;
}

async function main(): Promise<void> {
  const scale = Number(process.env.BENCH_SCALE ?? 1);
  const minutes = Math.round(365 * 24 * 60 * scale);
  const rows = Math.round(1_000_000 * scale);
  const tmp = await mkdtemp(path.join(os.tmpdir(), 'roadmap-bot-profile-'));
  const { roadmap, registry, dir } = await loadBenchRoadmap();
  const db = await openBenchDatabase(log);
  const pool = createPool(db.url, { onError: () => {} });
  const timings: [string, number][] = [];
  const time = async <T>(label: string, fn: () => T | Promise<T>): Promise<T> => {
    const started = performance.now();
    const result = await fn();
    timings.push([label, performance.now() - started]);
    log(`  ${label}: ${(performance.now() - started).toFixed(0)} ms`);
    return result;
  };
  try {
    const load = await loadYear(db.url, roadmap.id, DATA_END, minutes, () => {});
    log(`loaded ${load.rows} rows`);
    const csv = await writeCsv(path.join(tmp, 'points.csv'), rows, load.from);
    const psql = await findPsql();
    if (psql) {
      await prepareCopyTable(db.url, roadmap.id);
      const copy = await measureCopy(db.url, psql, csv);
      timings.push(['psql \\copy into bench_copy (baseline)', copy.ms]);
    }

    const text = await time('read file', () => readFile(csv.file, 'utf8'));
    await time('csv-parse/sync alone (same options)', () => parse(text, { relax_column_count: true, skip_empty_lines: true, trim: true }) as string[][]);
    const { points, errors } = await time('parsePointsCsv (csv-parse + validateBatch)', () => parsePointsCsv(text, (id) => registry.get(id), roadmap, DATA_END));
    if (errors.length) throw new Error(`${errors.length} bad lines`);
    await time('copyLines alone (COPY text generation)', () => {
      let n = 0;
      for (const chunk of copyLines(points)) n += chunk.length;
      return n;
    });

    const client = await pool.connect();
    try {
      await checkpoint(client);
      const started = performance.now();
      await client.query('BEGIN');
      await time('CREATE TEMP TABLE', () =>
        client.query(`CREATE TEMP TABLE import_points (roadmap_id text, metric text, at timestamptz, source text, value float8) ON COMMIT DROP`),
      );
      await time('COPY into temp table (incl. generation)', () => pipeline(Readable.from(copyLines(points)), client.query(copyStreams.from('COPY import_points FROM STDIN'))));
      await time('INSERT … ON CONFLICT into metric_points', () =>
        client.query(
          `INSERT INTO metric_points (roadmap_id, metric, at, source, value, recorded_at)
           SELECT roadmap_id, metric, at, source, value, $1 FROM import_points
           ON CONFLICT (roadmap_id, metric, at, source) DO UPDATE
             SET value = EXCLUDED.value, recorded_at = EXCLUDED.recorded_at
             WHERE metric_points.value IS DISTINCT FROM EXCLUDED.value`,
          [DATA_END],
        ),
      );
      await time('COMMIT', () => client.query('COMMIT'));
      timings.push(['server side total (BEGIN … COMMIT)', performance.now() - started]);
    } finally {
      client.release();
    }

    console.log(`\nimport profile, ${rows.toLocaleString('en-US')} rows into ${load.rows.toLocaleString('en-US')} (${SERIES.length} metrics)`);
    for (const [label, ms] of timings) console.log(`  ${label.padEnd(48)}${ms.toFixed(0).padStart(8)} ms${`${Math.round((rows / ms) * 1000).toLocaleString('en-US')} rows/s`.padStart(18)}`);
  } finally {
    await pool.end().catch(() => undefined);
    await db.close();
    await rm(tmp, { recursive: true, force: true });
    await rm(dir, { recursive: true, force: true });
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
