import { t } from './l10n';
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

export const KIND_INDEX: Record<VmaKind, number> = Object.fromEntries(KINDS.map((k, i) => [k, i])) as Record<VmaKind, number>;

/** A short label and a one-line explanation per kind, for reports and hovers (in the catalogue's language). */
export const KIND_INFO: Record<VmaKind, { label: string; description: string }> = {
  text: {
    get label() {
      return t('Code');
    },
    get description() {
      return t('executable code of the program or a shared library (r-x, file-backed)');
    },
  },
  rodata: {
    get label() {
      return t('Read-only data');
    },
    get description() {
      return t('read-only part of an ELF image: headers, constants, relocation read-only data');
    },
  },
  data: {
    get label() {
      return t('Data');
    },
    get description() {
      return t('initialised writable data (.data) of an ELF image, copy-on-write from the file');
    },
  },
  bss: {
    get label() {
      return 'BSS'; // a name, the same in every language
    },
    get description() {
      return t('zero-initialised data (.bss) right after an image’s data segment');
    },
  },
  'image-gap': {
    get label() {
      return t('Image padding');
    },
    get description() {
      return t('inaccessible (---p) gap between the segments of a shared library');
    },
  },
  file: {
    get label() {
      return t('Mapped file');
    },
    get description() {
      return t('a regular file mapped into memory (locale archive, caches, data files)');
    },
  },
  heap: {
    get label() {
      return t('Heap (brk)');
    },
    get description() {
      return t('the [heap]: memory grown with brk(); glibc’s main arena and tcmalloc use it');
    },
  },
  stack: {
    get label() {
      return t('Main stack');
    },
    get description() {
      return t('the main thread’s stack ([stack]); it grows down on demand');
    },
  },
  'thread-stack': {
    get label() {
      return t('Thread stack');
    },
    get description() {
      return t('a pthread stack: anonymous rw-p memory sized by ulimit -s or the thread’s attributes');
    },
  },
  guard: {
    get label() {
      return t('Guard page');
    },
    get description() {
      return t('PROT_NONE page(s) below a thread stack that turn an overflow into a crash');
    },
  },
  arena: {
    get label() {
      return t('glibc arena');
    },
    get description() {
      return t(
        'the used (rw-p) head of a glibc malloc arena heap, in a slot of HEAP_MAX_SIZE aligned to its size (64 MiB on 64-bit, 1 MiB on 32-bit); full heaps side by side may share one VMA',
      );
    },
  },
  'arena-reserve': {
    get label() {
      return t('glibc arena reserve');
    },
    get description() {
      return t('the reserved (---p) rest of a glibc arena heap’s slot, committed as the arena grows');
    },
  },
  allocator: {
    get label() {
      return t('Allocator memory');
    },
    get description() {
      return t(
        'anonymous memory owned by the loaded allocator (jemalloc extents, tcmalloc spans, mimalloc segments) or the Go runtime’s heap (arenas from 0xc000000000)',
      );
    },
  },
  anon: {
    get label() {
      return t('Anonymous');
    },
    get description() {
      return t('private anonymous memory: mmap()ed malloc chunks, buffers, JIT code');
    },
  },
  reserved: {
    get label() {
      return t('Reserved');
    },
    get description() {
      return t('a large inaccessible (---p) reservation of address space, not yet backed by memory');
    },
  },
  shm: {
    get label() {
      return t('Shared memory');
    },
    get description() {
      return t('shared memory: SysV segments, memfd, /dev/zero or anonymous shared mappings');
    },
  },
  hugetlb: {
    get label() {
      return t('Huge pages (hugetlbfs)');
    },
    get description() {
      return t('memory from the reserved huge-page pool (mmap MAP_HUGETLB, shown as /anon_hugepage (deleted)): not a deleted file');
    },
  },
  deleted: {
    get label() {
      return t('Deleted file');
    },
    get description() {
      return t('a file that was deleted (or replaced) after it was mapped');
    },
  },
  vdso: {
    get label() {
      return 'vDSO'; // a name, the same in every language
    },
    get description() {
      return t('the kernel’s virtual shared object: fast system calls such as clock_gettime()');
    },
  },
  vvar: {
    get label() {
      return 'vvar'; // a name, the same in every language
    },
    get description() {
      return t('kernel data read by the vDSO (clock pages)');
    },
  },
  vsyscall: {
    get label() {
      return 'vsyscall'; // a name, the same in every language
    },
    get description() {
      return t('the legacy vsyscall page: fixed at ffffffffff600000, not a VMA of the process');
    },
  },
  rollup: {
    get label() {
      return t('Rollup');
    },
    get description() {
      return t('the sum of every mapping (smaps_rollup)');
    },
  },
};

/** Kinds the kernel does not count against vm.max_map_count. */
export function countsTowardLimit(kind: VmaKind): boolean {
  return kind !== 'vsyscall' && kind !== 'rollup';
}

/** Anonymous private memory a program allocated (where fragmentation happens). */
export const ANON_KINDS: ReadonlySet<VmaKind> = new Set<VmaKind>(['anon', 'allocator', 'reserved']);
