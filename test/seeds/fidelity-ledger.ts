/**
 * Reads a seed's fidelity ledger (docs/seeds/<id>.md) so a test can hold it against the roadmap
 * file and the document: its summary counts, and one row per commitment with the document's
 * words, their lines and the key paths in the roadmap file that hold it ("—" when left out).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';

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

export function readLedger(id: string): Ledger {
  const text = readFileSync(path.join(REPO, 'docs/seeds', `${id}.md`), 'utf8');
  const lines = text.split('\n');
  const document = /^Document: `([^`]+)`/m.exec(text)?.[1];
  if (!document) throw new Error(`${id}.md: no "Document: \`…\`" line`);
  const summaryAt = lines.findIndex((l) => /^\|\s*counted\s*\|/.test(l));
  const summary = cells(lines[summaryAt + 2] ?? '').map((c) => Number(c.replace('%', '')));
  const [counted, captured, leftOut, share] = summary;
  if (summary.length !== 4 || summary.some((v) => !Number.isFinite(v)))
    throw new Error(`${id}.md: the summary table is not | counted | captured | left out | share |`);
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
    counted: counted as number,
    captured: captured as number,
    leftOut: leftOut as number,
    share: share as number,
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
