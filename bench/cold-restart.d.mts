import type pg from 'pg';
import type { pgStore } from '../src/adapters/pg/store.js';
import type { warmConnections } from '../src/adapters/pg/warm-up.js';
import type { forecastFits } from '../src/app/evaluate.js';
import type { RoadmapRegistry } from '../src/app/registry.js';
import type { runCommand } from '../src/app/run.js';
import type { warmUp } from '../src/app/warm-up.js';

export interface RestartModules {
  pgStore: typeof pgStore;
  warmConnections: typeof warmConnections;
  forecastFits: typeof forecastFits;
  runCommand: typeof runCommand;
  warmUp: typeof warmUp;
}

export function oneRestart(
  m: RestartModules,
  pool: pg.Pool,
  registry: RoadmapRegistry,
  source: 'rollups' | 'points' | 'warmed',
  warm: number,
  opts: { dataEnd: number; leadMs: number; connections: number; log: (line: string) => void },
): Promise<{ first: number; warm: number[]; warmUp?: number }>;
