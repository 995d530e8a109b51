/** Picking samples: one to open, two to compare (A before B), and the line that says which. */
import * as l10n from '@vscode/l10n';
import { formatBytes, formatCount } from '../src/core/format';
import type { TimelineSample } from '../src/core/timeline';
import { MessageType } from '../src/protocol';
import { requestDiff } from './diffTables';
import { $, el } from './dom';
import { model, post, render, save, view } from './host';

export function pick(src: string, add: boolean, open: boolean): void {
  if (add && view.picked.length >= 1 && !view.picked.includes(src)) {
    // A stays; the new sample becomes the other side.
    view.picked = orderPair(view.picked[0], src);
  } else {
    view.picked = [src];
    if (open) post({ type: MessageType.OpenSample, source: src });
  }
  afterPick();
}

export function toggleCompare(src: string, on: boolean): void {
  let picked = view.picked;
  if (on) {
    if (picked.length >= 2) picked = [picked[1]];
    picked = picked.includes(src) ? picked : picked.length ? orderPair(picked[0], src) : [src];
  } else {
    picked = picked.filter((p) => p !== src);
  }
  view.picked = picked;
  afterPick();
}

function orderPair(a: string, b: string): string[] {
  return model.indexOf(a) <= model.indexOf(b) ? [a, b] : [b, a];
}

function afterPick(): void {
  view.userPickedStrip = true;
  save();
  if (view.picked.length === 2) {
    $('diff-section').hidden = false;
    $('diff').textContent = l10n.t('Comparing…');
    requestDiff();
  } else {
    $('diff-section').hidden = true;
  }
  render.schedule();
}

export function pickedIndices(): number[] {
  return view.picked.map((s) => model.indexOf(s)).filter((i) => i >= 0);
}

export function renderPicked(): void {
  const box = $('picked');
  const ss = view.picked.map((p) => model.get(p)).filter((s): s is TimelineSample => !!s);
  if (!ss.length) {
    box.textContent = l10n.t('Click a sample in the chart to open it; Shift+click a second one to compare the two.');
    return;
  }
  const describe = (s: TimelineSample) =>
    `#${model.indexOf(s.source) + 1} ${s.label}: ${l10n.t('{0} VMAs', formatCount(s.vmaCount))}${s.rss !== undefined ? `, RSS ${formatBytes(s.rss)}` : ''}`;
  box.replaceChildren(
    ...ss.map((s, k) => {
      const b = el('button', { type: 'button', className: 'link', textContent: l10n.t('open') });
      b.addEventListener('click', () => post({ type: MessageType.OpenSample, source: s.source }));
      return el('div', {}, el('strong', { textContent: ss.length > 1 ? (k ? 'B ' : 'A ') : '' }), describe(s) + ' ', b);
    }),
  );
  if (ss.length === 1)
    box.append(el('div', { className: 'hint', textContent: l10n.t('Shift+click another sample (or tick “compare” in the table) to see what changed.') }));
}
