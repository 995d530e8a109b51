import { Dump, PERM_X } from './dump';
import { KERNEL_BATCH } from './kernel';
import { NameClass, Param, Stat } from './kernelContract';
import { KIND_INDEX } from './kinds';
import { runTally, setTallyParams } from './tally';
import type { AllocatorName } from './types';

const K = KIND_INDEX;

export interface ClassifyStats {
  /** pthread stacks found (the main thread's [stack] not included). */
  threadStacks: number;
  guards: number;
  /** glibc arena heaps: 64 MiB slots (1 MiB on 32-bit). */
  arenaSlots: number;
  arenaVmas: number;
  arenaBytes: number;
  /** log2 of the arena slot size used. */
  arenaSlotBits: number;
  /** Anonymous rw-p mappings of 2 MiB or more, and how many of them are 2 MiB-aligned multiples of 2 MiB. */
  bigAnon: number;
  bigAnonAligned: number;
  /** VMAs of Go's heap: contiguous anonymous memory from a 0x00c000000000 (+ n TiB) arena hint. */
  goArenaVmas: number;
}

function specialKind(name: string): number | undefined {
  switch (name) {
    case '[heap]':
      return K.heap;
    case '[stack]':
      return K.stack;
    case '[vdso]':
      return K.vdso;
    case '[vvar]':
    case '[vvar_vclock]':
      return K.vvar;
    case '[vsyscall]':
      return K.vsyscall;
    case '[rollup]':
      return K.rollup;
    // MAP_HUGETLB memory: the kernel names its hugetlbfs file so, always " (deleted)".
    case '/anon_hugepage':
      return K.hugetlb;
  }
  if (name.startsWith('[stack:')) return K['thread-stack'];
  // glibc 2.39+ names its mappings when glibc.mem.decorate_maps is set.
  if (name.startsWith('[anon: glibc: pthread stack')) return K['thread-stack'];
  if (name.startsWith('[anon: glibc: guard')) return K.guard;
  if (name.startsWith('[anon: glibc: malloc arena')) return K.arena;
  return undefined;
}

const SHM_NAME = /^(?:\[anon_shmem:|\[ shmid=0x|\/dev\/zero$|\/memfd:|\/SYSV[0-9a-f]{8}$|\/dev\/shm\/)/;
const LIBRARY_NAME = /\.so(?:\.[\w.]+)?$|\.so\b/;

function nameClasses(dump: Dump): { cls: Uint8Array; special: Uint8Array } {
  const n = dump.names.length;
  const cls = new Uint8Array(n);
  const special = new Uint8Array(n);
  dump.names.forEach((name, id) => {
    const sk = specialKind(name);
    if (sk !== undefined) {
      cls[id] = NameClass.Special;
      special[id] = sk;
    } else if (SHM_NAME.test(name)) cls[id] = NameClass.Shm;
    else if (name.startsWith('['))
      cls[id] = NameClass.Anonymous; // [anon:NAME] and unknown pseudo-paths
    else if (dump.namePerms[id] & PERM_X || LIBRARY_NAME.test(name)) cls[id] = NameClass.Image;
    else cls[id] = NameClass.File;
  });
  return { cls, special };
}

/**
 * The process has `stacks` pthreads besides the main one (the capture's thread count, less one),
 * so layout pairs beyond that are not stacks: keeps the pairs whose size (guard and stack) is
 * the most common, as threads of one program share a few stack sizes, and gives the others back
 * to the allocator's kinds. Stacks named by the kernel or glibc ([stack:TID], [anon: glibc: …])
 * are kept. Returns how many pairs were dropped.
 */
function boundThreadStacks(dump: Dump, stacks: number, ownAnon: number): number {
  const order = dump.order();
  const pairs: { guard: number; stack: number; size: number }[] = [];
  for (let k = 1; k < order.length; k++) {
    const i = order[k];
    const g = order[k - 1];
    if (dump.kind[i] === K['thread-stack'] && dump.kind[g] === K.guard && dump.nameId[i] < 0 && dump.nameId[g] < 0)
      pairs.push({ guard: g, stack: i, size: dump.size(g) + dump.size(i) });
  }
  const keep = Math.max(0, stacks - countNamedStacks(dump));
  if (pairs.length <= keep) return 0;
  const seen = new Map<number, number>();
  for (const p of pairs) seen.set(p.size, (seen.get(p.size) ?? 0) + 1);
  // Least likely first: a rare size, then the smaller one.
  pairs.sort((a, b) => seen.get(a.size)! - seen.get(b.size)! || a.size - b.size);
  const drop = pairs.length - keep;
  for (const p of pairs.slice(0, drop)) {
    dump.kind[p.guard] = K.reserved;
    dump.kind[p.stack] = ownAnon;
  }
  return drop;
}

function countNamedStacks(dump: Dump): number {
  let n = 0;
  for (let i = 0; i < dump.count; i++) if (dump.kind[i] === K['thread-stack'] && dump.nameId[i] >= 0) n++;
  return n;
}

/**
 * pmap prints the brk heap as `[ anon ]`, and musl's malloc puts a guard page at the start of the
 * brk area: a ---p page below rw-p, like a stack. The brk area starts right after the executable's
 * image (randomised by up to 32 MiB on x86, 1 GiB on arm64), far below where mmap places stacks:
 * in pmap output naming no [heap], a guard and stack pair that close to the executable (the first
 * image, not a library) is the heap. Returns whether it reclassified one.
 */
function unnamedHeapGuard(dump: Dump, addressBits: 32 | 64): boolean {
  if (!dump.format.startsWith('pmap')) return false;
  const order = dump.order();
  let k = 0;
  while (k < order.length && dump.nameId[order[k]] < 0) k++;
  if (k === order.length || LIBRARY_NAME.test(dump.names[dump.nameId[order[k]]])) return false;
  for (let i = 0; i < dump.count; i++) if (dump.kind[i] === K.heap) return false;
  // Past the executable's segments and its .bss.
  const image = new Set([K.text, K.rodata, K.data, K.bss, K['image-gap']]);
  const exe = dump.nameId[order[k]];
  while (k + 1 < order.length && image.has(dump.kind[order[k + 1]]) && (dump.nameId[order[k + 1]] === exe || dump.nameId[order[k + 1]] < 0)) k++;
  const end = order[k];
  const g = order[k + 1];
  const s = order[k + 2];
  if (g === undefined || s === undefined || dump.kind[g] !== K.guard || dump.kind[s] !== K['thread-stack']) return false;
  const window = addressBits === 64 ? 1024 * 1048576 : 32 * 1048576;
  if (dump.gap(end, g) > window) return false;
  dump.kind[g] = K.heap;
  dump.kind[s] = K.heap;
  return true;
}

/**
 * Sets dump.kind for every VMA: by name where the name says (special names, shared memory,
 * images and files), else by layout, with rules from glibc and the kernel: a thread stack is rw-p
 * directly above a small ---p guard (pthread_create maps both at once), not inside a larger
 * reservation, and there are no more of them than the capture's thread count allows; a glibc
 * arena heap fills a slot of HEAP_MAX_SIZE (64 MiB on 64-bit, 1 MiB on 32-bit) aligned to its
 * size, rw-p (or rwxp) head then ---p rest, and neighbouring heaps may be merged (kernel.c);
 * Go's heap grows up from 0xc000000000 and belongs to its runtime, whatever malloc is loaded;
 * .bss is anonymous rw-p directly after an image's writable data; anything else anonymous
 * belongs to the allocator. The per-VMA pass runs in the kernel (classify() in kernel.c).
 * withTally: the kernel's tally pass runs too, batch by batch with classification, and again if
 * a rule here changes kinds after it (tally.ts then reads it with `counted`).
 */
export function classify(dump: Dump, allocator: AllocatorName, addressBits: 32 | 64, withTally = false): ClassifyStats {
  const { cls, special } = nameClasses(dump);
  const k = dump.kernel;
  k.u8(k.nameClassAt, cls.length).set(cls);
  k.u8(k.nameSpecialAt, special.length).set(special);
  const slotBits = addressBits === 64 ? 26 : 20;
  const p = k.params;
  p[Param.Count] = dump.count;
  p[Param.Order] = k.orderAt;
  p[Param.NameClass] = k.nameClassAt;
  p[Param.NameSpecial] = k.nameSpecialAt;
  p[Param.Glibc] = allocator === 'glibc' ? 1 : 0;
  p[Param.SlotBits] = slotBits;
  p[Param.OwnAnon] = allocator === 'glibc' ? K.anon : K.allocator;
  p[Param.Shm] = K.shm;
  p[Param.Deleted] = K.deleted;
  p[Param.File] = K.file;
  p[Param.Text] = K.text;
  p[Param.Data] = K.data;
  p[Param.Rodata] = K.rodata;
  p[Param.ImageGap] = K['image-gap'];
  p[Param.Vsyscall] = K.vsyscall;
  p[Param.Bss] = K.bss;
  p[Param.Arena] = K.arena;
  p[Param.ArenaReserve] = K['arena-reserve'];
  p[Param.Guard] = K.guard;
  p[Param.ThreadStack] = K['thread-stack'];
  p[Param.Reserved] = K.reserved;
  // One page (glibc) to four (the JVM's yellow, red and reserved zones), and 64 KiB for programs
  // that ask for a larger guard.
  p[Param.MaxGuard] = Math.max(65536, 4 * (dump.header.pageSize ?? 4096));
  p[Param.Allocator] = K.allocator;
  if (withTally) setTallyParams(dump);
  // At least one call, even for no VMA: the first resets the counts.
  for (let at = 0; ;) {
    const to = Math.min(dump.count, at + KERNEL_BATCH);
    at = withTally ? k.x.classifyTally(at, to) : k.x.classify(at, to);
    if (at >= dump.count) break;
  }
  const st = k.stats;
  let changed = false;
  if (unnamedHeapGuard(dump, addressBits)) {
    st[Stat.ThreadStacks]--;
    st[Stat.Guards]--;
    changed = true;
  }
  const threads = dump.header.threads;
  if (threads !== undefined && threads > 0 && st[Stat.ThreadStacks] > threads - 1) {
    const dropped = boundThreadStacks(dump, threads - 1, allocator === 'glibc' ? K.anon : K.allocator);
    st[Stat.ThreadStacks] -= dropped;
    st[Stat.Guards] -= dropped;
    changed ||= dropped > 0;
  }
  if (withTally && changed) runTally(dump);
  return {
    threadStacks: st[Stat.ThreadStacks],
    guards: st[Stat.Guards],
    arenaSlots: st[Stat.ArenaSlots],
    arenaVmas: st[Stat.ArenaVmas],
    arenaBytes: st[Stat.ArenaSlots] * 2 ** slotBits,
    arenaSlotBits: slotBits,
    bigAnon: st[Stat.BigAnon],
    bigAnonAligned: st[Stat.BigAnonAligned],
    goArenaVmas: st[Stat.GoArenaVmas],
  };
}
