import { showEscaped } from '../core/escape';
import type { Analysis, Finding } from '../core/types';

/**
 * `--format problems`: one line per finding, on its main (first) line, in the shape compilers
 * print and editors parse (`file:line:col: severity: message [id]`). The `$vma-lens` problem
 * matcher in package.json reads exactly this; keep the two in step.
 */
export function problemLine(file: string, f: Finding): string {
  const line = f.lines[0] ?? 1;
  // One line per finding whatever the message holds; a file name with control characters shown escaped.
  const message = showEscaped(f.message.replace(/\s*\n\s*/g, ' '));
  return `${showEscaped(file)}:${line}:1: ${f.severity}: ${message} [${f.id}]\n`;
}

/** Every finding of an analysis, each process's own when the file holds several. */
export function renderProblems(file: string, a: Analysis): string {
  const findings = a.processes
    ? [...a.findings.filter((f) => f.id === 'input-notes'), ...a.processes.flatMap((p) => p.findings.filter((f) => f.id !== 'input-notes'))]
    : a.findings;
  return findings.map((f) => problemLine(file, f)).join('');
}
