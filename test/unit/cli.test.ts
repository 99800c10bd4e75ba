// scripts/lib/cli.ts: arguments parsed once, kubectl-style, with usage errors (exit 2); the shared
// -o and PATH checks; the configuration resolved from the environment a Cli is given.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { Cli, outputFormat, parseCommandLine, requireApiPath, type ScriptSpec } from '../../scripts/lib/cli.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { SILENT_LOG } from '../../scripts/lib/log.ts';

const OPTIONS = { output: { type: 'string', short: 'o' } } as const;
const SPEC: ScriptSpec<typeof OPTIONS> = {
  name: 'test',
  usage: 'Usage: test NAME',
  options: OPTIONS,
  arguments: [
    { name: 'NAME', required: true },
    { name: 'EXTRA', required: false },
  ],
};

function isUsageError(pattern: RegExp): (err: unknown) => boolean {
  return (err: unknown) => err instanceof ExitError && err.exitCode === EXIT.USAGE && err.showUsage && pattern.test(err.message);
}

function usageFailure(args: string[], pattern: RegExp): void {
  assert.throws(() => parseCommandLine(SPEC, args), isUsageError(pattern));
}

describe('parseCommandLine', () => {
  it('reads --flag=value, --flag value, short flags and positionals in any order', () => {
    const parsed = parseCommandLine(SPEC, ['gateway', '-n', 'test', '--server=https://x', '-o', 'yaml', '--token-file', '/t', '-v']);
    assert.deepEqual(parsed.positionals, ['gateway']);
    assert.equal(parsed.options.output, 'yaml');
    assert.deepEqual(parsed.flags, {
      server: 'https://x',
      tokenFile: '/t',
      certificateAuthority: undefined,
      insecureSkipTlsVerify: false,
      kubeconfig: undefined,
      context: undefined,
      namespace: 'test',
      serviceAccountDir: undefined,
    });
    assert.equal(parsed.verbose, true);
    assert.equal(parsed.printCurl, false);
  });

  it('parses --request-timeout kubectl-style', () => {
    assert.equal(parseCommandLine(SPEC, ['x', '--request-timeout', '1m']).requestTimeoutMs, 60_000);
    assert.equal(parseCommandLine(SPEC, ['x']).requestTimeoutMs, 0);
    usageFailure(['x', '--request-timeout', 'soon'], /invalid --request-timeout/);
  });

  it('answers --help and -h even next to bad arguments', () => {
    assert.equal(parseCommandLine(SPEC, ['--help']).help, true);
    assert.equal(parseCommandLine(SPEC, ['--bogus', '-h']).help, true);
    assert.equal(parseCommandLine(SPEC, ['x', '--', '-h']).help, false);
  });

  it('turns bad flags and argument counts into usage errors', () => {
    usageFailure(['x', '--bogus'], /^unknown flag --bogus$/);
    usageFailure([], /^missing NAME$/);
    usageFailure(['a', 'b', 'c'], /^unexpected argument c$/);
    usageFailure(['x', '--server'], /server/);
  });
});

describe('outputFormat', () => {
  const FORMATS = ['json', 'yaml', 'status'] as const;

  it('gives the -o value when the script prints it, else the first format', () => {
    assert.equal(outputFormat('yaml', FORMATS), 'yaml');
    assert.equal(outputFormat(undefined, FORMATS), 'json');
    assert.equal(outputFormat(undefined, ['text', 'json'] as const), 'text');
  });

  it("refuses any other format in kubectl's words, the allowed ones sorted", () => {
    const message = 'unable to match a printer suitable for the output format "wide", allowed formats are: json,status,yaml';
    assert.throws(() => outputFormat('wide', FORMATS), isUsageError(new RegExp(`^${message}$`)));
    assert.throws(() => outputFormat('', FORMATS), isUsageError(/output format "",/));
  });
});

describe('requireApiPath', () => {
  it('passes an absolute API path through', () => {
    assert.equal(requireApiPath('/apis/batch/v1'), '/apis/batch/v1');
  });

  it('a path without the leading slash is a usage error', () => {
    assert.throws(() => requireApiPath('api/v1'), isUsageError(/^PATH must start with "\/" \(got api\/v1\)$/));
  });
});

describe('Cli', () => {
  const root = mkdtempSync(join(tmpdir(), 'kip-cli-'));
  after(() => rmSync(root, { recursive: true, force: true }));

  it("resolves the configuration from the environment it was given, not the process's", () => {
    writeFileSync(join(root, 'token'), 'sa-token-value\n');
    writeFileSync(join(root, 'namespace'), 'team-a\n');
    const environment = {
      env: { KUBERNETES_SERVICE_HOST: '10.96.0.1', KUBERNETES_SERVICE_PORT: '443' },
      homeDir: root,
      serviceAccountDir: root,
    };
    const cli = new Cli('test', parseCommandLine(SPEC, ['x']), SILENT_LOG, environment);
    assert.equal(cli.environment, environment);
    const config = cli.config();
    assert.equal(config.source.kind, 'in-cluster');
    assert.equal(config.server, 'https://10.96.0.1:443');
    assert.equal(config.namespace, 'team-a');
  });
});
