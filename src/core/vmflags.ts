/**
 * What the kernel's smaps fields and VmFlags codes mean (Documentation/filesystems/proc.rst).
 * Getters: the catalogue is set at start-up, after this module loads.
 */
import { t } from './l10n';

export const VMFLAG_INFO: Record<string, string> = {
  get rd() {
    return t('readable');
  },
  get wr() {
    return t('writeable');
  },
  get ex() {
    return t('executable');
  },
  get sh() {
    return t('shared');
  },
  get mr() {
    return t('may read');
  },
  get mw() {
    return t('may write');
  },
  get me() {
    return t('may execute');
  },
  get ms() {
    return t('may share');
  },
  get gd() {
    return t('stack segment grows down');
  },
  get pf() {
    return t('pure PFN range (VM_PFNMAP)');
  },
  get dw() {
    return t('disabled write to the mapped file (legacy)');
  },
  get lo() {
    return t('pages are locked in memory (mlock)');
  },
  get io() {
    return t('memory-mapped I/O area');
  },
  get sr() {
    return t('sequential read advise provided (MADV_SEQUENTIAL)');
  },
  get rr() {
    return t('random read advise provided (MADV_RANDOM)');
  },
  get dc() {
    return t('do not copy area on fork (MADV_DONTFORK)');
  },
  get de() {
    return t('do not expand area on remapping');
  },
  get ac() {
    return t('area is accountable (counted against overcommit)');
  },
  get nr() {
    return t('swap space is not reserved for the area (MAP_NORESERVE)');
  },
  get ht() {
    return t('area uses huge TLB pages (hugetlbfs)');
  },
  get sf() {
    return t('synchronous page fault (MAP_SYNC)');
  },
  get ar() {
    return t('architecture specific flag');
  },
  get wf() {
    return t('wipe on fork (MADV_WIPEONFORK)');
  },
  get dd() {
    return t('do not include area into core dump (MADV_DONTDUMP)');
  },
  get sd() {
    return t('soft-dirty flag');
  },
  get mm() {
    return t('mixed map area');
  },
  get hg() {
    return t('huge page advise flag (MADV_HUGEPAGE)');
  },
  get nh() {
    return t('no huge page advise flag (MADV_NOHUGEPAGE)');
  },
  get mg() {
    return t('mergeable advise flag (MADV_MERGEABLE, KSM)');
  },
  get bt() {
    return t('arm64 BTI guarded page');
  },
  get mt() {
    return t('arm64 MTE allocation tags are enabled');
  },
  get um() {
    return t('userfaultfd missing tracking');
  },
  get uw() {
    return t('userfaultfd wr-protect tracking');
  },
  get ui() {
    return t('userfaultfd minor fault tracking');
  },
  get ss() {
    return t('shadow stack page');
  },
  get sl() {
    return t('sealed (mseal)');
  },
  get dp() {
    return t('always lazily freeable mapping (VM_DROPPABLE)');
  },
  get gu() {
    return t('has guard regions (MADV_GUARD_INSTALL)');
  },
  get lf() {
    return t('lock on fault pages');
  },
};

export const VMFLAGS: ReadonlySet<string> = new Set(Object.keys(VMFLAG_INFO));

export const SMAPS_FIELD_INFO: Record<string, string> = {
  get Size() {
    return t('size of the mapping (virtual)');
  },
  get KernelPageSize() {
    return t('page size the kernel uses to back this VMA (64 kB on 64K-page arm64 kernels)');
  },
  get MMUPageSize() {
    return t('page size the MMU uses for this VMA');
  },
  get Rss() {
    return t('resident set: memory of this mapping currently in RAM');
  },
  get Pss() {
    return t('proportional set: Rss with each shared page divided by the number of processes sharing it');
  },
  get Pss_Dirty() {
    return t('dirty part of Pss');
  },
  get Pss_Anon() {
    return t('Pss of anonymous memory (smaps_rollup)');
  },
  get Pss_File() {
    return t('Pss of file-backed memory (smaps_rollup)');
  },
  get Pss_Shmem() {
    return t('Pss of shared memory (smaps_rollup)');
  },
  get Shared_Clean() {
    return t('clean pages shared with other processes');
  },
  get Shared_Dirty() {
    return t('dirty pages shared with other processes');
  },
  get Private_Clean() {
    return t('clean pages only this process maps');
  },
  get Private_Dirty() {
    return t('dirty pages only this process maps: what freeing this mapping gives back');
  },
  get Referenced() {
    return t('memory currently marked as referenced or accessed');
  },
  get Anonymous() {
    return t('memory that does not belong to any file (includes copy-on-write copies of file pages)');
  },
  get KSM() {
    return t('memory shared through kernel same-page merging');
  },
  get LazyFree() {
    return t('memory freed with MADV_FREE, reclaimable under pressure (jemalloc and others use it)');
  },
  get AnonHugePages() {
    return t('anonymous memory backed by transparent huge pages');
  },
  get ShmemPmdMapped() {
    return t('shared memory mapped with huge pages');
  },
  get FilePmdMapped() {
    return t('file pages mapped with huge pages');
  },
  get Shared_Hugetlb() {
    return t('hugetlbfs pages shared with other processes');
  },
  get Private_Hugetlb() {
    return t('hugetlbfs pages only this process maps');
  },
  get Swap() {
    return t('anonymous memory of this mapping that is swapped out');
  },
  get SwapPss() {
    return t('proportional share of swap');
  },
  get Locked() {
    return t('memory locked in RAM (mlock)');
  },
  get THPeligible() {
    return t('1 when the mapping may use transparent huge pages, 0 when not');
  },
  get ProtectionKey() {
    return t('memory protection key (pkeys) of the mapping');
  },
  get VmFlags() {
    return t('kernel flags of the VMA, as two-letter codes');
  },
  get Dirty() {
    return t('dirty memory of the mapping (pmap -x)');
  },
};
