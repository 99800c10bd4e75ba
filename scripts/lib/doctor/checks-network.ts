// Verdicts on the way to the API server: `dns` (the name, resolv.conf's search list and ndots),
// `proxy-env` (HTTPS_PROXY/NO_PROXY as curl and these scripts route the server), `tcp` (connect) and
// `tls` (the presented chain against the CA, the host against the SANs). Pure functions of the facts.
//
// Known failures behind the words: NXDOMAIN with ndots:5 and musl or hostNetwork pods
// (https://kubernetes.io/docs/concepts/services-networking/dns-pod-service/); a proxy that in-cluster
// config's service IP is not excluded from (cert-manager#1371, kubernetes#35186); refused while an
// Istio sidecar starts (istio#12187); timeouts from egress NetworkPolicies evaluated after DNAT
// (cert-manager#5788); "x509: certificate signed by unknown authority" (kubernetes#24604) and a host
// missing from the SANs (kubernetes#64594).

import { formatDuration } from '../duration.ts';
import { EXIT } from '../errors.ts';
import { matchesNoProxy } from '../proxy-env.ts';
import { redactUrl } from '../redact.ts';
import { describeCertificate, hostnameErrorText, sanNames } from './certificates.ts';
import { inPod } from './checks-local.ts';
import { TIMEOUT_CODE, type Facts } from './facts.ts';
import { fail, pass, skip, warn, type CheckResult } from './report.ts';
import { describeResolvConf, searchCandidates } from './resolv-conf.ts';
import { FIX, SERVICE_NAME } from './texts.ts';

const NO_TARGET = 'no server to reach (no configuration)';

function failed(earlier: readonly CheckResult[], id: CheckResult['id']): boolean {
  return earlier.some((result) => result.id === id && result.status === 'fail');
}

export function checkDns(facts: Facts): CheckResult {
  const { target, dns } = facts;
  if (target === undefined || dns === undefined) return skip('dns', NO_TARGET);
  const conf = dns.resolvConf;
  const confLine = conf === undefined ? '/etc/resolv.conf: unreadable' : `/etc/resolv.conf: ${describeResolvConf(conf)}`;
  if (dns.name === undefined || dns.lookup === undefined) return skip('dns', `the server is the address ${target.host}: no lookup needed`);
  const lookup = dns.lookup;
  const tried = conf === undefined ? [dns.name] : searchCandidates(dns.name, conf);
  const evidence = [confLine, `${dns.name} is tried as ${tried.join(', ')}`];
  if (lookup.ok) {
    const via = lookup.value.fromHostsFile
      ? ' (/etc/hosts)'
      : lookup.value.answeredAs
        ? ` (as ${lookup.value.answeredAs}, through the search list)`
        : '';
    const answer = `${dns.name} → ${lookup.value.addresses.join(', ')}${via}`;
    if (dns.crossCheck) return pass('dns', `the server is the address ${target.host} (no lookup needed); ${answer}`, evidence);
    return pass('dns', answer, evidence);
  }
  const notFound = lookup.failure.code === 'ENOTFOUND';
  const what = notFound
    ? `${dns.name} does not resolve (NXDOMAIN)`
    : `no DNS answer for ${dns.name} (${lookup.failure.code ?? lookup.failure.message})`;
  const fixUse = inPod(facts)
    ? `use $KUBERNETES_SERVICE_HOST (${facts.environment.serviceHost}: no DNS needed) or a name that resolves, e.g. ${SERVICE_NAME}`
    : 'use a name that resolves, or the address';
  const finding = {
    summary: what,
    cause: notFound
      ? `DNS knows none of the ${tried.length} names the search list makes of ${dns.name}: the cluster domain may not be cluster.local, or this pod does not use cluster DNS (hostNetwork pods need dnsPolicy: ClusterFirstWithHostNet)`
      : `the nameserver ${conf?.nameservers.join(', ') || '(none)'} did not answer: an egress NetworkPolicy must allow UDP and TCP port 53 to cluster DNS`,
    evidence: [...evidence, lookup.failure.message],
    fix: `${fixUse}; check the search line of /etc/resolv.conf (a trailing dot, ${SERVICE_NAME}.cluster.local., skips the search list)`,
  };
  // A server given as an address does not need the name: programs that use the name do.
  if (dns.crossCheck) return warn('dns', { ...finding, summary: `the server is the address ${target.host}; but ${what}` });
  return fail('dns', EXIT.CONNECTION, finding);
}

/** What NO_PROXY should become so the server is reached directly: the entries it lacks, appended. */
export function noProxySuggestion(host: string, current: string | undefined): string {
  const wanted = [host, SERVICE_NAME, '.svc', '.cluster.local'];
  const missing = wanted.filter((entry) => current === undefined || !matchesNoProxy(entry.replace(/^\./, 'x.'), current));
  return [...(current ? [current] : []), ...missing].join(',');
}

export function checkProxyEnv(facts: Facts): CheckResult {
  const { target, proxy } = facts;
  if (target === undefined || proxy === undefined) return skip('proxy-env', NO_TARGET);
  const { choice } = proxy;
  const evidence = proxy.variables.length > 0 ? [...proxy.variables] : ['no proxy variables set'];
  if (choice.proxy === undefined) {
    if (choice.bypassedBy !== undefined)
      return pass('proxy-env', `${choice.variable} is set, but ${choice.bypassedBy} covers ${target.host}`, evidence);
    return pass('proxy-env', proxy.variables.length > 0 ? `no proxy applies to ${target.url.origin}` : 'no proxy variables set', evidence);
  }
  const proxyName = `${redactUrl(choice.proxy)} (from ${choice.variable})`;
  const noProxyVariable = proxy.variables.find((line) => /^no_proxy=/i.test(line));
  const suggestion = noProxySuggestion(target.host, noProxyVariable?.replace(/^[^=]*=/, ''));
  const fix = `add the API server to NO_PROXY (and no_proxy): NO_PROXY=${suggestion}`;
  const nodeNote = proxy.nodeUsesEnvProxy
    ? 'NODE_USE_ENV_PROXY=1: Node programs use the proxy too'
    : "Node's own fetch/http ignore these variables unless NODE_USE_ENV_PROXY=1: a plain Node program connects directly while curl (and these scripts) use the proxy";
  const connect = proxy.proxyConnect?.connect;
  const cause = `${choice.variable} is set and NO_PROXY does not cover ${target.host}${target.isIp ? ' (an address: name entries such as .svc never match it)' : ''}, so requests to the API server go through ${proxyName}`;
  if (connect !== undefined && !connect.ok) {
    return fail('proxy-env', EXIT.CONNECTION, {
      summary: `the API server would be reached through ${proxyName}, which fails: ${connect.failure.code ?? connect.failure.message}`,
      cause,
      evidence: [...evidence, `proxy ${proxy.proxyConnect?.address}: ${connect.failure.message}`, nodeNote],
      fix,
    });
  }
  const version = facts.version;
  if (version?.ok === false && version.failure.exitCode === EXIT.CONNECTION) {
    return fail('proxy-env', EXIT.CONNECTION, {
      summary: `the API server would be reached through ${proxyName}, which does not get there`,
      cause,
      evidence: [...evidence, version.failure.message, nodeNote],
      fix,
    });
  }
  return warn('proxy-env', {
    summary: `requests to the API server go through ${proxyName}`,
    cause,
    evidence: [...evidence, nodeNote],
    fix,
  });
}

export function checkTcp(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const { target, tcp } = facts;
  if (target === undefined || tcp === undefined) return skip('tcp', NO_TARGET);
  if (failed(earlier, 'dns') && !target.isIp) return skip('tcp', `cannot resolve ${target.host} (see dns)`);
  const { connect, address } = tcp;
  if (connect.ok) return pass('tcp', `${address}: connected in ${formatDuration(connect.ms)} (${connect.value.remoteAddress})`);
  const code = connect.failure.code;
  const evidence = [`connect(${address}): ${connect.failure.message}`];
  if (code === 'ECONNREFUSED') {
    return fail('tcp', EXIT.CONNECTION, {
      summary: `${address}: connection refused (ECONNREFUSED)`,
      cause:
        'nothing listens there: the API server is down or not at this address, or an Istio sidecar is not ready yet while its iptables rules already redirect the traffic',
      evidence,
      fix: FIX.refused,
    });
  }
  if (code === TIMEOUT_CODE) {
    return fail('tcp', EXIT.CONNECTION, {
      summary: `${address}: connect timed out after ${formatDuration(facts.timeoutMs)}`,
      cause: 'no answer at all, not even a refusal: the packets are dropped, usually by an egress NetworkPolicy',
      evidence,
      fix: FIX.networkPolicy,
    });
  }
  return fail('tcp', EXIT.CONNECTION, {
    summary: `${address}: ${code ?? 'connect failed'}`,
    cause:
      code === 'EHOSTUNREACH' || code === 'ENETUNREACH'
        ? 'no route to the address: the pod network is broken or the address wrong'
        : connect.failure.message,
    evidence,
    fix: 'check the address ($KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, --server) and the pod network',
  });
}

/** A name or address the certificate holds for the user to connect to instead. */
function suggestedName(facts: Facts, names: { dns: string[]; ips: string[] }): string {
  const host = facts.environment.serviceHost;
  if (host !== undefined && names.ips.includes(host)) return `$KUBERNETES_SERVICE_HOST (${host})`;
  if (names.dns.includes(SERVICE_NAME)) return SERVICE_NAME;
  return names.dns[0] ?? names.ips[0] ?? 'a name the certificate lists';
}

export function checkTls(facts: Facts, earlier: readonly CheckResult[]): CheckResult {
  const { target, tls } = facts;
  if (target === undefined) return skip('tls', NO_TARGET);
  if (target.url.protocol === 'http:') return skip('tls', `plain http to ${target.url.origin} (a kubectl proxy sidecar?): no TLS`);
  if (tls === undefined || failed(earlier, 'tcp') || earlier.some((result) => result.id === 'tcp' && result.status === 'skip')) {
    return skip('tls', 'no TCP connection (see tcp)');
  }
  if (facts.ca.kind === 'none' && !facts.environment.config.ok) return skip('tls', 'no CA to verify with (see mount)');
  const address = facts.tcp?.address ?? target.host;
  if (!tls.ok) {
    const code = tls.failure.code;
    const evidence = [`handshake with ${address}: ${tls.failure.message}`];
    if (code === TIMEOUT_CODE) {
      return fail('tls', EXIT.CONNECTION, {
        summary: `${address} accepted the connection but no TLS answer came within ${formatDuration(facts.timeoutMs)}`,
        cause: 'the handshake got no reply',
        evidence,
        fix: FIX.silentTls,
      });
    }
    if (code === 'ERR_SSL_WRONG_VERSION_NUMBER' || code === 'ERR_SSL_PACKET_LENGTH_TOO_LONG') {
      return fail('tls', EXIT.TLS, { summary: `${address} does not speak TLS`, cause: tls.failure.message, evidence, fix: FIX.notTls });
    }
    return fail('tls', code === 'ECONNRESET' ? EXIT.CONNECTION : EXIT.TLS, {
      summary: `TLS handshake with ${address} failed (${code ?? 'error'})`,
      cause: tls.failure.message,
      evidence,
      fix: FIX.silentTls,
    });
  }
  const { chain } = tls.value;
  const leaf = chain[0];
  const caWhere = facts.ca.kind === 'pem' || facts.ca.kind === 'unreadable' ? facts.ca.where : 'the system trust store';
  const chainText = chain.map((cert) => describeCertificate(cert)).join(' ← ');
  const names = leaf ? sanNames(leaf) : { dns: [], ips: [] };
  const evidence = [
    `presented: ${chainText || '(no certificate)'}`,
    ...(leaf ? [`issuer ${leaf.issuer}`, `SANs ${[...names.dns, ...names.ips].join(', ') || '(none)'}`] : []),
    `verified with ${caWhere}`,
  ];
  if (!tls.value.chainVerified) {
    const caNames =
      facts.ca.kind === 'pem' ? facts.ca.certificates.map((cert) => describeCertificate(cert)).join(', ') : 'the system roots';
    const clock = tls.value.verifyError === 'CERT_HAS_EXPIRED' || tls.value.verifyError === 'CERT_NOT_YET_VALID';
    return fail('tls', EXIT.TLS, {
      summary: clock
        ? `the server certificate is outside its validity (${tls.value.verifyError})`
        : `x509: certificate signed by unknown authority: ${leaf ? describeCertificate(leaf) : 'the server'} is issued by ${leaf?.issuer ?? '?'}, not by ${caNames}`,
      cause: clock
        ? 'the API server certificate has expired or is not valid yet (or a clock is wrong)'
        : `the chain the server presents does not lead to the CA in ${caWhere} (${tls.value.verifyError}): the wrong CA, or something else answering with its own certificate`,
      evidence,
      fix: clock ? `renew the API server certificate; ${FIX.clock}` : FIX.trustCa,
    });
  }
  if (!tls.value.identityOk && leaf !== undefined) {
    return fail('tls', EXIT.TLS, {
      summary: `${target.serverName} is not in the certificate's SANs`,
      cause: hostnameErrorText(target.serverName, leaf),
      evidence,
      fix: `connect to a name or address the certificate lists: ${suggestedName(facts, names)} (or set tls-server-name in the kubeconfig)`,
    });
  }
  const summary = `${chainText}, verified with ${caWhere}; ${target.serverName} is in the SANs${tls.value.protocol ? ` (${tls.value.protocol})` : ''}`;
  if ('insecure' in facts.ca && facts.ca.insecure) {
    return warn('tls', {
      summary,
      cause: '--insecure-skip-tls-verify: the requests themselves do not verify it',
      evidence,
      fix: FIX.trustCa,
    });
  }
  return pass('tls', summary, evidence);
}
