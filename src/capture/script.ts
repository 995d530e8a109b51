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
 * Exit status: 0 done, 2 usage, 3 no such process, 4 permission denied, 5 vanished while reading.
 */

export const EXIT_USAGE = 2;
export const EXIT_NO_PROCESS = 3;
export const EXIT_PERMISSION = 4;
export const EXIT_VANISHED = 5;

/** Fields of one `list` line, in order. VMAS is `-` when the maps cannot be read. */
export const LIST_FIELDS = ['pid', 'vmas', 'uid', 'comm', 'cmdline'] as const;

export const CAPTURE_SCRIPT = `
set -u
LC_ALL=C
export LC_ALL
fail() { code=$1; shift; printf 'vma-lens: %s\\n' "$*" >&2; exit "$code"; }
isnum() { case $1 in ''|*[!0-9]*) return 1;; esac; return 0; }
field() { sed -n "s/^$1:[[:space:]]*//p" "$2" 2>/dev/null | head -n 1; }
vmas() { grep -v -c '\\[vsyscall\\]' "/proc/$1/maps" 2>/dev/null; }

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
