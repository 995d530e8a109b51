/** Human-readable numbers for messages, hovers and reports. */

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB', 'PiB', 'EiB'];

export function formatBytes(bytes: number): string {
  if (!Number.isFinite(bytes)) return '?';
  const sign = bytes < 0 ? '-' : '';
  let v = Math.abs(bytes);
  let u = 0;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const digits = u === 0 || v >= 100 || Number.isInteger(v) ? 0 : v >= 10 ? 1 : 2;
  return `${sign}${v.toFixed(digits).replace(/\.0+$/, '')} ${UNITS[u]}`;
}

/**
 * At most three decimals, rounded half up from the shortest decimal form of the number, as ICU
 * does (toFixed rounds the exact binary value instead, and differs on a few).
 */
function roundTo3(abs: number): string {
  const s = String(abs);
  if (s.includes('e')) return '0'; // below 1e-6 (formatCount takes nothing from 1e21 up)
  const [int, dec = ''] = s.split('.');
  if (dec.length <= 3) return s;
  let digits = BigInt(int + dec.slice(0, 3));
  if (dec[3] >= '5') digits += 1n;
  const t = digits.toString().padStart(4, '0');
  return `${t.slice(0, -3)}.${t.slice(-3)}`.replace(/\.?0+$/, '');
}

/**
 * "65,530": what toLocaleString('en-US') gives (at most three decimals), without it: its first
 * call loads ICU data, which costs the CLI milliseconds.
 */
export function formatCount(n: number): string {
  if (!Number.isFinite(n) || Math.abs(n) >= 1e21) return n.toLocaleString('en-US');
  const [int, frac] = roundTo3(Math.abs(n)).split('.');
  let grouped = int;
  for (let at = int.length - 3; at > 0; at -= 3) grouped = `${grouped.slice(0, at)},${grouped.slice(at)}`;
  return `${n < 0 || Object.is(n, -0) ? '-' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

export function formatPercent(ratio: number): string {
  const p = ratio * 100;
  return `${p >= 10 || p === 0 ? Math.round(p) : p.toFixed(1)}%`;
}

/** "3 h 10 min", "45 s", "2 d 4 h", "250 ms" (a watch may sample that often). */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms)) return 'never';
  if (ms > 0 && ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return h ? `${d} d ${h} h` : `${d} d`;
  if (h > 0) return m ? `${h} h ${m} min` : `${h} h`;
  if (m > 0) return `${m} min`;
  return `${s} s`;
}

/** Parses "2048 kB", "2M", "64K", "4096", "512 MiB" into bytes. Plain numbers are bytes. */
export function parseSize(text: string): number | undefined {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b?)\s*$/i.exec(text);
  if (!m) return undefined;
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2].toLowerCase() as '' | 'k'];
  return Math.round(parseFloat(m[1]) * (mult ?? 1));
}
