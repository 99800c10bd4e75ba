// stderr is the story: warnings, notes and the --verbose trace.
//
// stdout carries only the payload (what curl would print), so everything a
// human should read goes here, and every line passes through redact() first.
// The trace uses curl -v's prefixes: "*" for information, ">" for what we send,
// "<" for what we receive.

import { redact } from './redact.ts';

export interface Log {
  /** Whether --verbose is on (to skip building expensive trace lines). */
  readonly verboseEnabled: boolean;
  /** A --verbose trace line ("* config: …", "> GET …", "< HTTP/1.1 200 OK"). */
  verbose(line: string): void;
  /** Always shown: "warning: …". */
  warn(message: string): void;
  /** Always shown: "note: …" (e.g. how to fill in $TOKEN for --print-curl). */
  note(message: string): void;
}

export type LineWriter = (line: string) => void;

const writeStderrLine: LineWriter = (line) => {
  process.stderr.write(`${line}\n`);
};

export function createLog(options: { verbose: boolean; write?: LineWriter }): Log {
  const write = options.write ?? writeStderrLine;
  return {
    verboseEnabled: options.verbose,
    verbose(line) {
      if (options.verbose) write(redact(line));
    },
    warn(message) {
      write(redact(`warning: ${message}`));
    },
    note(message) {
      write(redact(`note: ${message}`));
    },
  };
}

/** A Log that drops everything (unit tests, library use). */
export const SILENT_LOG: Log = {
  verboseEnabled: false,
  verbose() {},
  warn() {},
  note() {},
};
