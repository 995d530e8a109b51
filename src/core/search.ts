/** The one binary search: over VMA lines (hovers, the dump's line index) and the strip's VMA ends. */

/** Index of the first of the ascending `values[0..count)` greater than `v` (`count` when none is). */
export function upperBound(values: ArrayLike<number>, v: number, count = values.length): number {
  let lo = 0;
  let hi = count;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (values[mid] <= v) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}
