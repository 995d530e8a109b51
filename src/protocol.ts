/**
 * Every message between the timeline panel (extension host) and its webview: one interface per
 * message, one union per direction. Both sides import this module (the webview bundle too), so it
 * must stay free of `vscode` and Node imports.
 */
import type { DumpDiff } from './core/diff';
import type { SampleColumns } from './core/sampleColumns';

export enum MessageType {
  // host → webview
  Init = 'init',
  SamplesAdded = 'samplesAdded',
  LoadProgress = 'loadProgress',
  WatchStatus = 'watchStatus',
  DiffResult = 'diffResult',
  StripResult = 'stripResult',
  Notice = 'notice',
  // webview → host
  Ready = 'ready',
  OpenSample = 'openSample',
  RequestDiff = 'requestDiff',
  RequestStrip = 'requestStrip',
  WatchControl = 'watchControl',
  WatchInterval = 'watchInterval',
}

/** What a panel shows; kept in the webview state so the panel comes back after a reload. */
export type TimelineOrigin =
  | { kind: 'folder'; folder: string }
  | { kind: 'watch'; folder: string; target: WatchTarget }
  /** One process's history from Prometheus (query_range of `selector` over the last `sinceMs`). */
  | { kind: 'prometheus'; url: string; selector: string; sinceMs: number };

export interface WatchTarget {
  /** Undefined for a local process. */
  host?: string;
  pid: number;
  /** Command line, when known (for titles). */
  command?: string;
}

export type WatchState =
  /** Sampling every interval. */
  | 'running'
  | 'paused'
  /** A capture failed for a reason that may pass (SSH dropped): waiting before the next attempt. */
  | 'retrying'
  /** Ended by the user, the panel, or the window. */
  | 'stopped'
  /** The process is gone: the timeline stays. */
  | 'exited'
  /** A capture failed for good (permission denied, no such host…). */
  | 'failed';

// --- host → webview ---------------------------------------------------------------------------

export interface InitMessage {
  type: MessageType.Init;
  title: string;
  source: TimelineOrigin;
  /** Every sample so far, as columns (core/sampleColumns: typed arrays travel as binary, not JSON). */
  samples: SampleColumns;
  /** Time between samples, for forecasts over samples without a capture time or usable file time; unset: none. */
  intervalMs?: number;
  /** Where that interval was set (the setting's name), for the forecast's text. */
  intervalFrom: string;
  /** What the samples' times are, when not capture headers (Prometheus), for the forecast's text. */
  timesFrom?: string;
  /** Set while the host is still reading a folder. */
  loading?: LoadProgressMessage['progress'];
  watch?: WatchStatusMessage['status'];
  /** Files that could not be read or held no mappings. */
  skipped: SkippedFile[];
}

export interface SkippedFile {
  file: string;
  reason: string;
}

export interface SamplesAddedMessage {
  type: MessageType.SamplesAdded;
  samples: SampleColumns;
}

export interface LoadProgressMessage {
  type: MessageType.LoadProgress;
  progress: { done: number; total: number; finished: boolean };
  skipped: SkippedFile[];
}

export interface WatchStatusMessage {
  type: MessageType.WatchStatus;
  status: {
    state: WatchState;
    /** One sentence for the status line ("Sampling every 10 s", "Connection lost; retrying in 8 s"). */
    message: string;
    intervalMs: number;
    /** Failed attempts in a row while retrying. */
    attempt?: number;
    /** Epoch ms of the next attempt while running or retrying. */
    nextAt?: number;
    /** The watch can be started again on the same target (after a window reload or a stop). */
    canRestart: boolean;
  };
}

export interface DiffResultMessage {
  type: MessageType.DiffResult;
  /** The id of the RequestDiff this answers: the webview shows only the answer to its latest. */
  id: number;
  a: string;
  b: string;
  diff?: DumpDiff;
  /** Set when A and B are of different processes (the diff is still shown). */
  warning?: string;
  error?: string;
}

/**
 * The address space of one snapshot for the fragmentation strip: one entry per VMA in address
 * order (start and size in bytes, exact for page-aligned addresses; kind as an index into KINDS),
 * or, above STRIP_MAX_VMAS, pre-binned runs of neighbouring VMAs.
 */
export interface StripData {
  source: string;
  label: string;
  addressBits: 32 | 64;
  vmaCount: number;
  start: number[];
  size: number[];
  kind: number[];
  /** 1-based line of each entry in the dump (the first VMA of a bin). */
  line: number[];
  /** VMAs per entry: all 1 unless binned. */
  count?: number[];
  binned: boolean;
}

export interface StripResultMessage {
  type: MessageType.StripResult;
  /** The id of the RequestStrip this answers: the webview draws only the answer to its latest. */
  id: number;
  source: string;
  strip?: StripData;
  error?: string;
}

export interface NoticeMessage {
  type: MessageType.Notice;
  level: 'info' | 'warning' | 'error';
  message: string;
}

export type HostMessage = InitMessage | SamplesAddedMessage | LoadProgressMessage | WatchStatusMessage | DiffResultMessage | StripResultMessage | NoticeMessage;

// --- webview → host ---------------------------------------------------------------------------

export interface ReadyMessage {
  type: MessageType.Ready;
}

export interface OpenSampleMessage {
  type: MessageType.OpenSample;
  /** TimelineSample.source of a sample the host sent. */
  source: string;
  /** 1-based line to reveal. */
  line?: number;
}

export interface RequestDiffMessage {
  type: MessageType.RequestDiff;
  /** Increases with every request; echoed in the DiffResult. */
  id: number;
  a: string;
  b: string;
}

export interface RequestStripMessage {
  type: MessageType.RequestStrip;
  /** Increases with every request; echoed in the StripResult. */
  id: number;
  source: string;
}

export interface WatchControlMessage {
  type: MessageType.WatchControl;
  action: 'pause' | 'resume' | 'stop' | 'restart';
}

/** The panel's interval control: sample every `seconds` from now on. */
export interface WatchIntervalMessage {
  type: MessageType.WatchInterval;
  seconds: number;
}

/** The interval control's bounds, in seconds (the setting's minimum; a day). */
export const WATCH_INTERVAL_MIN_S = 0.2;
export const WATCH_INTERVAL_MAX_S = 86_400;

export type WebviewMessage = WatchIntervalMessage | ReadyMessage | OpenSampleMessage | RequestDiffMessage | RequestStripMessage | WatchControlMessage;

/** What the webview keeps with setState(): the host reads `source` back when it revives the panel. */
export interface WebviewState {
  source?: TimelineOrigin;
  title?: string;
  /** Sources of the picked samples (at most two). */
  picked?: string[];
  page?: number;
}

/** Above this many VMAs the strip is sent as bins instead of one entry per VMA. */
export const STRIP_MAX_VMAS = 150_000;
/** Number of bins for a binned strip. */
export const STRIP_BINS = 16_384;

/** Loose runtime check for messages coming from the webview (the host trusts nothing it gets). */
export function isWebviewMessage(m: unknown): m is WebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  switch (o.type) {
    case MessageType.Ready:
      return true;
    case MessageType.OpenSample:
      return typeof o.source === 'string' && (o.line === undefined || (Number.isInteger(o.line) && (o.line as number) > 0));
    case MessageType.RequestDiff:
      return typeof o.a === 'string' && typeof o.b === 'string' && Number.isSafeInteger(o.id);
    case MessageType.RequestStrip:
      return typeof o.source === 'string' && Number.isSafeInteger(o.id);
    case MessageType.WatchInterval:
      return typeof o.seconds === 'number' && o.seconds >= WATCH_INTERVAL_MIN_S && o.seconds <= WATCH_INTERVAL_MAX_S;
    case MessageType.WatchControl:
      return o.action === 'pause' || o.action === 'resume' || o.action === 'stop' || o.action === 'restart';
    default:
      return false;
  }
}

// --- the fleet panel (Show Fleet…) --------------------------------------------------------------

/** One process of the fleet, as Prometheus's latest scrape of `vma-lens metrics` shows it. */
export interface FleetRow {
  /** Identifies the row between host and webview. */
  key: string;
  instance: string;
  job?: string;
  pid: string;
  comm: string;
  exe?: string;
  unit?: string;
  vmaCount: number;
  limit: number;
  share: number;
  allocator?: string;
  /** VMAs per hour over the last hour (deriv); undefined with too little history. */
  ratePerHour?: number;
  /** Hours until the limit at that rate, when growing. */
  etaHours?: number;
  forecast: string;
  /** PromQL selector of this process's series (for its timeline). */
  selector: string;
}

/** host → fleet webview: the latest ranking, or why there is none. */
export interface FleetUpdateMessage {
  type: 'fleet';
  url: string;
  rows: FleetRow[];
  /** Series in the scrape (rows are the first of them by share). */
  total: number;
  /** Epoch ms of the query. */
  updated: number;
  error?: string;
  busy?: boolean;
}

/** fleet webview → host. `key` is a FleetRow.key the host sent. */
export type FleetWebviewMessage = { type: 'ready' } | { type: 'refresh' } | { type: 'timeline'; key: string } | { type: 'capture'; key: string };

export function isFleetWebviewMessage(m: unknown): m is FleetWebviewMessage {
  if (typeof m !== 'object' || m === null) return false;
  const o = m as Record<string, unknown>;
  if (o.type === 'ready' || o.type === 'refresh') return true;
  return (o.type === 'timeline' || o.type === 'capture') && typeof o.key === 'string';
}
