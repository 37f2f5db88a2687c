import { constants, statSync, watch, type FSWatcher } from 'node:fs';
import { open, readdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { MAX_ROADMAP_BYTES } from '../core/roadmap/limits.js';
import type { LoadResult, Problem } from '../core/roadmap/load.js';
import type { Roadmap } from '../core/roadmap/model.js';

/** What happened to one file on the last (re)load. */
export interface FileStatus {
  file: string;
  roadmapId?: string;
  errors: Problem[];
  warnings: Problem[];
  /** True when the file is broken but its last good version keeps serving. */
  servingPrevious: boolean;
}

export interface WatchOptions {
  /** Quiet time after the last change before reloading (editors write files in several steps). */
  debounceMs?: number;
  /**
   * How often the folder and its files are stat-ed for changes the watchers missed (a
   * filesystem where watching fails or is not supported, a re-mount, an ancestor folder
   * swapped); 0 turns polling off. A poll reloads only when something changed.
   */
  pollMs?: number;
  /** `fs.watch`; a test passes one that throws to stand for a filesystem without watching. */
  watchFn?: (
    target: string,
    listener: (event: string, filename: string | null) => void,
  ) => FSWatcher;
}

export const DEFAULT_POLL_MS = 5_000;

/** The files of a roadmaps folder that are roadmaps. */
const ROADMAP_FILE = /\.ya?ml$/;

/** A roadmap file's text, or why it was refused (unread when over the size limit). */
export type ReadResult = { ok: true; text: string } | { ok: false; message: string };

/**
 * Reads a roadmap file, refusing one over MAX_ROADMAP_BYTES without reading it: the size is
 * checked on the open handle first, and at most limit + 1 bytes are ever read, so a file
 * that grows between the check and the read is refused too.
 */
export async function readRoadmapFile(
  file: string,
  limit: number = MAX_ROADMAP_BYTES,
): Promise<ReadResult> {
  let handle;
  try {
    // O_NONBLOCK: a FIFO named *.yaml must not block the open until someone writes to it.
    handle = await open(file, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (error) {
    return { ok: false, message: `cannot read file: ${(error as Error).message}` };
  }
  try {
    const info = await handle.stat();
    if (!info.isFile()) return { ok: false, message: 'not a regular file; refused unread' };
    if (info.size > limit) {
      return {
        ok: false,
        message: `file is ${info.size} bytes, over the limit of ${limit} bytes; refused unread`,
      };
    }
    let buffer = Buffer.alloc(info.size + 1);
    let length = 0;
    for (;;) {
      if (length === buffer.length) {
        if (length > limit) break;
        const bigger = Buffer.alloc(Math.min(buffer.length * 2, limit + 1));
        buffer.copy(bigger);
        buffer = bigger;
      }
      const { bytesRead } = await handle.read(buffer, length, buffer.length - length, length);
      if (bytesRead === 0) break;
      length += bytesRead;
    }
    if (length > limit) {
      return {
        ok: false,
        message: `file grew to more than the limit of ${limit} bytes while being read (it was ${info.size} bytes); refused after reading ${limit + 1} bytes`,
      };
    }
    return { ok: true, text: buffer.toString('utf8', 0, length) };
  } catch (error) {
    return { ok: false, message: `cannot read file: ${(error as Error).message}` };
  } finally {
    await handle.close().catch(() => undefined);
  }
}

/**
 * Load results kept from one process to the next (the CLI's, src/adapters/cli/roadmap-cache.ts):
 * `loadRoadmap` is a pure function of the name a file is shown as and its text, so a result
 * kept for both, by the same code, is the result. `get` answers only for exactly those (and
 * undefined when unsure); neither may throw.
 */
export interface LoadCache {
  get(shownAs: string, text: string): Promise<LoadResult | undefined>;
  set(shownAs: string, text: string, result: LoadResult): Promise<void>;
}

/**
 * Reads and loads one roadmap file (see `readRoadmapFile`); problems name it `shownAs`.
 * Also returns the text read, if any. With a `cache`, a file loaded before (same name, same
 * text) is not parsed again, and the loader's modules are not even imported.
 */
export async function loadRoadmapFile(
  file: string,
  shownAs: string = file,
  cache?: LoadCache,
): Promise<{ result: LoadResult; text?: string }> {
  const read = await readRoadmapFile(file);
  if (!read.ok) return { result: await loadRead(read, shownAs) };
  const kept = await cache?.get(shownAs, read.text);
  if (kept) return { result: kept, text: read.text };
  const result = await loadRead(read, shownAs);
  // Only loaded roadmaps: a broken file is being edited, and its problems are printed anyway.
  if (result.ok) await cache?.set(shownAs, read.text, result);
  return { result, text: read.text };
}

/**
 * Loads what `readRoadmapFile` read; a refused read is one problem at 1:1 of `shownAs`. The
 * loader (YAML, the validators, the condition grammar) is imported on first use: a CLI command
 * whose roadmaps come from the cache never loads it.
 */
export async function loadRead(read: ReadResult, shownAs: string): Promise<LoadResult> {
  if (read.ok) return (await import('../core/roadmap/load.js')).loadRoadmap(shownAs, read.text);
  const problem = { file: shownAs, line: 1, column: 1, message: read.message };
  return { ok: false, errors: [{ ...problem, severity: 'error' }], warnings: [] };
}

/** True when `file` is named after roadmap `id` (`oviya.yaml` / `oviya.yml` for `oviya`). */
function namedAfter(file: string, id: string): boolean {
  const name = path.basename(file);
  return name === `${id}.yaml` || name === `${id}.yml`;
}

/** A file's claim on a roadmap id; without `roadmap`, the id is only reserved (see `load`). */
interface Claim {
  file: string;
  id: string;
  roadmap?: Roadmap;
}

/**
 * Who keeps each id, decided from the folder's files alone so a restart decides the same:
 * the file named after the id, otherwise the first by file name. `claims` come sorted by
 * file name.
 */
function owners(claims: Claim[]): Map<string, Claim> {
  const won = new Map<string, Claim>();
  for (const claim of claims) {
    const holder = won.get(claim.id);
    if (!holder || (namedAfter(claim.file, claim.id) && !namedAfter(holder.file, claim.id)))
      won.set(claim.id, claim);
  }
  return won;
}

/** The 1-based line of the top-level `id:` key, so a clash is reported where the id is. */
function idLine(text: string | undefined): number {
  if (text === undefined) return 1;
  const match = /^id[ \t]*:/m.exec(text);
  return match ? text.slice(0, match.index).split('\n').length : 1;
}

/**
 * The roadmaps loaded from a folder. A broken file never blocks the others, and a broken
 * edit keeps the last good version serving; changed files are picked up without a restart,
 * also when the folder itself is replaced (see `watch`).
 */
export class RoadmapRegistry {
  private byFile = new Map<string, Roadmap>();
  private statuses = new Map<string, FileStatus>();
  /** Reloads and polls run one at a time, so two never interleave their reads and writes. */
  private queue: Promise<unknown> = Promise.resolve();
  /** The folder's state as of the last reload's start (see `fingerprint`). */
  private seen: string | undefined;
  private watching = false;
  private options: Required<WatchOptions> = {
    debounceMs: 200,
    pollMs: DEFAULT_POLL_MS,
    watchFn: watch,
  };
  private dirWatcher: { watcher: FSWatcher; inode: string; stale: boolean } | undefined;
  private parentWatcher: FSWatcher | undefined;
  private debounce: NodeJS.Timeout | undefined;
  private pollTimer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly onReload: (statuses: FileStatus[]) => void = () => {},
    /** Where load results are kept across processes (the CLI's); none by default. */
    private readonly cache?: LoadCache,
  ) {}

  list(): Roadmap[] {
    return [...this.byFile.values()].sort((a, b) => a.id.localeCompare(b.id));
  }

  get(id: string): Roadmap | undefined {
    // Called per point of a pushed batch: a scan of the few loaded files, no sorting.
    for (const roadmap of this.byFile.values()) if (roadmap.id === id) return roadmap;
    return undefined;
  }

  fileStatuses(): FileStatus[] {
    return [...this.statuses.values()];
  }

  /** Reads every `*.yaml` / `*.yml` in the folder; returns what each file did. */
  reload(): Promise<FileStatus[]> {
    const run = this.queue.then(() => this.load());
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * What the poll timer does: reloads when the folder or one of its files changed since the
   * last reload (re-establishing the watchers first). Resolves to whether it reloaded.
   */
  poll(): Promise<boolean> {
    const run = this.queue.then(async () => {
      this.ensureWatchers();
      if ((await this.fingerprint()) === this.seen) return false;
      await this.load();
      return true;
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  /**
   * A cheap summary of the folder: its inode (a folder replaced, renamed into place or
   * re-mounted has another) and each roadmap file's inode, size and times (following
   * symlinks, so a Kubernetes ConfigMap's `..data` swap shows).
   */
  private async fingerprint(): Promise<string> {
    try {
      const folder = await stat(this.dir);
      const names = (await readdir(this.dir)).filter((n) => ROADMAP_FILE.test(n)).sort();
      const parts = [`${folder.dev}:${folder.ino}`];
      for (const name of names) {
        const info = await stat(path.join(this.dir, name)).catch(() => undefined);
        parts.push(
          info
            ? `${name} ${info.dev}:${info.ino} ${info.size} ${info.mtimeMs} ${info.ctimeMs}`
            : `${name} -`,
        );
      }
      return parts.join('\n');
    } catch (error) {
      return `unreadable: ${(error as Error).message}`;
    }
  }

  private async load(): Promise<FileStatus[]> {
    this.ensureWatchers();
    // Taken before the files are read: a change made during the read shows at the next poll.
    this.seen = await this.fingerprint();
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => ROADMAP_FILE.test(n)).sort();
    } catch (error) {
      const status: FileStatus = {
        file: this.dir,
        errors: [
          {
            file: this.dir,
            line: 1,
            column: 1,
            message: `cannot read folder: ${(error as Error).message}`,
            severity: 'error',
          },
        ],
        warnings: [],
        servingPrevious: this.byFile.size > 0,
      };
      this.onReload([status]);
      return [status];
    }

    // Read everything first, then decide and swap in one step (no await in between).
    const files = names.map((n) => path.join(this.dir, n));
    const loaded = [];
    for (const file of files)
      loaded.push({ file, ...(await loadRoadmapFile(file, file, this.cache)) });

    // Each file claims the id it now says; a broken file claims the id its last good version
    // serves, or else reserves the id it is named after (`oviya.yaml`: `oviya`), so a stray
    // file cannot take the id over while the file named after it is being fixed, nor after a
    // restart. The rule in `owners` decides between files claiming the same id.
    const previous = this.byFile;
    const first = owners(
      loaded.map(({ file, result }): Claim => {
        const roadmap = result.ok ? result.roadmap : previous.get(file);
        return roadmap
          ? { file, id: roadmap.id, roadmap }
          : { file, id: path.basename(file).replace(ROADMAP_FILE, '') };
      }),
    );
    const serving = new Map<string, Roadmap>();
    for (const claim of first.values()) if (claim.roadmap) serving.set(claim.file, claim.roadmap);
    // A file whose edit lost its new id to another file keeps serving its last good version,
    // if no file claims that version's id (a broken edit never takes a roadmap away).
    const fallback = owners(
      loaded.flatMap(({ file, result }): Claim[] => {
        const last = previous.get(file);
        return result.ok && !serving.has(file) && last && !first.has(last.id)
          ? [{ file, id: last.id, roadmap: last }]
          : [];
      }),
    );
    for (const claim of fallback.values())
      if (claim.roadmap) serving.set(claim.file, claim.roadmap);

    const statuses = new Map<string, FileStatus>();
    const results: FileStatus[] = [];
    for (const { file, text, result } of loaded) {
      const served = serving.get(file);
      let status: FileStatus;
      if (result.ok && served === result.roadmap) {
        status = {
          file,
          roadmapId: served.id,
          errors: [],
          warnings: result.warnings,
          servingPrevious: false,
        };
      } else {
        const errors = result.ok ? [] : result.errors;
        if (result.ok) {
          const id = result.roadmap.id;
          const holder = first.get(id);
          const broken =
            holder && !holder.roadmap
              ? ' (it has errors; until they are fixed no file serves this id)'
              : '';
          errors.push({
            file,
            line: idLine(text),
            column: 1,
            message: `id: "${id}" is already used by ${holder?.file ?? '?'}, which keeps it${broken}: an id belongs to the file named after it (${id}.yaml or ${id}.yml), otherwise to the first file by name; ${path.basename(file)} is not loaded: give it another id or remove it`,
            severity: 'error',
          });
        }
        status = {
          file,
          ...(served ? { roadmapId: served.id } : {}),
          errors,
          warnings: result.warnings,
          servingPrevious: served !== undefined,
        };
      }
      statuses.set(file, status);
      results.push(status);
    }
    this.byFile = new Map([...serving].sort(([a], [b]) => (a < b ? -1 : 1)));
    this.statuses = statuses;
    this.onReload(results);
    return results;
  }

  /**
   * Picks up changes without a restart. The folder is watched, and so is its parent, so a
   * folder replaced by a rename (`mv new roadmaps`) or a swapped symlink is noticed and the
   * folder watcher moved to the new folder. A poll every `pollMs` catches what watching
   * cannot see (see `WatchOptions.pollMs`). `unwatch` closes everything.
   */
  watch(options: WatchOptions = {}): void {
    if (this.watching) return;
    this.watching = true;
    this.options = {
      debounceMs: options.debounceMs ?? 200,
      pollMs: options.pollMs ?? DEFAULT_POLL_MS,
      watchFn: options.watchFn ?? watch,
    };
    // Set up synchronously, so a change made right after `watch()` returns is seen.
    this.ensureWatchers();
    if (this.options.pollMs > 0) {
      let polling = false;
      this.pollTimer = setInterval(() => {
        // A slow filesystem must not pile up polls behind one another.
        if (polling) return;
        polling = true;
        void this.poll()
          .catch(() => false)
          .finally(() => (polling = false));
      }, this.options.pollMs);
    }
  }

  unwatch(): void {
    this.watching = false;
    clearTimeout(this.debounce);
    clearInterval(this.pollTimer);
    this.debounce = undefined;
    this.pollTimer = undefined;
    this.dirWatcher?.watcher.close();
    this.dirWatcher = undefined;
    this.parentWatcher?.close();
    this.parentWatcher = undefined;
  }

  private changed(): void {
    if (!this.watching) return;
    clearTimeout(this.debounce);
    // Problems are reported through onReload; a throwing onReload must not end the process.
    this.debounce = setTimeout(
      () => void this.reload().catch(() => undefined),
      this.options.debounceMs,
    );
  }

  /** Starts a watcher, or returns undefined where watching fails (polling still runs). */
  private tryWatch(
    target: string,
    listener: (filename: string | null) => void,
    onError: (watcher: FSWatcher) => void,
  ): FSWatcher | undefined {
    try {
      const watcher = this.options.watchFn(target, (_event, filename) => listener(filename));
      watcher.on('error', () => onError(watcher));
      return watcher;
    } catch {
      return undefined;
    }
  }

  /**
   * (Re)establishes the watchers: the parent's if missing, the folder's if the folder at the
   * path is not the one watched (replaced, re-mounted) or its entry in the parent changed.
   * Synchronous (one stat), so two callers never both start a watcher.
   */
  private ensureWatchers(): void {
    if (!this.watching) return;
    const name = path.basename(this.dir);
    this.parentWatcher ??= this.tryWatch(
      path.dirname(this.dir),
      (filename) => {
        if (filename !== null && filename !== name) return;
        if (this.dirWatcher) this.dirWatcher.stale = true;
        this.changed();
      },
      (watcher) => {
        watcher.close();
        if (this.parentWatcher === watcher) this.parentWatcher = undefined;
      },
    );
    let inode: string | undefined;
    try {
      const info = statSync(this.dir);
      inode = info.isDirectory() ? `${info.dev}:${info.ino}` : undefined;
    } catch {
      inode = undefined;
    }
    if (this.dirWatcher && !this.dirWatcher.stale && this.dirWatcher.inode === inode) return;
    this.dirWatcher?.watcher.close();
    this.dirWatcher = undefined;
    // Folder missing mid-swap: the parent's event or the next poll brings the watcher back.
    if (inode === undefined) return;
    const watcher = this.tryWatch(
      this.dir,
      () => this.changed(),
      (failed) => {
        failed.close();
        if (this.dirWatcher?.watcher === failed) this.dirWatcher = undefined;
      },
    );
    if (watcher) this.dirWatcher = { watcher, inode, stale: false };
  }
}
