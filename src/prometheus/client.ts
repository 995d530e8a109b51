/**
 * A small client of Prometheus's HTTP API (`/api/v1/query`, `/api/v1/query_range`) on `fetch`,
 * shared by the CLI and the extension host. Every way a server can fail (down, slow, an error, an
 * answer that is not Prometheus's) becomes one PrometheusError with a message a user can act on.
 */
import { t } from '../core/l10n';

/** Basic auth or a bearer token; the extension keeps these in SecretStorage, the CLI reads them from the environment. */
export interface PrometheusAuth {
  bearerToken?: string;
  username?: string;
  password?: string;
}

export interface PrometheusOptions {
  auth?: PrometheusAuth;
  /** Per request (default 10 s). */
  timeoutMs?: number;
  signal?: AbortSignal;
}

export type PrometheusErrorKind = 'url' | 'down' | 'timeout' | 'auth' | 'http' | 'query' | 'empty' | 'not-prometheus';

export class PrometheusError extends Error {
  constructor(
    readonly kind: PrometheusErrorKind,
    message: string,
  ) {
    super(message);
    this.name = 'PrometheusError';
  }
}

export type Labels = Record<string, string>;
export interface RangeSeries {
  metric: Labels;
  /** [epoch seconds, value] */
  values: Array<[number, number]>;
}
export interface InstantSample {
  metric: Labels;
  time: number;
  value: number;
}

export const DEFAULT_TIMEOUT_MS = 10_000;

/** The API base of a server URL (`http://host:9090`, `http://host/prometheus/`), checked. */
export function apiBase(url: string): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new PrometheusError('url', t('"{0}" is not a URL (expected e.g. http://prometheus:9090)', url));
  }
  if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new PrometheusError('url', t('"{0}" is not an http(s) URL', url));
  if (u.username || u.password) throw new PrometheusError('url', t('put credentials in the token/password store, not in the URL'));
  return u.href.replace(/\/+$/, '');
}

function authHeader(auth: PrometheusAuth | undefined): Record<string, string> {
  if (auth?.bearerToken) return { authorization: `Bearer ${auth.bearerToken}` };
  if (auth?.username !== undefined && auth.username !== '') {
    // btoa takes Latin-1 only: encode the UTF-8 bytes of "user:password" one by one.
    const bytes = new TextEncoder().encode(`${auth.username}:${auth.password ?? ''}`);
    return { authorization: `Basic ${btoa(String.fromCharCode(...bytes))}` };
  }
  return {};
}

function networkReason(err: unknown): string {
  const cause = (err as { cause?: { code?: string; message?: string } }).cause;
  const code = cause?.code;
  if (code === 'ECONNREFUSED') return t('connection refused (is it running, on this port?)');
  if (code === 'ENOTFOUND' || code === 'EAI_AGAIN') return t('host name not found');
  if (code === 'EHOSTUNREACH' || code === 'ENETUNREACH') return t('host unreachable');
  if (code === 'ECONNRESET' || code === 'UND_ERR_SOCKET') return t('the connection was closed');
  return cause?.message ?? (err as Error).message;
}

async function call(base: string, endpoint: string, params: Record<string, string>, opts: PrometheusOptions): Promise<unknown> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const timeout = AbortSignal.timeout(timeoutMs);
  const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;
  let res: Response;
  let text: string;
  try {
    res = await fetch(`${base}/api/v1/${endpoint}`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json', ...authHeader(opts.auth) },
      body: new URLSearchParams(params).toString(),
      signal,
    });
    text = await res.text();
  } catch (err) {
    if (opts.signal?.aborted) throw err;
    if (timeout.aborted) throw new PrometheusError('timeout', t('Prometheus at {0} did not answer within {1} s', base, timeoutMs / 1000));
    throw new PrometheusError('down', t('cannot reach Prometheus at {0}: {1}', base, networkReason(err)));
  }
  if (res.status === 401 || res.status === 403) {
    throw new PrometheusError('auth', t('Prometheus at {0} refused the credentials (HTTP {1}): set the token or user and password', base, res.status));
  }
  let body: { status?: string; data?: unknown; errorType?: string; error?: string } | undefined;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    body = undefined;
  }
  if (!body || typeof body !== 'object' || (body.status !== 'success' && body.status !== 'error')) {
    const type = res.headers.get('content-type')?.split(';')[0] ?? t('no content type');
    throw new PrometheusError('not-prometheus', t('{0} did not answer like the Prometheus API (HTTP {1}, {2})', base, res.status, type));
  }
  if (body.status === 'error') {
    throw new PrometheusError(
      res.status >= 500 && body.errorType !== 'execution' ? 'http' : 'query',
      t('Prometheus at {0} rejected the query ({1}): {2}', base, body.errorType ?? `HTTP ${res.status}`, body.error ?? t('no reason given')),
    );
  }
  return body.data;
}

interface ResultData {
  resultType?: string;
  result?: Array<{ metric?: Labels; values?: Array<[number, string]>; value?: [number, string] }>;
}

function resultOf(data: unknown, base: string, want: 'matrix' | 'vector'): NonNullable<ResultData['result']> {
  const d = data as ResultData | undefined;
  if (!d || !Array.isArray(d.result)) throw new PrometheusError('not-prometheus', t('{0} answered without a result', base));
  if (d.resultType !== want)
    throw new PrometheusError(
      'query',
      want === 'matrix'
        ? t('the query gives a {0}, not a range vector', String(d.resultType))
        : t('the query gives a {0}, not a instant vector', String(d.resultType)),
    );
  return d.result;
}

export async function queryRange(
  url: string,
  query: string,
  startSec: number,
  endSec: number,
  stepSec: number,
  opts: PrometheusOptions = {},
): Promise<RangeSeries[]> {
  const base = apiBase(url);
  const data = await call(base, 'query_range', { query, start: String(startSec), end: String(endSec), step: `${stepSec}s` }, opts);
  return resultOf(data, base, 'matrix').map((r) => ({
    metric: r.metric ?? {},
    values: (r.values ?? []).map(([t, v]) => [Number(t), Number(v)] as [number, number]),
  }));
}

export async function queryInstant(url: string, query: string, opts: PrometheusOptions & { timeSec?: number } = {}): Promise<InstantSample[]> {
  const base = apiBase(url);
  const data = await call(base, 'query', { query, ...(opts.timeSec !== undefined ? { time: String(opts.timeSec) } : {}) }, opts);
  return resultOf(data, base, 'vector').map((r) => ({ metric: r.metric ?? {}, time: Number(r.value?.[0]), value: Number(r.value?.[1]) }));
}

/** A PromQL label matcher value: backslash and double quote escaped. */
export function promString(value: string): string {
  return `"${value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

/** Prometheus durations as the CLI and settings take them: `90s`, `30m`, `6h`, `2d`, `1w`, `1h30m`. */
export function parseDuration(text: string): number | undefined {
  if (!/^(\d+(ms|s|m|h|d|w|y))+$/.test(text)) return undefined;
  const unit: Record<string, number> = { ms: 1, s: 1e3, m: 6e4, h: 36e5, d: 864e5, w: 6048e5, y: 31536e6 };
  let ms = 0;
  for (const m of text.matchAll(/(\d+)(ms|s|m|h|d|w|y)/g)) ms += Number(m[1]) * unit[m[2]];
  return ms > 0 ? ms : undefined;
}
