import { createHash } from 'node:crypto';
import { lstat, mkdir, readdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { deserialize, serialize } from 'node:v8';
import type { LoadCache } from '../../app/registry.js';
import type { LoadResult } from '../../core/roadmap/load.js';

/**
 * The CLI's cache of loaded roadmaps. Every command that opens a session loads every roadmap,
 * and parsing, validating and compiling a roadmap (with the YAML parser, the validators and the
 * condition grammar that come with it) was a third of `roadmap status`'s time; a person runs
 * the CLI again and again on the same files. The bot loads its roadmaps once and keeps them,
 * so only the CLI keeps a cache.
 *
 * Exact by construction: `loadRoadmap` is a pure function of the name a file is shown as and
 * its text, and of the code that loads it, and of the runtime's time-zone data. An entry holds
 * the key made of all of these (the build's id is a hash of the sources and the lockfile,
 * stamped into the bundle by scripts/build.ts) and answers only for exactly that key: any
 * change to one of them is a miss, and the file is loaded as without a cache. From the sources
 * (tsx, `npm run roadmap`) there is no build id, hence no cache: the code may change at any
 * time.
 *
 * One entry per roadmap file path (a new text replaces the old entry), in the user's cache
 * folder (`$XDG_CACHE_HOME/roadmap-bot` or `~/.cache/roadmap-bot`), created private (0700).
 * An entry that is not a regular file of this user, writable by no one else, is not read: the
 * cache must not let another account put a roadmap in front of this one. Any failure (no home,
 * a read-only disk, a damaged entry) is a miss, never an error: the cache only saves time.
 */

/** Stamped by scripts/build.ts (esbuild `define`) into the bundled CLI only. */
declare const __ROADMAP_CLI_BUILD__: string | undefined;

/** Changes when the entry's layout does. */
const FORMAT = 1;
/**
 * Entries kept: one per roadmap file path, so a person's few folders never reach it; folders
 * made and thrown away (tests, scratch copies) would grow the cache forever without it.
 */
export const MAX_ENTRIES = 200;

interface Entry {
  key: string;
  result: LoadResult;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/** The build's id, or undefined when the code is not a build (run from the sources). */
export function buildId(): string | undefined {
  return typeof __ROADMAP_CLI_BUILD__ === 'string' ? __ROADMAP_CLI_BUILD__ : undefined;
}

/** `$XDG_CACHE_HOME/roadmap-bot`, else `~/.cache/roadmap-bot`; undefined without either. */
export function defaultCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const base = env.XDG_CACHE_HOME?.trim();
  if (base && path.isAbsolute(base)) return path.join(base, 'roadmap-bot');
  let home: string;
  try {
    home = os.homedir();
  } catch {
    return undefined;
  }
  return home ? path.join(home, '.cache', 'roadmap-bot') : undefined;
}

/** Whether `info` is this user's and writable by no one else (always false without uids). */
function private_(info: { uid: number; mode: number }): boolean {
  const uid = process.getuid?.();
  return uid !== undefined && info.uid === uid && (info.mode & 0o022) === 0;
}

/**
 * Makes each folder, outermost first, that is missing. Not `mkdir -p`: Node's recursive mkdir
 * never returns where the filesystem answers ENOENT to every attempt (a cache dir set under
 * /proc), and a command must not hang for its cache.
 */
async function makeFolders(folders: string[]): Promise<void> {
  for (const folder of folders) {
    await mkdir(folder, { mode: 0o700 }).catch((error: NodeJS.ErrnoException) => {
      if (error.code !== 'EEXIST') throw error;
    });
  }
}

/** Removes the least recently written entries beyond MAX_ENTRIES (only after a miss wrote one). */
async function prune(folder: string): Promise<void> {
  const names = (await readdir(folder)).filter((n) => n.endsWith('.v8'));
  if (names.length <= MAX_ENTRIES) return;
  const dated = await Promise.all(
    names.map(async (name) => {
      const file = path.join(folder, name);
      return { file, at: (await lstat(file).catch(() => undefined))?.mtimeMs ?? 0 };
    }),
  );
  dated.sort((a, b) => b.at - a.at);
  for (const { file } of dated.slice(MAX_ENTRIES)) await rm(file, { force: true });
}

/**
 * The cache in `dir` for code `build` (the CLI passes `buildId()` and `defaultCacheDir()`);
 * undefined (no cache) without either.
 */
export function roadmapCache(
  build: string | undefined,
  dir: string | undefined,
): LoadCache | undefined {
  if (!build || !dir) return undefined;
  const folder = path.join(dir, 'roadmaps');
  const keyOf = (shownAs: string, text: string): string =>
    sha256(
      JSON.stringify([
        FORMAT,
        build,
        process.version,
        process.versions.icu ?? '',
        process.versions.tz ?? '',
        shownAs,
        text,
      ]),
    );
  const fileOf = (shownAs: string): string => path.join(folder, `${sha256(shownAs)}.v8`);

  return {
    async get(shownAs, text) {
      try {
        const file = fileOf(shownAs);
        const [info, folderInfo] = await Promise.all([lstat(file), lstat(folder)]);
        if (!info.isFile() || !private_(info) || !folderInfo.isDirectory()) return undefined;
        if (!private_(folderInfo)) return undefined;
        const entry = deserialize(await readFile(file)) as Partial<Entry> | null;
        if (entry?.key !== keyOf(shownAs, text)) return undefined;
        const result = entry.result;
        if (!result?.ok || typeof result.roadmap?.id !== 'string') return undefined;
        return result;
      } catch {
        return undefined;
      }
    },
    async set(shownAs, text, result) {
      const file = fileOf(shownAs);
      // Written aside, then renamed over: a reader sees the old entry or the new one, whole.
      const temporary = `${file}.${process.pid}.tmp`;
      try {
        await makeFolders([path.dirname(dir), dir, folder]);
        const entry: Entry = { key: keyOf(shownAs, text), result };
        await writeFile(temporary, serialize(entry), { mode: 0o600 });
        await rename(temporary, file);
        await prune(folder);
      } catch {
        await rm(temporary, { force: true }).catch(() => undefined);
      }
    },
  };
}
