/**
 * What the bot counts about itself, for /metrics. The app calls these; an adapter (prom-client)
 * implements them. The default does nothing, so tests and the CLI need no registry.
 */
export interface Telemetry {
  evaluation(roadmapId: string, seconds: number, outcome: 'ok' | 'error' | 'skipped'): void;
  delivery(platform: string, outcome: 'sent' | 'retried' | 'failed', count: number): void;
  collector(roadmapId: string, outcome: 'ok' | 'failed', count: number): void;
  command(platform: string, command: string, seconds: number, exitCode: number): void;
  /**
   * A scheduled job failed for one roadmap (or 'all' when it failed before reaching any) and
   * was skipped until the next tick, the other roadmaps going on: one counter to alert on.
   */
  failure(job: ScheduledJob, roadmapId: string): void;
}

/** The scheduler's jobs, as the `job` label of failures. */
export type ScheduledJob = 'evaluation' | 'digest' | 'delivery' | 'collectors';

export const noTelemetry: Telemetry = {
  evaluation() {},
  delivery() {},
  collector() {},
  command() {},
  failure() {},
};
