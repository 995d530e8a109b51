import type { VmaKind } from './types';

/** Every kind, in the order reports list them (images first, then memory the program allocated). */
export const KINDS: readonly VmaKind[] = [
  'text',
  'rodata',
  'data',
  'bss',
  'image-gap',
  'file',
  'heap',
  'stack',
  'thread-stack',
  'guard',
  'arena',
  'arena-reserve',
  'allocator',
  'anon',
  'reserved',
  'shm',
  'hugetlb',
  'deleted',
  'vdso',
  'vvar',
  'vsyscall',
  'rollup',
];

export const KIND_INDEX: Record<VmaKind, number> = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<
  VmaKind,
  number
>;

/** A short label and a one-line explanation per kind, for reports and hovers. */
export const KIND_INFO: Record<VmaKind, { label: string; description: string }> = {
  text: { label: 'Code', description: 'executable code of the program or a shared library (r-x, file-backed)' },
  rodata: { label: 'Read-only data', description: 'read-only part of an ELF image: headers, constants, relocation read-only data' },
  data: { label: 'Data', description: 'initialised writable data (.data) of an ELF image, copy-on-write from the file' },
  bss: { label: 'BSS', description: 'zero-initialised data (.bss) right after an image’s data segment' },
  'image-gap': { label: 'Image padding', description: 'inaccessible (---p) gap between the segments of a shared library' },
  file: { label: 'Mapped file', description: 'a regular file mapped into memory (locale archive, caches, data files)' },
  heap: { label: 'Heap (brk)', description: 'the [heap]: memory grown with brk(); glibc’s main arena and tcmalloc use it' },
  stack: { label: 'Main stack', description: 'the main thread’s stack ([stack]); it grows down on demand' },
  'thread-stack': { label: 'Thread stack', description: 'a pthread stack: anonymous rw-p memory sized by ulimit -s or the thread’s attributes' },
  guard: { label: 'Guard page', description: 'PROT_NONE page(s) below a thread stack that turn an overflow into a crash' },
  arena: { label: 'glibc arena', description: 'the used (rw-p) head of a glibc malloc arena heap, in a slot of HEAP_MAX_SIZE aligned to its size (64 MiB on 64-bit, 1 MiB on 32-bit); full heaps side by side may share one VMA' },
  'arena-reserve': { label: 'glibc arena reserve', description: 'the reserved (---p) rest of a glibc arena heap’s slot, committed as the arena grows' },
  allocator: { label: 'Allocator memory', description: 'anonymous memory owned by the loaded allocator (jemalloc extents, tcmalloc spans, mimalloc segments) or the Go runtime’s heap (arenas from 0xc000000000)' },
  anon: { label: 'Anonymous', description: 'private anonymous memory: mmap()ed malloc chunks, buffers, JIT code' },
  reserved: { label: 'Reserved', description: 'a large inaccessible (---p) reservation of address space, not yet backed by memory' },
  shm: { label: 'Shared memory', description: 'shared memory: SysV segments, memfd, /dev/zero or anonymous shared mappings' },
  hugetlb: { label: 'Huge pages (hugetlbfs)', description: 'memory from the reserved huge-page pool (mmap MAP_HUGETLB, shown as /anon_hugepage (deleted)): not a deleted file' },
  deleted: { label: 'Deleted file', description: 'a file that was deleted (or replaced) after it was mapped' },
  vdso: { label: 'vDSO', description: 'the kernel’s virtual shared object: fast system calls such as clock_gettime()' },
  vvar: { label: 'vvar', description: 'kernel data read by the vDSO (clock pages)' },
  vsyscall: { label: 'vsyscall', description: 'the legacy vsyscall page: fixed at ffffffffff600000, not a VMA of the process' },
  rollup: { label: 'Rollup', description: 'the sum of every mapping (smaps_rollup)' },
};

/** Kinds the kernel does not count against vm.max_map_count. */
export function countsTowardLimit(kind: VmaKind): boolean {
  return kind !== 'vsyscall' && kind !== 'rollup';
}

/** Anonymous private memory a program allocated (where fragmentation happens). */
export const ANON_KINDS: ReadonlySet<VmaKind> = new Set<VmaKind>(['anon', 'allocator', 'reserved']);
