/**
 * The timeline webview's strip requests (StripRequests in webview/requests.ts, used by
 * webview/stripPanel.ts): the host answers each RequestStrip with a StripResult, and answers can
 * arrive out of order (a big dump's strip takes longer than the next one's). Only the answer to
 * the latest request is drawn. The strips are the host's own (stripOf over real dumps); what is
 * "drawn" is what stripPanel.ts would hand to the strip view.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { analyze } from '../../src/core/analyze';
import { parseDump } from '../../src/core/parse';
import { MessageType, type RequestStripMessage, type StripResultMessage } from '../../src/protocol';
import { stripOf } from '../../src/timeline/strip';
import { StripRequests } from '../../webview/requests';
import { layout, library, MiB } from '../helpers/mapsText';

/** The host's answer to a request, built as the panel builds it. */
function answer(req: RequestStripMessage, text: string): StripResultMessage {
  const dump = parseDump(text);
  return { type: MessageType.StripResult, id: req.id, source: req.source, strip: stripOf(dump, req.source, req.source, analyze(dump).addressBits) };
}

function setup() {
  const sent: RequestStripMessage[] = [];
  const drawn: StripResultMessage[] = [];
  const r = new StripRequests(
    (m) => sent.push(m),
    (m) => drawn.push(m),
  );
  return { r, sent, drawn };
}

const A = layout([...library('/usr/lib/libc.so.6'), { size: 64 * MiB, perms: 'rw-p', name: '' }], 0x7f0000000000);
const B = readFileSync('/proc/self/maps', 'utf8');

describe('timeline strip requests', () => {
  it('two requests, the first answered after the second: the strip shows the second', () => {
    const { r, sent, drawn } = setup();
    r.ask('/d/a.maps');
    r.ask('/d/b.maps');
    assert.deepEqual(
      sent.map((m) => m.source),
      ['/d/a.maps', '/d/b.maps'],
    );
    assert.notEqual(sent[0]!.id, sent[1]!.id);
    const late = answer(sent[0]!, A);
    const current = answer(sent[1]!, B);
    r.onResult(current);
    r.onResult(late);
    assert.deepEqual(
      drawn.map((m) => m.strip?.source),
      ['/d/b.maps'],
      'the late answer for a.maps is not drawn over b.maps',
    );
    assert.equal(drawn[0], current);
    assert.notEqual(late.strip!.vmaCount, current.strip!.vmaCount, 'the two strips differ, so drawing the wrong one would show');
  });

  it('the first answer arriving before the second is not drawn either (the user has moved on)', () => {
    const { r, sent, drawn } = setup();
    r.ask('/d/a.maps');
    r.ask('/d/b.maps');
    r.onResult(answer(sent[0]!, A));
    assert.equal(drawn.length, 0);
    r.onResult(answer(sent[1]!, B));
    assert.deepEqual(
      drawn.map((m) => m.source),
      ['/d/b.maps'],
    );
  });

  it('an error answer follows the same rule; a single request is drawn, whatever it carries', () => {
    const { r, sent, drawn } = setup();
    r.ask('/d/a.maps');
    r.ask('/d/b.maps');
    r.onResult({ type: MessageType.StripResult, id: sent[0]!.id, source: '/d/a.maps', error: 'unreadable' });
    r.onResult({ type: MessageType.StripResult, id: sent[1]!.id, source: '/d/b.maps', error: 'gone' });
    assert.deepEqual(
      drawn.map((m) => m.error),
      ['gone'],
    );
  });

  it('asking again for the same sample after reset() sends a new request; its answer alone counts', () => {
    const { r, sent, drawn } = setup();
    r.ask('/d/a.maps');
    assert.equal(r.asked, '/d/a.maps');
    r.reset();
    assert.equal(r.asked, undefined);
    r.ask('/d/a.maps');
    assert.equal(sent.length, 2);
    r.onResult(answer(sent[1]!, A));
    r.onResult(answer(sent[0]!, A));
    assert.equal(drawn.length, 1);
    assert.equal(drawn[0]!.id, sent[1]!.id);
  });
});
