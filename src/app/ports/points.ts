import type { Snapshot, WindowNeed } from '../../core/evaluate/report.js';
import type { HistoryPoint } from '../../core/forecast/fit.js';
import type { AuditEntry } from './audit.js';

/** One metric point to write. `source` separates feeds (manual, api, sql, csv…). */
export interface PointInput {
  roadmapId: string;
  metric: string;
  value: number;
  at: Date;
  source: string;
}

/** The audit entry of a write of points; the store adds how many it got and wrote. */
export type PointsAudit = Omit<AuditEntry, 'details'> & { details?: Record<string, unknown> };

/**
 * A write on behalf of a push API token: what was written, or why nothing was (the token was
 * revoked, or may not write to a roadmap of the points; `scope` is what it may write to).
 */
export type GuardedWrite =
  { written: number } | { refused: 'revoked' } | { refused: 'forbidden'; scope: string[] };

/** Reads of points that run on any client, a transaction's included. */
export interface PointReads {
  /**
   * The newest point of each metric and the aggregates of each window, as of `now`. Windows
   * that need no statistics (`change`, `last`) read their first and last points only.
   */
  snapshot(
    roadmapId: string,
    metrics: string[],
    windows: WindowNeed[],
    now: Date,
  ): Promise<Snapshot>;
  /** The value each metric had at each instant (newest point at or before it). */
  valuesAt(
    roadmapId: string,
    metrics: string[],
    instants: Date[],
  ): Promise<Map<string, (number | undefined)[]>>;
  /** A metric's history in `buckets` averaged buckets over (now - span, now]. */
  history(
    roadmapId: string,
    metric: string,
    spanMs: number,
    buckets: number,
    now: Date,
  ): Promise<{ at: Date; value: number }[]>;
}

/**
 * Points and histories. Writes run in transactions of their own (with their audit row, rerun
 * after a deadlock), and forecast histories are cached per process, so these are only on the
 * store, not on a transaction.
 */
export interface Points extends PointReads {
  /**
   * Writes points idempotently on (roadmap, metric, time, source), with the audit row, in one
   * transaction: re-sending a point with the same value changes nothing; a new value for the
   * same key replaces the old one; of repeated keys the last one wins. Returns how many rows
   * were new or changed.
   */
  record(points: PointInput[], entry: PointsAudit): Promise<number>;
  /**
   * record() for the push API token `tokenId`, checked in the same statement as the write: the
   * points and their audit row are written only while the token is live and may write every
   * point's roadmap, so a token revoked after its request was authenticated writes nothing.
   */
  recordForToken(tokenId: number, points: PointInput[], entry: PointsAudit): Promise<GuardedWrite>;
  /**
   * Bulk load, all rows or none, streaming: `points` may be a function giving the rows, which
   * may be called twice (the store may read them again). An error thrown by it rolls
   * everything back and is rethrown.
   */
  import(
    points: readonly PointInput[] | (() => Iterable<PointInput>),
    entry: PointsAudit,
  ): Promise<number>;
  /**
   * Each metric's history over (now - window, now] in buckets of `bucketMs`, averaged and
   * stamped at the bucket's centre (capped at now), for forecasting and charts. The points
   * returned are shared: do not mutate them.
   */
  forecastHistories(
    roadmapId: string,
    metrics: string[],
    windowMs: number,
    bucketMs: number,
    now: Date,
  ): Promise<Map<string, readonly HistoryPoint[]>>;
}
