/**
 * Every way a request can fail, in one place (as bolt-js lists its codes in src/errors.ts).
 * Expected failures are a `CommandError` with one of these codes, returned to people as a
 * sentence that says what to fix, never as a stack trace. Adapters map the code, never the
 * message text: the CLI to an exit code (`exitCodeOf`), the push API to an HTTP status
 * (src/adapters/http/api.ts), chat to the sentence itself or, for `internal`, an apology.
 * Adding a code fails the type-check until every such map has it.
 */
export const ERROR_CODES = {
  usage:
    'the command line does not match the command (a missing, extra or unknown word); the usage line goes with it',
  invalid: 'a value, a file or a batch of points is wrong; nothing was changed',
  not_found: 'a roadmap, metric, gate, alert, token, delivery or file that does not exist',
  forbidden:
    'not allowed: changing state from chat without being an admin, or a token outside its roadmaps',
  conflict:
    'not possible in the current state (gates still open, an alert not firing, a name taken)',
  unauthorized: 'no push API token, or one unknown or revoked',
  rate_limited: 'more push API requests for one token in a minute than allowed',
  too_many_points: 'more points in one push than the API takes',
  payload_too_large: 'a request body over the size limit',
  unsupported_media_type: 'a request body of a type the API does not read',
  bad_request: 'a request the HTTP server could not read (a body that is not JSON, a bad URL)',
  internal: 'a bug or an outage: logged where it happened; the person gets an apology',
} as const;

export type ErrorCode = keyof typeof ERROR_CODES;

/** One refused item of a batch (a pushed point, a CSV line): which one, which field, what was expected. */
export interface FieldProblem {
  index: number;
  field: string;
  message: string;
}

export interface CommandErrorOptions {
  /**
   * The command's usage, for a `usage` error (`record <metric> <value>`): kept apart from the
   * message so each adapter shows it in its own form (Discord as the slash command).
   */
  usage?: string;
  /** Every refused item of a batch, for adapters that list them (the push API's `errors`). */
  problems?: readonly FieldProblem[];
  /** How long to wait before trying again (`rate_limited`). */
  retryAfterSeconds?: number;
  /** The error this one stands for (`internal`). */
  cause?: unknown;
}

export class CommandError extends Error {
  readonly usage?: string;
  readonly problems?: readonly FieldProblem[];
  readonly retryAfterSeconds?: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    /** More lines: every problem when there are several. */
    readonly details: string[] = [],
    options: CommandErrorOptions = {},
  ) {
    super(message, options.cause !== undefined ? { cause: options.cause } : undefined);
    this.name = 'CommandError';
    if (options.usage !== undefined) this.usage = options.usage;
    if (options.problems !== undefined) this.problems = options.problems;
    if (options.retryAfterSeconds !== undefined) this.retryAfterSeconds = options.retryAfterSeconds;
  }

  /** The same error with the command's usage attached (when it has none yet). */
  withUsage(usage: string): CommandError {
    if (this.usage !== undefined) return this;
    return new CommandError(this.code, this.message, this.details, {
      usage,
      ...(this.problems ? { problems: this.problems } : {}),
      ...(this.retryAfterSeconds !== undefined
        ? { retryAfterSeconds: this.retryAfterSeconds }
        : {}),
    });
  }
}

/** The name bolt-js gives it: an error that carries one of the codes above. */
export type CodedError = CommandError;

export function isCodedError(error: unknown): error is CommandError {
  return error instanceof CommandError;
}

/** Kept for the callers that knew it by this name. */
export const isCommandError = isCodedError;

/** Any thrown value as a coded error: an unexpected one (a bug, an outage) is `internal`. */
export function asCodedError(error: unknown): CommandError {
  if (isCodedError(error)) return error;
  return new CommandError('internal', error instanceof Error ? error.message : String(error), [], {
    cause: error,
  });
}

/** Exit code for the CLI: 2 for usage errors, 1 for invalid data, refusals and failures. */
export function exitCodeOf(code: ErrorCode): 1 | 2 {
  return code === 'usage' ? 2 : 1;
}
