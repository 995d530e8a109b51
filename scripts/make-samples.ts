/**
 * Writes the demo dumps in `samples/` from real processes on this machine (Linux, root for the
 * sysctl and MariaDB; the Debian packages of scripts/setup-deps.sh):
 *
 *   mariadbd-glibc.maps       a private mariadbd (glibc malloc) after 8 concurrent client sessions
 *   mariadbd-jemalloc.maps    the same with LD_PRELOAD=libjemalloc.so.2
 *   threads-tcmalloc.maps     the `threads` fixture (8 threads) under libtcmalloc_minimal.so.4
 *   threads-glibc.smaps       the `threads` fixture (8 threads), glibc: smaps with the capture header
 *   fragmenter-at-limit.maps  the `fragmenter` fixture at vm.max_map_count = 65530 (munmap ENOMEM)
 *   threads-jemalloc.pmap     `pmap -x` of the `threads` fixture (8 threads) under jemalloc
 *   README.md                 how each was made
 *
 * usage: node --import tsx scripts/make-samples.ts [--out DIR] [NAME...]   (default: all, into samples/)
 */
import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';

import {
  JEMALLOC_MUNMAP_CONF,
  allocatorLibrary,
  captureMaps,
  capturePmap,
  captureSmaps,
  readMaxMapCount,
  startMariadb,
  withMaxMapCount,
  withProcess,
  type Mariadb,
} from '../test/helpers/realProcess';

const here: string = typeof __dirname !== 'undefined' ? __dirname : path.dirname(new URL(import.meta.url).pathname);
const REPO = path.resolve(here, '..');
const THREADS = 8;
const DEFAULT_MAX_MAP_COUNT = 65_530;

/** Some work for the server: 8 client sessions at once, each with its own server thread. */
async function exercise(db: Mariadb): Promise<void> {
  db.query(
    'CREATE DATABASE demo; USE demo; CREATE TABLE t (id INT PRIMARY KEY, v VARCHAR(200)) ENGINE=InnoDB;' +
      "INSERT INTO t SELECT seq, REPEAT('x', 200) FROM seq_1_to_20000;",
  );
  const sql =
    'USE demo; SELECT COUNT(*), SUM(LENGTH(v)) FROM t a JOIN seq_1_to_5 s ON a.id % 5 = s.seq - 1; ' +
    "SELECT GROUP_CONCAT(v ORDER BY id DESC SEPARATOR '') IS NOT NULL FROM t; SELECT SLEEP(0.3);";
  await Promise.all(
    Array.from(
      { length: 8 },
      () =>
        new Promise<void>((resolve, reject) => {
          const c = spawn('mariadb', ['--no-defaults', '-S', db.socket, '-uroot', '-N', '-B', '-e', sql], {
            stdio: ['ignore', 'ignore', 'pipe'],
          });
          let err = '';
          c.stderr.on('data', (d: Buffer) => (err += d.toString()));
          c.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`mariadb client: ${err}`))));
        }),
    ),
  );
}

interface Sample {
  file: string;
  how: string;
  make: () => Promise<string>;
}

const samples: Sample[] = [
  {
    file: 'mariadbd-glibc.maps',
    how:
      'A private `mariadbd --no-defaults` (Debian MariaDB, glibc malloc, `--innodb-buffer-pool-size=16M`, ' +
      'temporary datadir and socket, `--skip-networking`) after 8 concurrent client sessions; ' +
      '`/proc/PID/maps` with the capture header.',
    make: async () => {
      const db = await startMariadb();
      try {
        await exercise(db);
        return captureMaps(db.pid);
      } finally {
        await db.stop();
      }
    },
  },
  {
    file: 'mariadbd-jemalloc.maps',
    how:
      'The same server started with `LD_PRELOAD=' +
      '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2` (Debian `libjemalloc2`; MariaDB then reports ' +
      '`version_malloc_library` = jemalloc), same workload; maps with the capture header.',
    make: async () => {
      const db = await startMariadb({ preload: 'jemalloc' });
      try {
        const lib = db.query("SHOW GLOBAL VARIABLES LIKE 'version_malloc_library'");
        if (!/jemalloc/.test(lib)) throw new Error(`jemalloc not in use: ${lib}`);
        await exercise(db);
        return captureMaps(db.pid);
      } finally {
        await db.stop();
      }
    },
  },
  {
    file: 'threads-tcmalloc.maps',
    how:
      `\`test/fixtures/threads.c\` with ${THREADS} threads that each malloc 16 × 1 KiB, run with ` +
      '`LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libtcmalloc_minimal.so.4` (Debian `libtcmalloc-minimal4`); ' +
      'maps with the capture header. The maps name the real file `libtcmalloc_minimal.so.4.5.10`.',
    make: () => withProcess({ program: 'threads', args: [String(THREADS)], preload: 'tcmalloc' }, (p) => captureMaps(p.pid)),
  },
  {
    file: 'threads-glibc.smaps',
    how:
      `\`test/fixtures/threads.c\` with ${THREADS} threads under glibc malloc (one 64 MiB arena slot per ` +
      'thread: `rw-p` head + `---p` reserve); `/proc/PID/smaps` with the capture header.',
    make: () => withProcess({ program: 'threads', args: [String(THREADS)] }, (p) => captureSmaps(p.pid)),
  },
  {
    file: 'fragmenter-at-limit.maps',
    how:
      '`test/fixtures/fragmenter.c` at `vm.max_map_count` = 65530 (the kernel default): it maps one ' +
      'anonymous region and unmaps every other page until `munmap()` fails with ENOMEM, so the process ' +
      'holds exactly 65530 VMAs (plus `[vsyscall]`, which does not count); maps with the capture header.',
    make: async () => {
      const run = (): Promise<string> =>
        withProcess({ program: 'fragmenter' }, (p) => {
          const r = p.result();
          if (r?.stop !== 'enomem') throw new Error(`fragmenter did not hit the limit: ${p.stdout()}`);
          return captureMaps(p.pid);
        });
      return readMaxMapCount() === DEFAULT_MAX_MAP_COUNT ? run() : withMaxMapCount(DEFAULT_MAX_MAP_COUNT, run);
    },
  },
  {
    file: 'threads-jemalloc.pmap',
    how:
      `\`pmap -x PID\` of \`test/fixtures/threads.c\` with ${THREADS} threads under ` +
      '`LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2`, as a user would paste it (no header).',
    make: () => withProcess({ program: 'threads', args: [String(THREADS)], preload: 'jemalloc' }, (p) => capturePmap(p.pid, '-x')),
  },
];

function readme(made: Sample[]): string {
  const distro = /^PRETTY_NAME="?([^"\n]*)"?$/m.exec(fs.readFileSync('/etc/os-release', 'utf8'))?.[1] ?? 'Linux';
  const host = `${os.machine()}, kernel ${os.release()}, ${os.availableParallelism()} CPUs`;
  return [
    '# Sample dumps',
    '',
    `Real dumps of real processes, made on ${distro}`,
    `(${host}) by \`node --import tsx scripts/make-samples.ts\`, which runs the C programs in`,
    '`test/fixtures/` and a private MariaDB server through `test/helpers/realProcess.ts`. The `# key: value`',
    'lines at the top of the `.maps` and `.smaps` files are the capture header VMA Lens writes',
    '(host, pid, command, time, max_map_count, page_size, hugepagesize, thp, kernel, arch, threads).',
    '',
    '| File | How it was made |',
    '| --- | --- |',
    ...made.map((s) => `| \`${s.file}\` | ${s.how} |`),
    '',
    'Regenerate one with `node --import tsx scripts/make-samples.ts NAME` (e.g. `threads-glibc.smaps`).',
    `jemalloc's munmap failure at the limit can be reproduced with \`test/fixtures/mallocfrag.c\` and`,
    `\`MALLOC_CONF=${JEMALLOC_MUNMAP_CONF}\` (see \`test/integration/realProcess.test.ts\`).`,
    '',
  ].join('\n');
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  let out = path.join(REPO, 'samples');
  const only: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === '--out') out = path.resolve(argv[++i] ?? '');
    else only.push(argv[i]!);
  }
  for (const o of only) if (!samples.some((s) => s.file === o)) throw new Error(`unknown sample ${o}; one of ${samples.map((s) => s.file).join(', ')}`);
  allocatorLibrary('jemalloc');
  allocatorLibrary('tcmalloc');
  fs.mkdirSync(out, { recursive: true });
  for (const s of samples) {
    if (only.length && !only.includes(s.file)) continue;
    console.log(`making ${s.file}`);
    const t0 = Date.now();
    const text = await s.make();
    fs.writeFileSync(path.join(out, s.file), text);
    const lines = text.split('\n').length - 1;
    console.log(`${s.file}: ${lines} lines, ${(text.length / 1024).toFixed(0)} KiB (${Date.now() - t0} ms)`);
  }
  fs.writeFileSync(path.join(out, 'README.md'), readme(samples));
}

main().catch((e: unknown) => {
  console.error(`make-samples: ${e instanceof Error ? e.message : String(e)}`);
  process.exit(1);
});
