/** The accessible table of samples, 50 a page, following the newest unless the reader pages back. */
import * as l10n from '@vscode/l10n';
import { formatBytes, formatCount, formatPercent } from '../src/core/format';
import { KIND_INFO } from '../src/core/kinds';
import type { TimelineSample } from '../src/core/timeline';
import type { VmaKind } from '../src/core/types';
import { $, el, labelCells } from './dom';
import { model, save, view } from './host';
import { pick, toggleCompare } from './picking';

const PAGE = 50;

function findingsText(s: TimelineSample): string {
  const e = s.findings.filter((f) => f.severity === 'error').length;
  const w = s.findings.filter((f) => f.severity === 'warning').length;
  return [e ? l10n.t(e > 1 ? '{0} errors' : '{0} error', e) : '', w ? l10n.t(w > 1 ? '{0} warnings' : '{0} warning', w) : ''].filter(Boolean).join(', ') || '—';
}

function topKinds(s: TimelineSample): string {
  return (Object.entries(s.kinds) as [VmaKind, { count: number }][])
    .sort((a, b) => b[1].count - a[1].count)
    .slice(0, 3)
    .map(([k, v]) => `${KIND_INFO[k].label} ${formatCount(v.count)}`)
    .join(', ');
}

export function renderTable(): void {
  const n = model.size;
  const pages = Math.max(1, Math.ceil(n / PAGE));
  // Follow the newest samples unless the reader went to another page.
  const current = view.page === undefined ? pages - 1 : Math.min(view.page, pages - 1);
  const body = $('samples-body');
  const from = current * PAGE;
  const to = Math.min(n, from + PAGE);
  const picked = view.picked;
  const rows: HTMLTableRowElement[] = [];
  for (let i = from; i < to; i++) {
    const s = model.samples[i];
    const isPicked = picked.includes(s.source);
    const open = el('button', { type: 'button', className: 'link', textContent: l10n.t('Open'), title: l10n.t('Open {0}', s.source) });
    open.addEventListener('click', () => pick(s.source, false, true));
    const cmp = el('input', { type: 'checkbox', checked: isPicked && picked.length > 1, title: l10n.t('Compare') });
    cmp.setAttribute('aria-label', l10n.t('Compare sample {0}', i + 1));
    cmp.addEventListener('change', () => toggleCompare(s.source, cmp.checked));
    const row = el(
      'tr',
      {},
      el('th', { scope: 'row', textContent: String(i + 1) }),
      el('td', { textContent: s.label }),
      el('td', { className: 'num', textContent: formatCount(s.vmaCount) }),
      el('td', { className: 'num', textContent: formatPercent(s.vmaCount / s.maxMapCount) }),
      el('td', { className: 'num', textContent: formatCount(s.maxMapCount) }),
      el('td', { className: 'num', textContent: s.rss !== undefined ? formatBytes(s.rss) : '—' }),
      el('td', { textContent: s.allocator }),
      el('td', { textContent: topKinds(s) }),
      el('td', { textContent: findingsText(s) }),
      el('td', { className: 'actions' }, open, el('label', { className: 'cmp' }, cmp, ` ${l10n.t('compare')}`)),
    );
    labelCells(row, $('samples'));
    row.dataset.source = s.source;
    if (isPicked) row.classList.add('picked');
    rows.push(row);
  }
  body.replaceChildren(...rows);
  $('samples-caption').textContent = n ? l10n.t('Samples {0}–{1} of {2}', formatCount(from + 1), formatCount(to), formatCount(n)) : l10n.t('No samples');
  const pager = $('pager');
  pager.hidden = pages <= 1;
  $<HTMLButtonElement>('prev-page').disabled = current === 0;
  $<HTMLButtonElement>('next-page').disabled = current >= pages - 1;
  $('page-label').textContent = l10n.t('Page {0} of {1}', current + 1, pages);
}

export function initSamplesTable(): void {
  $('prev-page').addEventListener('click', () => {
    const pages = Math.max(1, Math.ceil(model.size / PAGE));
    view.page = Math.max(0, (view.page ?? pages - 1) - 1);
    save();
    renderTable();
  });
  $('next-page').addEventListener('click', () => {
    const pages = Math.max(1, Math.ceil(model.size / PAGE));
    const next = (view.page ?? pages - 1) + 1;
    view.page = next >= pages - 1 ? undefined : next;
    save();
    renderTable();
  });
}
