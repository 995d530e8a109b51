/**
 * What `vma-lens metrics --print-systemd` and `--print-rules` print: a oneshot service and its
 * minute timer for the textfile collector, and the Prometheus alert rules. The repository's
 * deploy/prometheus/vma-lens-rules.yml is this text (a unit test keeps them equal), with its
 * `promtool test rules` cases beside it.
 */

/** Debian's node_exporter textfile directory (prometheus-node-exporter's default). */
export const DEFAULT_TEXTFILE_DIR = '/var/lib/prometheus/node-exporter';

/** Quotes an ExecStart argument the way systemd reads it (double quotes, backslash escapes). */
function systemdArg(a: string): string {
  return /^[\w@%+=:,./-]+$/.test(a) ? a : `"${a.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/%/g, '%%')}"`;
}

/**
 * The service + timer pair. `command` is how to run vma-lens on this host (node and the script),
 * `args` the metrics options to keep (--output, --match, --top).
 */
export function systemdUnits(command: string[], args: string[], outputFile: string): string {
  const dir = outputFile.slice(0, outputFile.lastIndexOf('/')) || '/';
  return `# /etc/systemd/system/vma-lens-metrics.service
[Unit]
Description=VMA Lens: VMA counts of every process for node_exporter's textfile collector
Documentation=https://github.com/vma-lens/vma-lens#fleet

[Service]
Type=oneshot
ExecStart=${[...command, 'metrics', ...args].map(systemdArg).join(' ')}
# Reading another user's /proc/PID/maps and exe needs root (ptrace read access); nothing else.
User=root
CapabilityBoundingSet=CAP_SYS_PTRACE CAP_DAC_READ_SEARCH CAP_DAC_OVERRIDE
NoNewPrivileges=yes
# Never the load it measures: lowest CPU and I/O priority.
Nice=19
IOSchedulingClass=idle
# Read-only everywhere except the textfile directory.
ProtectSystem=strict
ProtectHome=read-only
PrivateTmp=yes
ReadWritePaths=${systemdArg(dir)}

# /etc/systemd/system/vma-lens-metrics.timer
[Unit]
Description=VMA Lens metrics every minute

[Timer]
OnBootSec=1min
OnUnitActiveSec=1min
AccuracySec=1s

[Install]
WantedBy=timers.target

# Install: write both files, then
#   systemctl daemon-reload && systemctl enable --now vma-lens-metrics.timer
# and start node_exporter with --collector.textfile.directory=${dir}
`;
}

export const ALERT_RULES = `# Prometheus alert rules of VMA Lens (vma-lens metrics --print-rules).
# process_memory_map_areas comes from \`vma-lens metrics\` through node_exporter's textfile
# collector; process_memory_map_areas_limit is vm.max_map_count of the same host (instance).
groups:
  - name: vma-lens
    rules:
      - alert: ProcessMemoryMapAreasNearLimit
        expr: |
          process_memory_map_areas
            / on(instance) group_left process_memory_map_areas_limit > 0.8
        for: 5m
        labels:
          severity: warning
        annotations:
          summary: "{{ $labels.comm }} (pid {{ $labels.pid }}) on {{ $labels.instance }} uses {{ $value | humanizePercentage }} of vm.max_map_count"
          description: >-
            At vm.max_map_count an munmap() or mprotect() that splits a mapping fails with ENOMEM
            (jemalloc: "Error in munmap(): Cannot allocate memory") and the server may abort.
            Raise vm.max_map_count in /etc/sysctl.d/ or stop the fragmentation.
      - alert: ProcessMemoryMapAreasLimitIn4h
        expr: |
          predict_linear(process_memory_map_areas[1h], 4 * 3600)
            > on(instance) group_left process_memory_map_areas_limit
        for: 10m
        labels:
          severity: critical
        annotations:
          summary: "{{ $labels.comm }} (pid {{ $labels.pid }}) on {{ $labels.instance }} will reach vm.max_map_count within 4 hours at the last hour's rate"
          description: >-
            The VMA count of the last hour, extended linearly, passes vm.max_map_count within 4 hours.
            Open the process's timeline in VMA Lens (Open Timeline from Prometheus) to see the trend.
`;
