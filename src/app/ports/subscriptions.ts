import type { Actor } from './audit.js';

/** A chat channel somewhere: the bindings' and subscriptions' key. */
export interface ChannelRef {
  platform: 'slack' | 'discord' | 'console';
  channel: string;
}

/** Which roadmap each chat channel follows (`use`). */
export interface ChannelBindings {
  /** The roadmap a chat channel is bound to, if any. */
  roadmapOf(platform: string, channel: string): Promise<string | undefined>;
  /** Roadmaps some channel of the platform follows, in id order (the Slack App Home). */
  boundRoadmaps(platform: string): Promise<string[]>;
  /** Binds the channel to the roadmap, replacing an earlier binding. */
  bind(where: ChannelRef, roadmapId: string, by: Actor, at: Date): Promise<void>;
}

/** A channel's subscription to a roadmap's daily digest or its alerts. */
export interface Subscription extends ChannelRef {
  roadmapId: string;
  kind: 'digest' | 'alerts';
  /** Alerts: the least severity sent; null for a digest. */
  minSeverity: string | null;
  /** Digest: HH:MM and the IANA timezone it is read in; null for alerts. */
  digestTime: string | null;
  timezone: string | null;
  by: Actor;
  at: Date;
}

/** Subscriptions as commands change them (the alert engine and digests read them through their port). */
export interface Subscriptions {
  /** Adds the subscription, or updates the channel's subscription of that kind to that roadmap. */
  save(subscription: Subscription): Promise<void>;
  /** False when the channel had no such subscription. */
  remove(where: ChannelRef, roadmapId: string, kind: Subscription['kind']): Promise<boolean>;
}
