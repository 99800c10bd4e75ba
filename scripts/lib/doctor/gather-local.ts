// The doctor's local facts, read from this container alone: the service environment and which
// configuration source wins (config.ts, as every script resolves it), the service-account directory
// (its files, kubelet's ..data layout, the mount it lives on, and PID 1's copy for `kubectl debug`),
// the token's claims (decoded, never verified, never kept) and the CA bundle.

import { existsSync, lstatSync, readFileSync, readlinkSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import {
  SERVICE_ACCOUNT_DIR,
  resolveConfig,
  serviceAccountFiles,
  withServiceAccountDir,
  type ConfigEnvironment,
  type ConnectionFlags,
  type ResolvedConfig,
} from '../config.ts';
import { describePem, readPem } from '../credentials.ts';
import { EXIT, isExitError } from '../errors.ts';
import { registerSecret } from '../redact.ts';
import { JwtFormatError, TokenFile, decodeJwt, describeServiceAccountToken, tokenDefect } from '../token.ts';
import { pemCertificates } from './certificates.ts';
import type { CaFacts, EnvironmentFacts, FileFact, MountFacts, MountPoint, TokenFacts } from './facts.ts';

/** Where a debug container sees the pod's processes' files: PID 1's root (a shared process namespace). */
export const PID_ONE_ROOT = '/proc/1/root';

/**
 * `path` as the process owning `root` (/proc/1/root) sees it. The kernel resolves an absolute
 * symlink met on the way against our root, not that process's: /proc/1/root/var/run/secrets goes
 * through our /run when /var/run -> /run, as in most images. So each symlink is followed here,
 * inside `root`. A missing component ends the walk (the rest is appended as given).
 */
export function pathUnderRoot(root: string, path: string): string {
  const pending = path.split('/').filter((part) => part !== '' && part !== '.');
  let resolved: string[] = [];
  for (let hops = 0; pending.length > 0 && hops < 40; ) {
    const part = pending.shift() as string;
    if (part === '..') {
      resolved.pop();
      continue;
    }
    const candidate = `${root}/${[...resolved, part].join('/')}`;
    let target: string;
    try {
      if (!lstatSync(candidate).isSymbolicLink()) {
        resolved.push(part);
        continue;
      }
      target = readlinkSync(candidate);
    } catch {
      return `${root}/${[...resolved, part, ...pending].join('/')}`;
    }
    hops++;
    if (target.startsWith('/')) resolved = [];
    pending.unshift(...target.split('/').filter((each) => each !== '' && each !== '.'));
  }
  return `${root}/${resolved.join('/')}`;
}

export function gatherEnvironment(flags: ConnectionFlags, environment: ConfigEnvironment): EnvironmentFacts {
  const { KUBERNETES_SERVICE_HOST: serviceHost, KUBERNETES_SERVICE_PORT: servicePort, KUBECONFIG } = environment.env;
  const base = {
    ...(serviceHost !== undefined && serviceHost !== '' && { serviceHost }),
    ...(servicePort !== undefined && servicePort !== '' && { servicePort }),
    ...(KUBECONFIG !== undefined && { kubeconfigVariable: KUBECONFIG }),
  };
  try {
    return { ...base, config: { ok: true, value: resolveConfig(flags, environment) } };
  } catch (err) {
    // A usage error (a bad --server) is the command line's, not the pod's: it ends the run as usual.
    if (isExitError(err) && err.exitCode !== EXIT.USAGE) {
      return { ...base, config: { ok: false, message: err.message, exitCode: err.exitCode } };
    }
    throw err;
  }
}

function fileFact(path: string): FileFact {
  try {
    const stat = lstatSync(path);
    const linkTarget = stat.isSymbolicLink() ? readlinkSync(path) : undefined;
    if (!existsSync(path)) return { exists: false, ...(linkTarget !== undefined && { linkTarget, error: 'dangling symlink' }) };
    readFileSync(path);
    return { exists: true, ...(linkTarget !== undefined && { linkTarget }) };
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code ?? 'error';
    return code === 'ENOENT' || code === 'ENOTDIR' ? { exists: false } : { exists: true, error: code };
  }
}

/** Unescape mountinfo's octal escapes (\040 for a space). */
function unescapeMountPath(path: string): string {
  return path.replace(/\\([0-7]{3})/g, (_, octal: string) => String.fromCharCode(Number.parseInt(octal, 8)));
}

/**
 * The mount `path` (a real path) lives on, from /proc/self/mountinfo (proc(5)): the longest mount
 * point that contains it; the last one listed wins among equals, as it is mounted on top.
 */
export function mountPointOf(mountinfo: string, path: string): MountPoint | undefined {
  let best: MountPoint | undefined;
  for (const line of mountinfo.split('\n')) {
    const [left, right] = line.split(' - ');
    const fields = left?.split(' ') ?? [];
    const mountPath = fields[4] === undefined ? undefined : unescapeMountPath(fields[4]);
    if (mountPath === undefined || right === undefined) continue;
    const inside = mountPath === '/' || path === mountPath || path.startsWith(`${mountPath}/`);
    if (!inside || (best !== undefined && mountPath.length < best.path.length)) continue;
    best = { path: mountPath, readOnly: (fields[5] ?? '').split(',').includes('ro'), fsType: right.split(' ')[0] ?? '' };
  }
  return best;
}

export function gatherMount(flags: ConnectionFlags, environment: ConfigEnvironment): MountFacts {
  const dir = withServiceAccountDir(flags, environment).serviceAccountDir;
  const files = serviceAccountFiles(dir);
  const token = fileFact(files.token);
  const facts: MountFacts = {
    dir,
    fromFlag: flags.serviceAccountDir !== undefined,
    exists: existsSync(dir),
    token,
    caCrt: fileFact(files.caCert),
    namespace: fileFact(files.namespace),
  };
  try {
    facts.dataLink = readlinkSync(join(dir, '..data'));
  } catch {
    // no ..data symlink: not kubelet's layout (a copy, or a hand-made directory)
  }
  if (facts.exists) {
    try {
      const mountPoint = mountPointOf(readFileSync('/proc/self/mountinfo', 'utf8'), realpathSync(dir));
      if (mountPoint !== undefined) facts.mountPoint = mountPoint;
    } catch {
      // no /proc (not Linux): the mount is not reported
    }
  }
  if (!token.exists && !facts.fromFlag) {
    const pidOneDir = pathUnderRoot(PID_ONE_ROOT, SERVICE_ACCOUNT_DIR);
    if (existsSync(join(pidOneDir, 'token'))) facts.pidOneDir = pidOneDir;
  }
  return facts;
}

/** Decode a token's claims (never verifying it); the token text goes no further than this function. */
function decodeClaims(token: string, now: Date): Extract<TokenFacts, { read: unknown }>['read'] {
  try {
    return { ok: true, claims: describeServiceAccountToken(decodeJwt(token), now) };
  } catch (err) {
    if (err instanceof JwtFormatError) return { ok: true, notJwt: err.message };
    throw err;
  }
}

export function gatherToken(config: ResolvedConfig | undefined, mount: MountFacts, now: Date): TokenFacts {
  const bearer = config?.bearer;
  if (bearer === undefined) {
    return { kind: 'none', description: config?.clientCertificate ? 'a client certificate is used' : 'anonymous' };
  }
  if (bearer.kind === 'exec') return { kind: 'exec', description: `an exec plugin (${bearer.origin})` };
  if (bearer.kind === 'inline') {
    registerSecret(bearer.token);
    const defect = tokenDefect(bearer.token);
    return {
      kind: 'inline',
      where: bearer.origin,
      mounted: false,
      read:
        defect === undefined ? decodeClaims(bearer.token, now) : { ok: false, message: `the token ${defect}`, exitCode: EXIT.NO_CONFIG },
    };
  }
  const where = `file ${bearer.path}`;
  const mounted = bearer.path === serviceAccountFiles(mount.dir).token;
  try {
    // TokenFile registers the token with redact(), so no output can carry it.
    return { kind: 'file', where, mounted, read: decodeClaims(new TokenFile(bearer.path).get(), now) };
  } catch (err) {
    if (!isExitError(err)) throw err;
    return { kind: 'file', where, mounted, read: { ok: false, message: err.message, exitCode: err.exitCode } };
  }
}

export function gatherCa(config: ResolvedConfig | undefined, mount: MountFacts): CaFacts {
  const insecure = config?.insecureSkipTlsVerify ?? false;
  // Without a configuration, the mounted ca.crt is still what a pod would verify with.
  const source = config === undefined ? (mount.caCrt.exists ? { file: serviceAccountFiles(mount.dir).caCert } : undefined) : config.ca;
  if (source === undefined) return { kind: 'none', insecure };
  const where = describePem(source);
  let pem: string;
  try {
    pem = readPem(source, 'CA file');
  } catch (err) {
    if (!isExitError(err)) throw err;
    return { kind: 'unreadable', where, message: err.message };
  }
  return { kind: 'pem', where, insecure, ...pemCertificates(pem) };
}
