import { watch, type FSWatcher } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import type { Roadmap } from '../core/roadmap/model.js';
import { loadRoadmap, type Problem } from '../core/roadmap/load.js';

/** What happened to one file on the last (re)load. */
export interface FileStatus {
  file: string;
  roadmapId?: string;
  errors: Problem[];
  warnings: Problem[];
  /** True when the file is broken but its last good version keeps serving. */
  servingPrevious: boolean;
}

/**
 * The roadmaps loaded from a folder. A broken file never blocks the others, and a broken
 * edit keeps the last good version serving; changed files are picked up without a restart.
 */
export class RoadmapRegistry {
  private readonly byFile = new Map<string, Roadmap>();
  private readonly statuses = new Map<string, FileStatus>();
  private watcher: FSWatcher | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    readonly dir: string,
    private readonly onReload: (statuses: FileStatus[]) => void = () => {},
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
  async reload(): Promise<FileStatus[]> {
    let names: string[];
    try {
      names = (await readdir(this.dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
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
    const present = new Set(names.map((n) => path.join(this.dir, n)));
    for (const file of [...this.byFile.keys()]) if (!present.has(file)) this.byFile.delete(file);
    for (const file of [...this.statuses.keys()])
      if (!present.has(file)) this.statuses.delete(file);

    const results: FileStatus[] = [];
    for (const file of present) {
      const text = await readFile(file, 'utf8').catch((error: Error) => error);
      const result =
        text instanceof Error
          ? {
              ok: false as const,
              errors: [
                { file, line: 1, column: 1, message: text.message, severity: 'error' as const },
              ],
              warnings: [],
            }
          : loadRoadmap(file, text);
      let status: FileStatus;
      if (result.ok) {
        const clash = [...this.byFile.entries()].find(
          ([other, r]) => other !== file && r.id === result.roadmap.id,
        );
        if (clash) {
          status = {
            file,
            errors: [
              {
                file,
                line: 1,
                column: 1,
                message: `id: "${result.roadmap.id}" is already used by ${clash[0]}`,
                severity: 'error',
              },
            ],
            warnings: result.warnings,
            servingPrevious: this.byFile.has(file),
          };
        } else {
          this.byFile.set(file, result.roadmap);
          status = {
            file,
            roadmapId: result.roadmap.id,
            errors: [],
            warnings: result.warnings,
            servingPrevious: false,
          };
        }
      } else {
        const previous = this.byFile.get(file);
        status = {
          file,
          ...(previous ? { roadmapId: previous.id } : {}),
          errors: result.errors,
          warnings: result.warnings,
          servingPrevious: previous !== undefined,
        };
      }
      this.statuses.set(file, status);
      results.push(status);
    }
    this.onReload(results);
    return results;
  }

  /** Reloads shortly after the folder changes (editors write files in several steps). */
  watch(debounceMs = 200): void {
    if (this.watcher) return;
    this.watcher = watch(this.dir, () => {
      clearTimeout(this.timer);
      this.timer = setTimeout(() => void this.reload(), debounceMs);
    });
    this.watcher.on('error', () => this.unwatch());
  }

  unwatch(): void {
    clearTimeout(this.timer);
    this.watcher?.close();
    this.watcher = undefined;
  }
}
