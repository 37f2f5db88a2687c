import { execFileSync } from 'node:child_process';
import { readFileSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { loadRoadmapFile, readRoadmapFile, RoadmapRegistry } from '../../src/app/registry.js';
import { formatProblem, MAX_ROADMAP_BYTES } from '../../src/core/roadmap/load.js';
import { roadmapsFolder } from '../support/app.js';
import { folderAt, roadmapText as variant } from '../support/roadmap-files.js';

/** A new temp folder holding the given files (name -> text). */
const folderWith = (files: Record<string, string>): string => folderAt(roadmapsFolder(), files);

/** Which file serves `id`, by the name written in it. */
async function servedName(dir: string, id: string): Promise<string | undefined> {
  const registry = new RoadmapRegistry(dir);
  await registry.reload();
  return registry.get(id)?.name;
}

describe('roadmap registry', () => {
  it('loads every file; one bad file never blocks the others', async () => {
    const dir = roadmapsFolder('oviya', 'mirai');
    writeFileSync(path.join(dir, 'broken.yaml'), 'id: broken\nname: x\nmetrics: {}\nstages: []\n');
    const registry = new RoadmapRegistry(dir);
    const statuses = await registry.reload();
    expect(registry.list().map((r) => r.id)).toEqual(['mirai', 'oviya']);
    const broken = statuses.find((s) => s.file.endsWith('broken.yaml'));
    expect(broken?.errors.map((e) => `${e.line}:${e.column}: ${e.message}`)).toEqual(
      expect.arrayContaining([expect.stringMatching(/^4:9: stages: expected at least one stage/)]),
    );
  });

  it('keeps serving the last good version when an edit breaks a file, and picks up the fix', async () => {
    const dir = roadmapsFolder('oviya');
    const file = path.join(dir, 'oviya.yaml');
    const good = readFileSync(file, 'utf8');
    const registry = new RoadmapRegistry(dir);
    await registry.reload();
    writeFileSync(file, good.replace('active_users >= 400', 'active_userz >= 400'));
    const [status] = await registry.reload();
    expect(status?.servingPrevious).toBe(true);
    expect(status?.errors[0]?.message).toMatch(/unknown metric "active_userz"/);
    expect(registry.get('oviya')?.stages[0]?.upgrade?.when.text).toContain('active_users >= 400');
    writeFileSync(file, good.replace('active_users >= 400', 'active_users >= 450'));
    await registry.reload();
    expect(registry.get('oviya')?.stages[0]?.upgrade?.when.text).toContain('active_users >= 450');
  });

  it('refuses a second file with an id already loaded', async () => {
    const dir = roadmapsFolder('oviya');
    writeFileSync(
      path.join(dir, 'zz-copy.yaml'),
      readFileSync(path.join(dir, 'oviya.yaml'), 'utf8'),
    );
    const statuses = await new RoadmapRegistry(dir).reload();
    expect(statuses.find((s) => s.file.endsWith('zz-copy.yaml'))?.errors[0]?.message).toMatch(
      /already used by/,
    );
  });

  it('notices a changed file without a restart (fs.watch)', async () => {
    const dir = roadmapsFolder('oviya');
    const registry = new RoadmapRegistry(dir);
    await registry.reload();
    registry.watch({ debounceMs: 10 });
    try {
      writeFileSync(
        path.join(dir, 'second.yaml'),
        readFileSync(path.join(dir, 'oviya.yaml'), 'utf8').replace('id: oviya', 'id: second'),
      );
      await vi.waitFor(() => expect(registry.get('second')).toBeDefined(), {
        timeout: 5000,
        interval: 20,
      });
      rmSync(path.join(dir, 'second.yaml'));
      await vi.waitFor(() => expect(registry.get('second')).toBeUndefined(), {
        timeout: 5000,
        interval: 20,
      });
    } finally {
      registry.unwatch();
    }
  });

  describe('duplicate ids: one rule at start, at run time and after a restart', () => {
    it('the file named after the id keeps it at start, whichever file sorts first', async () => {
      for (const stray of ['a-stray.yaml', 'zz-stray.yaml']) {
        const dir = folderWith({
          'oviya.yaml': variant('oviya', 'real'),
          [stray]: variant('oviya', 'stray'),
        });
        const registry = new RoadmapRegistry(dir);
        const statuses = await registry.reload();
        expect(registry.get('oviya')?.name).toBe('real');
        const refused = statuses.find((s) => s.file.endsWith(stray));
        expect(refused?.servingPrevious).toBe(false);
        expect(refused?.roadmapId).toBeUndefined();
        // Both files named; the position is the `id:` line of the refused file.
        expect(refused?.errors.map(formatProblem)).toEqual([
          expect.stringContaining(
            `${path.join(dir, stray)}:2:1: id: "oviya" is already used by ${path.join(dir, 'oviya.yaml')}, which keeps it`,
          ),
        ]);
        expect(statuses.find((s) => s.file.endsWith('oviya.yaml'))?.errors).toEqual([]);
      }
    });

    it('oviya.yml counts as named after its id too', async () => {
      const dir = folderWith({
        'a.yaml': variant('oviya', 'stray'),
        'oviya.yml': variant('oviya', 'real'),
      });
      expect(await servedName(dir, 'oviya')).toBe('real');
    });

    it('otherwise the first file by name keeps it, at start and after a restart', async () => {
      const dir = folderWith({
        'c.yaml': variant('shared', 'c'),
        'b.yaml': variant('shared', 'b'),
      });
      const registry = new RoadmapRegistry(dir);
      const statuses = await registry.reload();
      expect(registry.get('shared')?.name).toBe('b');
      expect(statuses.find((s) => s.file.endsWith('c.yaml'))?.errors[0]?.message).toContain(
        `is already used by ${path.join(dir, 'b.yaml')}`,
      );
      expect(await servedName(dir, 'shared')).toBe('b');
    });

    it('a stray file added while running is refused, and still refused after a restart', async () => {
      const dir = folderWith({ 'oviya.yaml': variant('oviya', 'real') });
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      writeFileSync(path.join(dir, 'a-stray.yaml'), variant('oviya', 'stray'));
      const statuses = await registry.reload();
      expect(registry.get('oviya')?.name).toBe('real');
      expect(statuses.find((s) => s.file.endsWith('a-stray.yaml'))?.errors[0]?.message).toMatch(
        /already used by .*oviya\.yaml/,
      );
      // The restart serves the same file the running bot did.
      expect(await servedName(dir, 'oviya')).toBe('real');
    });

    it('the named file added while running takes its id over from a stray one, as a restart would', async () => {
      const dir = folderWith({ 'a-stray.yaml': variant('oviya', 'stray') });
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      expect(registry.get('oviya')?.name).toBe('stray');
      writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'real'));
      const statuses = await registry.reload();
      expect(registry.get('oviya')?.name).toBe('real');
      const stray = statuses.find((s) => s.file.endsWith('a-stray.yaml'));
      expect(stray?.servingPrevious).toBe(false);
      expect(stray?.errors[0]?.message).toMatch(/already used by .*oviya\.yaml/);
      expect(registry.list().filter((r) => r.id === 'oviya')).toHaveLength(1);
      expect(await servedName(dir, 'oviya')).toBe('real');
    });

    it('the first file by name takes the id over when added while running, as a restart would', async () => {
      const dir = folderWith({ 'c.yaml': variant('shared', 'c') });
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      writeFileSync(path.join(dir, 'b.yaml'), variant('shared', 'b'));
      await registry.reload();
      expect(registry.get('shared')?.name).toBe('b');
      expect(await servedName(dir, 'shared')).toBe('b');
    });

    it('an edit that takes an id already used keeps the last good version serving', async () => {
      const dir = folderWith({
        'oviya.yaml': variant('oviya', 'real'),
        'b.yaml': variant('bee', 'bee'),
      });
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      writeFileSync(path.join(dir, 'b.yaml'), variant('oviya', 'bee as oviya'));
      const statuses = await registry.reload();
      expect(registry.get('oviya')?.name).toBe('real');
      expect(registry.get('bee')?.name).toBe('bee');
      const edited = statuses.find((s) => s.file.endsWith('b.yaml'));
      expect(edited).toMatchObject({ roadmapId: 'bee', servingPrevious: true });
      expect(edited?.errors[0]?.message).toMatch(/already used by .*oviya\.yaml/);
    });

    it('a broken edit of the named file keeps its last good version against a stray file', async () => {
      const dir = folderWith({
        'oviya.yaml': variant('oviya', 'real'),
        'a-stray.yaml': variant('oviya', 'stray'),
      });
      const registry = new RoadmapRegistry(dir);
      await registry.reload();
      writeFileSync(
        path.join(dir, 'oviya.yaml'),
        variant('oviya', 'real').replace('stages:', 'stagez:'),
      );
      const statuses = await registry.reload();
      expect(registry.get('oviya')?.name).toBe('real');
      expect(statuses.find((s) => s.file.endsWith('oviya.yaml'))).toMatchObject({
        servingPrevious: true,
      });
      expect(statuses.find((s) => s.file.endsWith('a-stray.yaml'))?.errors[0]?.message).toMatch(
        /already used by/,
      );
      // After a restart the broken file has no last good version, but the stray file still
      // does not take its id: nothing serves it until the file is fixed.
      const restarted = new RoadmapRegistry(dir);
      const after = await restarted.reload();
      expect(restarted.get('oviya')).toBeUndefined();
      expect(after.find((s) => s.file.endsWith('a-stray.yaml'))?.errors[0]?.message).toContain(
        `already used by ${path.join(dir, 'oviya.yaml')}, which keeps it (it has errors; until they are fixed no file serves this id)`,
      );
      writeFileSync(path.join(dir, 'oviya.yaml'), variant('oviya', 'fixed'));
      await restarted.reload();
      expect(restarted.get('oviya')?.name).toBe('fixed');
    });

    it('only one file serves an id, whatever the mix of files', async () => {
      const texts = {
        'a.yaml': variant('x', 'a'),
        'x.yml': variant('x', 'x.yml'),
        'x.yaml': variant('x', 'x.yaml'),
        'z.yaml': variant('x', 'z'),
      };
      const dir = folderWith(texts);
      const registry = new RoadmapRegistry(dir);
      const statuses = await registry.reload();
      expect(registry.list().map((r) => r.name)).toEqual(['x.yaml']);
      expect(statuses.filter((s) => s.errors.length > 0).map((s) => path.basename(s.file))).toEqual(
        ['a.yaml', 'x.yml', 'z.yaml'],
      );
    });
  });

  describe('files over the size limit are refused unread', () => {
    it('names the file, its size and the limit', async () => {
      const dir = folderWith({ 'oviya.yaml': variant('oviya', 'real') });
      const big = path.join(dir, 'big.yaml');
      writeFileSync(big, `# ${'x'.repeat(MAX_ROADMAP_BYTES - 2)}\n`);
      expect(readFileSync(big).length).toBe(MAX_ROADMAP_BYTES + 1);
      const registry = new RoadmapRegistry(dir);
      const statuses = await registry.reload();
      expect(registry.get('oviya')).toBeDefined();
      expect(statuses.find((s) => s.file === big)?.errors.map(formatProblem)).toEqual([
        `${big}:1:1: file is ${MAX_ROADMAP_BYTES + 1} bytes, over the limit of ${MAX_ROADMAP_BYTES} bytes; refused unread`,
      ]);
    });

    it('refuses a 3 GB (sparse) file by its size, without reading it', async () => {
      const dir = folderWith({});
      const huge = path.join(dir, 'huge.yaml');
      writeFileSync(huge, '');
      truncateSync(huge, 3 * 1024 ** 3);
      const [status] = await new RoadmapRegistry(dir).reload();
      expect(status?.errors[0]?.message).toBe(
        `file is ${3 * 1024 ** 3} bytes, over the limit of ${MAX_ROADMAP_BYTES} bytes; refused unread`,
      );
    });

    it('reads at most limit + 1 bytes of a file that grew after its size was checked', async () => {
      const dir = folderWith({});
      const file = path.join(dir, 'growing.yaml');
      writeFileSync(file, 'x'.repeat(5000));
      // The handle's stat reports the size before the growth; reads are counted.
      const probe = await open(file);
      const proto = Object.getPrototypeOf(probe) as {
        stat: typeof probe.stat;
        read: typeof probe.read;
      };
      await probe.close();
      const realStat = proto.stat;
      const realRead = proto.read;
      let bytesRead = 0;
      const stat = vi.spyOn(proto, 'stat').mockImplementation(async function (this: typeof probe) {
        const info = await realStat.call(this);
        return Object.assign(info, { size: 50 });
      } as typeof probe.stat);
      const read = vi.spyOn(proto, 'read').mockImplementation(async function (
        this: typeof probe,
        ...args: unknown[]
      ) {
        const result = await (
          realRead as (...a: unknown[]) => Promise<{ bytesRead: number }>
        ).apply(this, args);
        bytesRead += result.bytesRead;
        return result;
      } as typeof probe.read);
      try {
        const result = await readRoadmapFile(file, 100);
        expect(result).toEqual({
          ok: false,
          message:
            'file grew to more than the limit of 100 bytes while being read (it was 50 bytes); refused after reading 101 bytes',
        });
        expect(bytesRead).toBe(101);
      } finally {
        stat.mockRestore();
        read.mockRestore();
      }
    });

    it('loadRoadmapFile names the file as asked (the CLI shows paths relative to the working directory)', async () => {
      const dir = folderWith({ 'big.yaml': `# ${'x'.repeat(MAX_ROADMAP_BYTES)}\n` });
      const { result, text } = await loadRoadmapFile(path.join(dir, 'big.yaml'), 'big.yaml');
      expect(text).toBeUndefined();
      expect(result.ok ? [] : result.errors.map(formatProblem)).toEqual([
        `big.yaml:1:1: file is ${MAX_ROADMAP_BYTES + 3} bytes, over the limit of ${MAX_ROADMAP_BYTES} bytes; refused unread`,
      ]);
    });

    it('reads a file of exactly the limit, multi-byte characters included', async () => {
      const dir = folderWith({});
      const file = path.join(dir, 'ok.yaml');
      writeFileSync(file, `# ${'é'.repeat(49)}\n`); // 2 + 98 + 1 = 101 bytes
      expect(await readRoadmapFile(file, 101)).toEqual({ ok: true, text: `# ${'é'.repeat(49)}\n` });
      expect(await readRoadmapFile(file, 100)).toMatchObject({ ok: false });
    });

    it('refuses a FIFO named *.yaml instead of waiting for a writer forever', async () => {
      const dir = folderWith({ 'oviya.yaml': variant('oviya', 'real') });
      execFileSync('mkfifo', [path.join(dir, 'pipe.yaml')]);
      const registry = new RoadmapRegistry(dir);
      const statuses = await registry.reload();
      expect(registry.get('oviya')).toBeDefined();
      expect(statuses.find((s) => s.file.endsWith('pipe.yaml'))?.errors[0]?.message).toBe(
        'not a regular file; refused unread',
      );
    }, 10_000);
  });
});
