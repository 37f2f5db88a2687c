import type {
  EpisodeRecord,
  FirstPost,
  NewEpisode,
  StoredTrigger,
} from '../../core/alerts/episode.js';
import type { Subscriber } from '../../core/alerts/notify.js';
import type { DigestSnapshot } from '../../core/digest/compose.js';
import type { TriggerMemory } from '../../core/evaluate/transition.js';
import type { Message } from '../../core/messages/model.js';

/**
 * What the alert engine, the digests and the alert commands need from storage: the alert
 * memory (each trigger's remembered state), episodes, alert and digest subscriptions, and
 * putting messages in the outbox. Wired as `store.alerts` and `tx.alerts` (src/app/ports/store.ts):
 * on a transaction every method runs on its connection, so an evaluation reads and writes in
 * one transaction. src/adapters/pg/alerts.ts implements it (`pgAlertStore(db)`).
 *
 * Terms: **alert memory** is what the engine remembers of each trigger between evaluations
 * (state, since when, the episode it belongs to); an **episode** runs from the moment a
 * trigger fires until it resolves, and is what people acknowledge and snooze; a **first post**
 * is an episode's firing message in one channel, which later edits update.
 */
export interface AlertStore {
  /**
   * Takes the evaluation lock of a roadmap for the rest of the transaction: false when
   * another replica holds it (that replica evaluates; this one skips). Only in a transaction.
   */
  lockEvaluation(roadmapId: string): Promise<boolean>;

  /** Every trigger's remembered state, by trigger id. */
  memory(roadmapId: string): Promise<Map<string, StoredTrigger>>;
  /** Replaces a trigger's remembered state (and the episode it belongs to, if any). */
  remember(
    roadmapId: string,
    triggerId: string,
    memory: TriggerMemory,
    episodeId: number | undefined,
    now: Date,
  ): Promise<void>;

  /** The roadmap's open episodes and every episode its alert memory names: what a plan acts on. */
  liveEpisodes(roadmapId: string): Promise<EpisodeRecord[]>;
  /** The first posts of each episode, by episode id, oldest first. */
  firstPosts(episodeIds: readonly number[]): Promise<Map<number, FirstPost[]>>;
  /** Opens the trigger's episode, or returns the one already open. */
  openEpisode(episode: NewEpisode): Promise<EpisodeRecord>;
  /** Resolves an open episode at `at`; undefined when it was not open. */
  closeEpisode(id: number, at: Date): Promise<EpisodeRecord | undefined>;
  /** The trigger's open episode, if it is firing. */
  openEpisodeOf(roadmapId: string, triggerId: string): Promise<EpisodeRecord | undefined>;
  /**
   * Episodes newest first: all, only open ones, or those that fired or resolved after
   * `since`; only those fired at or before `until` when given; at most `limit` (default 50)
   * after skipping `offset` (pages of the web view's history).
   */
  episodes(
    roadmapId: string,
    opts: { openOnly?: boolean; since?: Date; until?: Date; limit?: number; offset?: number },
  ): Promise<EpisodeRecord[]>;
  acknowledge(id: number, by: string, at: Date): Promise<EpisodeRecord | undefined>;
  snooze(id: number, by: string, until: Date): Promise<EpisodeRecord | undefined>;

  /** The channels subscribed to the roadmap's alerts, in subscription order. */
  subscribers(roadmapId: string): Promise<Subscriber[]>;
  /** Every digest subscription, in subscription order. */
  digestSubscriptions(): Promise<DigestSubscription[]>;

  /** Adds a message to the outbox; its id, or undefined when its key was there already. */
  enqueue(delivery: Outgoing): Promise<number | undefined>;
  /** Which of `keys` are in the outbox already. */
  queuedKeys(keys: readonly string[]): Promise<Set<string>>;
  /**
   * Adds a roadmap's digests to the outbox in one statement, with a snapshot for each one
   * added (what the next digest to the same channel compares with); returns the keys added
   * (another replica may have added some of them meanwhile).
   */
  enqueueDigests(
    roadmapId: string,
    digests: readonly QueuedDigest[],
    snapshot: DigestSnapshot,
    at: Date,
  ): Promise<Set<string>>;
  /** The newest snapshot of each subscription's digests, by subscription id. */
  previousDigests(subscriptionIds: readonly number[]): Promise<Map<number, DigestSnapshot>>;
}

/** A message for the outbox. */
export interface Outgoing {
  /** Idempotency key: enqueueing the same key twice queues it once. */
  key: string;
  platform: string;
  channel: string;
  kind: string;
  roadmapId?: string;
  episodeId?: number;
  message: Message;
  /** The delivery whose post this one edits. */
  updateOf?: number;
  at: Date;
}

/** One due digest to queue. */
export interface QueuedDigest {
  key: string;
  subscriptionId: number;
  localDate: string;
  platform: string;
  channel: string;
  message: Message;
}

export interface DigestSubscription {
  id: number;
  platform: Subscriber['platform'];
  channel: string;
  roadmapId: string;
  /** HH:MM, local. */
  time: string;
  timezone: string;
  createdAt: Date;
}
