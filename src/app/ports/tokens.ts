/** A push API bearer token as listed: never the token itself, which is shown once. */
export interface ApiToken {
  id: number;
  name: string;
  prefix: string;
  roadmaps: string[];
  createdBy: string;
  createdAt: Date;
  revokedAt?: Date;
  lastUsedAt?: Date;
}

/** API tokens: created (shown once), listed, revoked, and counted per minute per token. */
export interface Tokens {
  /** A new random token; only its hash is stored. */
  create(
    name: string,
    roadmaps: string[],
    createdBy: string,
    now: Date,
  ): Promise<{ token: string; id: number }>;
  list(): Promise<ApiToken[]>;
  /** Revokes by id or name; false when no live token matched. */
  revoke(idOrName: string, now: Date): Promise<boolean>;
  /**
   * The live token a bearer string belongs to, with this request counted in the token's
   * current minute (the count every replica shares). Undefined for an unknown or revoked
   * token, and then nothing is counted.
   */
  authenticateAndCount(
    token: string,
    now: Date,
  ): Promise<{ token: ApiToken; count: number; windowEnd: Date } | undefined>;
  /** Forgets counts of windows long past. */
  pruneRateWindows(now: Date): Promise<void>;
}

/** True when a token may touch the roadmap. */
export function tokenAllows(token: Pick<ApiToken, 'roadmaps'>, roadmapId: string): boolean {
  return token.roadmaps.includes('*') || token.roadmaps.includes(roadmapId);
}
