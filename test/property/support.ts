import fc from 'fast-check';
import type pg from 'pg';

/**
 * Shared settings of the property tests. Runs are reproducible: every property uses a fixed
 * seed unless FC_SEED is set (`FC_SEED=123 npx vitest run test/property` explores other
 * inputs; a failure prints the seed and path to replay it). FC_RUNS_FACTOR scales every
 * property's runs (for a longer hunt: `FC_RUNS_FACTOR=10`).
 */
export const SEED = process.env.FC_SEED ? Number(process.env.FC_SEED) : 20_260_302;
const FACTOR = process.env.FC_RUNS_FACTOR ? Number(process.env.FC_RUNS_FACTOR) : 1;

/**
 * Per-test timeout of the property files (set with vi.setConfig at the top of each): a
 * property's runs add up, and FC_RUNS_FACTOR multiplies them.
 */
export const PROPERTY_TIMEOUT_MS = 120_000 * FACTOR;

export function runs(numRuns: number): { seed: number; numRuns: number } {
  return { seed: SEED, numRuns: Math.max(1, Math.round(numRuns * FACTOR)) };
}

/** Any text: ASCII, all of Unicode, lone surrogates, control characters. */
export const anyText = (maxLength: number): fc.Arbitrary<string> =>
  fc.oneof(
    fc.string({ maxLength }),
    fc.string({ unit: 'binary', maxLength }),
    fc.string({
      unit: fc.integer({ min: 0, max: 0xffff }).map((c) => String.fromCharCode(c)),
      maxLength,
    }),
  );

/** A word list joined with random whitespace (spaces, tabs, newlines, none). */
export const joinedWith = (words: fc.Arbitrary<string[]>): fc.Arbitrary<string> =>
  words.chain((ws) =>
    fc
      .array(fc.constantFrom(' ', ' ', ' ', '  ', '\t', '\n', ''), {
        minLength: ws.length,
        maxLength: ws.length,
      })
      .map((seps) => ws.map((w, i) => (i === 0 ? w : `${seps[i] ?? ' '}${w}`)).join('')),
  );

/** Every table of the schema, as migrated (the test database is a clone of the template). */
export async function tableNames(pool: pg.Pool): Promise<string[]> {
  const { rows } = await pool.query<{ name: string }>(
    `SELECT tablename AS name FROM pg_tables WHERE schemaname = current_schema() AND tablename NOT LIKE 'pgmigrations%' ORDER BY tablename`,
  );
  return rows.map((r) => r.name);
}

/**
 * A fingerprint of each table's whole content (row count and an md5 of the sorted rows), so a
 * property can say "nothing changed" about inserts, updates and deletes alike.
 */
export async function fingerprint(
  pool: pg.Pool,
  tables: string[],
): Promise<Record<string, string>> {
  const parts = tables.map(
    (t) =>
      `(SELECT count(*) || ':' || coalesce(md5(string_agg(x::text, '|' ORDER BY x::text)), '') FROM ${t} x) AS ${t}`,
  );
  const { rows } = await pool.query<Record<string, string>>(`SELECT ${parts.join(', ')}`);
  return rows[0] as Record<string, string>;
}
