// Keep credentials out of every line we print.
//
// A bearer token is as good as a password, and stderr ends up in CI logs and
// bug reports. Every header we trace and every error message we print goes
// through redact(): it removes values registered with registerSecret() (tokens,
// client keys, proxy and URL passwords) and anything that looks like a bearer
// token, a JWT or a URL password, even if nobody registered it. An error's stack
// is printed only through redactStack(), which also drops all but the first line
// of its message: libraries put multi-line excerpts of their input there (the
// yaml parser quotes the kubeconfig around a syntax error, inline token included).

export const REDACTED = '<redacted>';

// Shorter strings are too likely to occur by accident ("a", "true") to be replaced blindly.
const MIN_SECRET_LENGTH = 8;
// A credential after "Bearer": token characters only, long enough not to be an ordinary word.
const BEARER_PATTERN = /\b(Bearer)\s+[A-Za-z0-9._~+/=-]{12,}/gi;
const JWT_PATTERN = /\beyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*/g;
// Up to the last "@" before the path: a password may hold an unescaped "@" (https://u:p@ss@host).
const URL_PASSWORD_PATTERN = /\b([a-z][a-z0-9+.-]*:\/\/[^/\s:@]*):[^/\s]*@/gi;
// WebSocket clients may carry the token as a subprotocol: base64url.bearer.authorization.k8s.io.<token>.
export const WEBSOCKET_TOKEN_PROTOCOL_PREFIX = 'base64url.bearer.authorization.k8s.io.';
const WEBSOCKET_TOKEN_PATTERN = /\bbase64url\.bearer\.authorization\.k8s\.io\.[A-Za-z0-9_-]+/g;

const secrets = new Set<string>();

/** Remember a credential so redact() removes it wherever it turns up. */
export function registerSecret(value: string | undefined): void {
  const trimmed = value?.trim();
  if (trimmed && trimmed.length >= MIN_SECRET_LENGTH) secrets.add(trimmed);
}

/** Remember the password of a URL (proxy, --server), as written and percent-decoded. */
export function registerUrlPassword(url: URL): void {
  registerSecret(url.password);
  try {
    registerSecret(decodeURIComponent(url.password));
  } catch {
    // not valid percent-encoding: the form as written is registered
  }
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

/**
 * An error's stack for --verbose: "Name: first line of the message" and the "at …" frames, redacted.
 * The rest of the message is dropped, as it may quote the input that failed to parse.
 */
export function redactStack(error: Error): string {
  const head = `${error.name}: ${error.message.split('\n', 1)[0] ?? ''}`;
  const frames = (error.stack ?? '').split('\n').filter((line) => /^\s+at /.test(line));
  return redact([head, ...frames].join('\n'));
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
