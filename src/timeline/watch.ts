/**
 * A live watch: capture a process every interval, keep each sample, and survive what happens to
 * long-running watches: the process exits (stop, keep the timeline), SSH drops (retry with
 * exponential backoff, saying so), the user pauses, the panel closes (every timer and the capture
 * in flight end with it). No `vscode` here: the clock and the capture are injected, so unit tests
 * drive it with mock timers.
 */
import { CaptureError } from '../capture/names';
import type { WatchState, WatchStatusMessage } from '../protocol';
import { formatDuration } from '../core/format';
import { t } from '../core/l10n';

export type WatchStatus = WatchStatusMessage['status'];

export interface Clock {
  now(): number;
  setTimeout(fn: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const realClock: Clock = {
  now: () => Date.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
};

export interface WatchOptions {
  intervalMs: number;
  /** Takes one sample (a capture, saved and analysed); rejects with a CaptureError on failure. */
  sample(signal: AbortSignal): Promise<void>;
  onStatus(status: WatchStatus): void;
  /** What the target is, for messages: "process 1234", "process 1234 on db1". */
  what: string;
  clock?: Clock;
  /** First retry delay; doubles up to maxBackoffMs. */
  backoffMs?: number;
  maxBackoffMs?: number;
}

/** What to do after a failed capture. */
export function classifyFailure(err: unknown): 'exited' | 'retry' | 'fatal' {
  if (!(err instanceof CaptureError)) return 'retry';
  switch (err.kind) {
    case 'no-process':
      return 'exited';
    case 'ssh':
    case 'timeout':
    case 'failed':
      return 'retry';
    default:
      // invalid, permission, sudo, spawn: waiting will not help.
      return 'fatal';
  }
}

export function backoffDelay(attempt: number, first = 2000, max = 60_000): number {
  return Math.min(max, first * 2 ** Math.max(0, attempt - 1));
}

export class WatchSession {
  private stateValue: WatchState = 'stopped';
  private timer: unknown;
  private inFlight: AbortController | undefined;
  private attempt = 0;
  private nextAt: number | undefined;
  private message = '';
  private disposed = false;
  private samples = 0;
  private readonly clock: Clock;
  /** Resolves when the watch ends (stopped, exited, failed). */
  readonly ended: Promise<WatchState>;
  private resolveEnded!: (s: WatchState) => void;

  constructor(private readonly opts: WatchOptions) {
    this.clock = opts.clock ?? realClock;
    this.ended = new Promise((r) => (this.resolveEnded = r));
  }

  get state(): WatchState {
    return this.stateValue;
  }

  get sampleCount(): number {
    return this.samples;
  }

  get active(): boolean {
    return this.stateValue === 'running' || this.stateValue === 'retrying' || this.stateValue === 'paused';
  }

  /** True while a timer or a capture is pending (what "closing the panel stops its timers" checks). */
  get hasPendingWork(): boolean {
    return this.timer !== undefined || this.inFlight !== undefined;
  }

  status(): WatchStatus {
    return {
      state: this.stateValue,
      message: this.message,
      intervalMs: this.opts.intervalMs,
      ...(this.attempt ? { attempt: this.attempt } : {}),
      ...(this.nextAt !== undefined ? { nextAt: this.nextAt } : {}),
      canRestart: !this.active && this.stateValue !== 'failed',
    };
  }

  start(): void {
    if (this.disposed || this.active) return;
    this.set('running', t('Watching {0} every {1}.', this.opts.what, formatDuration(this.opts.intervalMs)));
    this.tick();
  }

  pause(): void {
    if (this.stateValue !== 'running' && this.stateValue !== 'retrying') return;
    this.clearTimer();
    this.set('paused', t(this.samples === 1 ? 'Paused after {0} sample.' : 'Paused after {0} samples.', this.samples));
  }

  resume(): void {
    if (this.stateValue !== 'paused') return;
    this.attempt = 0;
    this.set('running', t('Watching {0} every {1}.', this.opts.what, formatDuration(this.opts.intervalMs)));
    if (!this.inFlight) this.tick();
  }

  /**
   * A new interval from now on (the panel's control): the next capture comes the new interval
   * after the start of the last one, or at once when that is already past.
   */
  setInterval(ms: number): void {
    if (!(ms > 0) || ms === this.opts.intervalMs) return;
    const lastStart = this.nextAt !== undefined ? this.nextAt - this.opts.intervalMs : undefined;
    this.opts.intervalMs = ms;
    if (this.stateValue === 'running' && this.timer !== undefined && lastStart !== undefined) {
      this.schedule(Math.max(0, lastStart + ms - this.clock.now()));
    }
    if (this.stateValue === 'running') this.set('running', t('Watching {0} every {1}.', this.opts.what, formatDuration(ms)));
    else if (!this.disposed) this.opts.onStatus(this.status());
  }

  /** Ends the watch: no timer, the capture in flight is cancelled. */
  stop(message = t(this.samples === 1 ? 'Stopped after {0} sample.' : 'Stopped after {0} samples.', this.samples)): void {
    if (!this.active) return;
    this.finish('stopped', message);
  }

  dispose(): void {
    if (this.active) this.finish('stopped', t('Stopped: the timeline was closed.'));
    this.disposed = true;
    this.clearTimer();
    this.inFlight?.abort();
    this.inFlight = undefined;
  }

  private finish(state: WatchState, message: string): void {
    this.clearTimer();
    this.inFlight?.abort();
    this.inFlight = undefined;
    this.nextAt = undefined;
    this.set(state, message);
    this.resolveEnded(state);
  }

  private set(state: WatchState, message: string): void {
    this.stateValue = state;
    this.message = message;
    if (state !== 'running' && state !== 'retrying') this.nextAt = undefined;
    if (!this.disposed) this.opts.onStatus(this.status());
  }

  private clearTimer(): void {
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }

  private schedule(delay: number): void {
    this.clearTimer();
    this.nextAt = this.clock.now() + delay;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      this.tick();
    }, delay);
  }

  private tick(): void {
    if (this.disposed || (this.stateValue !== 'running' && this.stateValue !== 'retrying')) return;
    const started = this.clock.now();
    const ctl = new AbortController();
    this.inFlight = ctl;
    this.opts.sample(ctl.signal).then(
      () => {
        if (this.inFlight === ctl) this.inFlight = undefined;
        if (ctl.signal.aborted || this.disposed) return;
        this.samples++;
        if (this.stateValue === 'retrying' || this.attempt) {
          this.attempt = 0;
          this.set('running', t('Reconnected; watching {0} every {1}.', this.opts.what, formatDuration(this.opts.intervalMs)));
        }
        if (this.stateValue !== 'running') return; // paused while capturing
        // The interval runs from the start of one capture to the start of the next.
        this.schedule(Math.max(0, started + this.opts.intervalMs - this.clock.now()));
        this.opts.onStatus(this.status());
      },
      (err: unknown) => {
        if (this.inFlight === ctl) this.inFlight = undefined;
        if (ctl.signal.aborted || this.disposed) return;
        const what = classifyFailure(err);
        const text = err instanceof Error ? err.message : String(err);
        if (what === 'exited') {
          this.finish(
            'exited',
            `${t(this.samples === 1 ? '{0} exited; the watch stopped after {1} sample.' : '{0} exited; the watch stopped after {1} samples.', capitalise(this.opts.what), this.samples)} ${text}`,
          );
        } else if (what === 'fatal') {
          this.finish('failed', text);
        } else {
          this.attempt++;
          const delay = backoffDelay(this.attempt, this.opts.backoffMs, this.opts.maxBackoffMs);
          if (this.stateValue === 'paused') return;
          this.stateValue = 'retrying';
          this.schedule(delay);
          this.set('retrying', `${text} ${t('Retrying in {0} (attempt {1}).', formatDuration(delay), this.attempt)}`);
        }
      },
    );
  }
}

function capitalise(s: string): string {
  return s.charAt(0).toUpperCase() + s.slice(1);
}
