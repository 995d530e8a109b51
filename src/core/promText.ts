/**
 * The Prometheus text exposition format (version 0.0.4) of a metrics scan: what node_exporter's
 * textfile collector reads. Pure: the scan itself is in src/node/procScan.ts.
 */
import type { Severity } from './types';

/** What the scan learned about one process. */
export interface ProcessMetrics {
  pid: number;
  comm: string;
  /** Target of /proc/PID/exe; empty when it cannot be read (another user's process). */
  exe: string;
  /** systemd unit from /proc/PID/cgroup; empty when there is none. */
  unit: string;
  /** Lines of /proc/PID/maps without [vsyscall]: the VMAs that count toward the limit. */
  vmaCount: number;
  allocator: { name: string; evidence: string };
  findings: { id: string; severity: Severity }[];
}

/** Why a process was skipped: it exited mid-scan, or we may not read it. */
export type ScanErrorReason = 'vanished' | 'denied';

export interface MetricsScan {
  processes: ProcessMetrics[];
  /** vm.max_map_count of this host. */
  maxMapCount: number;
  durationSeconds: number;
  /** Skipped processes, by reason (counted up across runs when the caller keeps the totals). */
  errors: Record<ScanErrorReason, number>;
}

/** Label values escape backslash, double quote and newline (the format's only escapes). */
function label(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
}

function labels(pairs: Record<string, string | number>): string {
  return `{${Object.entries(pairs)
    .map(([k, v]) => `${k}="${label(String(v))}"`)
    .join(',')}}`;
}

function family(out: string[], name: string, type: 'gauge' | 'counter', help: string): void {
  out.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
}

export function renderMetrics(scan: MetricsScan): string {
  const out: string[] = [];
  family(out, 'process_memory_map_areas', 'gauge', 'Memory map areas (VMAs) of the process: lines of /proc/PID/maps without [vsyscall].');
  for (const p of scan.processes) {
    out.push(`process_memory_map_areas${labels({ pid: p.pid, comm: p.comm, exe: p.exe, unit: p.unit })} ${p.vmaCount}`);
  }
  family(out, 'process_memory_map_areas_limit', 'gauge', 'Maximum memory map areas per process (vm.max_map_count).');
  out.push(`process_memory_map_areas_limit ${scan.maxMapCount}`);
  family(out, 'vma_lens_process_allocator_info', 'gauge', 'Allocator of the process as its maps show it, with the evidence.');
  for (const p of scan.processes) {
    out.push(`vma_lens_process_allocator_info${labels({ pid: p.pid, comm: p.comm, allocator: p.allocator.name, evidence: p.allocator.evidence })} 1`);
  }
  family(out, 'vma_lens_finding', 'gauge', 'A finding of VMA Lens about the process (id and severity as in the README).');
  for (const p of scan.processes) {
    for (const f of p.findings) out.push(`vma_lens_finding${labels({ pid: p.pid, comm: p.comm, id: f.id, severity: f.severity })} 1`);
  }
  family(out, 'vma_lens_scrape_duration_seconds', 'gauge', 'Time the scan of /proc took.');
  out.push(`vma_lens_scrape_duration_seconds ${Number(scan.durationSeconds.toFixed(6))}`);
  family(out, 'vma_lens_scrape_errors_total', 'counter', 'Processes skipped because they exited mid-scan (vanished) or could not be read (denied).');
  for (const reason of ['vanished', 'denied'] as const) out.push(`vma_lens_scrape_errors_total${labels({ reason })} ${scan.errors[reason]}`);
  return out.join('\n') + '\n';
}

/**
 * The error totals of an earlier file written by renderMetrics, so a counter written by a
 * one-shot command every minute keeps counting up instead of restarting at each run.
 */
export function previousErrorTotals(text: string): Record<ScanErrorReason, number> {
  const totals: Record<ScanErrorReason, number> = { vanished: 0, denied: 0 };
  for (const m of text.matchAll(/^vma_lens_scrape_errors_total\{reason="(vanished|denied)"\} (\d+)$/gm)) {
    totals[m[1] as ScanErrorReason] = Number(m[2]);
  }
  return totals;
}
