import type pg from 'pg';

/**
 * Client-side database time, by kind of statement: every query of a pool's clients is timed
 * from the call to its result (round trip and server time; waiting for a free pooled client is
 * not counted). Classes come from the SQL text, so the code under test is not touched.
 */
export interface QueryClass {
  count: number;
  ms: number;
}

export type Classifier = (sql: string) => string;

type QueryFn = (...args: unknown[]) => unknown;
type Callback = (err: unknown, res: unknown) => void;

export class QueryMeter {
  readonly classes = new Map<string, QueryClass>();
  /** Epoch ms at which each class last completed a statement (sub-millisecond). */
  readonly lastAt = new Map<string, number>();
  readonly firstAt = new Map<string, number>();

  constructor(private readonly classify: Classifier) {}

  record(sql: string, ms: number): void {
    const cls = this.classify(sql);
    const entry = this.classes.get(cls) ?? { count: 0, ms: 0 };
    entry.count++;
    entry.ms += ms;
    this.classes.set(cls, entry);
    const at = performance.timeOrigin + performance.now();
    if (!this.firstAt.has(cls)) this.firstAt.set(cls, at);
    this.lastAt.set(cls, at);
  }

  get(cls: string): QueryClass {
    return this.classes.get(cls) ?? { count: 0, ms: 0 };
  }

  reset(): void {
    this.classes.clear();
    this.lastAt.clear();
    this.firstAt.clear();
  }

  /** Times every query of every client the pool connects from now on. */
  attach(pool: pg.Pool): void {
    pool.on('connect', (client) => this.wrap(client));
  }

  private wrap(client: pg.PoolClient): void {
    const target = client as unknown as { query: QueryFn };
    const original = target.query;
    target.query = (...args: unknown[]): unknown => {
      const first = args[0];
      const sql =
        typeof first === 'string'
          ? first
          : typeof (first as { text?: unknown })?.text === 'string'
            ? (first as { text: string }).text
            : '';
      const started = performance.now();
      const done = (): void => this.record(sql, performance.now() - started);
      const last = args[args.length - 1];
      if (typeof last === 'function') {
        // pg.Pool#query calls client.query(text, values, callback).
        const callback = last as Callback;
        args[args.length - 1] = (err: unknown, res: unknown) => {
          done();
          callback(err, res);
        };
        return original.apply(client, args);
      }
      const result = original.apply(client, args);
      if (result && typeof (result as Promise<unknown>).then === 'function')
        (result as Promise<unknown>).then(done, done);
      return result;
    };
  }
}
