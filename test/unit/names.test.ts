// scripts/lib/names.ts: DNS-1123 names, checked before they go into a URL path, in apimachinery's words.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { dnsLabelProblem, dnsSubdomainProblem, quoteName } from '../../scripts/lib/names.ts';

describe('dnsSubdomainProblem', () => {
  it('accepts lowercase subdomains up to 253 characters', () => {
    for (const name of ['gateway', 'a', 'kube-proxy', 'x.y-z.0', '0abc', 'a'.repeat(253)])
      assert.equal(dnsSubdomainProblem(name), undefined, name);
  });

  it('names the RFC 1123 subdomain rule and the length limit for anything else', () => {
    for (const name of ['a..b', 'Gateway', 'a'.repeat(254), '-a', 'a-', '.a', 'a.', '', 'a_b', 'a/b', 'a b', 'a.-b']) {
      assert.match(dnsSubdomainProblem(name) ?? '', /^a lowercase RFC 1123 subdomain must consist of .*, at most 253 characters$/, name);
    }
  });

  it('accepts exactly the names that are dot-joined labels of at most 253 characters', () => {
    const label = fc.stringMatching(/^[a-z0-9]([-a-z0-9]{0,8}[a-z0-9])?$/);
    fc.assert(
      fc.property(fc.array(label, { minLength: 1, maxLength: 40 }), (labels) => {
        const name = labels.join('.');
        return (dnsSubdomainProblem(name) === undefined) === name.length <= 253;
      }),
    );
    fc.assert(
      fc.property(
        fc.string(),
        fc.constantFrom('A', '_', ' ', '/', '\n', '..'),
        fc.string(),
        (before, bad, after) => dnsSubdomainProblem(`a${before}${bad}${after}a`) !== undefined,
      ),
    );
  });
});

describe('dnsLabelProblem', () => {
  it('accepts lowercase labels up to 63 characters and nothing else', () => {
    for (const name of ['test', 'kube-system', '123-abc', 'a'.repeat(63)]) assert.equal(dnsLabelProblem(name), undefined, name);
    for (const name of ['Bad_NS', 'a.b', 'a'.repeat(64), '-a', '']) {
      assert.match(dnsLabelProblem(name) ?? '', /^a lowercase RFC 1123 label must consist of .*, at most 63 characters$/, name);
    }
  });
});

describe('quoteName', () => {
  it('quotes a name so blanks and newlines show, and shortens a long one', () => {
    assert.equal(quoteName('a b\n'), '"a b\\n"');
    assert.equal(quoteName('a'.repeat(300)), `"${'a'.repeat(64)}…" (300 characters)`);
  });
});
