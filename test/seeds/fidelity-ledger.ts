/**
 * Reads a seed's fidelity ledger (docs/seeds/<id>.md) so a test can hold it against the roadmap
 * file and the document: its summary counts, and one row per commitment with the document's
 * words, their lines and the key paths in the roadmap file that hold it ("—" when left out).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { describe, expect, it } from 'vitest';

const REPO = path.resolve(import.meta.dirname, '../..');

export interface LedgerRow {
  n: number;
  /** As written: `L3`, `L246-249`, `L52, L79`. */
  lines: string;
  /** The document's words, quoted ("…" marks a cut). */
  words: string;
  /** Key paths into the roadmap file; empty when the row is left out. */
  where: string[];
  how: string;
}

export interface Ledger {
  /** The document the ledger reads, relative to the repository (`../shared/seeds/…`). */
  document: string;
  counted: number;
  captured: number;
  leftOut: number;
  /** The share as the summary writes it, in percent. */
  share: number;
  rows: LedgerRow[];
}

/** A markdown table row's cells; `\|` is a literal bar inside a cell. */
function cells(line: string): string[] {
  return line
    .trim()
    .replace(/^\|/, '')
    .replace(/\|$/, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim().replace(/\\\|/g, '|'));
}

/** How many commitments a ledger counts, captures and leaves out, and its share in percent. */
export interface LedgerSummary {
  counted: number;
  captured: number;
  leftOut: number;
  share: number;
}

/**
 * A ledger's summary, in either layout the ledgers use: the one-row table
 * `| counted | captured and evaluated | left out | share |`, or mirai's one row per count
 * (`| Commitments counted | 138 |` … `| **Share** | **98.6 %** |`).
 */
export function ledgerSummary(id: string): LedgerSummary {
  const lines = readFileSync(path.join(REPO, 'docs/seeds', `${id}.md`), 'utf8').split('\n');
  const summaryAt = lines.findIndex((l) => /^\|\s*counted\s*\|/.test(l));
  if (summaryAt >= 0) {
    const summary = cells(lines[summaryAt + 2] ?? '').map((c) => Number(c.replace('%', '')));
    const [counted, captured, leftOut, share] = summary as [number, number, number, number];
    if (summary.length === 4 && summary.every((v) => Number.isFinite(v)))
      return { counted, captured, leftOut, share };
  }
  const byName = new Map(
    lines.map((l) => cells(l)).map((c) => [(c[0] ?? '').replaceAll('*', ''), c[1] ?? '']),
  );
  // A missing row is NaN, not Number('') = 0, so a ledger without its summary is refused.
  const count = (name: string) => {
    const cell = byName.get(name);
    return cell ? Number(cell.replace(/[*%\s]/g, '')) : Number.NaN;
  };
  const named = {
    counted: count('Commitments counted'),
    captured: count('Captured and evaluated'),
    leftOut: count('Left out'),
    share: count('Share'),
  };
  if (Object.values(named).every((v) => Number.isFinite(v))) return named;
  throw new Error(`${id}.md: no summary table of counted, captured, left out and share`);
}

export function readLedger(id: string): Ledger {
  const text = readFileSync(path.join(REPO, 'docs/seeds', `${id}.md`), 'utf8');
  const lines = text.split('\n');
  const document = /^Document: `([^`]+)`/m.exec(text)?.[1];
  if (!document) throw new Error(`${id}.md: no "Document: \`…\`" line`);
  const { counted, captured, leftOut, share } = ledgerSummary(id);
  const rows: LedgerRow[] = [];
  for (const line of lines) {
    const c = cells(line);
    if (!line.startsWith('|') || c.length !== 5 || !/^\d+$/.test(c[0] ?? '')) continue;
    const [n, at, words, where, how] = c as [string, string, string, string, string];
    rows.push({
      n: Number(n),
      lines: at,
      words,
      where: [...where.matchAll(/`([^`]+)`/g)].map((m) => m[1] as string),
      how,
    });
  }
  return {
    document,
    counted,
    captured,
    leftOut,
    share,
    rows,
  };
}

/** The raw roadmap file as YAML data (what the ledger's key paths point into). */
export function roadmapData(id: string): unknown {
  return parse(readFileSync(path.join(REPO, 'roadmaps', `${id}.yaml`), 'utf8'));
}

/**
 * Follows a key path such as `stages[phase2].budget.infra` or `plan[infra_cost]`: `name[x]`
 * picks, in the list `name`, the item whose `id`, `metric` or `role` is x. Undefined when any
 * step is missing.
 */
export function atKeyPath(data: unknown, keyPath: string): unknown {
  let here: unknown = data;
  for (const segment of keyPath.match(/[^.[\]]+(\[[^\]]+\])?/g) ?? []) {
    const [, key, pick] = /^([^[]+)(?:\[([^\]]+)\])?$/.exec(segment) ?? [];
    if (key === undefined || here === null || typeof here !== 'object') return undefined;
    here = (here as Record<string, unknown>)[key];
    if (pick === undefined) continue;
    if (!Array.isArray(here)) return undefined;
    here = here.find(
      (item: unknown) =>
        item !== null &&
        typeof item === 'object' &&
        ['id', 'metric', 'role'].some((k) => (item as Record<string, unknown>)[k] === pick),
    );
  }
  return here;
}

/** The document's text, or undefined where it is not checked out beside the repository. */
export function documentLines(ledger: Ledger): string[] | undefined {
  const file = path.resolve(REPO, ledger.document);
  return existsSync(file) ? readFileSync(file, 'utf8').split('\n') : undefined;
}

/** The line numbers a row cites: `L52, L79` is 52 and 79; `L246-249` is 246 to 249. */
export function citedLines(row: LedgerRow): number[] {
  return [...row.lines.matchAll(/L(\d+)(?:-(\d+))?/g)].flatMap((m) => {
    const from = Number(m[1]);
    const to = m[2] ? Number(m[2]) : from;
    return Array.from({ length: to - from + 1 }, (_, i) => from + i);
  });
}

/** Each quoted piece of a row's words (cut at "…"), to find in the lines it cites. */
export function quotedPieces(row: LedgerRow): string[] {
  return [...row.words.matchAll(/"([^"]+)"/g)].flatMap((m) =>
    (m[1] as string)
      .split('…')
      .map((p) => p.trim())
      .filter((p) => p.length > 0),
  );
}

/**
 * The checks every ledger in the shared layout gets: the counts add up to at least 90%, every key
 * path exists in the roadmap file, and every quote is on the line it cites (when the document
 * is checked out beside the repository).
 */
export function describeLedgerAgreement(id: string): void {
  describe(`${id}: the fidelity ledger agrees with the file and the document`, () => {
    const ledger = readLedger(id);
    const data = roadmapData(id);

    it('counts honestly: rows, captured, left out and a share of at least 90%', () => {
      expect(ledger.rows.map((r) => r.n)).toEqual(ledger.rows.map((_, i) => i + 1));
      expect(ledger.rows).toHaveLength(ledger.counted);
      expect(ledger.rows.filter((r) => r.where.length > 0)).toHaveLength(ledger.captured);
      expect(ledger.rows.filter((r) => r.where.length === 0)).toHaveLength(ledger.leftOut);
      expect(ledger.share).toBe(Math.floor((100 * ledger.captured) / ledger.counted));
      expect(ledger.share).toBeGreaterThanOrEqual(90);
    });

    it('every key path the ledger names exists in the roadmap file', () => {
      const missing = ledger.rows.flatMap((r) =>
        r.where.filter((p) => atKeyPath(data, p) === undefined).map((p) => `row ${r.n}: ${p}`),
      );
      expect(missing).toEqual([]);
    });

    it.skipIf(documentLines(ledger) === undefined)(
      'every quote is on the document line it cites',
      () => {
        const doc = documentLines(ledger) as string[];
        const misquoted = ledger.rows.flatMap((r) => {
          const text = citedLines(r)
            .map((n) => doc[n - 1] ?? '')
            .join('\n');
          const pieces = quotedPieces(r);
          if (pieces.length === 0) return [`row ${r.n}: no quote`];
          return pieces
            .filter((p) => !text.includes(p))
            .map((p) => `row ${r.n} ${r.lines}: "${p}"`);
        });
        expect(misquoted).toEqual([]);
      },
    );
  });
}
