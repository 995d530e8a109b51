/** The fragmentation strip of one sample: asked of the host (it holds the dump), drawn by StripView. */
import * as l10n from '@vscode/l10n';
import { MessageType, type StripResultMessage } from '../src/protocol';
import type { Palette } from './colors';
import { $ } from './dom';
import { model, post, view } from './host';
import { StripRequests } from './requests';
import { StripView } from './stripView';

let strip: StripView;
/** The sample the strip shows or was last asked for; an older answer arriving late is not drawn. */
const requests = new StripRequests((m) => post(m), draw);
let stripThrottle = false;

export function initStrip(palette: Palette): void {
  strip = new StripView($<HTMLCanvasElement>('strip'), $('strip-tip'), $('strip-axis'), palette, (src, line) =>
    post({ type: MessageType.OpenSample, source: src, line }),
  );
  $('zoom-in').addEventListener('click', () => strip.zoomIn());
  $('zoom-out').addEventListener('click', () => strip.zoom(2));
  $('zoom-reset').addEventListener('click', () => strip.reset());
}

export function setStripPalette(palette: Palette): void {
  strip.setPalette(palette);
}

/** A new set of samples: ask again for whatever the strip should show. */
export function resetStrip(): void {
  requests.reset();
}

/** The strip follows the last picked sample, or the newest one. */
export function ensureStrip(): void {
  const picked = view.picked;
  const want = picked.length ? picked[picked.length - 1] : view.userPickedStrip ? undefined : model.samples[model.size - 1]?.source;
  if (!want || want === requests.asked) return;
  // During a fast load or watch, ask at most every 2 s for the newest sample.
  if (!picked.length && stripThrottle) return;
  requests.ask(want);
  if (!picked.length) {
    stripThrottle = true;
    setTimeout(() => {
      stripThrottle = false;
      if (!view.picked.length) ensureStrip();
    }, 2000);
  }
}

/** An answer of the host: drawn only when it answers the latest request (see StripRequests). */
export function onStripResult(m: StripResultMessage): void {
  requests.onResult(m);
}

function draw(m: StripResultMessage): void {
  if (m.strip) {
    strip.show(m.strip);
    $('strip-note').textContent = strip.describe();
    $('strip-section').dataset.source = m.strip.source;
  } else {
    $('strip-note').textContent = l10n.t('Cannot show the address space: {0}', m.error ?? l10n.t('unknown error'));
    strip.clear();
  }
}
