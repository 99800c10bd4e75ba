// The doctor's network probes below HTTP, each bounded by --timeout: a name lookup as the client
// does it (getaddrinfo, so /etc/hosts and resolv.conf's search list and ndots apply), which search
// candidate answered (c-ares, asking the same nameservers), a TCP connect, and a TLS handshake that
// verifies nothing itself but records the presented chain, whether it verifies against the CA, and
// whether the certificate names the host (tls.checkServerIdentity, the check undici makes).

import { X509Certificate } from 'node:crypto';
import { Resolver, lookup } from 'node:dns/promises';
import { readFileSync } from 'node:fs';
import { connect as connectTcp } from 'node:net';
import { performance } from 'node:perf_hooks';
import { checkServerIdentity, connect as connectTls, type DetailedPeerCertificate } from 'node:tls';
import { formatDuration } from '../duration.ts';
import { EXIT } from '../errors.ts';
import { errorCode } from '../failure.ts';
import { certificateFact } from './certificates.ts';
import {
  TIMEOUT_CODE,
  type CertificateFact,
  type DnsAnswer,
  type HandshakeFacts,
  type Outcome,
  type StepFailure,
  type Target,
} from './facts.ts';
import { hostsFileAddresses, parseResolvConf, searchCandidates, type ResolvConf } from './resolv-conf.ts';

class StepTimeout extends Error {
  readonly code = TIMEOUT_CODE;
}

/** A failure a step has already described (an API call the client core classified). */
export class StepError extends Error {
  readonly failure: StepFailure;
  constructor(failure: StepFailure) {
    super(failure.message);
    this.failure = failure;
  }
}

/** Run one step within `timeoutMs`, timing it; a throw or the deadline is its failure (and aborts `signal`). */
export async function timed<T>(timeoutMs: number, what: string, step: (signal: AbortSignal) => Promise<T>): Promise<Outcome<T>> {
  const started = performance.now();
  const ms = () => Math.round(performance.now() - started);
  const abort = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      reject(new StepTimeout(`${what}: no answer within ${formatDuration(timeoutMs)}`));
      abort.abort();
    }, timeoutMs);
  });
  try {
    const value = await Promise.race([step(abort.signal), deadline]);
    return { ok: true, value, ms: ms() };
  } catch (err) {
    return { ok: false, failure: stepFailure(err), ms: ms() };
  } finally {
    clearTimeout(timer);
  }
}

function stepFailure(err: unknown): StepFailure {
  if (err instanceof StepError) return err.failure;
  const code = errorCode(err);
  const message = err instanceof Error ? err.message : String(err);
  return { message, ...(code !== undefined && { code }), exitCode: EXIT.CONNECTION };
}

function readOptional(path: string): string | undefined {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return undefined;
  }
}

export function readResolvConf(): ResolvConf | undefined {
  const text = readOptional('/etc/resolv.conf');
  return text === undefined ? undefined : parseResolvConf(text);
}

/** The first search candidate that has an address, asked of resolv.conf's nameservers one by one. */
async function answeringCandidate(name: string, conf: ResolvConf, timeoutMs: number): Promise<string | undefined> {
  const resolver = new Resolver({ timeout: timeoutMs, tries: 1 });
  for (const candidate of searchCandidates(name, conf)) {
    const found = await Promise.any([resolver.resolve4(candidate), resolver.resolve6(candidate)]).then(
      (addresses) => addresses.length > 0,
      () => false,
    );
    if (found) return candidate;
  }
  return undefined;
}

/** Look `name` up as the client will (getaddrinfo), then say where the answer came from. */
export async function probeDns(name: string, conf: ResolvConf | undefined, timeoutMs: number): Promise<Outcome<DnsAnswer>> {
  return timed(timeoutMs, `looking up ${name}`, async () => {
    const answers = await lookup(name, { all: true, verbatim: true });
    const fromHostsFile = hostsFileAddresses(readOptional('/etc/hosts') ?? '', name).length > 0;
    const answeredAs = fromHostsFile || conf === undefined ? undefined : await answeringCandidate(name, conf, timeoutMs);
    return {
      addresses: answers.map((answer) => answer.address),
      fromHostsFile,
      ...(answeredAs !== undefined && answeredAs !== name.replace(/\.$/, '') && { answeredAs }),
    };
  });
}

/** A TCP connection to host:port, closed as soon as it is made. */
export async function probeTcp(host: string, port: number, timeoutMs: number): Promise<Outcome<{ remoteAddress: string }>> {
  const socket = connectTcp({ host, port, autoSelectFamily: true });
  const outcome = await timed(
    timeoutMs,
    `connecting to ${host}:${port}`,
    () =>
      new Promise<{ remoteAddress: string }>((resolve, reject) => {
        socket.once('connect', () => resolve({ remoteAddress: socket.remoteAddress ?? host }));
        socket.once('error', reject);
      }),
  );
  socket.destroy();
  return outcome;
}

/** The presented chain, leaf first, as far as Node could link it (a self-signed end stops it). */
function peerChain(leaf: DetailedPeerCertificate): CertificateFact[] {
  const chain: CertificateFact[] = [];
  const seen = new Set<string>();
  let current: DetailedPeerCertificate | undefined = leaf;
  while (current?.raw !== undefined && !seen.has(current.fingerprint256)) {
    seen.add(current.fingerprint256);
    chain.push(certificateFact(new X509Certificate(current.raw)));
    current = current.issuerCertificate;
  }
  return chain;
}

/**
 * A TLS handshake with the target, verifying nothing on the way (rejectUnauthorized: false) so the
 * chain can be reported whatever it is; then whether it verifies against `ca` (undefined: Node's
 * bundled roots, as undici uses) and whether the leaf names target.serverName.
 */
export async function probeTls(target: Target, ca: string | undefined, timeoutMs: number): Promise<Outcome<HandshakeFacts>> {
  const isIpName = target.serverName === target.host && target.isIp;
  const socket = connectTls({
    host: target.host,
    port: target.port,
    ...(!isIpName && { servername: target.serverName }),
    ...(ca !== undefined && { ca }),
    rejectUnauthorized: false,
  });
  const outcome = await timed(
    timeoutMs,
    `TLS handshake with ${target.host}:${target.port}`,
    () =>
      new Promise<HandshakeFacts>((resolve, reject) => {
        socket.once('secureConnect', () => {
          const leaf = socket.getPeerCertificate(true);
          // With a name given, Node reports a name mismatch here too; the chain itself verified then.
          const verifyError = socket.authorized ? undefined : String(socket.authorizationError);
          const chainVerified = socket.authorized || verifyError === 'ERR_TLS_CERT_ALTNAME_INVALID';
          resolve({
            chainVerified,
            ...(!chainVerified && verifyError !== undefined && { verifyError }),
            identityOk: leaf.raw !== undefined && checkServerIdentity(target.serverName, leaf) === undefined,
            chain: leaf.raw === undefined ? [] : peerChain(leaf),
            protocol: socket.getProtocol() ?? undefined,
          });
        });
        socket.once('error', reject);
      }),
  );
  socket.destroy();
  return outcome;
}
