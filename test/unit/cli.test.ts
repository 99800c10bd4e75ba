// scripts/lib/cli.ts: arguments parsed once, kubectl-style, with usage errors (exit 2).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseCommandLine, type ScriptSpec } from '../../scripts/lib/cli.ts';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';

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

function usageFailure(args: string[], pattern: RegExp): void {
  assert.throws(
    () => parseCommandLine(SPEC, args),
    (err: unknown) => err instanceof ExitError && err.exitCode === EXIT.USAGE && err.showUsage && pattern.test(err.message),
  );
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
