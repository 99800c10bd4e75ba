// The command line: flags parsed once, --help, usage errors, stdout/stderr, and
// the one final place where any outcome becomes an exit code.
//
// Every script calls runScript(spec, main). main gets a Cli: the parsed
// arguments, a Log for stderr, the environment (variables, home and
// service-account directories; injected, or the process's), the configuration
// resolved from both, an ApiClient, and printCurl() for --print-curl.
// outputFormat() and requireApiPath() check the flags and arguments several
// scripts share. Whatever main throws (or anything thrown later,
// uncaught) is reported here as one line on stderr (never a stack trace, unless
// --verbose asks for it), always through redact(), with the exit code from
// errors.ts; an API error's Status body still goes to stdout first, exactly as
// curl prints it (the message then starts on its own line when both streams reach
// one terminal, file or pipe: output.ts stderrLineBreak). SIGINT and SIGTERM end
// the run with 130 and 143, unless the script handles them itself (proxy.ts stops
// gracefully and exits 0).

import { basename } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { parseArgs } from 'node:util';
import {
  processEnvironment,
  resolveConfig,
  withServiceAccountDir,
  type ConfigEnvironment,
  type ConnectionFlags,
  type ResolvedConfig,
} from './config.ts';
import { loadCredentials, type Credentials } from './credentials.ts';
import { renderCurl } from './curl.ts';
import { EXIT, isExitError, usageError, type ExitCode } from './errors.ts';
import { parseDurationFlag } from './duration.ts';
import { ApiClient, type ApiRequest } from './http.ts';
import { createLog, type Log } from './log.ts';
import { noteStdoutWritten, stderrLineBreak } from './output.ts';
import { redact, redactStack, registerUrlPassword } from './redact.ts';

export interface OptionSpec {
  type: 'string' | 'boolean';
  short?: string;
  /** Repeatable (--can A --can B): the value is every occurrence, in order. */
  multiple?: boolean;
}
export type OptionSpecs = Record<string, OptionSpec>;
export type OptionValues<O extends OptionSpecs> = {
  [K in keyof O]?: O[K]['type'] extends 'string' ? (O[K]['multiple'] extends true ? string[] : string) : boolean;
};

/** Flags every script accepts, kubectl's names where kubectl has one. */
export const CONNECTION_OPTIONS = {
  server: { type: 'string' },
  'token-file': { type: 'string' },
  'certificate-authority': { type: 'string' },
  'insecure-skip-tls-verify': { type: 'boolean' },
  kubeconfig: { type: 'string' },
  context: { type: 'string' },
  'sa-dir': { type: 'string' },
  namespace: { type: 'string', short: 'n' },
  'request-timeout': { type: 'string' },
  'print-curl': { type: 'boolean' },
  verbose: { type: 'boolean', short: 'v' },
  help: { type: 'boolean', short: 'h' },
} as const satisfies OptionSpecs;

export const CONNECTION_FLAGS_USAGE = `Connection flags (every script; first match wins: flags, $KUBECONFIG, ~/.kube/config, in-cluster):
      --server URL                  API server, e.g. https://kubernetes.default.svc or http://localhost:8001
      --token-file FILE             bearer token file (re-read every minute and after a 401)
      --certificate-authority FILE  CA bundle to verify the server with
      --insecure-skip-tls-verify    do not verify the server certificate (never do this in production)
      --kubeconfig FILE             use this kubeconfig instead of $KUBECONFIG or ~/.kube/config
      --context NAME                kubeconfig context to use
      --sa-dir DIR                  read the service-account token, ca.crt and namespace from DIR instead of
                                    /var/run/secrets/kubernetes.io/serviceaccount (kubectl debug: /proc/1/root/…)
  -n, --namespace NS                namespace (default: context, then the pod's namespace file, then "default")
      --request-timeout DURATION    give up after this long: 0 (never, the default), 30 (seconds), 30s, 1m
      --print-curl                  print the equivalent curl command and exit without sending anything
  -v, --verbose                     trace configuration and HTTP on stderr (the token is never shown)
  -h, --help                        show this help`;

export interface ArgumentSpec {
  name: string;
  required: boolean;
  /** The last argument only: it also takes every positional after it (get.ts RESOURCE NAME...). */
  repeated?: boolean;
}

export interface ScriptSpec<O extends OptionSpecs> {
  /** Script name without extension, used in the User-Agent: "get-api". */
  name: string;
  /** Usage text: the Usage: line, a description and the script's own flags. */
  usage: string;
  options: O;
  arguments: ArgumentSpec[];
}

/** Write to stdout and wait until it is flushed (so exiting right after loses nothing). */
export function writeStdout(data: string | Uint8Array): Promise<void> {
  noteStdoutWritten(data);
  return new Promise((resolve, reject) => {
    process.stdout.write(data, (err) => (err ? reject(err) : resolve()));
  });
}

/**
 * The name the tool was invoked as, for its Usage lines: the file run ("get-api.ts" under tsx,
 * "get-api.mjs", "get-api" through a link), or what the multi-tool bundle's dispatcher sets
 * ("kube-in-pod get-api"; tools/dispatch.ts INVOKED_AS); the script's own name for `node -` (stdin).
 */
function invokedName(spec: ScriptSpec<OptionSpecs>): string {
  const dispatched = (globalThis as Record<symbol, unknown>)[Symbol.for('kube-in-pod.invoked-as')];
  if (typeof dispatched === 'string') return dispatched;
  const file = basename(process.argv[1] ?? '-');
  return file === '-' || file === '' ? spec.name : file;
}

function fullUsage(spec: ScriptSpec<OptionSpecs>): string {
  // USAGE texts name the script as "get-api.ts" (its Usage line and examples).
  const usage = spec.usage.trimEnd().replaceAll(`${spec.name}.ts`, invokedName(spec));
  return `${usage}\n\n${CONNECTION_FLAGS_USAGE}\n`;
}

/** The raw arguments ask for help (before any "--"). */
function wantsHelp(args: readonly string[]): boolean {
  const end = args.indexOf('--');
  return (end === -1 ? args : args.slice(0, end)).some((arg) => arg === '-h' || arg === '--help');
}

function parseFailure(err: unknown): Error {
  const code = (err as { code?: string }).code;
  const message = (err as Error).message;
  if (code === 'ERR_PARSE_ARGS_UNKNOWN_OPTION') {
    const flag = /'([^']+)'/.exec(message)?.[1] ?? message;
    return usageError(`unknown flag ${flag}`);
  }
  if (code?.startsWith('ERR_PARSE_ARGS_')) return usageError(message.replace(/\.$/, '').replace(/^Option/, 'flag'));
  return err as Error;
}

/**
 * The -o/--output value among the formats a script prints; none given is the first of them.
 * An unknown one is a usage error in kubectl's words (cli-runtime's NoCompatiblePrinterError).
 */
export function outputFormat<F extends string>(value: string | undefined, formats: readonly [F, ...F[]]): F {
  if (value === undefined) return formats[0];
  if ((formats as readonly string[]).includes(value)) return value as F;
  const allowed = [...formats].sort().join(',');
  throw usageError(`unable to match a printer suitable for the output format ${JSON.stringify(value)}, allowed formats are: ${allowed}`);
}

/** A PATH argument: an absolute API path ("/api/v1"), else a usage error. */
export function requireApiPath(path: string): string {
  if (!path.startsWith('/')) throw usageError(`PATH must start with "/" (got ${path})`);
  return path;
}

export interface ParsedCommandLine<O extends OptionSpecs> {
  help: boolean;
  options: OptionValues<O>;
  positionals: string[];
  flags: ConnectionFlags;
  verbose: boolean;
  printCurl: boolean;
  requestTimeoutMs: number;
}

/** Parse argv once: kubectl-like flags (--flag=value and --flag value), then check the positionals. */
export function parseCommandLine<O extends OptionSpecs>(spec: ScriptSpec<O>, args: readonly string[]): ParsedCommandLine<O> {
  const empty: ParsedCommandLine<O> = {
    help: true,
    options: {},
    positionals: [],
    flags: {},
    verbose: false,
    printCurl: false,
    requestTimeoutMs: 0,
  };
  if (wantsHelp(args)) return empty;
  let parsed: { values: Record<string, string | boolean | undefined>; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...args],
      options: { ...CONNECTION_OPTIONS, ...spec.options },
      allowPositionals: true,
      strict: true,
    }) as typeof parsed;
  } catch (err) {
    throw parseFailure(err);
  }
  const values = parsed.values;
  const text = (name: string) => (typeof values[name] === 'string' ? (values[name] as string) : undefined);
  const required = spec.arguments.filter((arg) => arg.required);
  const missing = required.slice(parsed.positionals.length);
  if (missing.length > 0) throw usageError(`missing ${missing.map((arg) => arg.name).join(' ')}`);
  if (parsed.positionals.length > spec.arguments.length && spec.arguments.at(-1)?.repeated !== true) {
    throw usageError(`unexpected argument ${parsed.positionals[spec.arguments.length]}`);
  }
  const timeout = text('request-timeout');
  const options: Record<string, string | boolean | undefined> = {};
  for (const name of Object.keys(spec.options)) options[name] = values[name];
  return {
    help: false,
    options: options as OptionValues<O>,
    positionals: parsed.positionals,
    flags: {
      server: text('server'),
      tokenFile: text('token-file'),
      certificateAuthority: text('certificate-authority'),
      insecureSkipTlsVerify: values['insecure-skip-tls-verify'] === true,
      kubeconfig: text('kubeconfig'),
      context: text('context'),
      namespace: text('namespace'),
      serviceAccountDir: text('sa-dir'),
    },
    verbose: values.verbose === true,
    printCurl: values['print-curl'] === true,
    requestTimeoutMs: timeout === undefined ? 0 : parseDurationFlag('--request-timeout', timeout),
  };
}

/** What a script's main() works with. */
export class Cli<O extends OptionSpecs> {
  readonly name: string;
  readonly options: OptionValues<O>;
  readonly positionals: string[];
  readonly flags: ConnectionFlags;
  readonly requestTimeoutMs: number;
  /** --print-curl was given: render requests with printCurl() instead of sending them. */
  readonly printCurlOnly: boolean;
  readonly log: Log;
  /** Environment variables, home and service-account directories: the only ones this run reads. */
  readonly environment: ConfigEnvironment;
  /**
   * The exit code when main returns without throwing, after everything it printed: 0 unless main
   * says otherwise (can-i.ts's "no" is 1, as kubectl auth can-i's; README "Exit codes").
   */
  exitCode: ExitCode = EXIT.OK;
  private resolved: ResolvedConfig | undefined;
  private apiClient: Promise<ApiClient> | undefined;

  constructor(name: string, parsed: ParsedCommandLine<O>, log: Log, environment: ConfigEnvironment = processEnvironment()) {
    this.name = name;
    this.options = parsed.options;
    this.positionals = parsed.positionals;
    this.flags = parsed.flags;
    this.requestTimeoutMs = parsed.requestTimeoutMs;
    this.printCurlOnly = parsed.printCurl;
    this.log = log;
    this.environment = withServiceAccountDir(parsed.flags, environment);
  }

  /** Server, TLS, credentials and namespace, resolved once (config.ts). */
  config(): ResolvedConfig {
    if (this.resolved === undefined) {
      this.resolved = resolveConfig(this.flags, this.environment);
      registerUrlPassword(new URL(this.resolved.server));
    }
    return this.resolved;
  }

  /** The one ApiClient of this run (created on first use, closed by runScript). */
  client(): Promise<ApiClient> {
    if (this.apiClient === undefined) {
      const config = this.config();
      this.apiClient = loadCredentials(config).then((credentials) => this.openClient(config, credentials));
    }
    return this.apiClient;
  }

  /**
   * The one ApiClient of this run, from a configuration and the credentials loadCredentials() read
   * from it (a flow script that shows the recipe's steps calls these in order); the CA is read here.
   */
  connect(config: ResolvedConfig, credentials: Credentials): Promise<ApiClient> {
    this.apiClient ??= this.openClient(config, credentials);
    return this.apiClient;
  }

  private openClient(config: ResolvedConfig, credentials: Credentials): Promise<ApiClient> {
    return ApiClient.connect(config, credentials, { scriptName: this.name, requestTimeoutMs: this.requestTimeoutMs, log: this.log });
  }

  /** --print-curl: the curl command on stdout, what the reader must know on stderr. */
  async printCurl(request: ApiRequest, ...extraNotes: string[]): Promise<void> {
    const config = this.config();
    this.log.verbose(`* config: ${config.source.description}`);
    const curl = renderCurl(config, request, { requestTimeoutMs: this.requestTimeoutMs });
    for (const note of [...curl.notes, ...extraNotes]) this.log.note(note);
    // renderCurl prints no credential; redact() is the net under it, as for every stderr line.
    await writeStdout(`${redact(curl.command)}\n`);
  }

  async close(): Promise<void> {
    const client = await this.apiClient?.catch(() => undefined);
    await client?.close();
  }
}

/** Turn a failure into stderr text (and stdout for an API Status body); returns the exit code. */
export async function reportFailure(err: unknown, usage: string, verbose: boolean): Promise<number> {
  const stack = (error: unknown) => {
    if (verbose && error instanceof Error) process.stderr.write(`${redactStack(error)}\n`);
  };
  if (isExitError(err)) {
    if (err.stdout !== undefined && err.stdout.length > 0) await writeStdout(err.stdout);
    process.stderr.write(`${stderrLineBreak()}error: ${redact(err.message)}\n`);
    if (err.showUsage) process.stderr.write(`\n${usage}`);
    stack(err.cause);
    return err.exitCode;
  }
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`${stderrLineBreak()}error: unexpected: ${redact(message)} (a bug; rerun with --verbose for details)\n`);
  stack(err);
  return EXIT.INTERNAL;
}

/** The exit code for a stop signal (README "Exit codes"). */
const SIGNAL_EXIT_CODES = { SIGINT: EXIT.INTERRUPTED, SIGTERM: EXIT.TERMINATED } as const;
/** How long a stop may wait for stdout to drain (a reader that stopped reading must not hold us). */
const STOP_FLUSH_MS = 1000;

/** Run a script: parse, call main, report, close the client, exit. The only process.exit(). */
export async function runScript<O extends OptionSpecs>(spec: ScriptSpec<O>, main: (cli: Cli<O>) => Promise<void>): Promise<never> {
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    // The reader went away (| head): nothing left to say.
    if (err.code === 'EPIPE') process.exit(EXIT.OK);
  });
  const usage = fullUsage(spec);
  const args = process.argv.slice(2);
  const verbose = args.includes('--verbose') || args.includes('-v');
  let stopping = false;
  for (const [signal, code] of Object.entries(SIGNAL_EXIT_CODES)) {
    process.on(signal, () => {
      // A script with its own handler (proxy.ts's graceful shutdown) decides how it ends.
      if (process.listenerCount(signal) > 1) return;
      if (stopping) process.exit(code);
      stopping = true;
      // What main printed so far is complete output; nothing is said about the interruption itself.
      void Promise.race([writeStdout(''), sleep(STOP_FLUSH_MS)]).finally(() => process.exit(code));
    });
  }
  // A failure outside main's promise chain would otherwise reach stderr as Node's raw, unredacted trace.
  process.on('uncaughtException', (err) => {
    void reportFailure(err, usage, verbose).then(
      (code) => process.exit(code),
      () => process.exit(EXIT.INTERNAL),
    );
  });
  let exitCode: number = EXIT.OK;
  let cli: Cli<O> | undefined;
  try {
    const parsed = parseCommandLine(spec, args);
    if (parsed.help) {
      await writeStdout(usage);
    } else {
      cli = new Cli(spec.name, parsed, createLog({ verbose: parsed.verbose }));
      await main(cli);
      exitCode = cli.exitCode;
    }
  } catch (err) {
    // Once stopping, a failure is the interruption's own doing (e.g. a cut stream): not reported.
    if (!stopping) exitCode = await reportFailure(err, usage, verbose);
  }
  // The signal handler exits with the signal's code.
  if (stopping) return new Promise<never>(() => undefined);
  await cli?.close().catch(() => undefined);
  process.exit(exitCode);
}
