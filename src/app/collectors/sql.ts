import type { RoleFinding } from '../ports/collectors.js';

/*
 * The SQL collector's words and rules; its driver (the session on the product database, the
 * role checks) is src/adapters/pg/sql-collector.ts, behind the SqlCollector port.
 */

/** Why a collector run failed, in words for `status` and the digest. */
export class CollectorError extends Error {}

/** Reads a single number out of a query result: exactly one row with exactly one numeric cell. */
export function singleNumber(rows: Record<string, unknown>[], fields: { name: string }[]): number {
  if (rows.length !== 1 || fields.length !== 1) {
    throw new CollectorError(
      `expected exactly one row with one column, got ${rows.length} row(s) and ${fields.length} column(s)`,
    );
  }
  const cell = (rows[0] as Record<string, unknown>)[(fields[0] as { name: string }).name];
  const value =
    typeof cell === 'number'
      ? cell
      : typeof cell === 'bigint'
        ? Number(cell)
        : typeof cell === 'string' && cell.trim() !== ''
          ? Number(cell)
          : Number.NaN;
  if (!Number.isFinite(value))
    throw new CollectorError(
      `expected a number, got ${cell === null ? 'NULL' : JSON.stringify(cell)}`,
    );
  return value;
}

/** How a refusal starts in `collector_state.last_error`: a later check that passes clears it. */
export const REFUSED = 'refused to run:';

/** Findings named in a refusal; the rest are counted. */
const LISTED = 5;

/** Why the bot will not run a collector as this role, or undefined when the role may only read. */
export function refusal(role: string, findings: RoleFinding[]): string | undefined {
  if (findings.length === 0) return undefined;
  const named = findings
    .slice(0, LISTED)
    .map((f) => (f.role === role ? f.what : `${f.what} (through role "${f.role}")`));
  if (findings.length > LISTED) named.push(`and ${findings.length - LISTED} more`);
  return `${REFUSED} role "${role}" can write or reach outside its read-only transaction: ${named.join('; ')}. Connect as a role that may only SELECT (docs/SECURITY.md, "The SQL collector and a product database")`;
}
