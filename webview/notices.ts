/** The notices above the chart: loading progress, skipped files, the host's messages, the panel's own errors. */
import { formatCount } from '../src/core/format';
import type { LoadProgressMessage } from '../src/protocol';
import { $, el } from './dom';
import { render, view } from './host';

/** A failure in the panel's own code is shown in the panel, not only in a developer console. */
export function showError(message: string): void {
  const box = document.getElementById('notices');
  const div = document.createElement('div');
  div.className = 'notice error';
  div.textContent = `Timeline error: ${message}`;
  box?.append(div);
}

export function renderNotices(extra?: { level: string; message: string }): void {
  const box = $('notices');
  const items: HTMLElement[] = [];
  const { loading, skipped } = view;
  if (loading && !loading.finished) {
    items.push(el('div', { className: 'notice info', id: 'loading' }, `Reading dumps… ${formatCount(loading.done)} of ${formatCount(loading.total)}`));
  }
  if (skipped.length) {
    const det = el('details', { className: 'notice warning' });
    det.append(
      el('summary', { textContent: `${formatCount(skipped.length)} file${skipped.length > 1 ? 's' : ''} skipped` }),
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
