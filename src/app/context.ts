import type { Report } from '../core/evaluate/report.js';
import type { HistoryPoint } from '../core/forecast/fit.js';
import type { Roadmap } from '../core/roadmap/model.js';
import type { Message } from '../core/messages/model.js';
import type { Actor } from './ports/audit.js';
import type { Store } from './ports/store.js';
import type { RoadmapRegistry } from './registry.js';
import type { Telemetry } from './telemetry.js';
import type { WebSettings } from './web-settings.js';

/** What every command handler may use: injected, so tests pass their own clock and store. */
export interface AppDeps {
  /** Every storage port, and the unit of work (see src/app/ports/store.ts). */
  store: Store;
  registry: RoadmapRegistry;
  clock: () => Date;
  /** Counters for /metrics; absent in tests and the CLI. */
  telemetry?: Telemetry;
  /** Renders a metric's chart as PNG; absent where no renderer is wired (then no chart is attached). */
  charts?: ChartRenderer;
  /**
   * Runs a chat command's work when its turn comes (a bound on how many run at once);
   * absent: at once. Chat commands are acknowledged before they wait here.
   */
  admit?: <T>(work: () => Promise<T>) => Promise<T>;
  /**
   * The admission's state for the chat adapters (src/app/admission.ts): `busy` when a command
   * given now would wait for a slot (Discord then defers at once); `arrived` for each chat
   * request, so that commands start once a burst has been acknowledged; `quiet` resolves then
   * (Slack's Bolt waits for it too). Absent: none of it.
   */
  admission?: { busy(): boolean; arrived(): void; quiet?(): Promise<void> };
  /** The web view's settings (`link`, the "Open in browser" button); absent: off. */
  web?: WebSettings;
}

/**
 * A metric's chart: the report (thresholds, stage band), the metric, its history; the roadmap
 * for its plans and the current stage's budget lines (v2).
 */
export type ChartRenderer = (
  report: Report,
  metric: string,
  history: readonly HistoryPoint[],
  options: { usersMetric: string; windowMs: number; roadmap: Roadmap },
) => Promise<Buffer>;

/** A file sent with a reply (a chart). */
export interface Attachment {
  filename: string;
  contentType: 'image/png';
  bytes: Buffer;
  /** Alt text / title. */
  title: string;
}

/** Who runs a command, from where. */
export interface Invocation {
  actor: Actor;
  /** Admins may mutate; from the CLI everyone at the terminal is one. */
  isAdmin: boolean;
  /** The roadmap bound to the channel, if any. */
  defaultRoadmap?: string;
}

export interface Reply {
  message: Message;
  /** Machine-readable result (`status --json`). */
  json?: unknown;
  exitCode: 0 | 1 | 2;
  /** Post to the channel rather than only to the person who asked. */
  public?: boolean;
  attachments?: Attachment[];
}
