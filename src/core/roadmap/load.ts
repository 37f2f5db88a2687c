import { isScalar, isSeq, LineCounter, parseDocument, visit, type Node as YamlNode } from 'yaml';
import type { Roadmap } from './model.js';
import { build } from './build.js';
import { MAX_ROADMAP_BYTES } from './limits.js';
import { Problems, type Problem } from './problems.js';
import { Validator } from './validate.js';

export { MAX_DERIVE_DEPTH } from './build.js';
export { MAX_ROADMAP_BYTES } from './limits.js';
export { formatProblem, MAX_PROBLEMS, type Problem } from './problems.js';

export type LoadResult =
  | { ok: true; roadmap: Roadmap; warnings: Problem[] }
  | { ok: false; errors: Problem[]; warnings: Problem[] };

/**
 * The YAML trap of the format page: inside `{ … }` a comma separates entries, so
 * `{ when: users >= 2,000 }` is `when: users >= 2` and a key `000` with no value. Such a key
 * (digits only, no value) is refused where it is written, naming the entry it was cut from.
 */
function splitNumber(
  key: unknown,
  value: unknown,
  before: unknown,
): { offset: number; message: string } | undefined {
  if (!isScalar(key) || !key.range || !/^\d+$/.test(key.source ?? '')) return undefined;
  const empty = value === null || (isScalar(value) && value.value === null && !value.source);
  if (!empty) return undefined;
  const digits = key.source as string;
  const cut = isScalar(before) && typeof before.source === 'string' ? before.source : undefined;
  const whole = cut !== undefined ? `${cut},${digits}` : `…,${digits}`;
  return {
    offset: key.range[0],
    message: `"${digits}" is a key with no value inside { … }: a comma there separates entries, so "${whole}" was cut at its thousands separator${cut !== undefined ? ` (and reads "${cut}")` : ''}; write the number without separators (2000, 2k) or quote the whole value`,
  };
}

/**
 * Reads one roadmap file's text. Every problem is reported at once, with its line and
 * column; unknown keys are warnings, so a file with extra notes still loads.
 */
export function loadRoadmap(file: string, text: string): LoadResult {
  const lines = new LineCounter();
  if (
    text.length > MAX_ROADMAP_BYTES ||
    new TextEncoder().encode(text).length > MAX_ROADMAP_BYTES
  ) {
    return {
      ok: false,
      errors: [
        {
          file,
          line: 1,
          column: 1,
          message: `file is larger than ${MAX_ROADMAP_BYTES} bytes`,
          severity: 'error',
        },
      ],
      warnings: [],
    };
  }
  // maxAliasCount guards against alias bombs ("billion laughs").
  // Duplicate keys are found below with one Set per mapping: yaml's uniqueKeys compares every pair.
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: false });
  const problems = new Problems(file, doc, lines);
  for (const error of doc.errors) {
    const pos = lines.linePos(error.pos[0]);
    problems.addRaw(pos.line, pos.col, error.message.split('\n')[0] ?? error.message);
  }
  const splits: { offset: number; message: string }[] = [];
  visit(doc, {
    Map(_key, map) {
      const seen = new Set<unknown>();
      map.items.forEach((pair, index) => {
        const key = isScalar(pair.key) ? pair.key.value : pair.key;
        if (seen.has(key)) {
          const pos = lines.linePos((pair.key as YamlNode | null)?.range?.[0] ?? 0);
          problems.addRaw(pos.line, pos.col, 'Map keys must be unique');
        }
        seen.add(key);
        if (map.flow) {
          const split = splitNumber(pair.key, pair.value, map.items[index - 1]?.value);
          if (split) splits.push(split);
        }
      });
    },
  });
  if (problems.errors.length > 0) return { ok: false, errors: problems.errors, warnings: [] };
  // Not a syntax error: the rest of the file is still checked.
  const splitAt = new Set<string>();
  for (const split of splits) {
    const pos = lines.linePos(split.offset);
    problems.addRaw(pos.line, pos.col, split.message);
    splitAt.add(`${pos.line}:${pos.col}`);
  }

  let raw: unknown;
  try {
    raw = doc.toJS({ maxAliasCount: 100 });
  } catch (error) {
    problems.addRaw(1, 1, (error as Error).message);
    return { ok: false, errors: problems.errors, warnings: [] };
  }
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw) || isSeq(doc.contents)) {
    problems.add([], 'expected a mapping with id, name, metrics and stages');
    return { ok: false, errors: problems.errors, warnings: [] };
  }

  const data = new Validator(problems).file(raw);
  const roadmap = build(file, data, problems);
  // A split number's key is refused above; "unknown key (ignored)" there would say otherwise.
  if (splitAt.size > 0) {
    const kept = problems.warnings.filter((w) => !splitAt.has(`${w.line}:${w.column}`));
    problems.warnings.splice(0, problems.warnings.length, ...kept);
  }
  const byPosition = (a: Problem, b: Problem) => a.line - b.line || a.column - b.column;
  problems.errors.sort(byPosition);
  problems.warnings.sort(byPosition);
  problems.summarizeOmitted();
  if (problems.errors.length > 0)
    return { ok: false, errors: problems.errors, warnings: problems.warnings };
  return { ok: true, roadmap, warnings: problems.warnings };
}
