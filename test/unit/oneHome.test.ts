/**
 * The shared pieces that replaced copies (issue 13): the one binary search, the one webview page
 * builder, and the request ids the timeline webview matches replies with.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseDump } from '../../src/core/parse';
import { upperBound } from '../../src/core/search';
import { escapeHtml, newNonce, webviewHtml } from '../../src/util/webviewHtml';
import { LatestRequest } from '../../webview/requests';

describe('upperBound', () => {
  it('finds the first value above v, with repeats, at both ends, and within a count shorter than the array', () => {
    const a = [1, 3, 3, 5, 9];
    assert.deepEqual(
      [0, 1, 2, 3, 4, 5, 8, 9, 10].map((v) => upperBound(a, v)),
      [0, 1, 1, 3, 3, 4, 4, 5, 5],
    );
    assert.equal(upperBound([], 1), 0);
    assert.equal(upperBound(new Uint32Array([2, 4, 6, 0, 0]), 7, 3), 3, 'the unused tail of a column is not searched');
  });

  it("gives the dump's VMA on a line, and none on a line between VMAs", () => {
    const d = parseDump('# pid: 1\n7f0000000000-7f0000001000 r--p 00000000 00:00 0\n\n7f0000002000-7f0000003000 rw-p 00000000 00:00 0\n');
    assert.deepEqual(
      [1, 2, 3, 4, 5].map((l) => d.indexAtLine(l)),
      [-1, 0, -1, 1, -1],
    );
  });
});

describe('webview pages', () => {
  it('allow only scripts and styles with the nonce, and the extension files only when given its source', () => {
    const csp = (html: string) => /content="([^"]*)"/.exec(html)![1];
    assert.equal(csp(webviewHtml({ nonce: 'N', title: 't', head: '', body: '' })), "default-src 'none'; style-src 'nonce-N'; script-src 'nonce-N';");
    assert.equal(
      csp(webviewHtml({ nonce: 'N', title: 't', cspSource: 'vscode-resource:', fonts: true, head: '', body: '' })),
      "default-src 'none'; style-src vscode-resource: 'nonce-N'; img-src vscode-resource: data:; font-src vscode-resource:; script-src 'nonce-N';",
    );
  });

  it('escape the title and make a new nonce each time', () => {
    assert.match(webviewHtml({ nonce: 'N', title: '<b>"x"</b>', head: '', body: '' }), /<title>&lt;b&gt;&quot;x&quot;&lt;\/b&gt;<\/title>/);
    assert.equal(escapeHtml(`&<>"'`), '&amp;&lt;&gt;&quot;&#39;');
    const nonces = new Set(Array.from({ length: 100 }, newNonce));
    assert.equal(nonces.size, 100);
    for (const n of nonces) assert.match(n, /^[A-Za-z0-9+/]{24}$/);
  });
});

describe('request ids', () => {
  it('only the answer to the latest request is current', () => {
    const r = new LatestRequest();
    const first = r.next();
    const second = r.next();
    assert.notEqual(first, second);
    assert.equal(r.isCurrent(first), false, 'a late answer to the first request');
    assert.equal(r.isCurrent(second), true);
  });
});
