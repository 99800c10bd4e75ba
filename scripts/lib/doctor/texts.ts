// The doctor's words for causes and fixes, kept together so one cause is always told the same way.
// Each follows a known failure: the symptoms people search for and the fixes that work, as in the
// guide "Accessing the Kubernetes API from a Pod"
// (https://kubernetes.io/docs/tasks/run-application/access-api-from-pod/), the service-account docs
// (https://kubernetes.io/docs/concepts/security/service-accounts/,
// https://kubernetes.io/docs/tasks/configure-pod-container/configure-service-account/) and the
// Kubernetes issues cited where they are used.

import { SERVICE_ACCOUNT_DIR } from '../config.ts';

/** The name a pod's programs use for the API server (the `kubernetes` Service in `default`). */
export const SERVICE_NAME = 'kubernetes.default.svc';

export const MOUNTED_TOKEN = `${SERVICE_ACCOUNT_DIR}/token`;
export const MOUNTED_CA = `${SERVICE_ACCOUNT_DIR}/ca.crt`;

/** kube-apiserver accepts a token this long past exp or before nbf (go-jose's DefaultLeeway, pkg/serviceaccount/claims.go). */
export const TOKEN_LEEWAY_SECONDS = 60;
/** Skew beyond which tokens look expired or not yet valid to one side. */
export const MAX_CLOCK_SKEW_SECONDS = 30;

/** 3725 → "1h2m", 42 → "42s", 400 days → "400d": two units at most, the sign dropped. */
export function duration(seconds: number): string {
  const units: [string, number][] = [
    ['d', 86_400],
    ['h', 3_600],
    ['m', 60],
    ['s', 1],
  ];
  let rest = Math.round(Math.abs(seconds));
  const parts: string[] = [];
  for (const [unit, size] of units) {
    const count = Math.floor(rest / size);
    if (count > 0 || (unit === 's' && parts.length === 0)) parts.push(`${count}${unit}`);
    rest -= count * size;
    if (parts.length === 2) break;
  }
  return parts.join('');
}

/** "in 59m" / "3m ago", from `now`. */
export function relative(date: Date, now: Date): string {
  const seconds = (date.getTime() - now.getTime()) / 1000;
  return seconds >= 0 ? `in ${duration(seconds)}` : `${duration(seconds)} ago`;
}

export const FIX = {
  notInPod:
    'run this inside a pod, or configure the client: --server URL with --token-file and --certificate-authority, or --kubeconfig FILE',
  automount:
    "set automountServiceAccountToken: true in the Pod spec (a Pod-level value wins over the ServiceAccount's), or mount a projected serviceAccountToken volume there",
  debugContainer: (dir: string) =>
    `this looks like a debug container (kubectl debug): it shares the pod's processes but not its volumes; pass --sa-dir ${dir} to the kube-in-pod scripts`,
  saDirFlag:
    "point --sa-dir at a directory holding token, ca.crt and namespace (in a kubectl debug container, PID 1's under /proc/1/root: run doctor without --sa-dir and it names it)",
  caMissing: `mount the whole service-account volume: ca.crt comes from the kube-root-ca.crt ConfigMap; or pass --certificate-authority`,
  rereadToken:
    'a program must re-read the token file, at least every minute, not keep what it read at start (client-go ≥ v0.15.7, Python client ≥ 12.0.0, Java ≥ 9.0.0, JavaScript ≥ 0.10.3 do)',
  clock: 'synchronise the clocks (NTP/chrony on the nodes and the control plane); the API server allows 60s of skew',
  audience:
    "use the default service-account token for the API server (a projected serviceAccountToken without audience), or request the API server's audience",
  legacy:
    'use the bound, projected token kubelet mounts by default: drop the kubernetes.io/service-account-token Secret (and its volume) and let automount provide the token',
  recreated:
    'restart the pod so kubelet issues a token bound to the live pod and service account; a program must re-read the token file rather than keep the one it read at start',
  anonymous: (inPod: boolean) =>
    inPod
      ? `send the token: curl -H "Authorization: Bearer $(cat ${MOUNTED_TOKEN})"; with these scripts drop --server (in-cluster config sends it) or pass --token-file ${MOUNTED_TOKEN}`
      : 'send a token: --token-file FILE, or a kubeconfig user with a token, client certificate or exec plugin',
  trustCa: `trust the cluster CA (${MOUNTED_CA}, from the kube-root-ca.crt ConfigMap): curl --cacert, --certificate-authority; if that is the CA already, something in between (a proxy, a service mesh) presents its own certificate. Never use curl -k or NODE_TLS_REJECT_UNAUTHORIZED=0`,
  refused:
    'check the address ($KUBERNETES_SERVICE_HOST:$KUBERNETES_SERVICE_PORT, --server); with Istio, annotate the pod proxy.istio.io/config: \'{ "holdApplicationUntilProxyStarts": true }\' and retry with backoff',
  networkPolicy:
    'allow egress to the API server endpoints (kubectl get endpointslices -n default -l kubernetes.io/service-name=kubernetes: their IPs and port, often 6443, since policies apply after the service address is translated) and DNS on port 53',
  silentTls:
    'something that is not the API server listens there: check the port ($KUBERNETES_SERVICE_PORT, --server), and any sidecar or load balancer in front of it',
  notTls: 'the server does not speak TLS there: if it is plain http (a kubectl proxy sidecar), use an http:// URL',
  exposure:
    'grant the program only what it needs (--can lists it); if it never calls the API, set automountServiceAccountToken: false on its Pod or ServiceAccount',
  rbac: 'as a cluster admin, apply the YAML below: kubectl apply -f -',
} as const;
