import { oneLine, shQuote, unitNameOf } from './escape';
import { formatCount } from './format';
import type { AllocatorName, Fix } from './types';

/**
 * Fix generators: pure functions from what the dump shows to a file (path + text) and the
 * commands that apply it. Paths and library locations follow the distribution seen in the
 * dump's own library paths, because a my.cnf naming a library that is not there breaks startup.
 */

export type Distro = 'debian' | 'rhel' | 'unknown';
export type Server = 'mariadb' | 'mysql' | 'other';

export interface FixContext {
  distro: Distro;
  /** Debian multiarch triplet such as x86_64-linux-gnu. */
  triplet?: string;
  arch?: string;
  /** Directory the system's libraries live in, e.g. /usr/lib/x86_64-linux-gnu or /usr/lib64. */
  libDir: string;
  server: Server;
  /** systemd unit of the server (mariadb, mysql, mysqld) or the program's name. */
  unit: string;
  /** Program name, for comments. */
  program: string;
  vmaCount: number;
  maxMapCount: number;
}

const TRIPLET_ARCH: Record<string, string> = {
  'x86_64-linux-gnu': 'x86_64',
  'aarch64-linux-gnu': 'aarch64',
  'i386-linux-gnu': 'i686',
  'powerpc64le-linux-gnu': 'ppc64le',
  's390x-linux-gnu': 's390x',
  'arm-linux-gnueabihf': 'armv7l',
};
const ARCH_TRIPLET: Record<string, string> = Object.fromEntries(Object.entries(TRIPLET_ARCH).map(([t, a]) => [a, t]));
ARCH_TRIPLET.arm64 = 'aarch64-linux-gnu';
ARCH_TRIPLET.amd64 = 'x86_64-linux-gnu';
ARCH_TRIPLET.x64 = 'x86_64-linux-gnu';

/** The directories MySQL's mysqld_safe accepts a malloc-lib from (since 5.7.15). */
export const MYSQLD_SAFE_LIB_DIRS = ['/usr/lib', '/usr/lib64', '/usr/lib/i386-linux-gnu', '/usr/lib/x86_64-linux-gnu'];

/** Reads the distribution layout from the path of libc (or any library) and the header. */
export function fixContext(
  names: readonly string[],
  header: { arch?: string; command?: string },
  vmaCount: number,
  maxMapCount: number,
): FixContext {
  let triplet: string | undefined;
  let lib64 = false;
  for (const n of names) {
    const m = /^(?:\/usr)?\/lib\/([a-z0-9_]+-linux-gnu[a-z0-9_]*)\//.exec(n);
    if (m) {
      triplet = m[1];
      break;
    }
    if (/^(?:\/usr)?\/lib64\//.test(n)) lib64 = true;
  }
  const arch = header.arch ?? (triplet ? TRIPLET_ARCH[triplet] : undefined);
  let distro: Distro = triplet ? 'debian' : lib64 ? 'rhel' : 'unknown';
  if (distro === 'unknown') triplet = arch ? ARCH_TRIPLET[arch] : undefined;
  const libDir = distro === 'rhel' ? '/usr/lib64' : triplet ? `/usr/lib/${triplet}` : '/usr/lib64';
  if (distro === 'unknown' && !triplet) distro = 'rhel';
  const exe = programName(names, header.command);
  const server: Server = /mariadb/.test(exe) ? 'mariadb' : /mysqld/.test(exe) ? 'mysql' : 'other';
  const unit = server === 'mariadb' ? 'mariadb' : server === 'mysql' ? (distro === 'debian' ? 'mysql' : 'mysqld') : exe || 'myservice';
  return { distro, triplet, arch, libDir, server, unit, program: exe || 'the program', vmaCount, maxMapCount };
}

/** The program's base name: from the header command, else the first mapped file (the executable). */
export function programName(names: readonly string[], command?: string): string {
  const src = command?.trim().split(/\s+/)[0] ?? names.find((n) => n.startsWith('/')) ?? '';
  return src.slice(src.lastIndexOf('/') + 1);
}

export function allocatorLibrary(ctx: FixContext, allocator: Exclude<AllocatorName, 'glibc'>): string {
  const file = {
    jemalloc: 'libjemalloc.so.2',
    tcmalloc: 'libtcmalloc_minimal.so.4',
    mimalloc: 'libmimalloc.so.2',
  }[allocator];
  return `${ctx.libDir}/${file}`;
}

function packageHint(ctx: FixContext, allocator: Exclude<AllocatorName, 'glibc'>): string {
  const deb = { jemalloc: 'libjemalloc2', tcmalloc: 'libtcmalloc-minimal4', mimalloc: 'libmimalloc2.0' }[allocator];
  const rpm = { jemalloc: 'jemalloc (EPEL)', tcmalloc: 'gperftools-libs (EPEL)', mimalloc: 'mimalloc' }[allocator];
  return ctx.distro === 'debian' ? `sudo apt-get install ${deb}` : `sudo dnf install ${rpm}`;
}

/**
 * The unit as systemd and the shell take it (the program name comes from the dump, untrusted):
 * a valid unit name, escaped as systemd-escape does when needed, or "myservice" when even that
 * is impossible; with a comment line saying which.
 */
function unitOf(ctx: FixContext): { unit: string; note: string[] } {
  const unit = unitNameOf(ctx.unit);
  if (unit === ctx.unit) return { unit, note: [] };
  if (unit) return { unit, note: [`# "${oneLine(ctx.unit, 80)}" is not a valid unit name: escaped as systemd-escape does.`] };
  return { unit: 'myservice', note: ['# The program name cannot make a unit name (empty or too long): put your unit in place of myservice.'] };
}

/** The program's name for a comment: one line, escaped (it comes from the dump). */
function programOf(ctx: FixContext): string {
  return oneLine(ctx.program, 80);
}

/** Smallest of 262144, 524288, 1048576… that is at least 4× the observed count. */
export function recommendedMaxMapCount(vmaCount: number): number {
  let v = 262144;
  while (v < 4 * vmaCount) v *= 2;
  return v;
}

export function sysctlMaxMapCount(ctx: FixContext, reason: string): Fix {
  const value = recommendedMaxMapCount(ctx.vmaCount);
  const path = '/etc/sysctl.d/99-vma-lens-max-map-count.conf';
  return {
    id: 'sysctl-max-map-count',
    title: `Raise vm.max_map_count to ${value} (sysctl.d file)`,
    path,
    language: 'properties',
    text: [
      `# Written by VMA Lens: ${oneLine(reason, 400)}`,
      `# Observed ${formatCount(ctx.vmaCount)} VMAs; the limit was ${formatCount(ctx.maxMapCount)} (kernel default 65530).`,
      '# vm.max_map_count is the most memory mappings (VMAs) one process may have; past it mmap, munmap,',
      '# mprotect and madvise fail with ENOMEM. Each VMA costs a few hundred bytes of kernel memory only.',
      '# Files in /etc/sysctl.d are applied in lexical order; a later file wins over /etc/sysctl.conf.',
      `# Apply now:  sudo sysctl -p ${path}`,
      '# or reload every sysctl file:  sudo sysctl --system',
      `vm.max_map_count = ${value}`,
      '',
    ].join('\n'),
    commands: [`sudo sysctl -w vm.max_map_count=${value}`, `sudo sysctl -p ${path}`],
  };
}

export function mysqldSafeMallocLib(ctx: FixContext, allocator: Exclude<AllocatorName, 'glibc'> = 'jemalloc'): Fix {
  const lib = allocatorLibrary(ctx, allocator);
  const dir = lib.slice(0, lib.lastIndexOf('/'));
  const refused = !MYSQLD_SAFE_LIB_DIRS.includes(dir);
  const isMaria = ctx.server === 'mariadb';
  const cnf = ctx.distro === 'debian' ? (isMaria ? '/etc/mysql/mariadb.conf.d/99-malloc.cnf' : '/etc/mysql/conf.d/malloc.cnf') : '/etc/my.cnf.d/malloc.cnf';
  const { unit, note } = unitOf(ctx);
  const lines = [`# Written by VMA Lens: run ${ctx.server === 'other' ? 'mysqld' : programOf(ctx)} with ${allocator} instead of glibc malloc.`, ...note];
  if (refused && !isMaria) {
    lines.push(
      `# WARNING: MySQL's mysqld_safe accepts malloc-lib only from ${MYSQLD_SAFE_LIB_DIRS.join(', ')};`,
      `# it refuses ${dir}. Use the systemd LD_PRELOAD drop-in instead (VMA Lens fix "systemd-ld-preload").`,
    );
  }
  lines.push(
    '# mysqld_safe preloads this library into mysqld. On systemd installs (MySQL RPM/DEB packages,',
    `# MariaDB's mariadb.service) mysqld_safe is not used and this section does nothing: use the`,
    '# systemd drop-in with Environment="LD_PRELOAD=..." instead.',
    `# Install the library first: ${packageHint(ctx, allocator)}`,
    `# Then restart and check:  grep ${allocator} /proc/$(pidof ${isMaria ? 'mariadbd' : 'mysqld'})/maps`,
    isMaria
      ? "# or in SQL:  SHOW GLOBAL VARIABLES LIKE 'version_malloc_library';"
      : '# or in SQL (Percona Server):  SELECT @@jemalloc_detected;',
    '[mysqld_safe]',
    `malloc-lib=${lib}`,
    '',
  );
  return {
    id: 'mysqld-safe-malloc-lib',
    title: `Use ${allocator} through mysqld_safe (my.cnf [mysqld_safe] malloc-lib)`,
    path: cnf,
    language: 'ini',
    text: lines.join('\n'),
    commands: [`sudo systemctl restart ${shQuote(unit)}`],
  };
}

export function systemdLdPreload(ctx: FixContext, allocator: Exclude<AllocatorName, 'glibc'> = 'jemalloc'): Fix {
  const lib = allocatorLibrary(ctx, allocator);
  const { unit, note } = unitOf(ctx);
  const path = `/etc/systemd/system/${unit}.service.d/vma-lens-malloc.conf`;
  return {
    id: 'systemd-ld-preload',
    title: `Preload ${allocator} in ${unit}.service (systemd drop-in)`,
    path,
    language: 'ini',
    text: [
      `# Written by VMA Lens: start ${programOf(ctx)} with ${allocator} preloaded (works without mysqld_safe).`,
      ...note,
      `# Install the library first: ${packageHint(ctx, allocator)}`,
      `# Apply:  sudo systemctl daemon-reload && sudo systemctl restart ${shQuote(unit)}`,
      `# Check:  grep ${allocator} /proc/$(systemctl show -p MainPID --value ${shQuote(unit)})/maps`,
      ...(ctx.server === 'other' ? [`# Rename the directory if your unit is not called ${unit}.service.`] : []),
      '[Service]',
      `Environment="LD_PRELOAD=${lib}"`,
      '',
    ].join('\n'),
    commands: ['sudo systemctl daemon-reload', `sudo systemctl restart ${shQuote(unit)}`],
  };
}

export function mallocArenaMax(ctx: FixContext, value = 4): Fix {
  const { unit, note } = unitOf(ctx);
  const path = `/etc/systemd/system/${unit}.service.d/vma-lens-arena-max.conf`;
  return {
    id: 'malloc-arena-max',
    title: `Cap glibc malloc arenas at ${value} (MALLOC_ARENA_MAX)`,
    path,
    language: 'ini',
    text: [
      `# Written by VMA Lens: cap glibc malloc at ${value} arenas for ${programOf(ctx)}.`,
      ...note,
      '# glibc gives busy threads their own arena (up to 8 per core on 64-bit), each in a 64 MiB slot;',
      '# many arenas mean more VMAs and memory held but not reused. Fewer arenas trade a little',
      '# lock contention for a smaller, steadier footprint. Not needed with jemalloc or tcmalloc.',
      `# Apply:  sudo systemctl daemon-reload && sudo systemctl restart ${shQuote(unit)}`,
      '# Without systemd: export MALLOC_ARENA_MAX in the service\'s environment file',
      '# (/etc/sysconfig/mysql on RPM systems, /etc/default/<service> on Debian).',
      '[Service]',
      `Environment="MALLOC_ARENA_MAX=${value}"`,
      '',
    ].join('\n'),
    commands: ['sudo systemctl daemon-reload', `sudo systemctl restart ${shQuote(unit)}`],
  };
}

export function jemallocLgHugepage(ctx: FixContext, hugePageSize?: number): Fix {
  const seen = hugePageSize ? ` (this system's huge page is ${hugePageSize / 1048576} MiB)` : '';
  return {
    id: 'jemalloc-lg-hugepage',
    title: 'Rebuild jemalloc with --with-lg-hugepage=21 (2 MiB)',
    path: 'build-jemalloc-lg-hugepage-21.sh',
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      `# Written by VMA Lens: jemalloc sizes and aligns its metadata and first extents to the huge page${seen},`,
      '# so on 64 KiB-page arm64 kernels (512 MiB huge pages) each arena costs 512 MiB-1 GiB of memory.',
      '# --with-lg-hugepage=21 makes jemalloc assume 2 MiB huge pages whatever the build host reports.',
      '# Note: --with-lg-page is a different knob (jemalloc\'s page size); it must be >= the system page size,',
      '# or jemalloc aborts with "Unsupported system page size".',
      'set -eu',
      'VERSION=5.3.0',
      'tar xjf jemalloc-$VERSION.tar.bz2   # from the jemalloc releases page',
      'cd jemalloc-$VERSION',
      './configure --prefix=/usr/local --with-lg-hugepage=21',
      'make -j"$(nproc)"',
      'sudo make install',
      `# Then point ${programOf(ctx)} at /usr/local/lib/libjemalloc.so.2 (systemd LD_PRELOAD drop-in or malloc-lib).`,
      '',
    ].join('\n'),
    commands: ['./configure --with-lg-hugepage=21 && make -j"$(nproc)" && sudo make install'],
  };
}

export function kernelDefaultHugepagesz(ctx: FixContext): Fix {
  const rhel = ctx.distro !== 'debian';
  return {
    id: 'kernel-default-hugepagesz',
    title: 'Boot with default_hugepagesz=2M (kernel parameter)',
    path: 'set-default-hugepagesz-2M.sh',
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      '# Written by VMA Lens: make 2 MiB the default huge page size, so that allocators (jemalloc) that size',
      '# their blocks to the huge page use 2 MiB instead of 512 MiB on 64 KiB-page arm64 kernels.',
      '# Takes effect after a reboot; check with: grep Hugepagesize /proc/meminfo',
      'set -eu',
      rhel ? '# RHEL / CentOS / Rocky / Alma (grubby):' : '# Debian / Ubuntu (GRUB):',
      ...(rhel
        ? ['sudo grubby --update-kernel=ALL --args="default_hugepagesz=2M"']
        : [
            `sudo sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 default_hugepagesz=2M"/' /etc/default/grub`,
            'sudo update-grub',
          ]),
      rhel
        ? '# Debian / Ubuntu instead: add default_hugepagesz=2M to GRUB_CMDLINE_LINUX in /etc/default/grub; sudo update-grub'
        : '# RHEL instead: sudo grubby --update-kernel=ALL --args="default_hugepagesz=2M"',
      'echo "Reboot to apply."',
      '',
    ].join('\n'),
    commands: rhel ? ['sudo grubby --update-kernel=ALL --args="default_hugepagesz=2M"'] : ['sudo update-grub'],
  };
}

/**
 * The command line a "copy command" action copies: what applies the fix now. Each command's
 * words from the dump are already shell-quoted where the command is built.
 */
export function fixCommandLine(fix: Fix): string | undefined {
  if (!fix.commands.length) return undefined;
  // sysctl: `sysctl -w` applies at once; `sysctl -p FILE` needs the file written first.
  return fix.id === 'sysctl-max-map-count' ? fix.commands[0] : fix.commands.join(' && ');
}
