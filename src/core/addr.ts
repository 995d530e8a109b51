/**
 * Exact 64-bit addresses without BigInt in hot loops: each address is kept as two uint32 halves.
 * A JS number holds every multiple of 2048 below 2^64 exactly, so page-aligned addresses (all the
 * kernel prints) convert to numbers without loss; sizes and gaps are computed from the halves.
 */

export const TWO_32 = 4294967296;

export function toNumber(hi: number, lo: number): number {
  return hi * TWO_32 + lo;
}

/** (bHi:bLo) - (aHi:aLo), exact while the difference is below 2^53. */
export function subtract(aHi: number, aLo: number, bHi: number, bLo: number): number {
  return (bHi - aHi) * TWO_32 + (bLo - aLo);
}

/** Lower-case hex, zero-padded to at least `width` digits (the kernel pads to 8). */
export function toHex(hi: number, lo: number, width = 8): string {
  const low = lo.toString(16);
  const s = hi === 0 ? low : hi.toString(16) + low.padStart(8, '0');
  return s.padStart(width, '0');
}

/** Parses up to 16 hex digits into [hi, lo]; undefined when not hex or too long. */
export function parseHex(s: string): [number, number] | undefined {
  if (s.length === 0 || s.length > 16 || !/^[0-9a-fA-F]+$/.test(s)) return undefined;
  const split = Math.max(0, s.length - 8);
  return [split ? parseInt(s.slice(0, split), 16) : 0, parseInt(s.slice(split), 16)];
}

export function toBigInt(hi: number, lo: number): bigint {
  return (BigInt(hi) << 32n) | BigInt(lo);
}

/** True when the address is a multiple of 2^bits (bits <= 52). */
export function isAligned(hi: number, lo: number, bits: number): boolean {
  if (bits < 32) return (lo & ((1 << bits) - 1)) === 0;
  if (bits === 32) return lo === 0;
  return lo === 0 && hi % 2 ** (bits - 32) === 0;
}

/** Adds a byte count (< 2^53) to an address, returning the new [hi, lo]. */
export function addBytes(hi: number, lo: number, bytes: number): [number, number] {
  const total = lo + (bytes % TWO_32);
  return [hi + Math.floor(bytes / TWO_32) + Math.floor(total / TWO_32), total % TWO_32];
}
