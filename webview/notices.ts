/** The notices above the chart: loading progress, skipped files, the host's messages, the panel's own errors. */
import * as l10n from '@vscode/l10n';
import { formatCount } from '../src/core/format';
import type { LoadProgressMessage } from '../src/protocol';
import { $, el } from './dom';
import { render, view } from './host';

/** A failure in the panel's own code is shown in the panel, not only in a developer console. */
export function showError(message: string): void {
  const box = document.getElementById('notices');
  const div = document.createElement('div');
  div.className = 'notice error';
  div.textContent = l10n.t('Timeline error: {0}', message);
  box?.append(div);
}

export function renderNotices(extra?: { level: string; message: string }): void {
  const box = $('notices');
  const items: HTMLElement[] = [];
  const { loading, skipped } = view;
  if (loading && !loading.finished) {
    items.push(
      el('div', { className: 'notice info', id: 'loading' }, l10n.t('Reading dumps… {0} of {1}', formatCount(loading.done), formatCount(loading.total))),
    );
  }
  if (skipped.length) {
    const det = el('details', { className: 'notice warning' });
    det.append(
      el('summary', { textContent: l10n.t(skipped.length > 1 ? '{0} files skipped' : '{0} file skipped', formatCount(skipped.length)) }),
      el('ul', {}, ...skipped.slice(0, 50).map((f) => el('li', { textContent: `${f.file}: ${f.reason}` }))),
    );
    items.push(det);
  }
  if (extra) items.push(el('div', { className: `notice ${extra.level}`, textContent: extra.message }));
  box.replaceChildren(...items);
}

export function onLoadProgress(m: LoadProgressMessage): void {
  view.loading = m.progress;
  view.skipped = m.skipped;
  renderNotices();
  if (m.progress.finished) render.schedule();
}
