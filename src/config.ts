import path from 'node:path';
import { z } from 'zod';

/**
 * Every environment variable the bot reads, validated in one place (`.env.example` lists
 * them). Takes `env` as an argument so tests pass their own.
 */
const schema = z.object({
  DATABASE_URL: z.string().url('expected a postgres:// connection URL').optional(),
  DATA_DIR: z.string().min(1).default('.data'),
  ROADMAPS_DIR: z.string().min(1).default('roadmaps'),
  PORT: z.coerce.number({ error: 'expected a port number' }).int().min(0).max(65535).default(3000),
  HOST: z.string().min(1).default('0.0.0.0'),
  LOG_LEVEL: z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info'),
  ROADMAP_ACTOR: z.string().min(1).optional(),
});

export type Config = z.output<typeof schema> & { dataDir: string; roadmapsDir: string };

/** Reads the configuration, or throws one error listing every bad variable. */
export function readConfig(env: NodeJS.ProcessEnv = process.env, cwd = process.cwd()): Config {
  // Empty strings (`PORT=` in a .env file) mean "not set", not 0 or "".
  const cleaned = Object.fromEntries(Object.entries(env).filter(([, v]) => v !== undefined && v !== ''));
  const parsed = schema.safeParse(cleaned);
  if (!parsed.success) {
    const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
    throw new Error(`invalid configuration:\n${lines.join('\n')}`);
  }
  return { ...parsed.data, dataDir: path.resolve(cwd, parsed.data.DATA_DIR), roadmapsDir: path.resolve(cwd, parsed.data.ROADMAPS_DIR) };
}
