/** The live watch's state line and its controls (pause, resume, stop, watch again, interval). */
import * as l10n from '@vscode/l10n';
import { formatDuration } from '../src/core/format';
import { MessageType, WATCH_INTERVAL_MAX_S, WATCH_INTERVAL_MIN_S, type WatchStatusMessage } from '../src/protocol';
import { $ } from './dom';
import { post, view } from './host';

export function renderWatch(): void {
  const box = $('watch');
  const watch = view.watch;
  box.hidden = !watch && view.origin?.kind !== 'watch';
  if (!watch) {
    if (view.origin?.kind === 'watch') {
      $('watch-state').textContent = l10n.t('Not watching.');
      show({ pause: false, resume: false, stop: false, restart: true });
    }
    return;
  }
  const s = watch;
  box.dataset.state = s.state;
  let text = s.message;
  if (s.state === 'retrying' && s.nextAt) text += ` ${l10n.t('(next attempt in {0})', formatDuration(Math.max(0, s.nextAt - Date.now())))}`;
  $('watch-state').textContent = text;
  const live = s.state === 'running' || s.state === 'retrying';
  const every = $<HTMLInputElement>('watch-interval');
  $('watch-every').hidden = !(live || s.state === 'paused');
  if (document.activeElement !== every) every.value = String(s.intervalMs / 1000);
  show({ pause: live, resume: s.state === 'paused', stop: live || s.state === 'paused', restart: !live && s.state !== 'paused' && s.canRestart });
}

function show(buttons: Record<'pause' | 'resume' | 'stop' | 'restart', boolean>): void {
  for (const [id, on] of Object.entries(buttons)) $(id).hidden = !on;
}

export function onWatchStatus(m: WatchStatusMessage): void {
  view.watch = m.status;
  renderWatch();
}

export function initWatchBar(): void {
  $('watch-interval').addEventListener('change', (e) => {
    const input = e.target as HTMLInputElement;
    const seconds = Number(input.value);
    if (Number.isFinite(seconds) && seconds >= WATCH_INTERVAL_MIN_S && seconds <= WATCH_INTERVAL_MAX_S) post({ type: MessageType.WatchInterval, seconds });
    else input.value = String((view.watch?.intervalMs ?? 10_000) / 1000); // out of range: back to what runs
  });
  for (const action of ['pause', 'resume', 'stop', 'restart'] as const) {
    $(action).addEventListener('click', () => post({ type: MessageType.WatchControl, action }));
  }
}
