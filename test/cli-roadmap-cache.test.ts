import { chmodSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { isDeepStrictEqual } from 'node:util';
import { describe, expect, it } from 'vitest';
import { defaultCacheDir, MAX_ENTRIES, roadmapCache } from '../src/adapters/cli/roadmap-cache.js';
import { loadRoadmapFile, RoadmapRegistry, type LoadCache } from '../src/app/registry.js';
import { loadRoadmap, type LoadResult } from '../src/core/roadmap/load.js';
import { roadmapsFolder } from './support/app.js';

const tempDir = (prefix: string): string => mkdtempSync(path.join(os.tmpdir(), prefix));

/** The shipped roadmap `id` as loaded, its file and text. */
function shipped(id: string): { file: string; text: string; result: LoadResult } {
  const file = path.join(roadmapsFolder(id), `${id}.yaml`);
  const text = readFileSync(file, 'utf8');
  return { file, text, result: loadRoadmap(file, text) };
}

/** Counts what the cache is asked and answers. */
function counting(cache: LoadCache) {
  const counts = { hits: 0, misses: 0, sets: 0 };
  const wrapped: LoadCache = {
    async get(shownAs, text) {
      const kept = await cache.get(shownAs, text);
      counts[kept ? 'hits' : 'misses']++;
      return kept;
    },
    async set(shownAs, text, result) {
      counts.sets++;
      await cache.set(shownAs, text, result);
    },
  };
  return { cache: wrapped, counts };
}

describe("the CLI's roadmap cache (src/adapters/cli/roadmap-cache.ts)", () => {
  it('gives back exactly what was loaded: every shipped roadmap, Maps, compiled conditions and all', async () => {
    const cache = roadmapCache('build-a', tempDir('roadmap-cache-'));
    for (const id of ['oviya', 'mirai', 'roadmap-bot', 'example-v2']) {
      const { file, text, result } = shipped(id);
      expect(result.ok).toBe(true);
      await cache?.set(file, text, result);
      const kept = await cache?.get(file, text);
      // Deep and strict: same prototypes, same Map entries, same order.
      expect(isDeepStrictEqual(kept, result)).toBe(true);
    }
  });

  it('answers only for the same text, the same name and the same build', async () => {
    const dir = tempDir('roadmap-cache-');
    const cache = roadmapCache('build-a', dir);
    const { file, text, result } = shipped('oviya');
    await cache?.set(file, text, result);
    expect(await cache?.get(file, text)).toBeDefined();
    // One character more (a trailing newline, a comment) is another file.
    expect(await cache?.get(file, `${text}\n`)).toBeUndefined();
    expect(
      await cache?.get(file, text.replace('name:', 'name: ').replace('name:  ', 'name:')),
    ).toBe(undefined);
    expect(await cache?.get(`${file}.copy`, text)).toBeUndefined();
    expect(await roadmapCache('build-b', dir)?.get(file, text)).toBeUndefined();
  });

  it('is off without a build id (the sources run through tsx) or a folder', () => {
    expect(roadmapCache(undefined, tempDir('roadmap-cache-'))).toBeUndefined();
    expect(roadmapCache('build-a', undefined)).toBeUndefined();
    expect(defaultCacheDir({ XDG_CACHE_HOME: '/x/cache' })).toBe('/x/cache/roadmap-bot');
    // A relative XDG_CACHE_HOME is invalid by the spec: the home folder's .cache instead.
    expect(defaultCacheDir({ XDG_CACHE_HOME: 'cache' })).toBe(
      path.join(os.homedir(), '.cache', 'roadmap-bot'),
    );
  });

  it.skipIf(process.getuid === undefined)(
    'never reads an entry someone else could have written, nor a damaged one, and never throws',
    async () => {
      const dir = tempDir('roadmap-cache-');
      const cache = roadmapCache('build-a', dir);
      const { file, text, result } = shipped('oviya');
      await cache?.set(file, text, result);
      const folder = path.join(dir, 'roadmaps');
      const [entry] = readdirSync(folder).map((n) => path.join(folder, n));
      expect(entry).toBeDefined();
      chmodSync(entry as string, 0o666);
      expect(await cache?.get(file, text)).toBeUndefined();
      chmodSync(entry as string, 0o600);
      chmodSync(folder, 0o777);
      expect(await cache?.get(file, text)).toBeUndefined();
      chmodSync(folder, 0o700);
      expect(await cache?.get(file, text)).toBeDefined();
      writeFileSync(entry as string, 'not a v8 serialization', { mode: 0o600 });
      expect(await cache?.get(file, text)).toBeUndefined();
      // A folder that cannot be made (under /proc, Node's recursive mkdir never returns):
      // loading goes on without the cache, at once.
      const nowhere = roadmapCache('build-a', '/proc/roadmap-cache-nowhere/deeper');
      await expect(nowhere?.set(file, text, result)).resolves.toBeUndefined();
      expect(await nowhere?.get(file, text)).toBeUndefined();
    },
  );

  it(`keeps at most ${MAX_ENTRIES} entries (folders made and thrown away do not grow it forever)`, async () => {
    const dir = tempDir('roadmap-cache-');
    const cache = roadmapCache('build-a', dir);
    const { text, result } = shipped('oviya');
    for (let i = 0; i < MAX_ENTRIES + 5; i++)
      await cache?.set(`/tmp/r${i}/oviya.yaml`, text, result);
    expect(readdirSync(path.join(dir, 'roadmaps'))).toHaveLength(MAX_ENTRIES);
  });

  it('a registry with the cache loads a file once, and an edit is loaded afresh, never served stale', async () => {
    const dir = roadmapsFolder('oviya');
    const file = path.join(dir, 'oviya.yaml');
    const { cache, counts } = counting(
      roadmapCache('build-a', tempDir('roadmap-cache-')) as LoadCache,
    );
    const first = new RoadmapRegistry(dir, undefined, cache);
    await first.reload();
    expect(counts).toEqual({ hits: 0, misses: 1, sets: 1 });
    const second = new RoadmapRegistry(dir, undefined, cache);
    await second.reload();
    expect(counts).toEqual({ hits: 1, misses: 1, sets: 1 });
    expect(isDeepStrictEqual(second.list(), first.list())).toBe(true);

    writeFileSync(file, readFileSync(file, 'utf8').replace(/^name: .*$/m, 'name: Renamed'));
    const third = new RoadmapRegistry(dir, undefined, cache);
    await third.reload();
    expect(third.get('oviya')?.name).toBe('Renamed');
    expect(counts).toEqual({ hits: 1, misses: 2, sets: 2 });
  });

  it('keeps no broken file: its problems come from loading it, every time', async () => {
    const dir = roadmapsFolder();
    const file = path.join(dir, 'broken.yaml');
    writeFileSync(file, 'id: broken\nname: x\nmetrics: {}\nstages: []\n');
    const { cache, counts } = counting(
      roadmapCache('build-a', tempDir('roadmap-cache-')) as LoadCache,
    );
    const loaded = await loadRoadmapFile(file, file, cache);
    expect(loaded.result.ok).toBe(false);
    expect(counts.sets).toBe(0);
    expect((await loadRoadmapFile(file, file, cache)).result).toEqual(loaded.result);
  });
});
