/** When each metric's collector runs next, and whether it is failing (which `status` shows). */
export interface CollectorStates {
  /**
   * Takes the run due at `now` for this replica, moving the next run to `nextRunAt`: true for
   * exactly one replica of those asking for the same run.
   */
  claim(roadmapId: string, metric: string, now: Date, nextRunAt: Date): Promise<boolean>;
  /** A run succeeded: any failure is cleared. */
  succeeded(roadmapId: string, metric: string, now: Date): Promise<void>;
  /**
   * Records that a collector is failing: keeps the first failure's time, replaces the
   * message. True when it was not failing before, so the caller warns once.
   */
  failing(roadmapId: string, metric: string, now: Date, message: string): Promise<boolean>;
  /** Clears a failure whose message starts with `prefix` (its cause is known to be gone). */
  clearFailure(roadmapId: string, metric: string, prefix: string): Promise<void>;
}

/**
 * The SQL collector: runs a metric's query on a product database (not the bot's), read-only,
 * and only as a role that may only read. Verdicts on roles are cached per connection string
 * for a while. Failures are CollectorErrors (src/app/collectors/sql.ts), in words for status.
 */
export interface SqlCollector {
  /** True when the role behind `url` was checked recently enough that no check is due. */
  checked(url: string, now: Date): boolean;
  /** Why the role behind `url` is refused, or undefined when it may only read. */
  checkRole(url: string, timeoutMs: number, now: Date): Promise<string | undefined>;
  /** The single number the query returns. */
  run(url: string, sql: string, timeoutMs: number, now: Date): Promise<number>;
}

/** One way the role a SQL collector connects as could change something. */
export interface RoleFinding {
  /** The role that has it: the connecting role or a role it is a member of. */
  role: string;
  /** What it can do, in words: "INSERT on public.orders", "SUPERUSER", "dblink". */
  what: string;
}
