import {
  mkdtempSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync,
  type FSWatcher,
} from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { RoadmapRegistry } from '../../src/app/registry.js';
import { folderAt as folder, roadmapText as variant } from '../support/roadmap-files.js';

// Folders are replaced under a running registry the ways deploys do it. Waiting is for the
// registry's state (vi.waitFor) or an explicit poll(), never a fixed sleep.

const WAIT = { timeout: 10_000, interval: 20 };

const fsEvents = () =>
  process.getActiveResourcesInfo().filter((kind) => kind === 'FSEventWrap').length;

/** Stands for a filesystem where watching fails (NFS, inotify limit reached). */
const noWatching = (): FSWatcher => {
  throw Object.assign(new Error('ENOSPC: System limit for number of file watchers reached'), {
    code: 'ENOSPC',
  });
};

const registries: RoadmapRegistry[] = [];
function started(dir: string): RoadmapRegistry {
  const registry = new RoadmapRegistry(dir);
  registries.push(registry);
  return registry;
}
afterEach(() => {
  for (const registry of registries.splice(0)) registry.unwatch();
});

describe('roadmap registry: the folder replaced under a running bot', () => {
  it('picks up a folder swapped by renames (write new, rename old away, rename new in), and watches the new one', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'swap-'));
    const dir = folder(path.join(base, 'roadmaps'), { 'oviya.yaml': variant('oviya', 'v1') });
    const registry = started(dir);
    await registry.reload();
    // No polling: the watchers alone must notice.
    registry.watch({ debounceMs: 10, pollMs: 0 });

    folder(path.join(base, 'roadmaps.new'), { 'oviya.yaml': variant('oviya', 'v2') });
    renameSync(dir, path.join(base, 'roadmaps.old'));
    renameSync(path.join(base, 'roadmaps.new'), dir);
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v2'), WAIT);
    rmSync(path.join(base, 'roadmaps.old'), { recursive: true });

    // Edits in the new folder are seen: the watcher moved to it.
    writeFileSync(path.join(dir, 'second.yaml'), variant('second', 'second'));
    await vi.waitFor(() => expect(registry.get('second')).toBeDefined(), WAIT);
    writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'v3'));
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v3'), WAIT);
  });

  it('picks up a swapped symlink (ROADMAPS_DIR=current -> releases/v2), and watches the new target', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'symlink-'));
    folder(path.join(base, 'releases', 'v1'), { 'oviya.yaml': variant('oviya', 'v1') });
    folder(path.join(base, 'releases', 'v2'), { 'oviya.yaml': variant('oviya', 'v2') });
    const dir = path.join(base, 'current');
    symlinkSync(path.join('releases', 'v1'), dir);
    const registry = started(dir);
    await registry.reload();
    registry.watch({ debounceMs: 10, pollMs: 0 });

    // How deploy tools swap atomically: a new link renamed over the old one.
    symlinkSync(path.join('releases', 'v2'), path.join(base, 'current.tmp'));
    renameSync(path.join(base, 'current.tmp'), dir);
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v2'), WAIT);

    writeFileSync(path.join(base, 'releases', 'v2', 'oviya.yaml'), variant('oviya', 'v2 edited'));
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v2 edited'), WAIT);
    // The old target is no longer what is served.
    writeFileSync(path.join(base, 'releases', 'v1', 'second.yaml'), variant('second', 'stale'));
    writeFileSync(path.join(base, 'releases', 'v2', 'third.yaml'), variant('third', 'third'));
    await vi.waitFor(() => expect(registry.get('third')).toBeDefined(), WAIT);
    expect(registry.get('second')).toBeUndefined();
  });

  it('picks up a Kubernetes ConfigMap update (the `..data` symlink swapped), twice', async () => {
    // The layout the kubelet writes: files are links through `..data` to a timestamped folder.
    // ROADMAPS_DIR is the mount, or (to skip the links) the mount's `..data` itself.
    const mount = mkdtempSync(path.join(os.tmpdir(), 'configmap-'));
    folder(path.join(mount, '..2024_01'), { 'oviya.yaml': variant('oviya', 'v1') });
    symlinkSync('..2024_01', path.join(mount, '..data'));
    symlinkSync(path.join('..data', 'oviya.yaml'), path.join(mount, 'oviya.yaml'));
    const registries = [started(mount), started(path.join(mount, '..data'))];
    for (const registry of registries) {
      await registry.reload();
      expect(registry.get('oviya')?.name).toBe('v1');
      registry.watch({ debounceMs: 10, pollMs: 0 });
    }

    let previous = '..2024_01';
    for (const [version, name] of [
      ['..2024_02', 'v2'],
      ['..2024_03', 'v3'],
    ] as const) {
      folder(path.join(mount, version), { 'oviya.yaml': variant('oviya', name) });
      symlinkSync(version, path.join(mount, '..data_tmp'));
      renameSync(path.join(mount, '..data_tmp'), path.join(mount, '..data'));
      rmSync(path.join(mount, previous), { recursive: true });
      previous = version;
      for (const registry of registries)
        await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe(name), WAIT);
    }
  });

  it('a poll notices what no watcher sees (an ancestor folder swapped, as a re-mount), and re-watches', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'remount-'));
    const dir = folder(path.join(base, 'mnt', 'roadmaps'), {
      'oviya.yaml': variant('oviya', 'v1'),
    });
    const registry = started(dir);
    await registry.reload();
    registry.watch({ debounceMs: 10, pollMs: 0 });
    expect(await registry.poll()).toBe(false);

    folder(path.join(base, 'mnt.new', 'roadmaps'), { 'oviya.yaml': variant('oviya', 'v2') });
    renameSync(path.join(base, 'mnt'), path.join(base, 'mnt.old'));
    renameSync(path.join(base, 'mnt.new'), path.join(base, 'mnt'));
    // The injected poll trigger (the timer's job): the folder's inode changed.
    await vi.waitFor(async () => {
      await registry.poll();
      expect(registry.get('oviya')?.name).toBe('v2');
    }, WAIT);
    expect(await registry.poll()).toBe(false);

    // The poll moved the watcher to the new folder: an edit is seen without another poll.
    writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'v3'));
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v3'), WAIT);
  });

  it('falls back to polling where watching fails', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'nowatch-'));
    const dir = folder(path.join(base, 'roadmaps'), { 'oviya.yaml': variant('oviya', 'v1') });
    const registry = started(dir);
    await registry.reload();
    registry.watch({ watchFn: noWatching, pollMs: 0 });
    expect(fsEvents()).toBe(0);

    writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'v2 longer'));
    expect(await registry.poll()).toBe(true);
    expect(registry.get('oviya')?.name).toBe('v2 longer');
    // Nothing changed: no reload (no log line every few seconds).
    expect(await registry.poll()).toBe(false);

    folder(path.join(base, 'roadmaps.new'), { 'mirai.yaml': variant('mirai', 'mirai') });
    renameSync(dir, path.join(base, 'roadmaps.old'));
    renameSync(path.join(base, 'roadmaps.new'), dir);
    expect(await registry.poll()).toBe(true);
    expect(registry.list().map((r) => r.id)).toEqual(['mirai']);
  });

  it('polls on its own timer', async () => {
    const dir = folder(mkdtempSync(path.join(os.tmpdir(), 'timer-')), {
      'oviya.yaml': variant('oviya', 'v1'),
    });
    const registry = started(dir);
    await registry.reload();
    registry.watch({ watchFn: noWatching, pollMs: 20 });
    writeFileSync(path.join(dir, 'second.yaml'), variant('second', 'second'));
    await vi.waitFor(() => expect(registry.get('second')).toBeDefined(), WAIT);
  });

  it('keeps serving while the folder is briefly missing mid-swap, then picks up the new one', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'gap-'));
    const dir = folder(path.join(base, 'roadmaps'), { 'oviya.yaml': variant('oviya', 'v1') });
    const registry = started(dir);
    await registry.reload();
    registry.watch({ debounceMs: 10, pollMs: 0 });
    renameSync(dir, path.join(base, 'roadmaps.old'));
    const statuses = await registry.reload();
    expect(statuses[0]?.errors[0]?.message).toMatch(/^cannot read folder: ENOENT/);
    expect(registry.get('oviya')?.name).toBe('v1');
    folder(dir, { 'oviya.yaml': variant('oviya', 'v2') });
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v2'), WAIT);
    writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'v3'));
    await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v3'), WAIT);
  });

  it('closes every watcher and timer on unwatch, also after re-watching a swapped folder', async () => {
    const base = mkdtempSync(path.join(os.tmpdir(), 'close-'));
    const dir = folder(path.join(base, 'roadmaps'), { 'oviya.yaml': variant('oviya', 'v1') });
    // Earlier tests' watchers finish closing first (see below); nothing else here watches.
    await vi.waitFor(() => expect(fsEvents()).toBe(0), WAIT);
    const before = fsEvents();
    // Fake timers only to count the registry's own (vitest has timers of its own); vi.waitFor
    // advances them, so the debounce still fires.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'setInterval', 'clearInterval'] });
    try {
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      registry.watch({ debounceMs: 10, pollMs: 60_000 });
      registry.watch({ debounceMs: 10, pollMs: 60_000 }); // a second call starts nothing more
      expect(fsEvents()).toBe(before + 2); // the folder and its parent
      expect(vi.getTimerCount()).toBe(1); // the poll
      folder(path.join(base, 'roadmaps.new'), { 'oviya.yaml': variant('oviya', 'v2') });
      renameSync(dir, path.join(base, 'roadmaps.old'));
      renameSync(path.join(base, 'roadmaps.new'), dir);
      await vi.waitFor(() => expect(registry.get('oviya')?.name).toBe('v2'), WAIT);
      await registry.poll(); // re-watching again must not add handles
      registry.unwatch();
      expect(vi.getTimerCount()).toBe(0);
      // Closing a watcher releases its handle on a later turn of the event loop.
      await vi.waitFor(() => expect(fsEvents()).toBe(before), WAIT);
      // After unwatch, a poll reloads on request but starts no watcher.
      writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'v3'));
      expect(await registry.poll()).toBe(true);
      expect(fsEvents()).toBe(before);
      expect(vi.getTimerCount()).toBe(0);
    } finally {
      vi.useRealTimers();
    }
  });
});
