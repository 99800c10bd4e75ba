// The doctor's report (scripts/lib/doctor/report.ts, render.ts): walk order, the first failure and its
// exit code, the human lines (✓ ! ✗ -, ASCII without a UTF-8 locale), the JSON document, and the
// schema test/doctor.bats validates it with (test/schemas/validate.ts must reject what it should).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { EXIT } from '../../scripts/lib/errors.ts';
import { renderHuman, renderJson, terminalStyle } from '../../scripts/lib/doctor/render.ts';
import { CHECK_IDS, buildReport, exitCodeOf, fail, pass, skip, warn, type CheckResult } from '../../scripts/lib/doctor/report.ts';
import { Validator } from '../schemas/validate.ts';

const SCHEMA = JSON.parse(readFileSync(new URL('../schemas/doctor-report.schema.json', import.meta.url), 'utf8'));

/** Every check passing, then `changed` put in place of its id. */
function results(...changed: CheckResult[]): CheckResult[] {
  return CHECK_IDS.map((id) => changed.find((result) => result.id === id) ?? pass(id, `${id} fine`));
}

const mountFailed = fail('mount', EXIT.NO_CONFIG, {
  summary: 'no service-account token',
  cause: 'automountServiceAccountToken: false',
  evidence: ['token: missing', 'ca.crt: missing'],
  fix: 'set automountServiceAccountToken: true',
});
const authzFailed = {
  ...fail('authz', EXIT.FORBIDDEN, { summary: 'denied: list nodes', cause: 'RBAC', fix: 'apply the YAML below' }),
  yaml: 'kind: ClusterRole\n',
};

describe('the report', () => {
  it('exits 0 with warnings only, else with the first failure class', () => {
    assert.equal(exitCodeOf(results(warn('exposure', { summary: 's', cause: 'c', fix: 'f' }))), EXIT.OK);
    assert.equal(exitCodeOf(results(authzFailed, mountFailed)), EXIT.NO_CONFIG);
    assert.equal(buildReport(results(authzFailed, mountFailed)).firstFailure, 'mount');
  });

  it('is one JSON document the schema accepts, with the walk order and no exit codes in it', () => {
    const report = JSON.parse(renderJson(results(mountFailed, skip('tls', 'no CA'), authzFailed)));
    assert.deepEqual(new Validator(SCHEMA).errors(report), []);
    assert.deepEqual(
      report.checks.map((check: { id: string }) => check.id),
      [...CHECK_IDS],
    );
    assert.equal(report.checks[1].exitCode, undefined);
  });

  it('is refused by the schema when an id is missing, out of order, or a failure has no fix', () => {
    const validator = new Validator(SCHEMA);
    const report = buildReport(results(mountFailed));
    const broken = (change: (copy: ReturnType<typeof buildReport>) => void) => {
      const copy = structuredClone(report);
      change(copy);
      return validator.errors(copy);
    };
    assert.notDeepEqual(
      broken((copy) => copy.checks.pop()),
      [],
    );
    assert.notDeepEqual(
      broken((copy) => copy.checks.reverse()),
      [],
    );
    assert.deepEqual(
      broken((copy) => delete copy.checks[1]?.fix),
      ['/checks/1: lacks the required property fix'],
    );
    assert.notDeepEqual(
      broken((copy) => Object.assign(copy, { firstFailure: 'nope' })),
      [],
    );
    assert.notDeepEqual(
      broken((copy) => Object.assign(copy.checks[0] ?? {}, { status: 'ok' })),
      [],
    );
  });

  it('refuses a schema keyword the validator does not implement', () => {
    assert.throws(() => new Validator({ type: 'object', patternProperties: {} }).errors({}), /patternProperties is not implemented/);
  });
});

describe('human output', () => {
  it('prints one line a check, then the first failure: cause, evidence, fix', () => {
    const text = renderHuman(results(mountFailed, warn('exposure', { summary: 'can read secrets', cause: 'c', fix: 'do less' })), {
      unicode: true,
      colour: false,
    });
    const lines = text.split('\n');
    assert.equal(lines[0], '✓ environment  environment fine');
    assert.equal(lines[1], '✗ mount        no service-account token');
    assert.equal(lines[11], '! exposure     can read secrets');
    assert.equal(lines[12], '               fix: do less');
    assert.match(text, /\n12 checks: 10 passed, 1 warned, 1 failed, 0 skipped\n/);
    assert.match(
      text,
      /\nFirst failure: mount\n {2}cause: {4}automountServiceAccountToken: false\n {2}evidence: token: missing\n {12}ca\.crt: missing\n {2}fix: {6}set automountServiceAccountToken: true\n$/,
    );
  });

  it('ends with the YAML when it is the fix', () => {
    assert.match(
      renderHuman(results(authzFailed), { unicode: true, colour: false }),
      /fix: {6}apply the YAML below\n\nkind: ClusterRole\n$/,
    );
  });

  it('uses + ! x - without a UTF-8 locale, and colour only on a terminal without NO_COLOR', () => {
    const text = renderHuman(results(mountFailed, skip('tls', 'no CA')), terminalStyle({ LANG: 'C' }, false));
    assert.match(text, /^\+ environment/);
    assert.match(text, /^x mount/m);
    assert.match(text, /^- tls/m);
    assert.deepEqual(terminalStyle({ LC_ALL: 'C', LANG: 'en_US.UTF-8' }, true), { unicode: false, colour: true });
    assert.deepEqual(terminalStyle({ LANG: 'en_US.utf8', NO_COLOR: '1' }, true), { unicode: true, colour: false });
    assert.ok(renderHuman(results(), { unicode: true, colour: true }).startsWith('\u001b[32m✓\u001b[0m environment'));
  });
});
