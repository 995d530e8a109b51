/*
 * The maps-line scanner of the dump parser (src/core/parse.ts), compiled to WebAssembly by
 * `npm run build:wasm` into mapsScanWasm.ts. A million-line dump must parse in a fraction of a
 * second, and this byte loop runs about twice as fast in WebAssembly as in JavaScript.
 *
 * It reads `start-end perms offset major:minor inode [name]` lines from `input` into staging
 * columns that parse.ts copies into the Dump. Names, smaps fields, headers and pmap rows stay in
 * TypeScript. No libc and no allocation: the memory layout is fixed, so JavaScript views on it
 * never go stale.
 */
typedef unsigned int u32;
typedef unsigned char u8;
typedef unsigned long long u64;

#define EXPORT(name) __attribute__((export_name(name)))

/* One read window, plus a line carried over from the previous one (at most 64 KiB) and a newline. */
#define WINDOW (1 << 20)
#define MAX_LINE 65536
#define INPUT_SIZE (MAX_LINE + 1 + WINDOW + 1)
/* Lines staged per scan() call; the caller copies them out and calls again. */
#define STAGE 16384

/* Reason codes: the index into REASONS in parse.ts. */
enum { OK = 0, NOT_RANGE = 1, TOO_LONG = 2, END_BELOW_START = 3, BAD_PERMS = 4, BAD_OFFSET = 5, BAD_DEVICE = 6, BAD_INODE = 7, BINARY = 8, LINE_TOO_LONG = 13 };

/*
 * scan()'s results: lines staged, why it stopped (0: limit or staging full), lines with a name,
 * whether any start so far was below the one before, the highest end address's upper half so far,
 * and which of offset (1), device (2) and inode (4) are non-zero in any staged line: anonymous
 * memory has none, and the caller need not copy zeros.
 */
enum { RES_STAGED, RES_REASON, RES_NAMED, RES_UNSORTED, RES_MAX_END_HI, RES_NONZERO, RES_COUNT };

static u8 input[INPUT_SIZE];
static u32 result[RES_COUNT];
static u32 startHi[STAGE], startLo[STAGE], endHi[STAGE], endLo[STAGE], dev[STAGE], line[STAGE];
static u32 nameStart[STAGE], nameEnd[STAGE], named[STAGE];
static u8 perms[STAGE];
static double offset[STAGE], inode[STAGE];
/* Across calls: the previous start address, to tell whether the dump is in address order. */
static u64 prevStart;

static const signed char HEX[256] = {
  ['0'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ['A'] = 11, 12, 13, 14, 15, 16,
  ['a'] = 11, 12, 13, 14, 15, 16,
};

EXPORT("input") u8 *inputPtr(void) { return input; }
EXPORT("result") u32 *resultPtr(void) { return result; }
EXPORT("startHi") u32 *startHiPtr(void) { return startHi; }
EXPORT("startLo") u32 *startLoPtr(void) { return startLo; }
EXPORT("endHi") u32 *endHiPtr(void) { return endHi; }
EXPORT("endLo") u32 *endLoPtr(void) { return endLo; }
EXPORT("dev") u32 *devPtr(void) { return dev; }
EXPORT("line") u32 *linePtr(void) { return line; }
EXPORT("nameStart") u32 *nameStartPtr(void) { return nameStart; }
EXPORT("nameEnd") u32 *nameEndPtr(void) { return nameEnd; }
EXPORT("named") u32 *namedPtr(void) { return named; }
EXPORT("perms") u8 *permsPtr(void) { return perms; }
EXPORT("offset") double *offsetPtr(void) { return offset; }
EXPORT("inode") double *inodePtr(void) { return inode; }
EXPORT("capacity") u32 capacity(void) { return STAGE; }
EXPORT("resultCount") u32 resultCount(void) { return RES_COUNT; }

/* Ready for a new dump. */
EXPORT("reset") void reset(void) {
  prevStart = 0;
  for (int r = 0; r < RES_COUNT; r++) result[r] = 0;
}
EXPORT("inputSize") u32 inputSize(void) { return INPUT_SIZE; }

/* Hex digits from *p (below e) into *v; returns how many (17 means too many). */
static u32 hex(u32 *p, u32 e, u64 *v) {
  u32 q = *p;
  u64 x = 0;
  int d;
  while (q < e && (d = HEX[input[q]]) != 0) {
    x = x << 4 | (u64)(d - 1);
    q++;
  }
  u32 n = q - *p;
  *p = q;
  *v = x;
  return n > 16 ? 17 : n;
}

/* One line in [p, e) (e excludes the newline and one CR); stages it at index i or returns a reason. */
static u32 parseLine(u32 p, u32 e, u32 i) {
  const u8 *b = input;
  u64 start, end, off, major, minor;
  u32 n = hex(&p, e, &start);
  if (n == 17) return TOO_LONG;
  if (p >= e || b[p] != '-') return NOT_RANGE;
  p++;
  n = hex(&p, e, &end);
  if (n == 0) return NOT_RANGE;
  if (n == 17) return TOO_LONG;
  if (end < start) return END_BELOW_START;

  if (p + 5 > e || b[p] != ' ') return BAD_PERMS;
  u8 r = b[p + 1], w = b[p + 2], x = b[p + 3], s = b[p + 4];
  if ((r != 'r' && r != '-') || (w != 'w' && w != '-') || (x != 'x' && x != '-') || (s != 'p' && s != 's')) return BAD_PERMS;
  if (p + 5 < e && b[p + 5] != ' ') return BAD_PERMS;
  p += 6;

  n = hex(&p, e, &off);
  if (n == 0 || n == 17 || (p < e && b[p] != ' ')) return BAD_OFFSET;
  p++;
  n = hex(&p, e, &major);
  if (n == 0 || n > 3 || p >= e || b[p] != ':') return BAD_DEVICE;
  p++;
  n = hex(&p, e, &minor);
  if (n == 0 || n > 5) return BAD_DEVICE;
  if (p >= e || b[p] != ' ') return BAD_INODE;
  p++;
  /* Accumulated as a double, like every other number the parser reads. */
  double ino = 0;
  u32 p0 = p;
  while (p < e && (u32)(b[p] - '0') < 10) ino = ino * 10 + (b[p++] - '0');
  if (p == p0 || (p < e && b[p] != ' ' && b[p] != '\n' && b[p] != '\r')) return BAD_INODE;
  while (p < e && b[p] == ' ') p++;

  startHi[i] = (u32)(start >> 32);
  startLo[i] = (u32)start;
  endHi[i] = (u32)(end >> 32);
  endLo[i] = (u32)end;
  perms[i] = (r == 'r') | (w == 'w') << 1 | (x == 'x') << 2 | (s == 's') << 3;
  offset[i] = (double)off;
  dev[i] = (u32)(major << 20 | minor);
  inode[i] = ino;
  nameStart[i] = p;
  nameEnd[i] = e;
  return OK;
}

#define ONES 0x0101010101010101ULL
#define HIGHS 0x8080808080808080ULL
/* Non-zero when any byte of v is zero (the classic bit trick). */
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)

/*
 * Stages consecutive maps lines from offset s, stopping at limit (just after a newline), when
 * the staging columns are full, or before the first line that is not a well-formed maps line
 * (result[RES_REASON] says why; parse.ts decides what that line is). Returns where it stopped.
 */
EXPORT("scan") u32 scan(u32 s, u32 limit, u32 lineNo) {
  u32 i = 0, k = 0, reason = OK, nonZero = 0;
  u32 maxEndHi = result[RES_MAX_END_HI], unsorted = result[RES_UNSORTED];
  while (s < limit && i < STAGE) {
    /* The line's end, eight bytes at a time, noting any NUL on the way. */
    u32 nl = s, nul = 0;
    for (;;) {
      if (nl + 8 <= limit) {
        u64 v;
        __builtin_memcpy(&v, input + nl, 8);
        u64 z = HAS_ZERO(v), n = HAS_ZERO(v ^ (ONES * '\n'));
        if (!(z | n)) {
          nl += 8;
          continue;
        }
        if (!n) {
          nul = 1;
          nl += 8;
          continue;
        }
      }
      while (input[nl] != '\n') nul |= input[nl++] == 0;
      break;
    }
    u32 e = nl > s && input[nl - 1] == '\r' ? nl - 1 : nl;
    reason = nl - s > MAX_LINE ? LINE_TOO_LONG : nul ? BINARY : parseLine(s, e, i);
    if (reason != OK) break;
    u64 start = (u64)startHi[i] << 32 | startLo[i];
    if (start < prevStart) unsorted = 1;
    prevStart = start;
    if (endHi[i] > maxEndHi) maxEndHi = endHi[i];
    line[i] = lineNo + i + 1;
    if (nameStart[i] < nameEnd[i]) named[k++] = i;
    nonZero |= (offset[i] != 0) | (dev[i] != 0) << 1 | (inode[i] != 0) << 2;
    i++;
    s = nl + 1;
  }
  result[RES_STAGED] = i;
  result[RES_REASON] = reason;
  result[RES_NAMED] = k;
  result[RES_UNSORTED] = unsorted;
  result[RES_MAX_END_HI] = maxEndHi;
  result[RES_NONZERO] = nonZero;
  return s;
}
