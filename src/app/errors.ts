/**
 * Expected failures of a command, each with a code: returned to people as a sentence that
 * says what to fix, never as a stack trace. Bugs stay exceptions.
 */
export type ErrorCode = 'usage' | 'invalid' | 'not_found' | 'forbidden' | 'conflict';

export class CommandError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    /** More lines: every problem when there are several, or the usage line. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'CommandError';
  }
}

export function isCommandError(error: unknown): error is CommandError {
  return error instanceof CommandError;
}

/** Exit code for the CLI: 2 for usage errors, 1 for invalid data and refusals. */
export function exitCodeOf(code: ErrorCode): 1 | 2 {
  return code === 'usage' ? 2 : 1;
}
