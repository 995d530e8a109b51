import { Dump, PERM_X } from './dump';
import { t } from './l10n';
import type { AllocatorInfo, AllocatorName, DumpHeader, LibraryAllocator } from './types';

/** Sonames of the allocator libraries (Debian, RHEL/EPEL, gperftools, mimalloc). */
const LIBRARY_PATTERNS: { name: LibraryAllocator; re: RegExp }[] = [
  { name: 'jemalloc', re: /(?:^|\/)(libjemalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
  { name: 'tcmalloc', re: /(?:^|\/)(libtcmalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
  { name: 'mimalloc', re: /(?:^|\/)(libmimalloc[\w-]*\.so(?:\.[\d.]+)?)$/ },
];

/** glibc's libc (libc.so.6, or libc-2.NN.so before glibc 2.34). */
const GLIBC = /(?:^|\/)(libc\.so\.6|libc-2\.\d+\.so)$/;
/** musl's libc is its dynamic loader: ld-musl-ARCH.so.1, Debian's /usr/lib/ARCH-linux-musl/libc.so, Alpine's libc.musl-ARCH.so.1. */
const MUSL = /(?:^|\/)(ld-musl-[\w-]+\.so\.1|libc\.musl-[\w-]+\.so\.1)$|-linux-musl[\w]*\/libc\.so$/;
/** glibc's dynamic loaders: ld-linux*.so.N (x86, arm), ld64.so.N (ppc64, s390x), ld.so.1. */
const GLIBC_LOADER = /(?:^|\/)(ld-linux[\w.-]*\.so\.\d+|ld64\.so\.\d+|ld\.so\.\d+|ld-2\.\d+\.so)$/;
const LIBRARY_NAME = /\.so(?:\.[\w.]+)?$/;

/** How a verdict's confidence reads: "jemalloc, loaded", "jemalloc, linked statically". */
/** How sure a verdict is, in words (in the catalogue's language). */
export const CONFIDENCE_LABEL: Readonly<Record<AllocatorInfo['confidence'], string>> = {
  get loaded() {
    return t('loaded');
  },
  get static() {
    return t('linked statically');
  },
  get suspected() {
    return t('suspected');
  },
  get unknown() {
    return t('unknown');
  },
};

/** Go's heap arenas start at this hint on 64-bit (runtime/malloc.go: 0x00c0 << 32). */
const GO_ARENA_HI = 0xc0;

export interface AllocatorMatch {
  name: LibraryAllocator;
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

/**
 * The allocator an executable's own defined symbols name (exe_symbols header), most specific
 * first: a bundled allocator also defines plain `malloc`.
 */
const OWN_SYMBOLS: { name: AllocatorName; re: RegExp; what: string }[] = [
  { name: 'jemalloc', re: /^(?:mallctl|je_\w+)$/, what: 'jemalloc linked in' },
  { name: 'tcmalloc', re: /^tc_\w+$/, what: 'tcmalloc linked in' },
  { name: 'mimalloc', re: /^mi_\w+$/, what: 'mimalloc linked in' },
  { name: 'go', re: /^runtime\.mallocgc$/, what: "the Go runtime's allocator" },
  { name: 'musl', re: /^__libc_malloc_impl$/, what: "musl's malloc (mallocng) linked in" },
  { name: 'glibc', re: /^__libc_malloc$/, what: "glibc's malloc linked in (a static glibc)" },
  { name: 'unknown', re: /^malloc$/, what: 'its own allocator' },
];

/** What the executable's defined symbols say, when the capture listed them. */
function ownAllocator(symbols: readonly string[] | undefined): { name: AllocatorName; what: string; symbols: string[] } | undefined {
  if (!symbols?.length) return undefined;
  for (const o of OWN_SYMBOLS) {
    const hits = symbols.filter((s) => o.re.test(s));
    if (hits.length) return { name: o.name, what: o.what, symbols: [...symbols] };
  }
  return undefined;
}

interface Mapped {
  name: LibraryAllocator;
  library: string;
  line: number;
  m: AllocatorMatch;
}

/** Facts about the mapped files that the verdict rests on. */
interface MapFacts {
  allocators: Mapped[];
  glibc?: { path: string; line: number };
  musl?: { path: string; line: number };
  loader: boolean;
  /** The dump has [stack] or [vdso]: a whole maps, not an excerpt. */
  whole: boolean;
  /** First mapped executable file that is not a library: the program. */
  program?: string;
  /** Line of an anonymous mapping at Go's arena hint 0xc000000000. */
  goArenaLine?: number;
}

/** What a mapped path is, by its name alone. */
type PathClass = { allocator: AllocatorMatch } | { is: 'glibc' | 'musl' | 'loader' | 'whole' | 'library' | 'other' };

/**
 * Path classes by name, memoised: the dumps of a timeline name the same paths again and again
 * (a thousand small dumps spent 14 ms in these patterns). Bounded, for a dump of distinct names.
 */
const pathClasses = new Map<string, PathClass>();
const PATH_CLASSES_MAX = 4096;

function pathClass(name: string): PathClass {
  let c = pathClasses.get(name);
  if (c) return c;
  const allocator = allocatorOfPath(name);
  c = allocator
    ? { allocator }
    : {
        is: GLIBC.test(name)
          ? 'glibc'
          : MUSL.test(name)
            ? 'musl'
            : GLIBC_LOADER.test(name)
              ? 'loader'
              : name === '[stack]' || name === '[vdso]'
                ? 'whole'
                : LIBRARY_NAME.test(name)
                  ? 'library'
                  : 'other',
      };
  if (pathClasses.size >= PATH_CLASSES_MAX) pathClasses.clear();
  pathClasses.set(name, c);
  return c;
}

function mapFacts(dump: Dump): MapFacts {
  const f: MapFacts = { allocators: [], loader: false, whole: false };
  dump.names.forEach((name, id) => {
    const line = dump.line[dump.nameFirst[id]];
    const c = pathClass(name);
    if ('allocator' in c) f.allocators.push({ name: c.allocator.name, library: name, line, m: c.allocator });
    else if (c.is === 'glibc') f.glibc ??= { path: name, line };
    else if (c.is === 'musl') f.musl ??= { path: name, line };
    else if (c.is === 'loader') f.loader = true;
    else if (c.is === 'whole') f.whole = true;
    else if (!f.program && c.is === 'other' && name.startsWith('/') && dump.namePerms[id] & PERM_X) f.program = name;
  });
  f.allocators.sort((a, b) => a.line - b.line);
  const go = dump.kernel.x.findUnnamed(dump.count, GO_ARENA_HI, 0);
  if (go < dump.count) f.goArenaLine = dump.line[go];
  return f;
}

const base = (p: string) => p.slice(p.lastIndexOf('/') + 1);

/** The distinct allocators mapped after the first, for `others`. */
function otherLibraries(found: Mapped[], from: number): AllocatorInfo['others'] {
  const distinct = found.filter((f, k) => found.findIndex((g) => g.name === f.name) === k);
  return distinct.slice(from).map(({ name, library, line }) => ({ name, library, line }));
}

/** LD_PRELOAD names an allocator whose library is not mapped: ld.so skipped it. */
function ignoredPreload(h: DumpHeader, found: Mapped[]): string | undefined {
  if (!h.ldPreload) return undefined;
  const missing = h.ldPreload.split(/[\s:]+/).filter((p) => allocatorOfPath(p) && !found.some((f) => f.library === p || base(f.library) === base(p)));
  if (!missing.length) return undefined;
  return t('LD_PRELOAD names {0} but it is not mapped (ld.so ignored it: wrong ELF class, missing file, or a static executable)', missing.join(', '));
}

/**
 * The allocator verdict from what the input shows: mapped libraries, and the capture header's
 * facts about the executable (exe_static, exe_symbols). A verdict never claims more than that:
 * glibc is `loaded` only when libc is mapped, no other allocator is, and the executable was
 * checked to define no malloc of its own; otherwise `suspected` or `unknown` with the reason.
 * Layout suspicions that need classification (static jemalloc) are added by analyze().
 */
export function detectAllocator(dump: Dump): AllocatorInfo {
  const h = dump.header;
  const f = mapFacts(dump);
  const rollup = dump.format === 'smaps_rollup';
  const exe = h.exe ?? f.program ?? t('the executable');
  const own = ownAllocator(h.exeSymbols);
  const dynamic = f.loader || f.glibc !== undefined || f.musl !== undefined || f.allocators.length > 0;
  const isStatic = h.exeStatic ?? (!rollup && f.whole && !dynamic ? true : undefined);
  const notes: string[] = [];
  const ignored = ignoredPreload(h, f.allocators);
  if (ignored) notes.push(ignored);
  const withNotes = (s: string) => [s, ...notes].join('; ');

  let preloadBlocked: string | undefined;
  if (isStatic) preloadBlocked = t('{0} is statically linked: no dynamic loader runs, so LD_PRELOAD is never read', base(exe));
  else if (h.exeSymbols?.includes('malloc'))
    preloadBlocked = t("{0} defines malloc itself: symbol lookup finds the executable's malloc before any preloaded library", base(exe));
  const blocked = preloadBlocked ? { preloadBlocked } : {};

  if (own) {
    const first = f.allocators[0];
    const definesMalloc = own.symbols.includes('malloc');
    const shadowed = !first
      ? ''
      : `; ${definesMalloc ? t("{0} is mapped too, but the executable's own malloc comes first in symbol lookup", first.m.soname) : t('{0} is mapped too and serves plain malloc', first.m.soname)}`;
    const cgo = own.name === 'go' && f.glibc ? `; ${t("C code (cgo) uses {0}'s malloc", base(f.glibc.path))}` : '';
    return {
      name: own.name,
      confidence: 'static',
      evidence: withNotes(`${t('{0} defines {1} ({2})', base(exe), own.symbols.join(', '), own.what)}${cgo}${shadowed}`),
      ...blocked,
      others: otherLibraries(f.allocators, 0),
    };
  }

  if (f.allocators.length) {
    const first = f.allocators[0];
    return {
      name: first.name,
      confidence: 'loaded',
      library: first.library,
      soname: first.m.soname,
      ...(first.m.variant ? { variant: first.m.variant } : {}),
      line: first.line,
      evidence: withNotes(t('{0} is mapped', first.m.soname)),
      ...blocked,
      others: otherLibraries(f.allocators, 1),
    };
  }

  const unknown = (evidence: string): AllocatorInfo => ({ name: 'unknown', confidence: 'unknown', evidence: withNotes(evidence), ...blocked, others: [] });
  if (rollup) return unknown(t('smaps_rollup names no library: capture maps or smaps to see which allocator is mapped'));

  if (f.goArenaLine !== undefined) {
    const cgo = f.glibc ? `; ${t("C code (cgo) uses {0}'s malloc", base(f.glibc.path))}` : '';
    return {
      name: 'go',
      confidence: 'suspected',
      line: f.goArenaLine,
      evidence: withNotes(t('an anonymous mapping starts at 0xc000000000, where the Go runtime puts its first heap arena') + cgo),
      ...blocked,
      others: [],
    };
  }

  const symbolsChecked = h.exeSymbols !== undefined;
  // The libc's own malloc: musl's libc is its loader; glibc's is libc.so.6.
  const libc = f.musl
    ? { name: 'musl' as const, ...f.musl, what: t("musl's libc and loader {0}", base(f.musl.path)) }
    : f.glibc && { name: 'glibc' as const, ...f.glibc, what: base(f.glibc.path) };
  if (libc) {
    return {
      name: libc.name,
      confidence: symbolsChecked ? 'loaded' : 'suspected',
      library: libc.path,
      line: libc.line,
      evidence: withNotes(
        `${t('{0} is mapped and no jemalloc, tcmalloc or mimalloc library is', libc.what)}; ` +
          (symbolsChecked
            ? t('{0} defines no malloc of its own', base(exe))
            : t('whether the executable defines its own malloc was not captured (no exe_symbols header)')),
      ),
      ...blocked,
      others: [],
    };
  }
  if (isStatic) {
    const how = h.exeStatic ? t('{0} has no program interpreter (exe_static: yes)', base(exe)) : t('no dynamic loader or libc is mapped');
    const syms = symbolsChecked ? `; ${t('its symbol table names no allocator (stripped?)')}` : '';
    return unknown(t('statically linked: cannot tell from maps alone ({0})', how + syms));
  }
  return unknown(t('no libc mapped in this excerpt'));
}
