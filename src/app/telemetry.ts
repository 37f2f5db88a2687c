/**
 * What the bot counts about itself, for /metrics. The app calls these; an adapter (prom-client)
 * implements them. The default does nothing, so tests and the CLI need no registry.
 */
export interface Telemetry {
  evaluation(roadmapId: string, seconds: number, outcome: 'ok' | 'error' | 'skipped'): void;
  delivery(platform: string, outcome: 'sent' | 'retried' | 'failed', count: number): void;
  collector(roadmapId: string, outcome: 'ok' | 'failed', count: number): void;
  command(platform: string, command: string, seconds: number, exitCode: number): void;
}

export const noTelemetry: Telemetry = {
  evaluation() {},
  delivery() {},
  collector() {},
  command() {},
};
