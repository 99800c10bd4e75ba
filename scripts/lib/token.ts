// The bearer token: read from a file, re-read so rotation never breaks a long run,
// and decoded (never verified) so we can explain what it says.
//
// kubelet rewrites the projected token well before it expires (at 80% of its
// lifetime, ~48 minutes for the default 3607 s) by swapping the `..data`
// symlink atomically. A client that reads the file once fails with 401 an hour
// (or, with the extension, a year) later. So, as sig-auth
// recommends (kubernetes#68164), we re-read the file when our copy is older than
// a minute, and once more right after a 401.

import { configError } from './errors.ts';
import { readConfigFile } from './files.ts';
import { registerSecret } from './redact.ts';

/** Re-read the token file when our copy is older than this. */
export const TOKEN_MAX_AGE_MS = 60_000;

export interface TokenFileOptions {
  maxAgeMs?: number;
  now?: () => number;
  read?: (path: string) => string;
}

// A bearer token is one run of visible ASCII (RFC 6750's b64token and every static token kubectl
// sends fit in it). Anything else would make an invalid Authorization header, which undici
// refuses at send time: a configuration problem, so it is found and named when the token is read.
const TOKEN_CHARACTER = /^[\x21-\x7e]$/;

function describeCharacter(char: string): string {
  if (char === '\n') return 'a newline';
  if (char === '\r') return 'a carriage return';
  if (char === '\t') return 'a tab';
  if (char === ' ') return 'a space';
  return char.charCodeAt(0) < 0x80 ? 'a control character' : 'a non-ASCII character';
}

/**
 * Why `token` cannot be sent as a bearer token, e.g. "contains a newline inside the token (byte 17)",
 * or undefined if it can. Bytes are counted in UTF-8 from `firstByte` (where the token starts in its
 * file); the token itself is never quoted.
 */
export function tokenDefect(token: string, firstByte = 1): string | undefined {
  let byte = firstByte;
  for (const char of token) {
    if (!TOKEN_CHARACTER.test(char)) return `contains ${describeCharacter(char)} inside the token (byte ${byte})`;
    byte += Buffer.byteLength(char);
  }
  return undefined;
}

/** The fix that goes with tokenDefect(). */
export const TOKEN_FIX = 'a token is one line of visible ASCII characters; write just the token (a final newline is fine)';

/** A token kept in a file (service-account token, --token-file, kubeconfig tokenFile). */
export class TokenFile {
  readonly path: string;
  private readonly maxAgeMs: number;
  private readonly now: () => number;
  private readonly read: ((path: string) => string) | undefined;
  private token: string | undefined;
  private readAt = 0;

  constructor(path: string, options: TokenFileOptions = {}) {
    this.path = path;
    this.maxAgeMs = options.maxAgeMs ?? TOKEN_MAX_AGE_MS;
    this.now = options.now ?? Date.now;
    this.read = options.read;
  }

  /** The token, re-read from disk if our copy is older than maxAgeMs. */
  get(): string {
    if (this.token === undefined || this.now() - this.readAt >= this.maxAgeMs) this.load();
    return this.token as string;
  }

  /** Read the file again now (after a 401). `changed` says whether retrying can help. */
  reload(): { token: string; changed: boolean } {
    const before = this.token;
    this.load();
    return { token: this.token as string, changed: this.token !== before };
  }

  private load(): void {
    const text = readConfigFile(this.path, 'token file', {
      read: this.read,
      hint: (code) =>
        code === 'ENOENT'
          ? 'is automountServiceAccountToken false, or the path wrong? pass --token-file'
          : code === 'EACCES' || code === 'EPERM'
            ? 'check its permissions'
            : undefined,
    });
    const token = text.trim();
    if (token === '') throw configError(`token file ${this.path} is empty`);
    registerSecret(token);
    // Bytes counted in the file (what trim() dropped in front included), so `od -c` finds the culprit.
    const defect = tokenDefect(token, Buffer.byteLength(text.slice(0, text.indexOf(token))) + 1);
    if (defect !== undefined) throw configError(`token file ${this.path}: ${defect}: ${TOKEN_FIX}`);
    this.token = token;
    this.readAt = this.now();
  }
}

// ---------------------------------------------------------------------------
// JWT decoding (no signature check: we only explain what the token claims).

export class JwtFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'JwtFormatError';
  }
}

export type JsonObject = Record<string, unknown>;

export interface DecodedJwt {
  header: JsonObject;
  claims: JsonObject;
}

function decodeSegment(segment: string, what: string): JsonObject {
  if (!/^[A-Za-z0-9_-]*={0,2}$/.test(segment)) throw new JwtFormatError(`the token's ${what} is not base64url`);
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(segment, 'base64url').toString('utf8'));
  } catch {
    throw new JwtFormatError(`the token's ${what} is not JSON`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new JwtFormatError(`the token's ${what} is not a JSON object`);
  }
  return value as JsonObject;
}

/** Split header.payload.signature and decode the first two parts. Throws JwtFormatError. */
export function decodeJwt(token: string): DecodedJwt {
  const parts = token.trim().split('.');
  if (parts.length !== 3) {
    throw new JwtFormatError(`not a JWT: expected 3 dot-separated parts, found ${parts.length}`);
  }
  return { header: decodeSegment(parts[0] ?? '', 'header'), claims: decodeSegment(parts[1] ?? '', 'payload') };
}

/** `iss` of a legacy, Secret-based token (pkg/serviceaccount/legacy.go). */
export const LEGACY_ISSUER = 'kubernetes/serviceaccount';
/** expirationSeconds the ServiceAccount admission plugin asks for: 1 h + 7 s marks "extend me". */
export const WARN_ONLY_EXPIRATION_SECONDS = 3607;
/**
 * A token carrying `warnafter` that lives longer than a day can only be the extension:
 * kubelet never keeps a token longer than 24 h, so nobody would ask for more.
 */
export const EXTENDED_MIN_LIFETIME_SECONDS = 24 * 60 * 60;

export interface ObjectRef {
  name: string;
  uid?: string;
}

export type ServiceAccountTokenKind = 'bound' | 'legacy' | 'other';

/**
 * What a service-account token says about itself: the claims kube-apiserver's service-account
 * issuer writes (pkg/serviceaccount/claims.go: the kubernetes.io private claims, warnafter).
 */
export interface ServiceAccountTokenInfo {
  /** bound: TokenRequest/projected; legacy: Secret-based, never expires; other: not a service-account token. */
  kind: ServiceAccountTokenKind;
  algorithm?: string;
  keyId?: string;
  issuer?: string;
  subject?: string;
  audiences: string[];
  jti?: string;
  namespace?: string;
  serviceAccount?: ObjectRef;
  pod?: ObjectRef;
  node?: ObjectRef;
  secret?: ObjectRef;
  issuedAt?: Date;
  notBefore?: Date;
  expiresAt?: Date;
  warnAfter?: Date;
  /** exp − iat. */
  lifetimeSeconds?: number;
  /** warnafter present and the lifetime far beyond 3607 s: the apiserver extended it (to a year upstream). */
  extended: boolean;
  /** now > warnafter: a strict server would already reject it; kubelet should have rotated it. */
  stale: boolean;
  expired: boolean;
}

function stringClaim(claims: JsonObject, key: string): string | undefined {
  const value = claims[key];
  return typeof value === 'string' ? value : undefined;
}

function dateClaim(claims: JsonObject, key: string): Date | undefined {
  const value = claims[key];
  return typeof value === 'number' && Number.isFinite(value) ? new Date(value * 1000) : undefined;
}

function refClaim(claims: JsonObject, key: string): ObjectRef | undefined {
  const value = claims[key];
  if (typeof value !== 'object' || value === null) return undefined;
  const { name, uid } = value as JsonObject;
  if (typeof name !== 'string') return undefined;
  return typeof uid === 'string' ? { name, uid } : { name };
}

/** "system:serviceaccount:NS:NAME" → {namespace, name}. */
function parseServiceAccountSubject(subject: string | undefined): { namespace: string; name: string } | undefined {
  const match = /^system:serviceaccount:([^:]+):([^:]+)$/.exec(subject ?? '');
  return match ? { namespace: match[1] ?? '', name: match[2] ?? '' } : undefined;
}

/** Interpret the claims of a decoded service-account token as of `now`. */
export function describeServiceAccountToken(jwt: DecodedJwt, now: Date): ServiceAccountTokenInfo {
  const { header, claims } = jwt;
  const issuer = stringClaim(claims, 'iss');
  const subject = stringClaim(claims, 'sub');
  const fromSubject = parseServiceAccountSubject(subject);
  const aud = claims.aud;
  const audiences = typeof aud === 'string' ? [aud] : Array.isArray(aud) ? aud.filter((a) => typeof a === 'string') : [];
  const common = {
    algorithm: stringClaim(header, 'alg'),
    keyId: stringClaim(header, 'kid'),
    issuer,
    subject,
    audiences,
    jti: stringClaim(claims, 'jti'),
  };

  if (issuer === LEGACY_ISSUER) {
    const name = stringClaim(claims, 'kubernetes.io/serviceaccount/service-account.name') ?? fromSubject?.name;
    const uid = stringClaim(claims, 'kubernetes.io/serviceaccount/service-account.uid');
    const secretName = stringClaim(claims, 'kubernetes.io/serviceaccount/secret.name');
    return {
      kind: 'legacy',
      ...common,
      namespace: stringClaim(claims, 'kubernetes.io/serviceaccount/namespace') ?? fromSubject?.namespace,
      serviceAccount: name === undefined ? undefined : uid === undefined ? { name } : { name, uid },
      secret: secretName === undefined ? undefined : { name: secretName },
      extended: false,
      stale: false,
      expired: false,
    };
  }

  const k8s = claims['kubernetes.io'];
  const kubernetes = typeof k8s === 'object' && k8s !== null ? (k8s as JsonObject) : undefined;
  const issuedAt = dateClaim(claims, 'iat');
  const expiresAt = dateClaim(claims, 'exp');
  const warnAfter = kubernetes ? dateClaim(kubernetes, 'warnafter') : undefined;
  const lifetimeSeconds = issuedAt && expiresAt ? Math.round((expiresAt.getTime() - issuedAt.getTime()) / 1000) : undefined;
  return {
    kind: kubernetes !== undefined || fromSubject !== undefined ? 'bound' : 'other',
    ...common,
    namespace: (kubernetes && stringClaim(kubernetes, 'namespace')) ?? fromSubject?.namespace,
    serviceAccount: (kubernetes && refClaim(kubernetes, 'serviceaccount')) ?? (fromSubject ? { name: fromSubject.name } : undefined),
    pod: kubernetes && refClaim(kubernetes, 'pod'),
    node: kubernetes && refClaim(kubernetes, 'node'),
    secret: kubernetes && refClaim(kubernetes, 'secret'),
    issuedAt,
    notBefore: dateClaim(claims, 'nbf'),
    expiresAt,
    warnAfter,
    lifetimeSeconds,
    extended: warnAfter !== undefined && (lifetimeSeconds ?? 0) > EXTENDED_MIN_LIFETIME_SECONDS,
    stale: warnAfter !== undefined && now.getTime() > warnAfter.getTime(),
    expired: expiresAt !== undefined && now.getTime() >= expiresAt.getTime(),
  };
}
