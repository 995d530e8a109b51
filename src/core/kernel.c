/*
 * The hot loops of VMA Lens, compiled to WebAssembly by `npm run build:wasm` into kernelWasm.ts:
 * the scanner of maps lines and smaps field lines (parse.ts), and the per-VMA passes of the analysis
 * (classify.ts, tally.ts). A million-VMA dump must be analysed in a fraction of a second, and
 * one cold pass of JavaScript over a million VMAs costs 15-20 ms of JIT warm-up and
 * deoptimisations; here it costs a few.
 *
 * The Dump's columns live in this module's memory (kernel.ts allocates them above __heap_base),
 * so the scanner writes each VMA where the analysis reads it. TypeScript keeps everything that is
 * not a per-VMA loop: names, the first line of each smaps field name and VmFlags set, headers,
 * pmap rows, and the meaning of each kind. No libc and no allocation here.
 */
#include <wasm_simd128.h>

typedef unsigned int u32;
typedef int i32;
typedef unsigned char u8;
typedef unsigned long long u64;
typedef long long i64;

#define EXPORT(name) __attribute__((export_name(name)))

/* The bytes scanned at a time: one read window (exported). */
#define WINDOW (1 << 20)
/* The longest line kept: longer ones are reported, not read (exported). */
#define MAX_LINE 65536
/* One window, plus a line carried over from the previous one and a newline. */
#define INPUT_SIZE (MAX_LINE + 1 + WINDOW + 1)
/* Named lines staged per scan() call, for parse.ts to intern their names. */
#define NAMED_MAX 16384
/*
 * smaps fields: the names parse.ts gave a column (their slot numbers), the longest such name, and
 * field values staged per scan() call for parse.ts to store; VmFlags sets seen, by their raw text.
 */
#define KEYS_MAX 64
#define KEY_LEN 32
#define FIELDS_MAX 65536
#define FLAG_SETS_MAX 64
#define FLAGS_LEN 128
/* The slot of a staged VmFlags value (its set's number), past every field slot (exported). */
#define SLOT_VMFLAGS 255
/* The owner of field lines when there is none: parse.ts decides what they are (exported). */
#define NO_OWNER 0xffffffffu
/* Kinds (kinds.ts has fewer than this), and lines kept per kind (MAX_FINDING_LINES in tally.ts). */
#define KINDS_MAX 32
#define LINES_MAX 200

/*
 * The contract with TypeScript: scripts/build-wasm.mjs writes every named enum below (the
 * prefix of its members dropped, the rest in PascalCase), the COLUMNS table and the #defines
 * marked "(exported)" into kernelContract.ts, so kernel.ts and its callers use these very numbers.
 */

/* Reason codes: the index into REASONS in parse.ts (the codes from 9 are the parser's own). */
enum Reason { OK = 0, NOT_RANGE = 1, TOO_LONG = 2, END_BELOW_START = 3, BAD_PERMS = 4, BAD_OFFSET = 5, BAD_DEVICE = 6, BAD_INODE = 7, BINARY = 8, LINE_TOO_LONG = 13 };

/*
 * scan()'s results: VMAs written, why it stopped (0: limit or room), named lines staged, the
 * first line so far whose start is below the one before (0: none), the highest end address's
 * upper half so far, the first line so far that starts inside the mapping before it (0: none),
 * lines read (VMAs and field lines), field values staged.
 */
enum ScanResult { RES_WRITTEN, RES_REASON, RES_NAMED, RES_UNSORTED, RES_MAX_END_HI, RES_OVERLAP, RES_LINES, RES_FIELDS, RES_COUNT };

/* The Dump's per-VMA columns in this order, as placed by kernel.ts (setColumns after every move). */
#define COLUMNS(X) \
  X(startHi, u32) X(startLo, u32) X(endHi, u32) X(endLo, u32) X(perms, u8) X(flags, u8) X(kind, u8) \
  X(offset, double) X(dev, u32) X(inode, double) X(nameId, i32) X(line, u32)

/*
 * What classify() and tally() need to know, set by classify.ts and tally.ts: the VMA count, where
 * the address order and the per-name tables are, the allocator, the arena slot size, the kind
 * numbers (kinds.ts is their only definition), and where fragmented runs go.
 */
enum Param {
  P_COUNT, P_ORDER, P_NAME_CLASS, P_NAME_SPECIAL, P_GLIBC, P_SLOT_BITS, P_OWN_ANON,
  P_SHM, P_DELETED, P_FILE, P_TEXT, P_DATA, P_RODATA, P_IMAGE_GAP, P_VSYSCALL, P_BSS,
  P_ARENA, P_ARENA_RESERVE, P_GUARD, P_THREAD_STACK, P_RESERVED, P_ANON_KINDS, P_RUNS, P_RUNS_MAX,
  P_MAX_GUARD, P_ALLOCATOR, P_COUNT_OF
};
/* classify()'s counts. */
enum Stat { S_THREAD_STACKS, S_GUARDS, S_ARENA_SLOTS, S_ARENA_VMAS, S_BIG_ANON, S_BIG_ANON_ALIGNED, S_GO_ARENA_VMAS, S_COUNT };
/* How classify.ts classes each name before looking at neighbours; anonymous: by layout. */
enum NameClass { NC_ANONYMOUS, NC_SPECIAL, NC_SHM, NC_IMAGE, NC_FILE };

#define PERM_R 1
#define PERM_W 2
#define PERM_X 4
#define PERM_SHARED 8
#define RW (PERM_R | PERM_W)
#define FLAG_DELETED 1
#define MIB (1ull << 20)

/* Slack: the name scan reads 8 bytes at a time, the hex scan 17, past a newline. */
static u8 input[INPUT_SIZE + 32];
static u32 result[RES_COUNT];
static u32 namedIndex[NAMED_MAX], nameStart[NAMED_MAX], nameEnd[NAMED_MAX];
static u32 params[P_COUNT_OF], stats[S_COUNT];
static u32 kindCount[KINDS_MAX], kindLineCount[KINDS_MAX], kindLines[KINDS_MAX * LINES_MAX];
static double kindBytes[KINDS_MAX];
static u8 keyText[KEYS_MAX * KEY_LEN], keyIn[KEY_LEN];
static u32 keyLen[KEYS_MAX], keyCount;
static u32 fieldVma[FIELDS_MAX];
static u8 fieldSlot[FIELDS_MAX];
static double fieldValue[FIELDS_MAX];
static u8 flagsText[FLAG_SETS_MAX * FLAGS_LEN], flagsIn[FLAGS_LEN];
static u32 flagsLen[FLAG_SETS_MAX], flagsId[FLAG_SETS_MAX], flagSetCount;
static u32 runCount;
/* kindTotals()'s results. */
static double totalCount[KINDS_MAX], totalBytes[KINDS_MAX];
static u32 totalFirst[KINDS_MAX];
/* Across scan() calls: the previous start and end, to tell whether the dump is in address order. */
static u64 prevStart, prevEnd;

#define DECLARE(name, type) static type *name;
COLUMNS(DECLARE)

extern u8 __heap_base;

EXPORT("heapBase") u32 heapBase(void) { return (u32)&__heap_base; }
EXPORT("input") u8 *inputPtr(void) { return input; }
EXPORT("inputSize") u32 inputSize(void) { return INPUT_SIZE; }
EXPORT("result") u32 *resultPtr(void) { return result; }
EXPORT("namedIndex") u32 *namedIndexPtr(void) { return namedIndex; }
EXPORT("nameStart") u32 *nameStartPtr(void) { return nameStart; }
EXPORT("nameEnd") u32 *nameEndPtr(void) { return nameEnd; }
EXPORT("namedMax") u32 namedMax(void) { return NAMED_MAX; }
EXPORT("params") u32 *paramsPtr(void) { return params; }
EXPORT("stats") u32 *statsPtr(void) { return stats; }
EXPORT("kindCount") u32 *kindCountPtr(void) { return kindCount; }
EXPORT("kindBytes") double *kindBytesPtr(void) { return kindBytes; }
EXPORT("kindLineCount") u32 *kindLineCountPtr(void) { return kindLineCount; }
EXPORT("kindLines") u32 *kindLinesPtr(void) { return kindLines; }
EXPORT("kindsMax") u32 kindsMax(void) { return KINDS_MAX; }
EXPORT("linesMax") u32 linesMax(void) { return LINES_MAX; }
EXPORT("runCount") u32 runCountOf(void) { return runCount; }
EXPORT("totalCount") double *totalCountPtr(void) { return totalCount; }
EXPORT("totalBytes") double *totalBytesPtr(void) { return totalBytes; }
EXPORT("totalFirst") u32 *totalFirstPtr(void) { return totalFirst; }
EXPORT("fieldVma") u32 *fieldVmaPtr(void) { return fieldVma; }
EXPORT("fieldSlot") u8 *fieldSlotPtr(void) { return fieldSlot; }
EXPORT("fieldValue") double *fieldValuePtr(void) { return fieldValue; }
EXPORT("fieldsMax") u32 fieldsMax(void) { return FIELDS_MAX; }
EXPORT("keyIn") u8 *keyInPtr(void) { return keyIn; }
EXPORT("keyLenMax") u32 keyLenMax(void) { return KEY_LEN; }
EXPORT("flagsIn") u8 *flagsInPtr(void) { return flagsIn; }
EXPORT("flagsLenMax") u32 flagsLenMax(void) { return FLAGS_LEN; }

/* Where each column is: at[c] for column c of COLUMNS. */
static u32 columnAt[32];
EXPORT("columnAt") u32 *columnAtPtr(void) { return columnAt; }
EXPORT("setColumns") void setColumns(void) {
  u32 c = 0;
#define PLACE(name, type) name = (type *)columnAt[c++];
  COLUMNS(PLACE)
}

/* ---------------------------------------------------------------- the maps-line scanner */

static const signed char HEX[256] = {
  ['0'] = 1, 2, 3, 4, 5, 6, 7, 8, 9, 10,
  ['A'] = 11, 12, 13, 14, 15, 16,
  ['a'] = 11, 12, 13, 14, 15, 16,
};

/* Hex digits at *p into *v; returns how many (17: more than 16). Stops at any other byte. */
static u32 hex(u32 *p, u64 *v) {
  u32 q = *p;
  u64 x = 0;
  int d;
  while ((d = HEX[input[q]]) != 0) {
    x = x << 4 | (u64)(d - 1);
    q++;
  }
  u32 n = q - *p;
  *p = q;
  *v = x;
  return n > 16 ? 17 : n;
}

/*
 * The same as hex() for up to 16 digits, with 16 bytes compared at once (WebAssembly SIMD): the
 * maps scan is mostly addresses, and a byte at a time they were half its instructions.
 */
static u32 hex16(u32 *p, u64 *v) {
  const v128_t c = wasm_v128_load(input + *p);
  const v128_t digit = wasm_u8x16_lt(wasm_i8x16_sub(c, wasm_i8x16_splat('0')), wasm_i8x16_splat(10));
  const v128_t lower = wasm_v128_or(c, wasm_i8x16_splat(0x20));
  const v128_t letter = wasm_u8x16_lt(wasm_i8x16_sub(lower, wasm_i8x16_splat('a')), wasm_i8x16_splat(6));
  const u32 mask = (u32)wasm_i8x16_bitmask(wasm_v128_or(digit, letter));
  const u32 n = (u32)__builtin_ctz(~mask); /* the digits that lead: 0 to 16 */
  if (n == 16 && HEX[input[*p + 16]]) return 17;
  /* Each digit's value: its low nibble, plus 9 for a letter. */
  const v128_t nib = wasm_i8x16_add(wasm_v128_and(c, wasm_i8x16_splat(0x0f)), wasm_v128_and(letter, wasm_i8x16_splat(9)));
  /* Lane k gets digit n-1-k, the least significant first (a negative index gives 0). */
  const v128_t rev = wasm_i8x16_sub(wasm_i8x16_splat((signed char)(n - 1)), wasm_i8x16_make(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15));
  const v128_t digits = wasm_i8x16_swizzle(nib, rev);
  /* Two digits a byte, then the eight bytes are the value, little-endian. */
  const v128_t pairs = wasm_v128_or(wasm_v128_and(digits, wasm_i16x8_splat(0xff)), wasm_i16x8_shl(wasm_u16x8_shr(digits, 8), 4));
  *v = (u64)wasm_i64x2_extract_lane(wasm_u8x16_narrow_i16x8(pairs, pairs), 0);
  *p += n;
  return n;
}

/* Where a line ends: at its newline, or at a CR right before it. */
static int atEnd(u32 p) {
  return input[p] == '\n' || (input[p] == '\r' && input[p + 1] == '\n');
}

#define ONES 0x0101010101010101ull
#define HIGHS 0x8080808080808080ull
/* Non-zero when any byte of v is zero. */
#define HAS_ZERO(v) (((v) - ONES) & ~(v) & HIGHS)

/*
 * The line at p, walked once with its newline as the terminator (no byte of a field can be one):
 * writes VMA i and sets *nl to the newline, or returns a reason. Nothing is written for a line
 * that fails, and zeros are not written: the columns are zero past the Dump's count (nameId is
 * -1 for none, so it is always written).
 */
static u32 parseLine(u32 p, u32 i, u32 *nl, u32 *nameAt, u32 *nameEndAt) {
  const u8 *b = input;
  u64 start, end, off, major, minor;
  u32 n = hex16(&p, &start);
  if (n == 17) return TOO_LONG;
  if (n == 0 || b[p] != '-') return NOT_RANGE;
  p++;
  n = hex16(&p, &end);
  if (n == 0) return NOT_RANGE;
  if (n == 17) return TOO_LONG;
  if (end < start) return END_BELOW_START;

  if (b[p] != ' ') return BAD_PERMS;
  u8 r = b[p + 1], w = b[p + 2], x = b[p + 3], s = b[p + 4];
  if ((r != 'r' && r != '-') || (w != 'w' && w != '-') || (x != 'x' && x != '-') || (s != 'p' && s != 's')) return BAD_PERMS;
  if (atEnd(p + 5)) return BAD_OFFSET; /* no offset field at all */
  if (b[p + 5] != ' ') return BAD_PERMS;
  p += 6;

  n = hex16(&p, &off);
  if (n == 0 || n == 17) return BAD_OFFSET;
  if (atEnd(p)) return BAD_DEVICE;
  if (b[p] != ' ') return BAD_OFFSET;
  p++;
  n = hex(&p, &major);
  if (n == 0 || n > 3 || b[p] != ':') return BAD_DEVICE;
  p++;
  n = hex(&p, &minor);
  if (n == 0 || n > 5) return BAD_DEVICE;
  if (b[p] != ' ') return BAD_INODE;
  p++;
  /* Accumulated as a double, like every other number the parser reads. */
  double ino = 0;
  u32 p0 = p;
  while ((u32)(b[p] - '0') < 10) ino = ino * 10 + (b[p++] - '0');
  if (p == p0 || (b[p] != ' ' && b[p] != '\n' && b[p] != '\r')) return BAD_INODE;
  while (b[p] == ' ') p++;

  /* The name runs to the newline (less one CR), eight bytes at a time; a NUL in it is junk. */
  u32 q = p;
  for (;;) {
    u64 v;
    __builtin_memcpy(&v, b + q, 8);
    if (HAS_ZERO(v ^ ONES * '\n') | HAS_ZERO(v)) break;
    q += 8;
  }
  while (b[q] != '\n') {
    if (b[q] == 0) return BINARY;
    q++;
  }
  *nl = q;
  *nameAt = p;
  *nameEndAt = q > p && b[q - 1] == '\r' ? q - 1 : q;

  startHi[i] = (u32)(start >> 32);
  startLo[i] = (u32)start;
  endHi[i] = (u32)(end >> 32);
  endLo[i] = (u32)end;
  perms[i] = (r == 'r') | (w == 'w') << 1 | (x == 'x') << 2 | (s == 's') << 3;
  /* No name until parse.ts interns one: the column is not pre-filled. */
  nameId[i] = -1;
  if (off) offset[i] = (double)off;
  if (major | minor) dev[i] = (u32)(major << 20 | minor);
  if (ino != 0) inode[i] = ino;
  return OK;
}

/* Ready for a new section of a dump (the field names and VmFlags sets stay the dump's). */
EXPORT("reset") void reset(void) {
  prevStart = prevEnd = 0;
  for (int r = 0; r < RES_COUNT; r++) result[r] = 0;
}

/* Ready for a new dump: no field name has a slot, no VmFlags set a number. */
EXPORT("forgetFields") void forgetFields(void) {
  keyCount = flagSetCount = 0;
}

/* ---------------------------------------------------------------- smaps field lines */

/*
 * The field name parse.ts wrote to keyIn (len bytes) has a column: returns its slot, the next
 * number, or -1 when there is no room (parse.ts goes on reading that name's lines itself).
 */
EXPORT("addKey") i32 addKey(u32 len) {
  if (keyCount >= KEYS_MAX || len > KEY_LEN) return -1;
  __builtin_memcpy(keyText + keyCount * KEY_LEN, keyIn, len);
  keyLen[keyCount] = len;
  return (i32)keyCount++;
}

/* The VmFlags text parse.ts wrote to flagsIn (len bytes, trimmed) is set number id. */
EXPORT("addFlags") void addFlags(u32 len, u32 id) {
  if (flagSetCount >= FLAG_SETS_MAX || len > FLAGS_LEN) return;
  __builtin_memcpy(flagsText + flagSetCount * FLAGS_LEN, flagsIn, len);
  flagsLen[flagSetCount] = len;
  flagsId[flagSetCount] = id;
  flagSetCount++;
}

static int same(const u8 *a, const u8 *b, u32 n) {
  for (u32 k = 0; k < n; k++)
    if (a[k] != b[k]) return 0;
  return 1;
}

/* The slot of the name input[s, e), or -1; guess: where to look first. */
static i32 keySlot(u32 s, u32 e, u32 guess) {
  u32 n = e - s;
  for (u32 t = 0; t < keyCount; t++) {
    u32 k = guess + t < keyCount ? guess + t : guess + t - keyCount;
    if (keyLen[k] == n && same(keyText + k * KEY_LEN, input + s, n)) return (i32)k;
  }
  return -1;
}

static i32 flagSet(u32 s, u32 e) {
  u32 n = e - s;
  for (u32 t = 0; t < flagSetCount; t++)
    if (flagsLen[t] == n && same(flagsText + t * FLAGS_LEN, input + s, n)) return (i32)flagsId[t];
  return -1;
}

static int isKeyByte(u8 c) {
  return (u32)(c - 'A') < 26 || (u32)(c - 'a') < 26 || (u32)(c - '0') < 10 || c == '_';
}

/* The slot after the last name found: smaps prints the fields of every VMA in one order. */
static u32 nextSlot;

/*
 * The smaps field line at s (`Key:  value kB` or `VmFlags: rd wr …`), as parse.ts's fieldLine()
 * reads it, staged at *f for VMA owner and *nl set to its newline: 1. 0 when parse.ts must read
 * it (no owner, a name or VmFlags set it has not seen, no value, an over-long line); -1 when it
 * is not a field line.
 */
static int fieldLine(u32 s, u32 owner, u32 *f, u32 *nl) {
  const u8 *b = input;
  u32 p = s;
  while (isKeyByte(b[p])) p++;
  if (b[p] != ':') return -1;
  if (owner == NO_OWNER) return 0;
  u32 q = p + 1;
  while (b[q] == ' ' || b[q] == '\t') q++;
  u32 e = q;
  while (b[e] != '\n') e++;
  if (e - s > MAX_LINE) return 0;
  *nl = e;
  if (p - s == 7 && same((const u8 *)"VmFlags", b + s, 7)) {
    /* Without the CR and the blanks at the end, as parse.ts stores the set. */
    if (e > s && b[e - 1] == '\r') e--;
    while (e > q && (b[e - 1] == ' ' || b[e - 1] == '\t')) e--;
    i32 id = flagSet(q, e);
    if (id < 0) return 0;
    fieldVma[*f] = owner;
    fieldSlot[*f] = SLOT_VMFLAGS;
    fieldValue[*f] = id;
    (*f)++;
    return 1;
  }
  i32 slot = keySlot(s, p, nextSlot);
  if (slot < 0 || (u32)(b[q] - '0') >= 10) return 0;
  /* Accumulated as a double, like every other number the parser reads. */
  double v = 0;
  while ((u32)(b[q] - '0') < 10) v = v * 10 + (b[q++] - '0');
  nextSlot = (u32)slot + 1;
  fieldVma[*f] = owner;
  fieldSlot[*f] = (u8)slot;
  fieldValue[*f] = v;
  (*f)++;
  return 1;
}

/*
 * Writes consecutive maps lines from offset s as VMAs at, at+1, … (at most room of them), and
 * stages the smaps field lines under them for VMA owner (the one above s, or NO_OWNER when
 * field lines there are not a VMA's), then for each VMA written. Stops at limit (just after a
 * newline), when NAMED_MAX named lines or FIELDS_MAX fields are staged, or before the first line
 * it does not read (result[RES_REASON] says what is wrong with a maps line; parse.ts decides
 * what that line is). lineNo: the line number before s. Returns where it stopped.
 */
EXPORT("scan") u32 scan(u32 s, u32 limit, u32 lineNo, u32 at, u32 room, u32 owner) {
  u32 n = 0, k = 0, f = 0, lines = 0, reason = OK;
  u32 maxEndHi = result[RES_MAX_END_HI], unsorted = result[RES_UNSORTED], overlap = result[RES_OVERLAP];
  while (s < limit && k < NAMED_MAX && f < FIELDS_MAX) {
    u32 i = at + n, nl = s, na = 0, ne = 0;
    if ((u32)(input[s] - 'A') < 26) {
      int got = fieldLine(s, owner, &f, &nl);
      if (got == 0) break;
      if (got > 0) {
        lines++;
        s = nl + 1;
        continue;
      }
      /* Not a field line: a maps line in capitals, or what parseLine() rejects. */
    }
    if (n >= room) break;
    reason = parseLine(s, i, &nl, &na, &ne);
    /* Over-long lines are malformed wherever they are (parse.ts says the same of the others). */
    if (reason == OK && nl - s > MAX_LINE) reason = LINE_TOO_LONG;
    if (reason != OK) {
      /* The line may have been partly written: the columns must stay zero past the count. */
      startHi[i] = startLo[i] = endHi[i] = endLo[i] = 0;
      perms[i] = 0;
      offset[i] = inode[i] = 0;
      dev[i] = 0;
      break;
    }
    lines++;
    u64 start = (u64)startHi[i] << 32 | startLo[i];
    if (start < prevStart) {
      if (!unsorted) unsorted = lineNo + lines;
    } else if (start < prevEnd && !overlap) overlap = lineNo + lines;
    prevStart = start;
    prevEnd = (u64)endHi[i] << 32 | endLo[i];
    if (endHi[i] > maxEndHi) maxEndHi = endHi[i];
    line[i] = lineNo + lines;
    if (na < ne) {
      namedIndex[k] = i;
      nameStart[k] = na;
      nameEnd[k] = ne;
      k++;
    }
    owner = i;
    nextSlot = 0;
    n++;
    s = nl + 1;
  }
  result[RES_WRITTEN] = n;
  result[RES_REASON] = reason;
  result[RES_NAMED] = k;
  result[RES_UNSORTED] = unsorted;
  result[RES_MAX_END_HI] = maxEndHi;
  result[RES_OVERLAP] = overlap;
  result[RES_LINES] = lines;
  result[RES_FIELDS] = f;
  return s;
}

/* ---------------------------------------------------------------- the analysis passes */

/*
 * VMAs and bytes per kind over VMAs [from, to) of n in index order, and each kind's first VMA (n:
 * none), for diff.ts; in batches, as classify() (the first resets). Bytes are summed as diff.ts
 * always did, in doubles: the high halves' difference times 2^32 plus the low halves'
 * difference, so the totals are the same bit for bit.
 */
EXPORT("kindTotals") void kindTotals(u32 from, u32 to, u32 n) {
  if (from == 0)
    for (int k = 0; k < KINDS_MAX; k++) totalCount[k] = totalBytes[k] = 0, totalFirst[k] = n;
  for (u32 i = from; i < to; i++) {
    u32 k = kind[i];
    if (totalCount[k] == 0) totalFirst[k] = i;
    totalCount[k] += 1;
    totalBytes[k] += ((double)endHi[i] - (double)startHi[i]) * 4294967296.0 + ((double)endLo[i] - (double)startLo[i]);
  }
}

/* diffWalk()'s results besides the next VMA of this dump: the next of the other's chunk, VMAs both have, changes written. */
static u32 diffResult[3];
EXPORT("diffResult") u32 *diffResultPtr(void) { return diffResult; }

/*
 * diff.ts's walk of two dumps in address order (both sorted), this one's VMAs from x (of n)
 * against a chunk of nb VMAs of the other, whose columns diff.ts copied into the input buffer
 * (unused once a dump is parsed): a VMA both have (same range, permissions and name) is
 * counted, one only this dump has is written to out as its index, one only the other has as its
 * chunk index with the top bit set; A's first on equal starts, as a merge. Only kinds in the
 * `counted` bit set take part ([vsyscall] is not a VMA of the process). bToA: for each of the
 * other's name ids, this dump's id of that name (-2: none). Stops when either side or out
 * (outMax) is full; returns the next x. In JavaScript this loop over two million VMAs cost
 * 20-30 ms, a quarter of the diff of two 1M dumps.
 */
EXPORT("diffWalk")
u32 diffWalk(u32 x, u32 n, const u32 *bSH, const u32 *bSL, const u32 *bEH, const u32 *bEL, const u8 *bP, const u8 *bK, const i32 *bN, u32 nb,
             const i32 *bToA, u32 counted, u32 *out, u32 outMax) {
  u32 y = 0, same = 0, w = 0;
  while (x < n && y < nb && w < outMax) {
    if (!(counted >> kind[x] & 1)) {
      x++;
      continue;
    }
    if (!(counted >> bK[y] & 1)) {
      y++;
      continue;
    }
    u64 a0 = (u64)startHi[x] << 32 | startLo[x], b0 = (u64)bSH[y] << 32 | bSL[y];
    i32 an = nameId[x], bn = bN[y];
    int sameName = bn < 0 ? an < 0 : bToA[bn] == an;
    if (a0 == b0 && endHi[x] == bEH[y] && endLo[x] == bEL[y] && perms[x] == bP[y] && sameName) {
      same++;
      x++;
      y++;
    } else if (a0 <= b0) {
      out[w++] = x++;
    } else {
      out[w++] = y++ | 0x80000000u;
    }
  }
  diffResult[0] = y;
  diffResult[1] = same;
  diffResult[2] = w;
  return x;
}

/*
 * The first of the first n VMAs in index order that starts at hi:lo and has no name (n: none),
 * for allocator.ts (Go's first arena): a JavaScript loop over a million VMAs, cold, cost 7 ms.
 */
EXPORT("findUnnamed") u32 findUnnamed(u32 n, u32 hi, u32 lo) {
  for (u32 i = 0; i < n; i++)
    if (startLo[i] == lo && startHi[i] == hi && nameId[i] < 0) return i;
  return n;
}

static u64 startOf(u32 i) { return (u64)startHi[i] << 32 | startLo[i]; }
static u64 endOf(u32 i) { return (u64)endHi[i] << 32 | endLo[i]; }
static u64 sizeOf(u32 i) { return endOf(i) - startOf(i); }
/* Bytes from the end of a to the start of b, negative when they overlap. */
static i64 gapOf(u32 a, u32 b) { return (i64)(startOf(b) - endOf(a)); }

static const u32 *order;
static u32 at(u32 k) { return order ? order[k] : k; }

static int anonPrivate(u32 i, const u8 *nameClass) {
  i32 id = nameId[i];
  return (perms[i] & PERM_SHARED) == 0 && (id < 0 || nameClass[id] == NC_ANONYMOUS);
}

/*
 * Marks a run of glibc arena heaps from position k (slot-aligned rw-p or rwxp): heaps of
 * HEAP_MAX_SIZE, each a read-write head at its slot's start then an optional ---p rest. The
 * kernel merges neighbours with equal protections, so one VMA may span several slots (full heaps
 * side by side, or a heap's rest and the spare slot new_heap() keeps). The run is contiguous,
 * anonymous, and ends on a slot boundary; read-write memory resumes after ---p only at a slot's
 * start (a new heap's header). A run with no ---p part at all is one slot, or VMAs that each
 * start and end on slot boundaries (full heaps the kernel kept apart): one VMA of several slots
 * of plain rw-p looks like any large aligned mapping. Returns the VMAs taken (0: none);
 * *heaps gets the slots whose first page is read-write (one heap each).
 */
static u32 heapRun(u32 k, u32 n, u32 slotBits, const u8 *nameClass, u32 *heaps) {
  const u64 mask = (1ull << slotBits) - 1;
  u32 good = k, goodHeaps = 0, h = 0;
  int afterNone = 0, sawNone = 0, goodSawNone = 0, starts = 1, goodStarts = 0;
  for (u32 m = k; m < n; m++) {
    u32 i = at(m);
    if (!anonPrivate(i, nameClass) || (m > k && gapOf(at(m - 1), i) != 0)) break;
    u32 prot = perms[i] & (PERM_R | PERM_W | PERM_X);
    u64 s = startOf(i), e = endOf(i);
    if (s & mask) starts = 0;
    if (prot == 0) {
      afterNone = sawNone = 1;
    } else if (prot == RW || prot == (RW | PERM_X)) {
      if (afterNone && (s & mask) != 0) break;
      afterNone = 0;
      h += (u32)(((e + mask) >> slotBits) - ((s + mask) >> slotBits));
    } else {
      break;
    }
    if ((e & mask) == 0) {
      good = m + 1;
      goodHeaps = h;
      goodSawNone = sawNone;
      goodStarts = starts;
    }
  }
  if (good == k || (!goodSawNone && goodHeaps != 1 && !(goodStarts && good - k >= 2))) return 0;
  for (u32 t = k; t < good; t++) {
    u32 i = at(t);
    kind[i] = perms[i] & PERM_W ? params[P_ARENA] : params[P_ARENA_RESERVE];
  }
  *heaps = goodHeaps;
  return good - k;
}

/*
 * Go's heap from position k: its arenas grow upward, contiguous, from a hint address of
 * 0x00c000000000 plus a multiple of 1 TiB, committed (rw-p) then reserved (---p). Marks the
 * run as allocator memory; returns the VMAs taken.
 */
static u32 goArenaRun(u32 k, u32 n, const u8 *nameClass) {
  u32 m = k;
  for (; m < n; m++) {
    u32 i = at(m);
    u32 prot = perms[i] & (PERM_R | PERM_W | PERM_X);
    if (!anonPrivate(i, nameClass) || (m > k && gapOf(at(m - 1), i) != 0) || (prot != RW && prot != 0)) break;
    kind[i] = prot ? params[P_ALLOCATOR] : params[P_RESERVED];
  }
  return m - k;
}

/* Stack sizes: pthread's minimum (16 KiB) to 1 GiB. The largest guard is a parameter. */
#define MIN_THREAD_STACK (16 * 1024)
#define MAX_THREAD_STACK (1024 * MIB)

/*
 * A thread stack at position k: a ---p guard of at most maxGuard directly below an anonymous
 * rw-p of a stack's size (pthread_create maps both at once; rwxp for a program that needs an
 * executable stack, or under READ_IMPLIES_EXEC), unless the rw-p is directly below a
 * larger ---p: then it is memory committed inside a reservation (a JVM heap, metaspace or code
 * cache; a mimalloc segment), not a stack.
 */
static int threadStackAt(u32 k, u32 n, u64 maxGuard, const u8 *nameClass) {
  if (k + 1 >= n) return 0;
  u32 g = at(k), j = at(k + 1);
  u64 above = sizeOf(j);
  u32 prot = perms[j] & (PERM_R | PERM_W | PERM_X);
  if (sizeOf(g) > maxGuard || !anonPrivate(j, nameClass) || (prot != RW && prot != (RW | PERM_X)) || gapOf(g, j) != 0 ||
      above < MIN_THREAD_STACK || above > MAX_THREAD_STACK)
    return 0;
  if (k + 2 < n) {
    u32 r = at(k + 2);
    if (gapOf(j, r) == 0 && anonPrivate(r, nameClass) && (perms[r] & (PERM_R | PERM_W | PERM_X)) == 0 && sizeOf(r) > maxGuard)
      return 0;
  }
  return 1;
}

/* The kind of every VMA, by name, permissions and neighbours: the rules are in classify.ts. */
/*
 * Positions [from, to) of the address order; returns where the next call starts (past `to` when
 * the last VMA took its neighbours along). Called in batches: V8 runs a call in baseline code
 * until the function has tiered up, and only a later call gets the optimised code.
 */
EXPORT("classify") u32 classify(u32 from, u32 to) {
  const u32 n = params[P_COUNT];
  const u8 *nameClass = (const u8 *)params[P_NAME_CLASS];
  const u8 *nameSpecial = (const u8 *)params[P_NAME_SPECIAL];
  const int glibc = params[P_GLIBC];
  const u32 slotBits = params[P_SLOT_BITS];
  const u64 slotSize = 1ull << slotBits;
  const u64 maxGuard = params[P_MAX_GUARD];
  order = (const u32 *)params[P_ORDER];
  if (from == 0)
    for (int s = 0; s < S_COUNT; s++) stats[s] = 0;

  u32 k = from;
  for (; k < to; k++) {
    u32 i = at(k);
    i32 id = nameId[i];
    u32 pm = perms[i];
    u32 c = id < 0 ? NC_ANONYMOUS : nameClass[id];

    if (c == NC_SPECIAL) {
      kind[i] = nameSpecial[id];
      if (kind[i] == params[P_THREAD_STACK]) stats[S_THREAD_STACKS]++;
      continue;
    }
    if (c == NC_SHM || (pm & PERM_SHARED && c == NC_ANONYMOUS)) {
      kind[i] = params[P_SHM];
      continue;
    }
    if (c == NC_IMAGE || c == NC_FILE) {
      if (flags[i] & FLAG_DELETED) kind[i] = params[P_DELETED];
      else if (c == NC_FILE) kind[i] = params[P_FILE];
      else if (pm & PERM_X) kind[i] = params[P_TEXT];
      else if (pm & PERM_W) kind[i] = params[P_DATA];
      else if (pm & PERM_R) kind[i] = params[P_RODATA];
      else kind[i] = params[P_IMAGE_GAP];
      continue;
    }

    if (startOf(i) == 0xffffffffff600000ull) {
      kind[i] = params[P_VSYSCALL];
      continue;
    }
    u32 prot = pm & (PERM_R | PERM_W | PERM_X);
    if (k > 0 && prot == RW && kind[at(k - 1)] == params[P_DATA] && gapOf(at(k - 1), i) == 0) {
      kind[i] = params[P_BSS];
      continue;
    }
    if ((startOf(i) & 0xffffffffffull) == 0xc000000000ull) {
      u32 taken = goArenaRun(k, n, nameClass);
      if (taken > 0) {
        stats[S_GO_ARENA_VMAS] += taken;
        k += taken - 1;
        continue;
      }
    }
    if (glibc && (prot == RW || prot == (RW | PERM_X)) && (startOf(i) & (slotSize - 1)) == 0) {
      u32 heaps = 0, taken = heapRun(k, n, slotBits, nameClass, &heaps);
      if (taken > 0) {
        stats[S_ARENA_SLOTS] += heaps;
        stats[S_ARENA_VMAS] += taken;
        k += taken - 1;
        continue;
      }
    }
    if (prot == 0 && threadStackAt(k, n, maxGuard, nameClass)) {
      kind[i] = params[P_GUARD];
      kind[at(k + 1)] = params[P_THREAD_STACK];
      stats[S_GUARDS]++;
      stats[S_THREAD_STACKS]++;
      k++;
      continue;
    }
    kind[i] = prot == 0 ? params[P_RESERVED] : params[P_OWN_ANON];
    if (prot == RW) {
      u64 size = sizeOf(i);
      if (size >= 2 * MIB) {
        stats[S_BIG_ANON]++;
        if (size % (2 * MIB) == 0 && (startOf(i) & (2 * MIB - 1)) == 0) stats[S_BIG_ANON_ALIGNED]++;
      }
    }
  }
  return k;
}

/* A fragmented run (tally.ts): anonymous VMAs at most RUN_HOLE apart, enough of them, mostly small. */
#define RUN_HOLE MIB
#define RUN_MIN_VMAS 16
#define RUN_SMALL MIB
/* Each run in the P_RUNS array: first VMA, last VMA, VMAs, holes, splits (exported). */
#define RUN_FIELDS 5

/* The run being followed across tally() calls: its first VMA (-1: none), the last, and counts. */
static i64 runFirst;
static u32 runPrev, runLen, runSmall, runHoles, runSplits;

static void closeRun(u32 *runs, u32 runsMax) {
  if (runFirst >= 0 && runLen >= RUN_MIN_VMAS && runSmall * 2 >= runLen && runCount < runsMax) {
    u32 *r = runs + runCount++ * RUN_FIELDS;
    r[0] = (u32)runFirst;
    r[1] = runPrev;
    r[2] = runLen;
    r[3] = runHoles;
    r[4] = runSplits;
  }
}

/*
 * Counts, bytes and first lines per kind, and the fragmented runs, over positions [from, to) of
 * the address order; in batches, as classify().
 */
EXPORT("tally") void tally(u32 from, u32 to) {
  const u32 n = params[P_COUNT];
  const u32 anonKinds = params[P_ANON_KINDS];
  u32 *runs = (u32 *)params[P_RUNS];
  const u32 runsMax = params[P_RUNS_MAX];
  order = (const u32 *)params[P_ORDER];
  if (from == 0) {
    for (int k = 0; k < KINDS_MAX; k++) kindCount[k] = kindLineCount[k] = 0, kindBytes[k] = 0;
    runCount = 0;
    runFirst = -1;
    runPrev = runLen = runSmall = runHoles = runSplits = 0;
  }
  for (u32 k = from; k < to; k++) {
    u32 i = at(k);
    u32 kd = kind[i];
    u64 size = sizeOf(i);
    kindCount[kd]++;
    kindBytes[kd] += (double)size;
    if (kindLineCount[kd] < LINES_MAX) kindLines[kd * LINES_MAX + kindLineCount[kd]++] = line[i];
    int isAnon = (anonKinds >> kd & 1) && (perms[i] & PERM_SHARED) == 0;
    i64 gap = isAnon && runFirst >= 0 ? gapOf(runPrev, i) : -1;
    if (gap >= 0 && gap <= (i64)RUN_HOLE) {
      runLen++;
      if (gap > 0) runHoles++;
      else runSplits++;
    } else {
      closeRun(runs, runsMax);
      runFirst = isAnon ? (i64)i : -1;
      runLen = 1;
      runSmall = runHoles = runSplits = 0;
    }
    if (isAnon && size <= RUN_SMALL) runSmall++;
    runPrev = i;
  }
  if (to == n) closeRun(runs, runsMax);
}

/*
 * classify() then tally() over the positions it classified, a batch at a time: the batch's
 * columns are still in the cache for the second pass, and one function tiers up instead of two.
 * For classify.ts, when nothing changes the kinds between the two (it tallies again if so).
 */
EXPORT("classifyTally") u32 classifyTally(u32 from, u32 to) {
  u32 k = classify(from, to);
  tally(from, k);
  return k;
}
