/** The diff of two picked samples: asked of the host (it holds the dumps), shown as tables by kind and by range. */
import * as l10n from '@vscode/l10n';
import { rangeGrew } from '../src/core/diff';
import { formatBytes, formatCount } from '../src/core/format';
import { KIND_INFO } from '../src/core/kinds';
import type { VmaKind } from '../src/core/types';
import { MessageType, type DiffResultMessage } from '../src/protocol';
import { $, dataTable, el } from './dom';
import { model, post, view } from './host';
import { LatestRequest } from './requests';

const requests = new LatestRequest();

/** Asks for the diff of the two picked samples (A before B). */
export function requestDiff(): void {
  post({ type: MessageType.RequestDiff, id: requests.next(), a: view.picked[0], b: view.picked[1] });
}

export function onDiffResult(m: DiffResultMessage): void {
  if (!requests.isCurrent(m.id) || m.a !== view.picked[0] || m.b !== view.picked[1]) return; // an older answer
  const box = $('diff');
  if (m.error || !m.diff) {
    box.textContent = l10n.t('Cannot compare: {0}', m.error ?? l10n.t('unknown error'));
    return;
  }
  const d = m.diff;
  const a = model.get(m.a);
  const b = model.get(m.b);
  const delta = (n: number) => (n > 0 ? `+${formatCount(n)}` : n < 0 ? `−${formatCount(-n)}` : '0');
  const bytesDelta = (n: number) => (n > 0 ? `+${formatBytes(n)}` : n < 0 ? `−${formatBytes(-n)}` : '0');
  const head = el(
    'p',
    { id: 'diff-summary' },
    l10n.t(
      'A {0} → B {1}: {2} → {3} VMAs ({4}); {5} added, {6} removed, {7} unchanged.',
      a?.label ?? m.a,
      b?.label ?? m.b,
      formatCount(d.vmaCountA),
      formatCount(d.vmaCountB),
      delta(d.vmaCountB - d.vmaCountA),
      formatCount(d.added),
      formatCount(d.removed),
      formatCount(d.unchanged),
    ),
  );
  const kinds = (Object.entries(d.kinds) as [VmaKind, NonNullable<(typeof d.kinds)[VmaKind]>][])
    .filter(([, k]) => k.countA !== k.countB || k.bytesA !== k.bytesB)
    .sort((x, y) => Math.abs(y[1].countB - y[1].countA) - Math.abs(x[1].countB - x[1].countA));
  const num = (text: string) => el('td', { className: 'num', textContent: text });
  const kindTable = dataTable(
    'diff-kinds',
    l10n.t('By kind'),
    [l10n.t('Kind'), l10n.t('VMAs in A'), l10n.t('VMAs in B'), l10n.t('Change'), l10n.t('Bytes change')],
    kinds.map(([k, v]) => [
      el('th', { scope: 'row', textContent: KIND_INFO[k].label }),
      num(formatCount(v.countA)),
      num(formatCount(v.countB)),
      num(delta(v.countB - v.countA)),
      num(bytesDelta(v.bytesB - v.bytesA)),
    ]),
    l10n.t('No kind changed.'),
  );
  const ranges = (id: string, caption: string, list: typeof d.topRanges, empty: string) =>
    dataTable(
      id,
      caption,
      [l10n.t('Range'), l10n.t('Kind'), 'VMAs', l10n.t('Added'), l10n.t('Removed'), l10n.t('Bytes'), ''],
      list.map((r) => {
        const open = el('button', { type: 'button', className: 'link', textContent: l10n.t('open line {0}', r.line) });
        open.addEventListener('click', () => post({ type: MessageType.OpenSample, source: r.added ? m.b : m.a, line: r.line }));
        return [
          el('th', { scope: 'row', className: 'mono', textContent: `${r.startHex}-${r.endHex}` }),
          el('td', { textContent: KIND_INFO[r.kind].label }),
          num(delta(r.vmaDelta)),
          num(formatCount(r.added)),
          num(formatCount(r.removed)),
          num(bytesDelta(r.byteDelta)),
          el('td', {}, open),
        ];
      }),
      empty,
    );
  const grown = d.topRanges.filter(rangeGrew);
  const shrunk = d.topRanges.filter((r) => !rangeGrew(r));
  const parts: HTMLElement[] = [];
  if (m.warning) parts.push(el('p', { id: 'diff-warning', className: 'notice warning', role: 'alert', textContent: m.warning }));
  parts.push(head, kindTable, ranges('diff-ranges', l10n.t('Top-growing address ranges'), grown, l10n.t('No address range grew.')));
  if (shrunk.length) parts.push(ranges('diff-shrunk', l10n.t('Shrinking address ranges'), shrunk, ''));
  box.replaceChildren(...parts);
}
