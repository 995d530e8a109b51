/**
 * The one capture script, run unchanged on this machine (`sh -s -- …`) and on a remote host
 * (`ssh HOST sh -s -- …`, optionally under `sudo -n`). POSIX sh and coreutils only (dash, busybox
 * and bash all run it). It is fed on stdin, so nothing of it is ever spliced into a command line;
 * its arguments are a mode word and a PID checked to be digits on both sides.
 *
 *   sh -s -- capture PID [maps|smaps]   the `#` context header, then /proc/PID/maps (or smaps)
 *   sh -s -- list                       one process a line: PID TAB VMAS TAB UID TAB COMM TAB CMDLINE
 *
 * The header keys and their order are those of test/helpers/realProcess.ts formatCaptureHeader,
 * plus `cpus` and, when /proc/PID/smaps_rollup is readable, `rss` and `pss` (as "N kB").
 * Facts about the executable come from /proc/PID/exe: `exe_static` from its program headers
 * (readelf, else the ELF header read with od), `exe_symbols` (the allocator symbols it defines,
 * "none" when it defines none) from readelf or nm; without binutils that key is left out. Every
 * key whose source is unreadable is left out.
 * Exit status: 0 done, 2 usage, 3 no such process, 4 permission denied, 5 vanished while reading.
 */

import { ALLOCATOR_SYMBOLS } from '../core/elf';

export const EXIT_USAGE = 2;
export const EXIT_NO_PROCESS = 3;
export const EXIT_PERMISSION = 4;
export const EXIT_VANISHED = 5;

export const CAPTURE_SCRIPT = `
set -u
LC_ALL=C
export LC_ALL
fail() { code=$1; shift; printf 'vma-lens: %s\\n' "$*" >&2; exit "$code"; }
isnum() { case $1 in ''|*[!0-9]*) return 1;; esac; return 0; }
field() { sed -n "s/^$1:[[:space:]]*//p" "$2" 2>/dev/null | head -n 1; }
vmas() { grep -v -c '\\[vsyscall\\]' "/proc/$1/maps" 2>/dev/null; }
env_var() { tr '\\000' '\\n' 2>/dev/null < "/proc/$1/environ" | sed -n "s/^$2=//p" | head -n 1; }
u16() { od -An -t u2 -j "$2" -N 2 "$1" 2>/dev/null | tr -d ' '; }
u32() { od -An -t u4 -j "$2" -N 4 "$1" 2>/dev/null | tr -d ' '; }

# "yes" when the ELF file has no PT_INTERP (statically linked), "no" when it has one.
exe_static() {
  if command -v readelf >/dev/null 2>&1; then
    h=$(readelf -lW "$1" 2>/dev/null) || return 1
    case $h in *'Program Headers'*) ;; *) return 1;; esac
    case $h in *INTERP*) echo no;; *) echo yes;; esac
    return 0
  fi
  # No binutils: walk the program headers with od (little-endian ELF only).
  [ "$(od -An -c -j 1 -N 3 "$1" 2>/dev/null | tr -d ' ')" = ELF ] || return 1
  [ "$(od -An -t u1 -j 5 -N 1 "$1" 2>/dev/null | tr -d ' ')" = 1 ] || return 1
  if [ "$(od -An -t u1 -j 4 -N 1 "$1" | tr -d ' ')" = 2 ]; then
    off=$(u32 "$1" 32); ent=$(u16 "$1" 54); num=$(u16 "$1" 56)
  else
    off=$(u32 "$1" 28); ent=$(u16 "$1" 42); num=$(u16 "$1" 44)
  fi
  isnum "$off" && isnum "$ent" && isnum "$num" || return 1
  i=0
  while [ "$i" -lt "$num" ]; do
    [ "$(u32 "$1" $((off + i * ent)))" = 3 ] && { echo no; return 0; }
    i=$((i + 1))
  done
  echo yes
}

# The allocator symbols the ELF file defines (global or weak), comma-separated, or "none".
exe_symbols() {
  if command -v readelf >/dev/null 2>&1; then
    t=$(readelf -sW "$1" 2>/dev/null) || return 1
    list=$(printf '%s\\n' "$t" | awk '($5 == "GLOBAL" || $5 == "WEAK") && $7 != "UND" { sub(/@.*/, "", $8); print $8 }')
  elif command -v nm >/dev/null 2>&1; then
    list=$( { nm -D --defined-only "$1"; nm --defined-only "$1"; } 2>/dev/null | awk 'NF >= 3 && $2 ~ /^[A-Z]$/ { sub(/@.*/, "", $3); print $3 }')
  else
    return 1
  fi
  hits=$(printf '%s\\n' "$list" | grep -x -F ${ALLOCATOR_SYMBOLS.map((s) => `-e ${s}`).join(' ')} | sort -u | tr '\\n' ' ' | sed 's/ *$//; s/ /, /g')
  echo "\${hits:-none}"
}

# The innermost systemd service in /proc/PID/cgroup (cgroup v2 line, or v1 name=systemd).
unit_of() {
  sed -n 's#^[^:]*:\\(name=systemd\\)\\{0,1\\}:.*/\\([^/]*\\.service\\)\\(/.*\\)\\{0,1\\}$#\\2#p' "$1" 2>/dev/null | head -n 1
}

# The mapped libc: glibc's libc.so.6 (libc-2.NN.so before 2.34) or musl's.
libc_of() {
  sed -n -e 's#^.* \\(/.*/libc\\.so\\.6\\)$#\\1#p' -e 's#^.* \\(/.*/libc-2\\.[0-9]*\\.so\\)$#\\1#p' \\
    -e 's#^.* \\(/.*/ld-musl-[^/]*\\.so\\.1\\)$#\\1#p' -e 's#^.* \\(/.*-linux-musl[^/]*/libc\\.so\\)$#\\1#p' "$1" 2>/dev/null | head -n 1
}

capture() {
  pid=$1
  what=\${2:-maps}
  case $what in maps|smaps) ;; *) fail ${EXIT_USAGE} "unknown file $what";; esac
  [ -d "/proc/$pid" ] || fail ${EXIT_NO_PROCESS} "no process $pid"
  # Opening the file is where the kernel checks ptrace access: test it before any output.
  (true < "/proc/$pid/$what") 2>/dev/null || {
    [ -d "/proc/$pid" ] || fail ${EXIT_NO_PROCESS} "no process $pid"
    fail ${EXIT_PERMISSION} "permission denied reading /proc/$pid/$what (uid $(id -u))"
  }
  cmd=$(tr '\\000\\n\\r' '   ' 2>/dev/null < "/proc/$pid/cmdline" | sed 's/ *$//')
  [ -n "$cmd" ] || cmd="[$(cat 2>/dev/null < "/proc/$pid/comm")]"
  echo '# vma-lens capture'
  echo "# host: $(uname -n)"
  echo "# pid: $pid"
  echo "# command: $cmd"
  echo "# time: $(date -u +%Y-%m-%dT%H:%M:%SZ)"
  v=$(cat /proc/sys/vm/max_map_count 2>/dev/null) && echo "# max_map_count: $v"
  v=$(getconf PAGESIZE 2>/dev/null || getconf PAGE_SIZE 2>/dev/null) && [ -n "$v" ] && echo "# page_size: $v"
  v=$(field Hugepagesize /proc/meminfo) && [ -n "$v" ] && echo "# hugepagesize: $v"
  v=$(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null) && echo "# thp: $v"
  echo "# kernel: $(uname -r)"
  echo "# arch: $(uname -m)"
  v=$(field Threads "/proc/$pid/status") && [ -n "$v" ] && echo "# threads: $v"
  v=$(readlink "/proc/$pid/exe" 2>/dev/null) && [ -n "$v" ] && echo "# exe: $v"
  v=$(cat 2>/dev/null < "/proc/$pid/comm") && [ -n "$v" ] && echo "# comm: $v"
  v=$(exe_static "/proc/$pid/exe") && echo "# exe_static: $v"
  v=$(exe_symbols "/proc/$pid/exe") && echo "# exe_symbols: $v"
  v=$(libc_of "/proc/$pid/maps") && [ -n "$v" ] && echo "# libc: $v"
  v=$(unit_of "/proc/$pid/cgroup") && [ -n "$v" ] && echo "# unit: $v"
  for k in LD_PRELOAD MALLOC_CONF MALLOC_ARENA_MAX GLIBC_TUNABLES; do
    v=$(env_var "$pid" "$k") && [ -n "$v" ] && echo "# $(echo "$k" | tr 'A-Z' 'a-z'): $v"
  done
  v=$(cat /proc/sys/vm/overcommit_memory 2>/dev/null) && echo "# overcommit_memory: $v"
  v=$(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null) && echo "# thp_defrag: $v"
  v=$(getconf _NPROCESSORS_ONLN 2>/dev/null) && [ -n "$v" ] && echo "# cpus: $v"
  if [ -r "/proc/$pid/smaps_rollup" ]; then
    v=$(field Rss "/proc/$pid/smaps_rollup") && [ -n "$v" ] && echo "# rss: $v"
    v=$(field Pss "/proc/$pid/smaps_rollup") && [ -n "$v" ] && echo "# pss: $v"
  fi
  cat "/proc/$pid/$what" 2>/dev/null || fail ${EXIT_VANISHED} "process $pid exited while its $what was read"
}

list() {
  for d in /proc/[0-9]*; do
    p=\${d#/proc/}
    [ "$p" = "$$" ] && continue
    cmd=$(tr '\\000\\t\\n\\r' '    ' 2>/dev/null < "$d/cmdline" | sed 's/ *$//')
    [ -n "$cmd" ] || continue
    comm=$(tr '\\t' ' ' 2>/dev/null < "$d/comm")
    uid=$(sed -n 's/^Uid:[[:space:]]*\\([0-9]*\\).*/\\1/p' "$d/status" 2>/dev/null)
    n=$(vmas "$p") || [ "$n" = 0 ] || n=-
    printf '%s\\t%s\\t%s\\t%s\\t%s\\n' "$p" "\${n:--}" "\${uid:--}" "$comm" "$cmd"
  done
}

case \${1:-} in
  capture) isnum "\${2:-}" || fail ${EXIT_USAGE} "capture needs a numeric PID"; capture "$2" "\${3:-maps}";;
  list) list;;
  *) fail ${EXIT_USAGE} "usage: sh -s -- capture PID [maps|smaps] | list";;
esac
`;
