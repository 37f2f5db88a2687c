/**
 * Chat requests already accepted, shared by every replica: the memory that lets a signed
 * request be refused when it comes a second time, whichever replica it reaches. Discord
 * interactions are remembered by id, Slack requests by the keys the Slack receiver derives.
 */
export interface ReplayMemory {
  /** True the first time `id` is seen on `platform`; false for a replay. */
  firstSeen(platform: string, id: string, at: Date): Promise<boolean>;
  /**
   * firstSeen for several requests in one statement (a burst, remembered in one round trip):
   * one answer per request, in order. An id given twice is first seen once, by its first.
   */
  firstSeenMany(platform: string, seen: readonly { id: string; at: Date }[]): Promise<boolean[]>;
  /**
   * True when none of `keys` (the keys of one Slack request) was seen before; all of them are
   * remembered either way, atomically: two replicas given the same request at the same
   * instant cannot both be told it is new.
   */
  firstSeenSlack(keys: readonly string[], at: Date): Promise<boolean>;
  /**
   * firstSeenSlack for several requests in one statement: one answer per request, in order.
   * A key shared by two of them goes to the first (the second is a replay of it).
   */
  firstSeenSlackMany(
    requests: readonly { keys: readonly string[]; at: Date }[],
  ): Promise<boolean[]>;
  /** Forgets one Slack request's keys: it failed before it was taken, so a retry may run it. */
  forgetSlack(keys: readonly string[]): Promise<void>;
  /** Forgets requests seen before `before`. */
  prune(before: Date): Promise<void>;
}
