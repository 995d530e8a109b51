import type { Dump } from './dump';
import type { AllocatorInfo, AllocatorName } from './types';

/** Sonames of the allocator libraries (Debian, RHEL/EPEL, gperftools, mimalloc). */
const LIBRARY_PATTERNS: { name: AllocatorName; re: RegExp }[] = [
  { name: 'jemalloc', re: /(?:^|\/)(libjemalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
  { name: 'tcmalloc', re: /(?:^|\/)(libtcmalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
  { name: 'mimalloc', re: /(?:^|\/)(libmimalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
];

export interface AllocatorMatch {
  name: AllocatorName;
  soname: string;
  variant?: string;
}

/** Which allocator a mapped file name is, if any. */
export function allocatorOfPath(path: string): AllocatorMatch | undefined {
  for (const { name, re } of LIBRARY_PATTERNS) {
    const m = re.exec(path);
    if (m) {
      const soname = m[1];
      const variant = /_(minimal|debug|and_profiler)/.exec(soname)?.[1];
      return { name, soname, ...(variant ? { variant } : {}) };
    }
  }
  return undefined;
}

/** The allocator whose library is mapped (first by line), or glibc by default. */
export function detectLoadedAllocator(dump: Dump): AllocatorInfo {
  const found: { name: AllocatorName; library: string; line: number; m: AllocatorMatch }[] = [];
  dump.names.forEach((library, id) => {
    const m = allocatorOfPath(library);
    if (m) found.push({ name: m.name, library, line: dump.line[dump.nameFirst[id]], m });
  });
  found.sort((a, b) => a.line - b.line);
  if (found.length === 0) {
    return { name: 'glibc', confidence: 'default', evidence: 'no jemalloc, tcmalloc or mimalloc library is mapped', others: [] };
  }
  const first = found[0];
  const distinct = found.filter((f, k) => found.findIndex((g) => g.name === f.name) === k);
  return {
    name: first.name,
    confidence: 'loaded',
    library: first.library,
    soname: first.m.soname,
    ...(first.m.variant ? { variant: first.m.variant } : {}),
    line: first.line,
    evidence: `${first.m.soname} is mapped`,
    others: distinct.slice(1).map(({ name, library, line }) => ({ name, library, line })),
  };
}
