// API bodies as JSON: a 2xx answer the client has to read (a GET it reformats, a list, a review)
// parsed once, with a body that is not JSON reported as the API server's fault, not ours.

import { EXIT, ExitError } from './errors.ts';

/** A 2xx body as JSON; anything else is an API error (exit 9), not a bug. */
export function parseJson(body: Buffer): unknown {
  try {
    return JSON.parse(body.toString('utf8'));
  } catch (err) {
    throw new ExitError(EXIT.API_ERROR, 'the API server answered 2xx but the body is not JSON', { cause: err });
  }
}
