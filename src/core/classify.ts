import { Dump, PERM_X } from './dump';
import { KERNEL_BATCH, Param, Stat } from './kernel';
import { KIND_INDEX } from './kinds';
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
}

/** How a name classifies before looking at neighbours (NC_* in kernel.c); Anonymous: by layout. */
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
    else if (name.startsWith('[')) cls[id] = NameClass.Anonymous; // [anon:NAME] and unknown pseudo-paths
    else if (dump.namePerms[id] & PERM_X || LIBRARY_NAME.test(name)) cls[id] = NameClass.Image;
    else cls[id] = NameClass.File;
  });
  return { cls, special };
}

/**
 * Sets dump.kind for every VMA: by name where the name says (special names, shared memory,
 * images and files), else by layout, with rules from glibc and the kernel: a thread stack is rw-p
 * directly above a small ---p guard (pthread_create maps both at once); a glibc arena heap fills
 * a slot of HEAP_MAX_SIZE (64 MiB on 64-bit) aligned to its size, rw-p head then ---p reserve;
 * .bss is anonymous rw-p directly after an image's writable data; anything else anonymous
 * belongs to the allocator. The per-VMA pass runs in the kernel (classify() in kernel.c).
 */
export function classify(dump: Dump, allocator: AllocatorName, addressBits: 32 | 64): ClassifyStats {
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
  // At least one call, even for no VMA: the first resets the counts.
  for (let at = 0; ; ) {
    at = k.x.classify(at, Math.min(dump.count, at + KERNEL_BATCH));
    if (at >= dump.count) break;
  }
  const st = k.stats;
  return {
    threadStacks: st[Stat.ThreadStacks],
    guards: st[Stat.Guards],
    arenaSlots: st[Stat.ArenaSlots],
    arenaVmas: st[Stat.ArenaVmas],
    arenaBytes: st[Stat.ArenaSlots] * 2 ** slotBits,
    arenaSlotBits: slotBits,
    bigAnon: st[Stat.BigAnon],
    bigAnonAligned: st[Stat.BigAnonAligned],
  };
}
