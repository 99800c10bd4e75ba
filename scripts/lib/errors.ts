// Exit codes and the one error class every script throws.
//
// Every failure a script can report ends up as an ExitError: a one-line message
// (the failing step and the fix) plus the exit code from the README's "Exit codes" table.
// cli.ts is the only place that turns it into stderr text and process.exit().

/** Exit codes, the same in every script (README "Exit codes"). */
export const EXIT = {
  OK: 0,
  INTERNAL: 1,
  USAGE: 2,
  NO_CONFIG: 3,
  CONNECTION: 4,
  TLS: 5,
  UNAUTHORIZED: 6,
  FORBIDDEN: 7,
  NOT_FOUND: 8,
  API_ERROR: 9,
  /** Stopped by SIGINT (Ctrl-C): 128 + 2, as a shell reports it. */
  INTERRUPTED: 130,
  /** Stopped by SIGTERM: 128 + 15. */
  TERMINATED: 143,
} as const;

export type ExitCode = (typeof EXIT)[keyof typeof EXIT];

export interface ExitErrorOptions {
  /** The low-level error this one explains (kept for --verbose). */
  cause?: unknown;
  /** Bytes to write to stdout before the message, e.g. the API's Status body, as curl would print it. */
  stdout?: Buffer;
  /** Print the script's usage after the message (usage errors). */
  showUsage?: boolean;
}

/** A failure with a one-line explanation and the exit code that classifies it. */
export class ExitError extends Error {
  readonly exitCode: ExitCode;
  readonly stdout: Buffer | undefined;
  readonly showUsage: boolean;

  constructor(exitCode: ExitCode, message: string, options: ExitErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'ExitError';
    this.exitCode = exitCode;
    this.stdout = options.stdout;
    this.showUsage = options.showUsage ?? false;
  }
}

/** A bad flag or argument: exit 2, usage on stderr. */
export function usageError(message: string): ExitError {
  return new ExitError(EXIT.USAGE, message, { showUsage: true });
}

/** Missing or unusable configuration (no pod, no kubeconfig, unreadable files): exit 3. */
export function configError(message: string, cause?: unknown): ExitError {
  return new ExitError(EXIT.NO_CONFIG, message, { cause });
}

export function isExitError(err: unknown): err is ExitError {
  return err instanceof ExitError;
}
