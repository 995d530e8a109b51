/**
 * The C fixtures of `test/fixtures/` and the allocator libraries they run under: where they are,
 * and building each once per run (cached by a hash of its sources and flags).
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const here: string = typeof __dirname !== 'undefined' ? __dirname : path.dirname(fileURLToPath(import.meta.url));

/** `test/fixtures/`: the C sources. */
export const FIXTURES_DIR = path.resolve(here, '..', 'fixtures');

/** Where built fixtures are cached: `<tmp>/vma-lens-fixtures/<hash of sources and flags>/`. */
export const FIXTURE_CACHE_DIR = path.join(os.tmpdir(), 'vma-lens-fixtures');

/** The C programs in `test/fixtures/`. */
export type FixtureName = 'fragmenter' | 'mallocfrag' | 'threads' | 'deathsig';

export type AllocatorLib = 'jemalloc' | 'tcmalloc' | 'mimalloc';

/** Soname of each allocator's Debian runtime package, and the package itself. */
export const ALLOCATOR_LIBS: Record<AllocatorLib, { soname: string; debianPackage: string }> = {
  jemalloc: { soname: 'libjemalloc.so.2', debianPackage: 'libjemalloc2' },
  tcmalloc: { soname: 'libtcmalloc_minimal.so.4', debianPackage: 'libtcmalloc-minimal4' },
  mimalloc: { soname: 'libmimalloc.so.2', debianPackage: 'libmimalloc2.0' },
};

/**
 * MALLOC_CONF for jemalloc's munmap path: no retained address space, and freed extents returned
 * to the kernel at once instead of after the 10 s decay (so a free is an munmap, right away).
 */
export const JEMALLOC_MUNMAP_CONF = 'retain:false,dirty_decay_ms:0,muzzy_decay_ms:0';

/** The error jemalloc prints when the kernel refuses an munmap at vm.max_map_count. */
export const JEMALLOC_MUNMAP_ERROR = '<jemalloc>: Error in munmap(): Cannot allocate memory';

function libDirs(): string[] {
  const machine = os.machine();
  const triplet =
    machine === 'x86_64'
      ? 'x86_64-linux-gnu'
      : machine === 'aarch64'
        ? 'aarch64-linux-gnu'
        : machine === 'ppc64le'
          ? 'powerpc64le-linux-gnu'
          : machine === 's390x'
            ? 's390x-linux-gnu'
            : /^i[3-6]86$/.test(machine)
              ? 'i386-linux-gnu'
              : `${machine}-linux-gnu`;
  return [`/usr/lib/${triplet}`, '/usr/lib64', '/usr/lib', `/lib/${triplet}`];
}

/**
 * The path to LD_PRELOAD for an allocator (the soname symlink, e.g.
 * `/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4`). Note that the maps of a process show
 * the file the symlink points to (`libtcmalloc_minimal.so.4.5.10`, `libmimalloc.so.2.0`).
 */
export function allocatorLibrary(name: AllocatorLib): string {
  const { soname, debianPackage } = ALLOCATOR_LIBS[name];
  for (const dir of libDirs()) {
    const p = path.join(dir, soname);
    if (fs.existsSync(p)) return p;
  }
  throw new Error(`${soname} not found (install the Debian package ${debianPackage}: scripts/setup-deps.sh)`);
}

export function resolvePreload(preload: AllocatorLib | string): string {
  return preload in ALLOCATOR_LIBS ? allocatorLibrary(preload as AllocatorLib) : preload;
}

// ---------------------------------------------------------------------------------------------
// Building the fixtures

const CFLAGS = ['-O2', '-Wall', '-Wextra', '-pthread'];

/** Another way to build a fixture: a compiler (musl-gcc, gcc -m32…), flags before and libraries after the source. */
export interface BuildVariant {
  /** Names the binary: `<fixture>-<tag>`. */
  tag: string;
  cc: string;
  flags: string[];
  libs: string[];
}
const built = new Map<string, string>();

/**
 * Compiles `test/fixtures/<name>.c` with the machine's `cc`, or as `variant` says (once: the binary is cached under a
 * hash of the sources, `common.h` and the flags, and rebuilt only when they change). Returns the
 * absolute path of the executable. Safe when several test processes build at the same time.
 */
export function buildFixture(name: FixtureName | string, variant?: BuildVariant): string {
  const key = variant ? `${name}-${variant.tag}` : name;
  const cached = built.get(key);
  if (cached) return cached;
  const src = path.join(FIXTURES_DIR, `${name}.c`);
  if (!fs.existsSync(src)) throw new Error(`no fixture ${src}`);
  const hash = createHash('sha256');
  hash.update(`${name}\0${CFLAGS.join(' ')}\0${os.machine()}\0`);
  if (variant) hash.update(`${variant.cc}\0${variant.flags.join(' ')}\0${variant.libs.join(' ')}\0`);
  hash.update(fs.readFileSync(src));
  for (const h of fs
    .readdirSync(FIXTURES_DIR)
    .filter((f) => f.endsWith('.h'))
    .sort()) {
    hash.update(`\0${h}\0`);
    hash.update(fs.readFileSync(path.join(FIXTURES_DIR, h)));
  }
  const dir = path.join(FIXTURE_CACHE_DIR, hash.digest('hex').slice(0, 16));
  const out = path.join(dir, key);
  if (!fs.existsSync(out)) {
    fs.mkdirSync(dir, { recursive: true });
    const tmp = `${out}.${process.pid}.tmp`;
    try {
      const [cc, flags, libs] = variant ? [variant.cc, variant.flags, variant.libs] : ['cc', [], []];
      execFileSync(cc, [...CFLAGS, ...flags, '-I', FIXTURES_DIR, '-o', tmp, src, ...libs], { stdio: ['ignore', 'pipe', 'pipe'] });
    } catch (e) {
      const err = e as { stderr?: Buffer; message: string };
      throw new Error(`cc failed for ${src}: ${err.stderr?.toString() || err.message}`);
    }
    fs.renameSync(tmp, out); // atomic: a concurrent build just replaces it with the same binary
  }
  built.set(key, out);
  return out;
}
