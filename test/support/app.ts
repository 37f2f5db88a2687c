import { cpSync, mkdtempSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type pg from 'pg';
import { pgStore } from '../../src/adapters/pg/store.js';
import type { AppDeps, Invocation } from '../../src/app/context.js';
import { RoadmapRegistry } from '../../src/app/registry.js';
import type { WebSettings } from '../../src/app/web-settings.js';
import { ROADMAPS_DIR } from './roadmaps.js';

/** A clock the test moves by hand: no test waits for wall-clock time. */
export class TestClock {
  constructor(private current: Date) {}
  now = (): Date => new Date(this.current);
  set(at: string | Date): void {
    this.current = new Date(at);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

/** A temp roadmaps folder holding copies of the named shipped roadmaps. */
export function roadmapsFolder(...ids: string[]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'roadmaps-'));
  for (const id of ids) cpSync(path.join(ROADMAPS_DIR, `${id}.yaml`), path.join(dir, `${id}.yaml`));
  return dir;
}

/** The command layer's dependencies over `pool`; `web`: the web view's settings (default off). */
export async function appWith(
  pool: pg.Pool,
  dir: string,
  clock: TestClock,
  web?: WebSettings,
): Promise<AppDeps> {
  const registry = new RoadmapRegistry(dir);
  await registry.reload();
  return { store: pgStore(pool), registry, clock: clock.now, ...(web ? { web } : {}) };
}

export const admin: Invocation = { actor: { platform: 'cli', id: 'alice' }, isAdmin: true };
export const reader: Invocation = {
  actor: { platform: 'slack', id: 'U-READER', channel: 'C1' },
  isAdmin: false,
};
