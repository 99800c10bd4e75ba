// The fake apiserver's request-target parser against what Go's url.ParseRequestURI gives for the
// same targets (net/url/url.go): paths stay paths, escapes decode, backslashes stay, errors are 400s.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { parseRequestTarget, TargetError } from '../../fixtures/apiserver/request-target.ts';

const pathOf = (target: string) => parseRequestTarget(target).path;

describe('parseRequestTarget', () => {
  it('keeps an origin-form target starting with // as a path, not an authority', () => {
    assert.equal(pathOf('//a:99999/api'), '//a:99999/api');
    assert.equal(pathOf('//[/api'), '//[/api');
    assert.equal(pathOf('//user@/api'), '//user@/api');
  });
  it('keeps a backslash as a byte of the path', () => {
    assert.equal(pathOf('/api/v1/namespaces/test/pods/p\\exec'), '/api/v1/namespaces/test/pods/p\\exec');
    assert.equal(pathOf('/a%5Cb'), '/a\\b');
  });
  it('decodes escapes into the path, %2F included, and keeps # as a path byte', () => {
    assert.equal(pathOf('/api/v1/namespaces%2Ftest/pods'), '/api/v1/namespaces/test/pods');
    assert.equal(pathOf('/%2e%2E/x#y'), '/../x#y');
    assert.equal(pathOf('/caf%C3%A9'), '/café');
  });
  it('takes the path of an absolute-form target', () => {
    assert.equal(pathOf('https://kubernetes.default.svc/version?x=1'), '/version');
    assert.equal(pathOf('https://user@[::1]:443/api'), '/api');
    assert.equal(pathOf('http://host'), '');
  });
  it('answers with net/url error texts', () => {
    assert.throws(() => parseRequestTarget('//%zz/api'), new TargetError('parse "//%zz/api": invalid URL escape "%zz"'));
    assert.throws(() => parseRequestTarget('/x%4'), new TargetError('parse "/x%4": invalid URL escape "%4"'));
    assert.throws(() => parseRequestTarget('api/v1'), new TargetError('parse "api/v1": invalid URI for request'));
    assert.throws(() => parseRequestTarget('https://[/api'), new TargetError('parse "https://[/api": missing \']\' in host'));
    assert.throws(() => parseRequestTarget('https://h:x/api'), new TargetError('parse "https://h:x/api": invalid port ":x" after host'));
  });
  it('parses the query as url.ParseQuery, dropping pairs with ; or bad escapes', () => {
    const { query } = parseRequestTarget('/api?a=1+2&b=%zz&c;d=3&limit=5&limit=6&e');
    assert.deepEqual(
      [...query],
      [
        ['a', '1 2'],
        ['limit', '5'],
        ['limit', '6'],
        ['e', ''],
      ],
    );
  });
  it('either parses or throws a TargetError for any target, never anything else', () => {
    const targetChars = fc.constantFrom(
      '/',
      '\\',
      '%',
      '2',
      'F',
      'z',
      'e',
      ':',
      '@',
      '[',
      ']',
      '?',
      '&',
      '=',
      ';',
      '#',
      'a',
      'é',
      '\u0000',
    );
    fc.assert(
      fc.property(
        fc.array(targetChars, { maxLength: 40 }).map((chars) => chars.join('')),
        (target) => {
          try {
            const { path } = parseRequestTarget(target);
            assert.equal(typeof path, 'string');
          } catch (error) {
            assert.ok(error instanceof TargetError, String(error));
          }
        },
      ),
      { seed: 1, numRuns: 2000 },
    );
  });
});
