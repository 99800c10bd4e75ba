// Failures told as kubectl tells them (k8s.io/kubectl/pkg/cmd/util/helpers.go checkErr and
// StandardErrorMessage), so that get.ts's stderr and exit status are kubectl's:
//   Error from server (NotFound): pods "x" not found          a Status with a reason
//   Error from server: …                                      a Status without one
//   error: You must be logged in to the server (Unauthorized) 401
//   error: the server doesn't have a resource type "x"        an unknown type
// all with kubectl's exit status 1 (DefaultErrorExitCode). Several errors (several names) are one
// line each. A body that is not a Status gets the text client-go gives it
// (k8s.io/apimachinery/pkg/api/errors NewGenericServerResponse).

import { EXIT, isExitError } from '../errors.ts';
import { redact } from '../redact.ts';

/** kubectl's exit status for every error it reports (cmdutil.DefaultErrorExitCode). */
export const KUBECTL_ERROR_EXIT = EXIT.INTERNAL;

export interface Status {
  code?: number;
  reason?: string;
  message?: string;
}

/** The Status an API error carried (the body ApiClient keeps for stdout), if the server sent one. */
export function statusOf(err: unknown): Status | undefined {
  if (!isExitError(err) || err.stdout === undefined) return undefined;
  try {
    const value = JSON.parse(err.stdout.toString('utf8')) as { kind?: unknown } & Status;
    return value?.kind === 'Status' ? value : undefined;
  } catch {
    return undefined;
  }
}

/** The HTTP status of an API error (from the ExitError's message "GET …: 404 Not Found…"), 0 if none. */
function httpStatus(err: unknown): number {
  if (!isExitError(err)) return 0;
  const status = statusOf(err)?.code;
  if (typeof status === 'number' && status > 0) return status;
  return Number(/: (\d{3}) /.exec(err.message)?.[1] ?? 0);
}

/** NewGenericServerResponse's reason and message for a status whose body is not a Status. */
const GENERIC: Record<number, [string, string]> = {
  400: ['BadRequest', 'the server rejected our request for an unknown reason'],
  401: ['Unauthorized', 'the server has asked for the client to provide credentials'],
  403: ['Forbidden', 'the server does not allow access to the requested resource'],
  404: ['NotFound', 'the server could not find the requested resource'],
  405: ['MethodNotAllowed', 'the server does not allow this method on the requested resource'],
  406: ['NotAcceptable', 'the server was unable to respond with a content type that the client supports'],
  409: ['Conflict', 'the server reported a conflict'],
  410: ['Expired', 'the server could not find the requested resource'],
  415: ['UnsupportedMediaType', 'the server was unable to respond with a content type that the client supports'],
  422: ['Invalid', 'the server rejected our request due to an error in our request'],
  429: ['TooManyRequests', 'the server has received too many requests and has asked us to try again later'],
  500: ['InternalError', 'an error on the server has prevented the request from succeeding'],
  503: ['ServiceUnavailable', 'the server is currently unable to handle the request'],
  504: ['Timeout', 'the server was unable to return a response in the time allotted, but may still be processing the request'],
};

/** kubectl's line for an error the API server answered with; undefined for anything else (connection, TLS, config). */
export function kubectlMessage(err: unknown): string | undefined {
  const code = httpStatus(err);
  if (code < 400) return undefined;
  const status = statusOf(err);
  const [genericReason, genericMessage] = GENERIC[code] ?? ['', `an error on the server has prevented the request from succeeding`];
  const reason = status ? (status.reason ?? '') : genericReason;
  const message = status ? (status.message ?? '') : genericMessage;
  if (reason === 'Unauthorized') return `error: You must be logged in to the server (${message})`;
  return reason === '' ? `Error from server: ${message}` : `Error from server (${reason}): ${message}`;
}

/** Whether an API error is 410 Gone/Expired (an expired continue token or resourceVersion). */
export function isExpired(err: unknown): boolean {
  return httpStatus(err) === 410;
}

/** kubectl's stderr lines (errors, "No resources found"), through redact(), as one write; a newline ends each unless it has one (cmdutil's fatal). */
export function writeStderrLines(lines: readonly string[]): void {
  if (lines.length > 0) process.stderr.write(redact(lines.map((line) => (line.endsWith('\n') ? line : `${line}\n`)).join('')));
}
