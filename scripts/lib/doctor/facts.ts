// What the doctor gathers before it judges: plain data, so every verdict (checks-*.ts) is a pure
// function of it and can be unit-tested without a pod. The gatherers (gather-*.ts, probes.ts,
// api-probes.ts) fill it in; nothing here holds a credential (the token's claims are decoded, the
// token itself is never kept).

import type { ResolvedConfig } from '../config.ts';
import type { ExitCode } from '../errors.ts';
import type { ProxyChoice } from '../proxy-env.ts';
import type { ServiceAccountTokenInfo } from '../token.ts';
import type { AccessAttributes, PolicyRule } from './permissions.ts';
import type { UserInfo } from '../auth/self-subject-review.ts';
import type { ResolvConf } from './resolv-conf.ts';

/** err.code of a step that ran out of --timeout. */
export const TIMEOUT_CODE = 'ETIMEDOUT';

/** How a step that can fail ended: its value, or why not; `ms` is how long it took. */
export type Outcome<T> = { ok: true; value: T; ms: number } | { ok: false; failure: StepFailure; ms: number };

export interface StepFailure {
  /** One line: what failed (already in the doctor's words or the library's, never a credential). */
  message: string;
  /** err.code (ECONNREFUSED, ENOTFOUND, ETIMEDOUT…), when there is one. */
  code?: string;
  /** The class of the failure, as the client core classifies it (failure.ts). */
  exitCode: ExitCode;
  /** For an HTTP answer >= 400: its status and the Status message. */
  httpStatus?: number;
  statusMessage?: string;
}

export interface EnvironmentFacts {
  serviceHost?: string;
  servicePort?: string;
  /** $KUBECONFIG as set (undefined when unset). */
  kubeconfigVariable?: string;
  /** The configuration the scripts would use, or why there is none (exit 3). */
  config: { ok: true; value: ResolvedConfig } | { ok: false; message: string; exitCode: ExitCode };
}

export interface FileFact {
  exists: boolean;
  /** Where the symlink points (kubelet: token -> ..data/token). */
  linkTarget?: string;
  /** Why it could not be read, e.g. "EACCES". */
  error?: string;
}

export interface MountPoint {
  path: string;
  readOnly: boolean;
  fsType: string;
}

export interface MountFacts {
  /** The directory looked at: --sa-dir, or /var/run/secrets/kubernetes.io/serviceaccount. */
  dir: string;
  fromFlag: boolean;
  exists: boolean;
  token: FileFact;
  caCrt: FileFact;
  namespace: FileFact;
  /** kubelet's AtomicWriter layout: ..data -> ..<timestamp>. */
  dataLink?: string;
  /** The mount the directory lives on (from /proc/self/mountinfo). */
  mountPoint?: MountPoint;
  /** A token readable through /proc/1/root while ours is missing: the `kubectl debug` case. */
  pidOneDir?: string;
}

export type TokenFacts =
  | { kind: 'none'; description: string }
  | { kind: 'exec'; description: string }
  | {
      kind: 'file' | 'inline';
      /** "file /var/run/…/token", "user "x" in ~/.kube/config". */
      where: string;
      /** The file is the mounted one (not --token-file or a kubeconfig's). */
      mounted: boolean;
      read:
        | { ok: true; claims: ServiceAccountTokenInfo }
        | { ok: true; notJwt: string }
        | { ok: false; message: string; exitCode: ExitCode };
    };

export interface CertificateFact {
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
  isCa: boolean;
  /** DNS:… and IP Address:… entries. */
  subjectAltNames: string[];
  /** Hex SHA-256 fingerprint (to tell two certificates apart). */
  fingerprint256: string;
}

export type CaFacts =
  | { kind: 'none'; insecure: boolean }
  | { kind: 'unreadable'; where: string; message: string }
  | { kind: 'pem'; where: string; certificates: CertificateFact[]; error?: string; insecure: boolean };

/** The server the network checks aim at (the configuration's, or the service environment's). */
export interface Target {
  url: URL;
  /** Host without brackets. */
  host: string;
  port: number;
  /** The name the certificate must hold: tls-server-name, else the host. */
  serverName: string;
  isIp: boolean;
  /** Whether this is a pod (the service environment is set). */
  inPod: boolean;
}

export interface DnsAnswer {
  addresses: string[];
  /** The name that answered after the search path (e.g. kubernetes.default.svc.cluster.local). */
  answeredAs?: string;
  /** Answered from /etc/hosts, not from DNS. */
  fromHostsFile: boolean;
}

export interface DnsFacts {
  /** The name looked up: the server's, or kubernetes.default.svc when the server is an address. */
  name?: string;
  /** The name is only looked up to see that programs using it would work (the server is an address). */
  crossCheck: boolean;
  resolvConf?: ResolvConf;
  lookup?: Outcome<DnsAnswer>;
}

export interface ConnectFacts {
  address: string;
  connect: Outcome<{ remoteAddress: string }>;
}

export interface ProxyFacts {
  choice: ProxyChoice;
  /** The proxy-related variables as set (name=value; passwords redacted). */
  variables: string[];
  /** NODE_USE_ENV_PROXY=1: Node's own fetch/http honour the variables too. */
  nodeUsesEnvProxy: boolean;
  /** A TCP connect to the proxy, when one applies. */
  proxyConnect?: ConnectFacts;
}

export interface HandshakeFacts {
  /** Whether the chain verified against the CA (identity aside). */
  chainVerified: boolean;
  /** OpenSSL's code when it did not (UNABLE_TO_VERIFY_LEAF_SIGNATURE…). */
  verifyError?: string;
  /** Whether the leaf certificate is valid for Target.serverName (tls.checkServerIdentity, as undici checks it). */
  identityOk: boolean;
  /** The presented chain, leaf first. */
  chain: CertificateFact[];
  protocol?: string;
}

export interface VersionFacts {
  gitVersion?: string;
  platform?: string;
  /** The response's Date header, and our clock when it arrived. */
  serverDate?: Date;
  localDate: Date;
}

export type { UserInfo } from '../auth/self-subject-review.ts';

export interface RulesReview {
  resourceRules: PolicyRule[];
  nonResourceRules: { verbs: string[]; nonResourceURLs: string[] }[];
  incomplete: boolean;
  evaluationError?: string;
}

/** One SelfSubjectAccessReview: what was asked, and the answer. */
export interface AccessCheck {
  /** How the user wrote it ("list nodes"), or how the doctor names it. */
  label: string;
  attributes: AccessAttributes;
  /** false: cluster-scoped or a non-resource URL (a ClusterRole grants it); undefined: discovery does not say. */
  namespaced?: boolean;
  /** kubectl's warnings about the question ("the server doesn't have a resource type …"). */
  warnings?: string[];
  answer: Outcome<{ allowed: boolean; reason?: string; evaluationError?: string }>;
}

export interface AuthzFacts {
  namespace: string;
  rules: Outcome<RulesReview>;
  /** Access reviews for common verbs, asked when the rules review is incomplete. */
  fallback: AccessCheck[];
  /** --can, in the order given. */
  can: AccessCheck[];
  /** Access reviews for what an attacker wants, asked when the rules review is incomplete. */
  exposure: AccessCheck[];
}

export interface Facts {
  /** Our clock when the walk started. */
  now: Date;
  timeoutMs: number;
  environment: EnvironmentFacts;
  mount: MountFacts;
  token: TokenFacts;
  ca: CaFacts;
  /** Undefined when there is no server to aim at (no configuration and no service environment). */
  target?: Target;
  dns?: DnsFacts;
  proxy?: ProxyFacts;
  tcp?: ConnectFacts;
  tls?: Outcome<HandshakeFacts>;
  version?: Outcome<VersionFacts>;
  authn?: Outcome<UserInfo>;
  authz?: AuthzFacts;
  /** Why the API steps were not taken (no configuration, credentials unusable…). */
  apiSkipped?: string;
}
