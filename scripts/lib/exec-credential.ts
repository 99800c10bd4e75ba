// kubeconfig exec credential plugins (client.authentication.k8s.io/v1 and v1beta1).
//
// kubectl runs users[].user.exec.command with its args and env, passes an
// ExecCredential request in $KUBERNETES_EXEC_INFO, and reads an ExecCredential
// from the plugin's stdout: status.token, or status.clientCertificateData and
// clientKeyData, valid until status.expirationTimestamp. We do the same, with zx,
// and keep the answer until it expires (or until the server answers 401).

// zx/core is zx's $ without its vendored extras (fs-extra, globby, …): a third of the bundle size.
import { configError } from './errors.ts';
import type { ExecConfig } from './kubeconfig.ts';
import { redact, registerSecret } from './redact.ts';
import { TOKEN_FIX, tokenDefect } from './token.ts';

export const EXEC_API_VERSIONS = ['client.authentication.k8s.io/v1', 'client.authentication.k8s.io/v1beta1'];

/** spec.cluster of the ExecCredential, sent only when the kubeconfig sets provideClusterInfo. */
export interface ExecClusterInfo {
  server: string;
  'tls-server-name'?: string;
  'insecure-skip-tls-verify'?: boolean;
  /** base64 PEM. */
  'certificate-authority-data'?: string;
  'proxy-url'?: string;
}

export interface ExecCredential {
  token?: string;
  clientCertificateData?: string;
  clientKeyData?: string;
  expiresAt?: Date;
}

export interface ExecRunResult {
  exitCode: number | null;
  stdout: string;
  stderr: string;
}

export type ExecRunner = (command: string, args: string[], env: Record<string, string>) => Promise<ExecRunResult>;

/**
 * Run the plugin with zx: arguments are passed as an array, so zx quotes them; stdin is not a terminal.
 * zx is imported on first use: only exec-plugin users pay for loading it.
 */
export const runWithZx: ExecRunner = async (command, args, env) => {
  const { $ } = await import('zx/core');
  const output = await $({
    env: { ...process.env, ...env },
    nothrow: true,
    quiet: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  })`${command} ${args}`;
  return { exitCode: output.exitCode, stdout: output.stdout, stderr: output.stderr };
};

/** The $KUBERNETES_EXEC_INFO document the plugin receives. */
export function execCredentialRequest(exec: ExecConfig, cluster?: ExecClusterInfo): string {
  const spec: Record<string, unknown> = { interactive: false };
  if (exec.provideClusterInfo && cluster !== undefined) spec.cluster = cluster;
  return JSON.stringify({ kind: 'ExecCredential', apiVersion: exec.apiVersion, spec });
}

/** Parse and check the plugin's stdout. `describe` names the plugin in messages. */
export function parseExecCredential(stdout: string, exec: ExecConfig, describe: string): ExecCredential {
  let doc: unknown;
  try {
    doc = JSON.parse(stdout);
  } catch {
    throw configError(`${describe} did not print an ExecCredential JSON document on stdout`);
  }
  const object = (typeof doc === 'object' && doc !== null ? doc : {}) as Record<string, unknown>;
  if (object.kind !== 'ExecCredential') throw configError(`${describe} printed kind ${String(object.kind)}, expected ExecCredential`);
  if (object.apiVersion !== exec.apiVersion) {
    throw configError(`${describe} answered with apiVersion ${String(object.apiVersion)}, but the kubeconfig asks for ${exec.apiVersion}`);
  }
  const status = (typeof object.status === 'object' && object.status !== null ? object.status : {}) as Record<string, unknown>;
  const text = (key: string) => (typeof status[key] === 'string' && status[key] !== '' ? (status[key] as string) : undefined);
  const credential: ExecCredential = {
    token: text('token'),
    clientCertificateData: text('clientCertificateData'),
    clientKeyData: text('clientKeyData'),
  };
  const expiration = text('expirationTimestamp');
  if (expiration !== undefined) {
    const expiresAt = new Date(expiration);
    if (Number.isNaN(expiresAt.getTime())) throw configError(`${describe} printed an invalid expirationTimestamp ${expiration}`);
    credential.expiresAt = expiresAt;
  }
  const hasCert = credential.clientCertificateData !== undefined;
  if (hasCert !== (credential.clientKeyData !== undefined)) {
    throw configError(`${describe} must print both clientCertificateData and clientKeyData, or neither`);
  }
  if (credential.token === undefined && !hasCert) {
    throw configError(`${describe} printed neither status.token nor a client certificate`);
  }
  registerSecret(credential.token);
  registerSecret(credential.clientKeyData);
  const defect = credential.token === undefined ? undefined : tokenDefect(credential.token);
  if (defect !== undefined) throw configError(`${describe} printed a status.token that ${defect}: ${TOKEN_FIX}`);
  return credential;
}

/** An exec plugin whose answer is cached until its expirationTimestamp. */
export class ExecCredentialSource {
  readonly exec: ExecConfig;
  readonly describe: string;
  private readonly cluster: ExecClusterInfo | undefined;
  private readonly run: ExecRunner;
  private readonly now: () => number;
  private cached: ExecCredential | undefined;

  constructor(exec: ExecConfig, origin: string, options: { cluster?: ExecClusterInfo; run?: ExecRunner; now?: () => number } = {}) {
    this.exec = exec;
    this.describe = `exec plugin ${exec.command} (${origin})`;
    this.cluster = options.cluster;
    this.run = options.run ?? runWithZx;
    this.now = options.now ?? Date.now;
  }

  async get(): Promise<ExecCredential> {
    const expired = this.cached?.expiresAt !== undefined && this.now() >= this.cached.expiresAt.getTime();
    if (this.cached === undefined || expired) this.cached = await this.execute();
    return this.cached;
  }

  /** Forget the cached credential (after a 401), so the next get() runs the plugin again. */
  invalidate(): void {
    this.cached = undefined;
  }

  private async execute(): Promise<ExecCredential> {
    if (!EXEC_API_VERSIONS.includes(this.exec.apiVersion)) {
      throw configError(`${this.describe} uses apiVersion ${this.exec.apiVersion}; supported: ${EXEC_API_VERSIONS.join(', ')}`);
    }
    if (this.exec.interactiveMode === 'Always') {
      throw configError(`${this.describe} needs an interactive terminal (interactiveMode: Always), which a pod does not have`);
    }
    const env: Record<string, string> = Object.fromEntries(this.exec.env.map(({ name, value }) => [name, value]));
    env.KUBERNETES_EXEC_INFO = execCredentialRequest(this.exec, this.cluster);
    let result: ExecRunResult;
    try {
      result = await this.run(this.exec.command, this.exec.args, env);
    } catch (err) {
      throw configError(`${this.describe} could not be started: ${(err as Error).message}`, err);
    }
    if (result.exitCode !== 0) {
      const lastLine = result.stderr.trim().split('\n').pop() ?? '';
      const hint = result.exitCode === 127 && this.exec.installHint ? `: ${this.exec.installHint.trim()}` : '';
      throw configError(`${this.describe} failed with exit code ${result.exitCode}${lastLine ? `: ${lastLine}` : ''}${hint}`);
    }
    if (result.stderr.trim() !== '') process.stderr.write(redact(result.stderr));
    return parseExecCredential(result.stdout, this.exec, this.describe);
  }
}
