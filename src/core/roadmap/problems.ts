import { isMap, isScalar, LineCounter, parseDocument, type Node as YamlNode } from 'yaml';

/** One problem in a roadmap file, located for an editor: `file:line:column: message`. */
export interface Problem {
  file: string;
  line: number;
  column: number;
  message: string;
  severity: 'error' | 'warning';
}

/** Problems listed per file; the rest are counted. */
export const MAX_PROBLEMS = 100;

export function formatProblem(problem: Problem): string {
  const tag = problem.severity === 'warning' ? 'warning: ' : '';
  return `${problem.file}:${problem.line}:${problem.column}: ${tag}${problem.message}`;
}

export type Path = (string | number)[];

export function pathText(path: Path): string {
  return path.reduce<string>(
    (text, key) => (typeof key === 'number' ? `${text}[${key}]` : text ? `${text}.${key}` : key),
    '',
  );
}

/** Collects problems with positions taken from the YAML nodes their paths point at. */
export class Problems {
  readonly errors: Problem[] = [];
  readonly warnings: Problem[] = [];
  omittedErrors = 0;
  omittedWarnings = 0;
  /**
   * Items whose own `id` was refused and replaced by a stand-in so their other fields are still
   * checked: duplicate-id and namespace checks skip them (their id problem is reported).
   */
  readonly idless = new WeakSet<object>();
  /**
   * Fields refused and left out so the rest of their part is still checked (pathText form):
   * checks that a field is *missing* skip these, whose own problem is already reported.
   */
  readonly dropped = new Set<string>();

  /** Whether the field at `path` was written but refused (see `dropped`). */
  wasDropped(path: Path): boolean {
    return this.dropped.has(pathText(path));
  }
  constructor(
    private readonly file: string,
    private readonly doc: ReturnType<typeof parseDocument>,
    private readonly lines: LineCounter,
  ) {}

  /** The node at `path`, or the nearest ancestor that exists (a missing key points at its map). */
  private nodeAt(path: Path): YamlNode | undefined {
    for (let n = path.length; n >= 0; n--) {
      const node = n === 0 ? this.doc.contents : this.doc.getIn(path.slice(0, n), true);
      if (node && typeof node === 'object' && 'range' in node) return node as YamlNode;
    }
    return undefined;
  }

  /** The node of a map's key, so an unknown key is reported where it is written. */
  private keyNode(path: Path, key: string): YamlNode | undefined {
    const parent = path.length === 0 ? this.doc.contents : this.doc.getIn(path, true);
    if (!isMap(parent)) return undefined;
    // toJS turns every key into a string: a key written `0` or `2026` is found as "0", "2026".
    const pair = parent.items.find((item) => isScalar(item.key) && String(item.key.value) === key);
    return pair && isScalar(pair.key) ? pair.key : undefined;
  }

  private position(
    node: YamlNode | undefined,
    offsetInValue = 0,
  ): { line: number; column: number } {
    let offset = node?.range?.[0] ?? 0;
    if (node && isScalar(node) && offsetInValue > 0) {
      // Quoted scalars start one character before their value.
      const quoted = node.type === 'QUOTE_DOUBLE' || node.type === 'QUOTE_SINGLE';
      offset += offsetInValue + (quoted ? 1 : 0);
    }
    const pos = this.lines.linePos(offset);
    return { line: pos.line, column: pos.col };
  }

  add(
    path: Path,
    message: string,
    opts: { offset?: number; severity?: 'error' | 'warning'; key?: string } = {},
  ): void {
    // Locating a problem walks the document: past MAX_PROBLEMS only count them.
    if (this.errors.length + this.warnings.length >= MAX_PROBLEMS) {
      if ((opts.severity ?? 'error') === 'error') this.omittedErrors++;
      else this.omittedWarnings++;
      return;
    }
    const node = opts.key ? this.keyNode(path, opts.key) : this.nodeAt(path);
    const at = this.position(node, opts.offset);
    const where = pathText(opts.key ? [...path, opts.key] : path);
    const problem: Problem = {
      file: this.file,
      ...at,
      message: where ? `${where}: ${message}` : message,
      severity: opts.severity ?? 'error',
    };
    (problem.severity === 'error' ? this.errors : this.warnings).push(problem);
  }

  /** Says how many problems were only counted (an error among them still fails the file). */
  summarizeOmitted(): void {
    if (this.omittedErrors > 0) this.addRaw(1, 1, `… and ${this.omittedErrors} more errors`);
    if (this.omittedWarnings > 0)
      this.warnings.push({
        file: this.file,
        line: 1,
        column: 1,
        message: `… and ${this.omittedWarnings} more warnings`,
        severity: 'warning',
      });
  }

  addRaw(line: number, column: number, message: string): void {
    this.errors.push({ file: this.file, line, column, message, severity: 'error' });
  }
}
