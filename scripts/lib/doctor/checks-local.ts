// Verdicts on what this container holds: `environment` (the service environment, which configuration
// source wins), `mount` (the service-account directory) and `ca` (the CA bundle). Pure functions of
// the facts; the token has its own file (check-token.ts).

import { EXIT } from '../errors.ts';
import { describeCertificate } from './certificates.ts';
import type { Facts, FileFact } from './facts.ts';
import { fail, pass, skip, warn, type CheckResult } from './report.ts';
import { FIX, relative } from './texts.ts';

export function inPod(facts: Facts): boolean {
  return facts.environment.serviceHost !== undefined && facts.environment.servicePort !== undefined;
}

function serviceEnvironment(facts: Facts): string {
  const { serviceHost, servicePort } = facts.environment;
  return `KUBERNETES_SERVICE_HOST=${serviceHost ?? '(unset)'} KUBERNETES_SERVICE_PORT=${servicePort ?? '(unset)'}`;
}

export function checkEnvironment(facts: Facts): CheckResult {
  const { config } = facts.environment;
  const where = inPod(facts) ? `in a pod (${serviceEnvironment(facts)})` : 'not in a pod (no KUBERNETES_SERVICE_HOST/PORT)';
  if (config.ok) {
    const evidence = [...config.value.tried.map((line) => `tried ${line}`), ...config.value.notes];
    const { source } = config.value;
    const from = source.kind === 'in-cluster' ? `in-cluster, service-account files in ${facts.mount.dir}` : source.description;
    return pass('environment', `${where}; config: ${from}`, evidence);
  }
  // In a pod whose token is missing, the environment is right and the mount check tells the story.
  if (inPod(facts) && !facts.mount.token.exists) {
    return pass('environment', `${where}; config: in-cluster, but the service-account token is missing (see mount)`);
  }
  return fail('environment', config.exitCode, {
    summary: inPod(facts) ? `${where}, but no usable configuration` : `${where}, and no kubeconfig`,
    cause: inPod(facts)
      ? 'the configuration cannot be used'
      : 'KUBERNETES_SERVICE_HOST and KUBERNETES_SERVICE_PORT are not set (client-go: "unable to load in-cluster configuration") and no kubeconfig was found',
    evidence: [config.message],
    fix: inPod(facts) ? 'fix what the evidence names' : FIX.notInPod,
  });
}

function describeFile(name: string, file: FileFact): string {
  const link = file.linkTarget !== undefined ? ` -> ${file.linkTarget}` : '';
  if (!file.exists) return `${name}: missing${link}`;
  return `${name}: ${file.error !== undefined ? `unreadable (${file.error})` : 'present'}${link}`;
}

function usesMount(facts: Facts): boolean {
  const { config } = facts.environment;
  return config.ok ? config.value.source.kind === 'in-cluster' : inPod(facts);
}

export function checkMount(facts: Facts): CheckResult {
  const mount = facts.mount;
  const evidence = [
    `${mount.dir}${mount.fromFlag ? ' (--sa-dir)' : ''}: ${mount.exists ? 'exists' : 'does not exist'}`,
    describeFile('token', mount.token),
    describeFile('ca.crt', mount.caCrt),
    describeFile('namespace', mount.namespace),
    ...(mount.dataLink !== undefined ? [`..data -> ${mount.dataLink} (kubelet's atomic writer)`] : []),
    ...(mount.mountPoint !== undefined
      ? [`mounted at ${mount.mountPoint.path} (${mount.mountPoint.fsType}, ${mount.mountPoint.readOnly ? 'read-only' : 'writable'})`]
      : []),
  ];
  if (!usesMount(facts)) {
    if (!mount.exists) return skip('mount', 'no service-account volume (not in a pod)');
    const config = facts.environment.config;
    const source = config.ok ? config.value.source.description : 'nowhere';
    return skip('mount', `not used: the configuration comes from ${source}`);
  }
  if (!mount.token.exists) {
    if (mount.pidOneDir !== undefined) {
      return fail('mount', EXIT.NO_CONFIG, {
        summary: `no service-account token in ${mount.dir}, but PID 1 has one in ${mount.pidOneDir}`,
        cause: "this container has no service-account volume, while the pod's main process (PID 1) has it",
        evidence,
        fix: FIX.debugContainer(mount.pidOneDir),
      });
    }
    if (mount.fromFlag) {
      return fail('mount', EXIT.NO_CONFIG, {
        summary: `no token in ${mount.dir} (--sa-dir)`,
        cause: `--sa-dir ${mount.dir} holds no token file`,
        evidence,
        fix: FIX.saDirFlag,
      });
    }
    return fail('mount', EXIT.NO_CONFIG, {
      summary: `no service-account token in ${mount.dir}`,
      cause:
        'KUBERNETES_SERVICE_HOST is set, so this is a pod, but kubelet mounted no token: automountServiceAccountToken: false on the Pod or its ServiceAccount',
      evidence,
      fix: FIX.automount,
    });
  }
  const token = facts.token;
  const legacy = 'read' in token && token.read.ok && 'claims' in token.read && token.read.claims.kind === 'legacy';
  const layout = mount.dataLink !== undefined ? "kubelet's ..data layout" : "plain files, not kubelet's ..data layout";
  const volume = legacy ? 'a Secret volume (legacy token)' : mount.dataLink !== undefined ? 'projected' : undefined;
  const readOnly = mount.mountPoint === undefined ? undefined : mount.mountPoint.readOnly ? 'read-only' : 'writable';
  const files = ['token', ...(mount.caCrt.exists ? ['ca.crt'] : []), ...(mount.namespace.exists ? ['namespace'] : [])];
  const summary = `${mount.dir}: ${files.join(', ')}; ${[layout, volume, readOnly].filter(Boolean).join(', ')}`;
  if (!mount.caCrt.exists) {
    return warn('mount', {
      summary,
      cause: `${mount.dir} has no ca.crt: the server would be verified with the system trust store, which does not hold the cluster CA`,
      evidence,
      fix: FIX.caMissing,
    });
  }
  if (!mount.namespace.exists) {
    return warn('mount', {
      summary,
      cause: `${mount.dir} has no namespace file: the scripts fall back to the namespace "default"`,
      evidence,
      fix: 'mount the whole service-account volume, or pass -n NAMESPACE',
    });
  }
  return pass('mount', summary, evidence);
}

export function checkCa(facts: Facts): CheckResult {
  const ca = facts.ca;
  const now = facts.now;
  if (ca.kind === 'none') {
    if (!facts.environment.config.ok) return skip('ca', 'no CA (no usable configuration)');
    if (ca.insecure) {
      return warn('ca', {
        summary: 'none: --insecure-skip-tls-verify, the server is not verified',
        cause: 'anyone between this pod and the API server can read the token',
        fix: FIX.trustCa,
      });
    }
    if (usesMount(facts)) {
      return fail('ca', EXIT.NO_CONFIG, {
        summary: `no ca.crt in ${facts.mount.dir}`,
        cause: 'the cluster CA is missing',
        fix: FIX.caMissing,
      });
    }
    return warn('ca', {
      summary: 'none configured: the system trust store verifies the server',
      cause: "a cluster's own CA is not in the system trust store, so verification fails unless the server has a public certificate",
      fix: FIX.trustCa,
    });
  }
  if (ca.kind === 'unreadable') {
    return fail('ca', EXIT.NO_CONFIG, { summary: `cannot read ${ca.where}`, cause: ca.message, fix: FIX.caMissing });
  }
  const evidence = ca.certificates.map(
    (cert) =>
      `${describeCertificate(cert)}${cert.isCa ? ' (CA)' : ' (not a CA)'}, valid ${cert.validFrom.toISOString()} to ${cert.validTo.toISOString()}, sha256 ${cert.fingerprint256}`,
  );
  if (ca.error !== undefined || ca.certificates.length === 0) {
    return fail('ca', EXIT.NO_CONFIG, {
      summary: `${ca.where}: ${ca.error ?? 'empty'}`,
      cause: `${ca.where} is not a PEM CA bundle`,
      evidence,
      fix: FIX.caMissing,
    });
  }
  const expired = ca.certificates.find((cert) => cert.validTo < now);
  const early = ca.certificates.find((cert) => cert.validFrom > now);
  const problem = expired ?? early;
  if (problem !== undefined) {
    const when = expired ? `expired ${relative(problem.validTo, now)}` : `is not valid until ${relative(problem.validFrom, now)}`;
    return fail('ca', EXIT.TLS, {
      summary: `${describeCertificate(problem)} ${when}`,
      cause: `the CA certificate in ${ca.where} ${when}: TLS verification will fail`,
      evidence,
      fix: expired
        ? 'the cluster CA was renewed or the file is stale: restart the pod (ca.crt follows the kube-root-ca.crt ConfigMap) and check the clock'
        : FIX.clock,
    });
  }
  const first = ca.certificates[0];
  const summary = `${ca.where}: ${first ? describeCertificate(first) : ''}${ca.certificates.length > 1 ? ` and ${ca.certificates.length - 1} more` : ''}, valid until ${first?.validTo.toISOString().slice(0, 10)}`;
  if (ca.insecure) {
    return warn('ca', {
      summary,
      cause: '--insecure-skip-tls-verify: the CA is not used, the server is not verified',
      evidence,
      fix: FIX.trustCa,
    });
  }
  if (!ca.certificates.some((cert) => cert.isCa)) {
    return warn('ca', {
      summary,
      cause: `${ca.where} holds no CA certificate (CA:FALSE): a server certificate pinned as trust anchor breaks when it is renewed`,
      evidence,
      fix: FIX.trustCa,
    });
  }
  return pass('ca', summary, evidence);
}
