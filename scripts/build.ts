/**
 * `npm run build` (also run by `npm install` and `npm ci` through `prepare`): compiles src/ to
 * dist/ with tsc (tsconfig.build.json, ESM, incremental), copies the files tsc does not emit
 * (the web view's static files) beside the code that reads them, removes compiled files whose
 * source is gone, and stamps the build so that `--if-stale` can tell whether src/ changed since.
 *
 *   --if-stale            build only when a source or tsconfig is newer than the last build
 *   --allow-type-errors   a type error is a warning (tsc emits anyway): the test suite builds
 *                         what it runs, and type errors are `npm run typecheck`'s to report
 *
 * Several builds at once (two test runs on one checkout) take turns through a lock folder.
 */
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
const LOCK = path.join(DIST, '.build-lock');
/** What the compiled output depends on besides src/. */
const INPUTS = ['tsconfig.json', 'tsconfig.build.json', 'scripts/build.ts'].map((f) =>
  path.join(ROOT, f),
);
/** How long a build waits for another one to finish before giving up. */
const LOCK_WAIT_MS = 10 * 60_000;

export interface BuildResult {
  built: boolean;
  /** tsc's type errors when they were allowed (the code was emitted anyway). */
  typeErrors?: string;
}

async function filesUnder(dir: string): Promise<string[]> {
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const files: string[] = [];
  for (const entry of entries) {
    const full = path.join(dir, entry.name);
    if (entry.isDirectory()) files.push(...(await filesUnder(full)));
    else if (entry.isFile()) files.push(full);
  }
  return files;
}

async function mtimeMs(file: string): Promise<number | undefined> {
  return (await fs.stat(file).catch(() => undefined))?.mtimeMs;
}

/** Whether dist/ is missing or older than a source, an asset or a tsconfig. */
export async function isStale(): Promise<boolean> {
  const built = await mtimeMs(STAMP);
  if (built === undefined) return true;
  for (const file of [...(await filesUnder(SRC)), ...INPUTS]) {
    if (((await mtimeMs(file)) ?? Infinity) > built) return true;
  }
  return false;
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Takes the build lock (a folder: mkdir is atomic), waiting for a live holder to finish. */
async function lock(): Promise<() => Promise<void>> {
  await fs.mkdir(DIST, { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await fs.mkdir(LOCK);
      await fs.writeFile(path.join(LOCK, 'pid'), String(process.pid));
      return () => fs.rm(LOCK, { recursive: true, force: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(await fs.readFile(path.join(LOCK, 'pid'), 'utf8').catch(() => ''));
    // A holder that died (killed mid-build) leaves its folder behind: take it over. A folder
    // without a pid yet is a holder between mkdir and writeFile: wait for it.
    if (holder > 0 && !isAlive(holder)) {
      await fs.rm(LOCK, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) throw new Error(`build: ${LOCK} is still held after 10 minutes`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

/** Runs tsc; resolves with its exit code and output. */
function tsc(): Promise<{ code: number | null; output: string }> {
  let bin: string;
  try {
    bin = createRequire(import.meta.url).resolve('typescript/bin/tsc');
  } catch {
    throw new Error(
      'build: TypeScript is not installed. It is a devDependency: install with them (`npm install`, `npm ci`), not with --omit=dev.',
    );
  }
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, '-p', path.join(ROOT, 'tsconfig.build.json')], {
      cwd: ROOT,
    });
    let output = '';
    child.stdout.on('data', (d: Buffer) => (output += d.toString()));
    child.stderr.on('data', (d: Buffer) => (output += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** Copies every file of src/ that is not TypeScript (the web view's CSS, JS and icons). */
async function copyAssets(): Promise<void> {
  for (const file of await filesUnder(SRC)) {
    if (file.endsWith('.ts')) continue;
    const target = path.join(DIST, path.relative(SRC, file));
    await fs.mkdir(path.dirname(target), { recursive: true });
    await fs.copyFile(file, target);
  }
}

/** Removes compiled files and copies whose source was deleted or renamed since a former build. */
async function removeOrphans(): Promise<void> {
  for (const file of await filesUnder(DIST)) {
    const relative = path.relative(DIST, file);
    if (relative.startsWith('.')) continue; // the stamp, the lock, tsc's build info
    // X.js and X.js.map come from X.ts; anything else is a copy of the same path.
    const compiled = /^(.*)\.js(?:\.map)?$/.exec(relative);
    const sources = [relative, ...(compiled ? [`${compiled[1]}.ts`] : [])];
    const found = await Promise.all(sources.map((s) => mtimeMs(path.join(SRC, s))));
    if (found.every((m) => m === undefined)) await fs.rm(file);
  }
}

export async function build(
  options: { ifStale?: boolean; allowTypeErrors?: boolean } = {},
): Promise<BuildResult> {
  if (options.ifStale && !(await isStale())) return { built: false };
  const unlock = await lock();
  try {
    // Another build may have finished while this one waited for the lock.
    if (options.ifStale && !(await isStale())) return { built: false };
    const started = new Date();
    const { code, output } = await tsc();
    // 2: type errors, JavaScript emitted anyway; anything else but 0: nothing usable emitted.
    if (code !== 0 && !(code === 2 && options.allowTypeErrors)) {
      throw new Error(`build: tsc exited with ${code}\n${output}`);
    }
    await copyAssets();
    await removeOrphans();
    // Stamped with the time the build started: a source saved during the build is newer.
    await fs.writeFile(STAMP, `${started.toISOString()}\n`);
    await fs.utimes(STAMP, started, started);
    return code === 0 ? { built: true } : { built: true, typeErrors: output };
  } finally {
    await unlock();
  }
}

if (process.argv[1] && path.resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const args = process.argv.slice(2);
  build({
    ifStale: args.includes('--if-stale'),
    allowTypeErrors: args.includes('--allow-type-errors'),
  })
    .then((result) => {
      if (result.typeErrors)
        process.stderr.write(`build: emitted with type errors:\n${result.typeErrors}`);
      process.stderr.write(
        result.built ? 'build: compiled src/ to dist/\n' : 'build: dist/ is up to date\n',
      );
    })
    .catch((error: Error) => {
      process.stderr.write(`${error.message}\n`);
      process.exitCode = 1;
    });
}
