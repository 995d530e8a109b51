import { isAligned } from './addr';
import { Dump, FLAG_DELETED, PERM_R, PERM_SHARED, PERM_W, PERM_X } from './dump';
import { KIND_INDEX } from './kinds';
import type { AllocatorName } from './types';

const K = KIND_INDEX;
const RW = PERM_R | PERM_W;
const MIB = 1024 * 1024;

/** Largest guard under a thread stack (glibc uses one page; 64 KiB on 64K-page kernels). */
const MAX_GUARD = MIB;
const MIN_THREAD_STACK = 16 * 1024;
const MAX_THREAD_STACK = 1024 * MIB;

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
}

/** How a name classifies before looking at neighbours; `undefined` = decide by layout. */
const enum NameClass {
  Anonymous,
  Special,
  Shm,
  Image,
  File,
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
  }
  if (name.startsWith('[stack:')) return K['thread-stack'];
  // glibc 2.39+ names its mappings when glibc.mem.decorate_maps is set.
  if (name.startsWith('[anon: glibc: pthread stack')) return K['thread-stack'];
  if (name.startsWith('[anon: glibc: guard')) return K.guard;
  if (name.startsWith('[anon: glibc: malloc arena')) return K.arena;
  return undefined;
}

const SHM_NAME = /^(?:\[anon_shmem:|\/dev\/zero$|\/memfd:|\/SYSV[0-9a-f]{8}$|\/dev\/shm\/)/;
const LIBRARY_NAME = /\.so(?:\.[\w.]+)?$|\.so\b/;

function nameClasses(dump: Dump): { cls: Uint8Array; special: Int16Array } {
  const n = dump.names.length;
  const cls = new Uint8Array(n);
  const special = new Int16Array(n).fill(-1);
  dump.names.forEach((name, id) => {
    const sk = specialKind(name);
    if (sk !== undefined) {
      cls[id] = NameClass.Special;
      special[id] = sk;
    } else if (SHM_NAME.test(name)) cls[id] = NameClass.Shm;
    else if (name.startsWith('[')) cls[id] = NameClass.Anonymous; // [anon:NAME] and unknown pseudo-paths
    else if (dump.namePerms[id] & PERM_X || LIBRARY_NAME.test(name)) cls[id] = NameClass.Image;
    else cls[id] = NameClass.File;
  });
  return { cls, special };
}

function isAnonPrivate(dump: Dump, i: number, cls: Uint8Array): boolean {
  const id = dump.nameId[i];
  return (dump.perms[i] & PERM_SHARED) === 0 && (id < 0 || cls[id] === NameClass.Anonymous);
}

/**
 * Sets dump.kind for every VMA. Layout rules follow glibc and the kernel:
 * a thread stack is rw-p directly above a small ---p guard (pthread_create maps both at once);
 * a glibc arena heap fills a slot of HEAP_MAX_SIZE (64 MiB on 64-bit) aligned to its size, rw-p head
 * then ---p reserve; .bss is anonymous rw-p directly after an image's writable data.
 */
export function classify(dump: Dump, allocator: AllocatorName, addressBits: 32 | 64): ClassifyStats {
  const { cls, special } = nameClasses(dump);
  const order = dump.orderIfUnsorted();
  const kind = dump.kind;
  const slotBits = addressBits === 64 ? 26 : 20;
  const slotSize = 2 ** slotBits;
  const ownAnon = allocator === 'glibc' ? K.anon : K.allocator;
  const stats: ClassifyStats = {
    threadStacks: 0,
    guards: 0,
    arenaSlots: 0,
    arenaVmas: 0,
    arenaBytes: 0,
    arenaSlotBits: slotBits,
    bigAnon: 0,
    bigAnonAligned: 0,
  };
  const n = dump.count;
  const at = (k: number) => (order === undefined ? k : order[k]);

  for (let k = 0; k < n; k++) {
    const i = at(k);
    const id = dump.nameId[i];
    const perms = dump.perms[i];
    const c = id < 0 ? NameClass.Anonymous : cls[id];

    if (c === NameClass.Special) {
      kind[i] = special[id];
      if (kind[i] === K['thread-stack']) stats.threadStacks++;
      continue;
    }
    if (c === NameClass.Shm || (perms & PERM_SHARED && c === NameClass.Anonymous)) {
      kind[i] = K.shm;
      continue;
    }
    if (c === NameClass.Image || c === NameClass.File) {
      if (dump.flags[i] & FLAG_DELETED) kind[i] = K.deleted;
      else if (c === NameClass.File) kind[i] = K.file;
      else if (perms & PERM_X) kind[i] = K.text;
      else if (perms & PERM_W) kind[i] = K.data;
      else if (perms & PERM_R) kind[i] = K.rodata;
      else kind[i] = K['image-gap'];
      continue;
    }

    // Anonymous private memory: decided by size, permissions and neighbours.
    if (dump.startHi[i] === 0xffffffff && dump.startLo[i] === 0xff600000) {
      kind[i] = K.vsyscall; // pmap prints the vsyscall page as "[ anon ]"
      continue;
    }
    const prot = perms & (PERM_R | PERM_W | PERM_X);
    if (k > 0 && prot === RW && kind[at(k - 1)] === K.data && dump.gap(at(k - 1), i) === 0) {
      kind[i] = K.bss;
      continue;
    }
    // Only glibc has arenas: mimalloc's 32 MiB segments can sit on a 64 MiB boundary too.
    if (allocator === 'glibc' && prot === RW && isAligned(dump.startHi[i], dump.startLo[i], slotBits)) {
      const taken = markArenaSlot(dump, at, k, slotSize, cls);
      if (taken > 0) {
        stats.arenaSlots++;
        stats.arenaVmas += taken;
        stats.arenaBytes += slotSize;
        k += taken - 1;
        continue;
      }
    }
    if (prot === 0 && k + 1 < n) {
      const j = at(k + 1);
      const size = dump.size(i);
      const above = dump.size(j);
      if (
        size <= MAX_GUARD &&
        isAnonPrivate(dump, j, cls) &&
        (dump.perms[j] & (PERM_R | PERM_W | PERM_X)) === RW &&
        dump.gap(i, j) === 0 &&
        above >= MIN_THREAD_STACK &&
        above <= MAX_THREAD_STACK
      ) {
        kind[i] = K.guard;
        kind[j] = K['thread-stack'];
        stats.guards++;
        stats.threadStacks++;
        k++;
        continue;
      }
    }
    kind[i] = prot === 0 ? K.reserved : ownAnon;
    if (prot === RW) {
      const size = dump.size(i);
      if (size >= 2 * MIB) {
        stats.bigAnon++;
        if (size % (2 * MIB) === 0 && isAligned(dump.startHi[i], dump.startLo[i], 21)) stats.bigAnonAligned++;
      }
    }
  }
  return stats;
}

/**
 * Marks the VMAs filling one arena slot starting at order[k]; returns how many, or 0 when the
 * run does not exactly fill the slot (rw-p head, then an optional ---p reserve).
 */
function markArenaSlot(dump: Dump, at: (k: number) => number, k: number, slotSize: number, cls: Uint8Array): number {
  const first = at(k);
  let covered = 0;
  let m = k;
  let sawReserve = false;
  for (; m < dump.count && covered < slotSize; m++) {
    const i = at(m);
    if (!isAnonPrivate(dump, i, cls)) return 0;
    if (m > k && dump.gap(at(m - 1), i) !== 0) return 0;
    const prot = dump.perms[i] & (PERM_R | PERM_W | PERM_X);
    if (prot === 0) sawReserve = true;
    else if (prot !== RW || sawReserve) return 0; // the head comes first, the reserve after
    covered += dump.size(i);
  }
  if (covered !== slotSize || dump.size(first) === 0) return 0;
  for (let t = k; t < m; t++) {
    const i = at(t);
    dump.kind[i] = dump.perms[i] & PERM_W ? K.arena : K['arena-reserve'];
  }
  return m - k;
}
