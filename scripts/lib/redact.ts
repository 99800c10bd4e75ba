// Keep credentials out of every line we print.
//
// A bearer token is as good as a password, and stderr ends up in CI logs and
// bug reports. Every header we trace and every error message we print goes
// through redact(): it removes values registered with registerSecret() (tokens,
// client keys, proxy passwords) and anything that looks like a bearer token or
// a JWT, even if nobody registered it.

export const REDACTED = '<redacted>';

// Shorter strings are too likely to occur by accident ("a", "true") to be replaced blindly.
const MIN_SECRET_LENGTH = 8;
// A credential after "Bearer": token characters only, long enough not to be an ordinary word.
const BEARER_PATTERN = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{12,}/gi;
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
const URL_PASSWORD_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s@]*@/gi;
// WebSocket clients may carry the token as a subprotocol: base64url.bearer.authorization.k8s.io.<token>.
export const WEBSOCKET_TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';
const WEBSOCKET_TOKEN_PATTERN = /\bbase64url\.bearer\.authorization\.k8s\.io\.[A-Za-z0-9_-]+/g;

const secrets = new Set<string>();

/** Remember a credential so redact() removes it wherever it turns up. */
export function registerSecret(value: string | undefined): void {
  const trimmed = value?.trim();
  if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
}

/** Forget registered secrets (unit tests). */
export function clearSecrets(): void {
  secrets.clear();
}

/** The text with every known or recognisable credential replaced by <redacted>. */
export function redact(text: string): string {
  let result = text;
  for (const secret of secrets) result = result.split(secret).join(REDACTED);
  return result
    .replace(BEARER_PATTERN, `$1 ${REDACTED}`)
    .replace(JWT_PATTERN, REDACTED)
    .replace(WEBSOCKET_TOKEN_PATTERN, `${WEBSOCKET_TOKEN_PROTOCOL_PREFIX}${REDACTED}`)
    .replace(URL_PASSWORD_PATTERN, `$1:${REDACTED}@`);
}

/** A copy of the headers that is safe to print: credentials in Authorization/Proxy-Authorization hidden. */
export function redactHeaders(headers: Readonly<Record<string, string>>): Record<string, string> {
  const safe: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers)) {
    const lower = name.toLowerCase();
    if (lower === 'authorization' || lower === 'proxy-authorization') {
      const scheme = value.split(/\s+/, 1)[0] ?? '';
      safe[name] = value.includes(' ') ? `${scheme} ${REDACTED}` : REDACTED;
    } else {
      safe[name] = redact(value);
    }
  }
  return safe;
}

/** A URL with its password (user:PASSWORD@host) hidden, e.g. a proxy URL. */
export function redactUrl(url: string): string {
  return url.replace(URL_PASSWORD_PATTERN, `$1:${REDACTED}@`);
}
