import type { ChartRenderer } from './context.js';
import type { ReadResult } from './registry.js';

/**
 * What only a terminal gives the commands that exist only there (`platforms: ['cli']` in the
 * command table): files the person names, migrations, registering the Discord command, and
 * charts drawn to files. The CLI entry (src/adapters/cli/main.ts) implements it and passes it
 * to `runFromTerminal`; the app imports no adapter.
 */
export interface Terminal {
  /** The folder roadmaps are loaded from (ROADMAPS_DIR): what `validate` checks by default. */
  roadmapsDir: string;
  /** What is at a path: a file, a folder, or nothing (undefined). */
  kindOf(path: string): Promise<'file' | 'folder' | undefined>;
  /** A file's text; rejects with the file system's error (its `code` says why). */
  readText(path: string): Promise<string>;
  /** A roadmap file's text, refused unread when over MAX_ROADMAP_BYTES (`readRoadmapFile`). */
  readRoadmapText(path: string): Promise<ReadResult>;
  writeFile(path: string, bytes: Buffer): Promise<void>;
  /** Applies pending database migrations; the names applied (none when up to date). */
  migrate(): Promise<string[]>;
  /** Registers /roadmap with Discord: on one server (instant), or globally. */
  registerDiscord(guildId?: string): Promise<{ subcommands: number; scope: 'guild' | 'global' }>;
  /**
   * Draws charts for `chart`. The terminal's AppDeps carry no renderer, so `metrics` does not
   * draw pictures a terminal cannot show; this one writes them to files.
   */
  charts: { render: ChartRenderer; width: number; height: number };
}
