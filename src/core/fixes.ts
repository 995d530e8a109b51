import { oneLine, shQuote, unitNameOf } from './escape';
import { formatCount } from './format';
import { t } from './l10n';
import type { Fix, LibraryAllocator } from './types';

/**
 * Fix generators: pure functions from what the dump shows to a file (path + text) and the
 * commands that apply it. Paths and library locations follow the distribution seen in the
 * dump's own library paths, because a my.cnf naming a library that is not there breaks startup.
 */

export type Distro = 'debian' | 'rhel' | 'unknown';
export type Server = 'mariadb' | 'mysql' | 'other';

export interface FixContext {
  distro: Distro;
  /** Debian multiarch triplet of the process's own libraries, such as x86_64-linux-gnu or i386-linux-gnu. */
  triplet?: string;
  arch?: string;
  /** 32 for a 32-bit process (its libraries live in /usr/lib/i386-linux-gnu or, on RHEL, /usr/lib). */
  bits: 32 | 64;
  /** Directory the process's libraries live in, e.g. /usr/lib/x86_64-linux-gnu or /usr/lib64. */
  libDir: string;
  server: Server;
  /** systemd unit of the server (mariadb, mysql, mysqld) or the program's name; `your-unit` when unknown. */
  unit: string;
  /** Where the unit came from: the capture's cgroup, the server's packaging, the executable's name, or nowhere. */
  unitSource: 'cgroup' | 'server' | 'exe' | 'none';
  /** Program name, for comments. */
  program: string;
  vmaCount: number;
  maxMapCount: number;
  /** Why preloading another allocator cannot work on this process (static, or it defines malloc). */
  preloadBlocked?: string;
  /** MALLOC_ARENA_MAX the process already runs with (from its environment). */
  mallocArenaMax?: number;
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
ARCH_TRIPLET.i386 = 'i386-linux-gnu';
/** The 32-bit triplet a 64-bit host runs 32-bit processes with. */
const COMPAT_TRIPLET: Record<string, string> = { 'x86_64-linux-gnu': 'i386-linux-gnu', 'aarch64-linux-gnu': 'arm-linux-gnueabihf' };
/** Debian's architecture names, for `apt-get install PKG:ARCH`. */
const TRIPLET_DEB_ARCH: Record<string, string> = {
  'x86_64-linux-gnu': 'amd64',
  'aarch64-linux-gnu': 'arm64',
  'i386-linux-gnu': 'i386',
  'powerpc64le-linux-gnu': 'ppc64el',
  's390x-linux-gnu': 's390x',
  'arm-linux-gnueabihf': 'armhf',
};

/** The directories MySQL's mysqld_safe accepts a malloc-lib from (since 5.7.15). */
export const MYSQLD_SAFE_LIB_DIRS = ['/usr/lib', '/usr/lib64', '/usr/lib/i386-linux-gnu', '/usr/lib/x86_64-linux-gnu'];

/** Characters systemd allows in a unit name (systemd.unit(5)); anything else we refuse to guess. */
const UNIT_NAME = /^[A-Za-z0-9:_.@-]+$/;

/** What the process is, beyond its mapped names: its address width and allocator verdict. */
export interface ProcessFacts {
  addressBits?: 32 | 64;
  allocator?: { preloadBlocked?: string };
}

/**
 * Reads the distribution layout from the path of libc (or any library) and the header, and the
 * unit and program from the header's cgroup unit, exe and command. The architecture is the
 * process's own (its libraries' triplet, its address width), not the host's `uname -m`.
 */
export function fixContext(
  names: readonly string[],
  header: { arch?: string; command?: string; exe?: string; comm?: string; unit?: string; libc?: string; mallocArenaMax?: number },
  vmaCount: number,
  maxMapCount: number,
  proc: ProcessFacts = {},
): FixContext {
  let triplet: string | undefined;
  let lib64 = false;
  let libPlain = false;
  for (const n of header.libc ? [header.libc, ...names] : names) {
    const m = /^(?:\/usr)?\/lib\/([a-z0-9_]+-linux-gnu[a-z0-9_]*)\//.exec(n);
    if (m) {
      triplet = m[1];
      break;
    }
    if (/^(?:\/usr)?\/lib64\//.test(n)) lib64 = true;
    else if (/^(?:\/usr)?\/lib\/[^/]+\.so\b/.test(n)) libPlain = true;
  }
  const bits = proc.addressBits ?? (triplet && /^(i386|arm)-/.test(triplet) ? 32 : 64);
  let distro: Distro = triplet ? 'debian' : lib64 || (libPlain && bits === 32) ? 'rhel' : 'unknown';
  if (distro === 'unknown' && header.arch) {
    const host = ARCH_TRIPLET[header.arch];
    triplet = bits === 32 && host ? (COMPAT_TRIPLET[host] ?? host) : host;
  }
  const arch = triplet ? TRIPLET_ARCH[triplet] : header.arch;
  const libDir = distro === 'rhel' || (distro === 'unknown' && !triplet) ? (bits === 32 ? '/usr/lib' : '/usr/lib64') : `/usr/lib/${triplet}`;
  const exe = programName(names, header.command, header.exe, header.comm);
  const server: Server = /mariadb/.test(exe) ? 'mariadb' : /mysqld/.test(exe) ? 'mysql' : 'other';
  const { unit, unitSource } = unitFor(header.unit, server, distro, exe);
  return {
    distro,
    triplet,
    arch,
    bits,
    libDir,
    server,
    unit,
    unitSource,
    program: exe || 'the program',
    vmaCount,
    maxMapCount,
    ...(proc.allocator?.preloadBlocked ? { preloadBlocked: proc.allocator.preloadBlocked } : {}),
    ...(header.mallocArenaMax !== undefined ? { mallocArenaMax: header.mallocArenaMax } : {}),
  };
}

/**
 * The systemd unit: the capture's cgroup unit when it is a service, else the server's, else the
 * program's name — kept when it is a valid unit name, else escaped as systemd-escape does (the
 * name comes from the dump, untrusted), else none.
 */
function unitFor(cgroupUnit: string | undefined, server: Server, distro: Distro, exe: string): Pick<FixContext, 'unit' | 'unitSource'> {
  const service = cgroupUnit && /^(.+)\.service$/.exec(cgroupUnit.trim())?.[1];
  if (service && UNIT_NAME.test(service)) return { unit: service, unitSource: 'cgroup' };
  if (server === 'mariadb') return { unit: 'mariadb', unitSource: 'server' };
  if (server === 'mysql') return { unit: distro === 'debian' ? 'mysql' : 'mysqld', unitSource: 'server' };
  const escaped = unitNameOf(exe);
  return escaped ? { unit: escaped, unitSource: 'exe' } : { unit: 'your-unit', unitSource: 'none' };
}

const LIBRARY_FILE = /\.so(?:\.[\w.]+)?$/;

/**
 * The program's base name: the executable's path (`exe`), else the command's first word unless it
 * is a process title ("postgres: checkpointer") or a kernel thread ("[kthreadd]"), else `comm`,
 * else the first mapped file that is not a library nor a data file (".jsa", ".cache"…).
 */
export function programName(names: readonly string[], command?: string, exe?: string, comm?: string): string {
  const word = command?.trim().split(/\s+/)[0] ?? '';
  const fromCommand = word && !word.endsWith(':') && !word.startsWith('[') ? word : undefined;
  const mapped = names.find((n) => n.startsWith('/') && !LIBRARY_FILE.test(n) && (/\/(?:s?bin|libexec)\//.test(n) || !/\.[a-z]+$/i.test(n)));
  const src = exe?.replace(/ \(deleted\)$/, '') ?? fromCommand ?? comm?.trim() ?? mapped ?? '';
  return src.slice(src.lastIndexOf('/') + 1);
}

export function allocatorLibrary(ctx: FixContext, allocator: LibraryAllocator): string {
  const file = {
    jemalloc: 'libjemalloc.so.2',
    tcmalloc: 'libtcmalloc_minimal.so.4',
    mimalloc: 'libmimalloc.so.2',
  }[allocator];
  return `${ctx.libDir}/${file}`;
}

/** How to install the library for the process's architecture and distribution. */
function packageHint(ctx: FixContext, allocator: LibraryAllocator): string {
  const deb = { jemalloc: 'libjemalloc2', tcmalloc: 'libtcmalloc-minimal4', mimalloc: 'libmimalloc2.0' }[allocator];
  const rpm = { jemalloc: 'jemalloc (EPEL)', tcmalloc: 'gperftools-libs (EPEL)', mimalloc: 'mimalloc' }[allocator];
  if (ctx.distro === 'debian') {
    const debArch = ctx.triplet ? TRIPLET_DEB_ARCH[ctx.triplet] : undefined;
    // A 32-bit process needs the 32-bit build: the native one is "wrong ELF class" to its ld.so.
    if (ctx.bits === 32 && debArch) return `sudo dpkg --add-architecture ${debArch} && sudo apt-get update && sudo apt-get install ${deb}:${debArch}`;
    return `sudo apt-get install ${deb}`;
  }
  const [name, repo] = rpm.split(' ');
  const dnf = `sudo dnf install ${ctx.bits === 32 ? `${name}.i686${repo ? ` ${repo}` : ''}` : rpm}`;
  return ctx.distro === 'rhel' ? dnf : `sudo apt-get install ${deb} (Debian, Ubuntu) or ${dnf} (RHEL and derivatives)`;
}

/** When the dump shows no library path (pmap prints basenames), the library's path is a guess: say where it lives. */
function libraryPathNote(ctx: FixContext, allocator: LibraryAllocator): string[] {
  if (ctx.distro !== 'unknown') return [];
  const file = allocatorLibrary({ ...ctx, libDir: '' }, allocator).slice(1);
  return [
    `# This dump shows no library path, so the distribution is a guess: the library is /usr/lib/<triplet>/${file} on Debian and Ubuntu, /usr/lib64/${file} on RHEL.`,
  ];
}

/** The fixes that switch a glibc process to another allocator, or none when preloading cannot work. */
export function switchAllocatorFixes(ctx: FixContext): Fix[] {
  if (ctx.preloadBlocked) return [];
  return ctx.server === 'other' ? [systemdLdPreload(ctx)] : [mysqldSafeMallocLib(ctx), systemdLdPreload(ctx)];
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

export function sysctlMaxMapCount(ctx: FixContext, reason: string, value = recommendedMaxMapCount(ctx.vmaCount)): Fix {
  const path = '/etc/sysctl.d/99-vma-lens-max-map-count.conf';
  return {
    id: 'sysctl-max-map-count',
    title: t('Raise vm.max_map_count to {0} (sysctl.d file)', value),
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

export function mysqldSafeMallocLib(ctx: FixContext, allocator: LibraryAllocator = 'jemalloc'): Fix {
  const lib = allocatorLibrary(ctx, allocator);
  const dir = lib.slice(0, lib.lastIndexOf('/'));
  const refused = !MYSQLD_SAFE_LIB_DIRS.includes(dir);
  const isMaria = ctx.server === 'mariadb';
  const cnf = ctx.distro === 'debian' ? (isMaria ? '/etc/mysql/mariadb.conf.d/99-malloc.cnf' : '/etc/mysql/conf.d/malloc.cnf') : '/etc/my.cnf.d/malloc.cnf';
  const unit = ctx.unit;
  const lines = [
    `# Written by VMA Lens: run ${ctx.server === 'other' ? 'mysqld' : programOf(ctx)} with ${allocator} instead of glibc malloc.`,
    ...unitNote(ctx),
  ];
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
    ...libraryPathNote(ctx, allocator),
    `# Then restart and check:  grep ${allocator} /proc/$(pidof ${isMaria ? 'mariadbd' : 'mysqld'})/maps`,
    isMaria ? "# or in SQL:  SHOW GLOBAL VARIABLES LIKE 'version_malloc_library';" : '# or in SQL (Percona Server):  SELECT @@jemalloc_detected;',
    '[mysqld_safe]',
    `malloc-lib=${lib}`,
    '',
  );
  return {
    id: 'mysqld-safe-malloc-lib',
    title: t('Use {0} through mysqld_safe (my.cnf [mysqld_safe] malloc-lib)', allocator),
    path: cnf,
    language: 'ini',
    text: lines.join('\n'),
    commands: [`sudo systemctl restart ${shQuote(unit)}`],
  };
}

export function systemdLdPreload(ctx: FixContext, allocator: LibraryAllocator = 'jemalloc'): Fix {
  const lib = allocatorLibrary(ctx, allocator);
  const unit = ctx.unit;
  const path = `/etc/systemd/system/${unit}.service.d/vma-lens-malloc.conf`;
  return {
    id: 'systemd-ld-preload',
    title: t('Preload {0} in {1} (systemd drop-in)', allocator, unitTitle(ctx)),
    path,
    language: 'ini',
    text: [
      `# Written by VMA Lens: start ${programOf(ctx)} with ${allocator} preloaded (works without mysqld_safe).`,
      `# Install the library first: ${packageHint(ctx, allocator)}`,
      ...libraryPathNote(ctx, allocator),
      `# Apply:  sudo systemctl daemon-reload && sudo systemctl restart ${shQuote(unit)}`,
      `# Check:  grep ${allocator} /proc/$(systemctl show -p MainPID --value ${shQuote(unit)})/maps`,
      ...unitNote(ctx),
      '[Service]',
      `Environment="LD_PRELOAD=${lib}"`,
      '',
    ].join('\n'),
    commands: ['sudo systemctl daemon-reload', `sudo systemctl restart ${shQuote(unit)}`],
  };
}

/** `value`: what findArenas proposes, below any cap already in force (see there). */
export function mallocArenaMax(ctx: FixContext, value = 4): Fix {
  const unit = ctx.unit;
  const path = `/etc/systemd/system/${unit}.service.d/vma-lens-arena-max.conf`;
  const now = ctx.mallocArenaMax;
  return {
    id: 'malloc-arena-max',
    title:
      now !== undefined
        ? t('Cap glibc malloc arenas at {0} (MALLOC_ARENA_MAX, now {1})', value, now)
        : t('Cap glibc malloc arenas at {0} (MALLOC_ARENA_MAX)', value),
    path,
    language: 'ini',
    text: [
      `# Written by VMA Lens: cap glibc malloc at ${value} arenas for ${programOf(ctx)}.`,
      ...(now !== undefined ? [`# The process already runs with MALLOC_ARENA_MAX=${now} (from its environment).`] : []),
      '# glibc gives busy threads their own arena (up to 8 per core on 64-bit), each in a 64 MiB slot;',
      '# many arenas mean more VMAs and memory held but not reused. Fewer arenas trade a little',
      '# lock contention for a smaller, steadier footprint. Not needed with jemalloc or tcmalloc.',
      `# Apply:  sudo systemctl daemon-reload && sudo systemctl restart ${shQuote(unit)}`,
      ...unitNote(ctx),
      "# Without systemd: export MALLOC_ARENA_MAX in the service's environment file",
      '# (/etc/sysconfig/mysql on RPM systems, /etc/default/<service> on Debian).',
      '[Service]',
      `Environment="MALLOC_ARENA_MAX=${value}"`,
      '',
    ].join('\n'),
    commands: ['sudo systemctl daemon-reload', `sudo systemctl restart ${shQuote(unit)}`],
  };
}

/** "postgresql@15-main.service", or "your unit" when it could not be told. */
function unitTitle(ctx: FixContext): string {
  return ctx.unitSource === 'none' ? t('your unit (name it)') : `${ctx.unit}.service`;
}

/** Where the unit name came from, as comment lines of a drop-in. */
function unitNote(ctx: FixContext): string[] {
  switch (ctx.unitSource) {
    case 'cgroup':
      return [`# The unit ${ctx.unit}.service is the one the capture found in /proc/PID/cgroup.`];
    case 'exe':
      return [
        ...(ctx.unit === ctx.program ? [] : [`# "${programOf(ctx)}" is not a valid unit name: escaped as systemd-escape does.`]),
        `# The unit name is a guess from the executable's name: rename the directory if your unit is not called ${ctx.unit}.service.`,
      ];
    case 'none':
      return ["# VMA Lens could not tell this process's systemd unit: name your unit (replace your-unit in the path)."];
    default:
      return [];
  }
}

export function jemallocLgHugepage(ctx: FixContext, hugePageSize?: number): Fix {
  const seen = hugePageSize ? ` (this system's huge page is ${hugePageSize / 1048576} MiB)` : '';
  return {
    id: 'jemalloc-lg-hugepage',
    title: t('Rebuild jemalloc with --with-lg-hugepage=21 (2 MiB)'),
    path: 'build-jemalloc-lg-hugepage-21.sh',
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      `# Written by VMA Lens: jemalloc sizes and aligns its metadata and first extents to the huge page${seen},`,
      '# so on 64 KiB-page arm64 kernels (512 MiB huge pages) each arena costs 512 MiB-1 GiB of memory.',
      '# --with-lg-hugepage=21 makes jemalloc assume 2 MiB huge pages whatever the build host reports.',
      "# Note: --with-lg-page is a different knob (jemalloc's page size); it must be >= the system page size,",
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

/** The commands that add a kernel boot parameter persistently: grubby on RHEL, GRUB's file on Debian. */
function bootParamCommands(rhel: boolean, param: string): string[] {
  return rhel
    ? [`sudo grubby --update-kernel=ALL --args="${param}"`]
    : [`sudo sed -i 's/^GRUB_CMDLINE_LINUX="\\(.*\\)"/GRUB_CMDLINE_LINUX="\\1 ${param}"/' /etc/default/grub`, 'sudo update-grub'];
}

export function kernelDefaultHugepagesz(ctx: FixContext): Fix {
  const rhel = ctx.distro !== 'debian';
  return {
    id: 'kernel-default-hugepagesz',
    title: t('Boot with default_hugepagesz=2M (kernel parameter)'),
    path: 'set-default-hugepagesz-2M.sh',
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      '# Written by VMA Lens: make 2 MiB the default huge page size, so that allocators (jemalloc) that size',
      '# their blocks to the huge page use 2 MiB instead of 512 MiB on 64 KiB-page arm64 kernels.',
      '# Takes effect after a reboot; check with: grep Hugepagesize /proc/meminfo',
      'set -eu',
      rhel ? '# RHEL / CentOS / Rocky / Alma (grubby):' : '# Debian / Ubuntu (GRUB):',
      ...bootParamCommands(rhel, 'default_hugepagesz=2M'),
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

// ---------------------------------------------------------------------------------------------
// Where servers run: Kubernetes nodes, Ansible, JVM services; allocator settings that stop the
// VMA growth at its source.

/**
 * Products whose documentation states a minimum vm.max_map_count, recognised from the command
 * line (a JVM's main class or the executable). Elasticsearch and OpenSearch refuse to start in
 * production mode below 262144 (their bootstrap check).
 */
const PRODUCT_MINIMUMS: { product: string; re: RegExp; minimum: number; source: string }[] = [
  {
    product: 'Elasticsearch',
    re: /\borg\.elasticsearch\.|(?:^|\/)elasticsearch(?:\s|$)/,
    minimum: 262144,
    source: 'the Elasticsearch bootstrap check (its docs recommend 1048576)',
  },
  {
    product: 'OpenSearch',
    re: /\borg\.opensearch\.|(?:^|\/)opensearch(?:\s|$)/,
    minimum: 262144,
    source: 'the OpenSearch bootstrap check',
  },
];

export interface ProductMinimum {
  product: string;
  minimum: number;
  source: string;
}

/** The documented vm.max_map_count minimum of the product this command line runs, if known. */
export function productMinimum(command: string | undefined): ProductMinimum | undefined {
  if (!command) return undefined;
  const p = PRODUCT_MINIMUMS.find((m) => m.re.test(command));
  return p && { product: p.product, minimum: p.minimum, source: p.source };
}

/** What the sysctl fixes set: at least `minimum`, and what the observed count asks for. */
function maxMapCountValue(ctx: FixContext, minimum?: number): number {
  return Math.max(recommendedMaxMapCount(ctx.vmaCount), minimum ?? 0);
}

/**
 * A DaemonSet whose privileged init container sets vm.max_map_count on every node it runs on.
 * The sysctl is not namespaced, so a pod's securityContext.sysctls cannot set it (the kubelet
 * allows only namespaced sysctls there); writing /proc/sys from a privileged container changes
 * the node's value, for every pod on it.
 */
export function k8sMaxMapCount(ctx: FixContext, reason: string, minimum?: number): Fix {
  const value = maxMapCountValue(ctx, minimum);
  const path = 'vma-lens-max-map-count-daemonset.yaml';
  return {
    id: 'k8s-max-map-count',
    title: t('Raise vm.max_map_count to {0} on Kubernetes nodes (privileged DaemonSet)', value),
    path,
    language: 'yaml',
    text: [
      `# Written by VMA Lens: ${reason}`,
      "# vm.max_map_count is not a namespaced sysctl: a pod's securityContext.sysctls cannot set it.",
      "# This DaemonSet's privileged init container writes it on each node, then a pause container keeps",
      '# the pod running so new nodes get it too. Limit it to the nodes that need it with a nodeSelector.',
      '# OpenShift: use a Tuned profile (vm.max_map_count under [sysctl]) instead.',
      `# Apply:  kubectl apply -f ${path}`,
      '# Check on a node:  sysctl vm.max_map_count',
      'apiVersion: apps/v1',
      'kind: DaemonSet',
      'metadata:',
      '  name: vma-lens-max-map-count',
      '  namespace: kube-system',
      '  labels:',
      '    app: vma-lens-max-map-count',
      'spec:',
      '  selector:',
      '    matchLabels:',
      '      app: vma-lens-max-map-count',
      '  template:',
      '    metadata:',
      '      labels:',
      '        app: vma-lens-max-map-count',
      '    spec:',
      '      initContainers:',
      '        - name: sysctl',
      '          image: busybox:1.36',
      `          command: ["sysctl", "-w", "vm.max_map_count=${value}"]`,
      '          securityContext:',
      '            privileged: true',
      '      containers:',
      '        - name: pause',
      '          image: registry.k8s.io/pause:3.9',
      '          resources:',
      '            requests:',
      '              cpu: 1m',
      '              memory: 4Mi',
      '      tolerations:',
      '        - operator: Exists',
      '',
    ].join('\n'),
    commands: [`kubectl apply -f ${path}`],
  };
}

/** An Ansible play with ansible.posix.sysctl: persistent in /etc/sysctl.d and applied at once. */
export function ansibleMaxMapCount(ctx: FixContext, reason: string, minimum?: number): Fix {
  const value = maxMapCountValue(ctx, minimum);
  const path = 'vma-lens-max-map-count.yml';
  return {
    id: 'ansible-max-map-count',
    title: t('Raise vm.max_map_count to {0} with Ansible (ansible.posix.sysctl)', value),
    path,
    language: 'yaml',
    text: [
      `# Written by VMA Lens: ${reason}`,
      '# Needs the ansible.posix collection:  ansible-galaxy collection install ansible.posix',
      `# Apply:  ansible-playbook -i INVENTORY ${path}`,
      '- name: Raise vm.max_map_count',
      '  hosts: all',
      '  become: true',
      '  tasks:',
      '    - name: vm.max_map_count in /etc/sysctl.d, applied now',
      '      ansible.posix.sysctl:',
      '        name: vm.max_map_count',
      `        value: "${value}"`,
      '        sysctl_file: /etc/sysctl.d/99-vma-lens-max-map-count.conf',
      '        state: present',
      '        reload: true',
      '',
    ].join('\n'),
    commands: [`ansible-playbook -i INVENTORY ${path}`],
  };
}

/** The sysctl.d file, the Kubernetes DaemonSet and the Ansible task, in that order. */
export function maxMapCountFixes(ctx: FixContext, reason: string, minimum?: number): Fix[] {
  return [sysctlMaxMapCount(ctx, reason, maxMapCountValue(ctx, minimum)), k8sMaxMapCount(ctx, reason, minimum), ansibleMaxMapCount(ctx, reason, minimum)];
}

/** A systemd drop-in that sets one environment variable for the unit. */
function environmentDropIn(
  ctx: FixContext,
  file: string,
  comments: string[],
  name: string,
  value: string,
): Pick<Fix, 'path' | 'language' | 'text' | 'commands'> {
  const path = `/etc/systemd/system/${ctx.unit}.service.d/${file}`;
  return {
    path,
    language: 'ini',
    text: [
      ...comments.map((c) => `# ${c}`),
      `# Apply:  sudo systemctl daemon-reload && sudo systemctl restart ${shQuote(ctx.unit)}`,
      `# Check:  tr '\\0' '\\n' < /proc/$(systemctl show -p MainPID --value ${shQuote(ctx.unit)})/environ | grep ${name}`,
      '[Service]',
      `Environment="${name}=${value}"`,
      '',
    ].join('\n'),
    commands: ['sudo systemctl daemon-reload', `sudo systemctl restart ${shQuote(ctx.unit)}`],
  };
}

/**
 * MALLOC_ARENA_MAX for a JVM service. HotSpot's own threads (GC, compiler) and every native
 * library called through JNI (zlib, NIO) malloc from glibc; with up to 8 arenas per core each
 * keeping its free memory, a JVM's native footprint grows. The Cloud Foundry and SAP JVMs set 2.
 */
export function jvmMallocArenaMax(ctx: FixContext, value = 2): Fix {
  return {
    id: 'jvm-malloc-arena-max',
    title: t("Cap the JVM's glibc arenas at {0} (MALLOC_ARENA_MAX in {1}.service)", value, ctx.unit),
    ...environmentDropIn(
      ctx,
      'vma-lens-jvm-arena-max.conf',
      [
        `Written by VMA Lens: cap glibc malloc at ${value} arenas for the JVM ${programOf(ctx)}.`,
        "The JVM's native memory (GC and JIT threads, zlib, NIO, JNI libraries) comes from glibc malloc,",
        'which gives busy threads arenas of their own (up to 8 per core). The Cloud Foundry and SAP JVMs',
        `run with MALLOC_ARENA_MAX=${value}. In a container set it in the image or pod instead:`,
        `  Dockerfile: ENV MALLOC_ARENA_MAX=${value}   Kubernetes: env: [{name: MALLOC_ARENA_MAX, value: "${value}"}]`,
      ],
      'MALLOC_ARENA_MAX',
      String(value),
    ),
  };
}

/** MALLOC_CONF for jemalloc in the unit's environment. */
export function mallocConfFix(ctx: FixContext, conf: string, title: string, why: string[]): Fix {
  return {
    id: 'malloc-conf',
    title,
    ...environmentDropIn(
      ctx,
      'vma-lens-malloc-conf.conf',
      [
        `Written by VMA Lens: jemalloc options for ${programOf(ctx)}.`,
        ...why,
        'jemalloc also reads options from /etc/malloc.conf (a symlink) and a malloc_conf symbol compiled',
        'into the program; MALLOC_CONF is read last and wins.',
      ],
      'MALLOC_CONF',
      conf,
    ),
  };
}

/** THP only where a program asks for it with madvise(MADV_HUGEPAGE). */
export function thpMadvise(ctx: FixContext): Fix {
  const rhel = ctx.distro !== 'debian';
  return {
    id: 'thp-madvise',
    title: t('Transparent huge pages only on request (THP mode madvise)'),
    path: 'set-thp-madvise.sh',
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      '# Written by VMA Lens: in THP mode "always" the kernel backs every large enough anonymous mapping with',
      '# 2 MiB pages, so an allocator\'s mostly empty extents hold whole huge pages (RSS grows). In "madvise"',
      '# mode only memory a program marks with madvise(MADV_HUGEPAGE) gets them.',
      'set -eu',
      'echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled',
      '# Persistent: the kernel parameter transparent_hugepage=madvise',
      ...bootParamCommands(rhel, 'transparent_hugepage=madvise'),
      '',
    ].join('\n'),
    commands: ['echo madvise | sudo tee /sys/kernel/mm/transparent_hugepage/enabled'],
  };
}

/** vm.overcommit_memory back to the heuristic default (0). */
export function overcommitMemory(ctx: FixContext): Fix {
  const path = '/etc/sysctl.d/99-vma-lens-overcommit.conf';
  return {
    id: 'overcommit-memory',
    title: t('Heuristic overcommit (vm.overcommit_memory = 0)'),
    path,
    language: 'properties',
    text: [
      `# Written by VMA Lens: under vm.overcommit_memory=2 jemalloc decommits freed memory of ${programOf(ctx)} with`,
      '# mmap(PROT_NONE) instead of madvise(), which splits its extents into alternating rw-p/---p VMAs.',
      '# 0 is the kernel default; strict accounting (2) is a host-wide choice: check why it was set first.',
      `# Apply now:  sudo sysctl -p ${path}`,
      'vm.overcommit_memory = 0',
      '',
    ].join('\n'),
    commands: ['sudo sysctl -w vm.overcommit_memory=0', `sudo sysctl -p ${path}`],
  };
}

/** Rebuild jemalloc with a larger page, so that what it decommits comes in fewer, larger pieces. */
export function jemallocLgPage(ctx: FixContext, lgPage = 16): Fix {
  return {
    id: 'jemalloc-lg-page',
    title: t('Rebuild jemalloc with --with-lg-page={0} ({1} KiB pages)', lgPage, 2 ** (lgPage - 10)),
    path: `build-jemalloc-lg-page-${lgPage}.sh`,
    language: 'shellscript',
    text: [
      '#!/bin/sh',
      `# Written by VMA Lens: jemalloc's page is the unit it commits and decommits in; with ${2 ** (lgPage - 10)} KiB pages a`,
      '# small free no longer leaves a PROT_NONE piece of its own under vm.overcommit_memory=2. Where the',
      '# host allows it, vm.overcommit_memory=0 removes the pieces altogether.',
      '# It must be >= the system page size (getconf PAGESIZE), or jemalloc aborts with "Unsupported system page size".',
      'set -eu',
      'VERSION=5.3.0',
      'tar xjf jemalloc-$VERSION.tar.bz2   # from the jemalloc releases page',
      'cd jemalloc-$VERSION',
      `./configure --prefix=/usr/local --with-lg-page=${lgPage}`,
      'make -j"$(nproc)"',
      'sudo make install',
      `# Then point ${programOf(ctx)} at /usr/local/lib/libjemalloc.so.2.`,
      '',
    ].join('\n'),
    commands: [`./configure --with-lg-page=${lgPage} && make -j"$(nproc)" && sudo make install`],
  };
}

/** mimalloc: purge by resetting pages (madvise) instead of decommitting them (PROT_NONE). */
export function mimallocPurgeDecommits(ctx: FixContext): Fix {
  const fix = environmentDropIn(
    ctx,
    'vma-lens-mimalloc-purge.conf',
    [
      `Written by VMA Lens: mimalloc in ${programOf(ctx)} decommits unused memory with PROT_NONE, which splits`,
      'its reservations into many VMAs. MIMALLOC_PURGE_DECOMMITS=0 (mimalloc 2.1 and later) makes a purge',
      'reset the pages (madvise) instead, keeping the mapping whole; mimalloc 2.0 calls it',
      'MIMALLOC_ALLOW_DECOMMIT=0 (add a second Environment= line with it there).',
    ],
    'MIMALLOC_PURGE_DECOMMITS',
    '0',
  );
  return { id: 'mimalloc-purge-decommits', title: t('mimalloc: purge without decommitting (MIMALLOC_PURGE_DECOMMITS=0)'), ...fix };
}
