// scripts/lib/json.ts: a 2xx API body parsed as JSON, a body that is not JSON an API error.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { EXIT, ExitError } from '../../scripts/lib/errors.ts';
import { parseJson } from '../../scripts/lib/json.ts';

describe('parseJson', () => {
  it('parses any JSON value the server sends, UTF-8 included', () => {
    assert.deepEqual(parseJson(Buffer.from('{"kind":"Status","message":"héllo"}')), { kind: 'Status', message: 'héllo' });
    assert.deepEqual(parseJson(Buffer.from('[1,2]\n')), [1, 2]);
    assert.equal(parseJson(Buffer.from('null')), null);
  });

  for (const [what, body] of [
    ['an HTML page', '<html>hello</html>'],
    ['an empty body', ''],
    ['a cut-off body', '{"kind":'],
  ]) {
    it(`${what} is the API server's error (exit 9) in one line, the parser's reason kept for --verbose`, () => {
      assert.throws(
        () => parseJson(Buffer.from(body)),
        (err: unknown) =>
          err instanceof ExitError &&
          err.exitCode === EXIT.API_ERROR &&
          err.message === 'the API server answered 2xx but the body is not JSON' &&
          err.cause instanceof SyntaxError,
      );
    });
  }
});
