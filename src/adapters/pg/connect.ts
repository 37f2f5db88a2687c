import { readFile } from 'node:fs/promises';
import path from 'node:path';
import pg from 'pg';
import { embeddedUrl, ensureDatabase, startEmbeddedPostgres } from './embedded.js';

export interface Database {
  url: string;
  /** How we got it, for the start-up report. */
  kind: 'external' | 'embedded' | 'embedded-shared';
  /** Stops the embedded server if this process started it; otherwise nothing. */
  close(): Promise<void>;
}

/** The port of an embedded server already running on `dataDir`, read from its postmaster.pid. */
async function runningPort(dataDir: string): Promise<number | undefined> {
  const pidFile = await readFile(path.join(dataDir, 'postmaster.pid'), 'utf8').catch(
    () => undefined,
  );
  if (!pidFile) return undefined;
  const [pid, , , port] = pidFile.split('\n');
  try {
    process.kill(Number(pid), 0);
  } catch {
    return undefined; // stale file from a killed server: postgres cleans it up on start
  }
  if (!Number(port)) return undefined;
  // The pid may have been reused by another program after a reboot: make sure a server answers.
  const client = new pg.Client({
    connectionString: embeddedUrl(Number(port)),
    connectionTimeoutMillis: 2000,
  });
  try {
    await client.connect();
    await client.query('SELECT 1');
    return Number(port);
  } catch {
    return undefined;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/**
 * `DATABASE_URL` when set; otherwise the embedded PostgreSQL under `<dataDir>/postgres`,
 * reusing the server `npm start` already runs there (a second server cannot share the folder).
 */
export async function connectDatabase(opts: {
  databaseUrl?: string;
  dataDir: string;
  onLog?: (line: string) => void;
}): Promise<Database> {
  if (opts.databaseUrl) return { url: opts.databaseUrl, kind: 'external', close: async () => {} };
  const dir = path.join(opts.dataDir, 'postgres');
  const port = await runningPort(dir);
  if (port !== undefined) {
    return {
      url: await ensureDatabase(embeddedUrl(port), 'roadmap'),
      kind: 'embedded-shared',
      close: async () => {},
    };
  }
  const server = await startEmbeddedPostgres({
    dataDir: dir,
    ...(opts.onLog ? { onLog: opts.onLog } : {}),
  });
  const url = await ensureDatabase(server.url, 'roadmap');
  return { url, kind: 'embedded', close: () => server.stop() };
}
