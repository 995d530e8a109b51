/**
 * Fixes for where servers run (a Kubernetes DaemonSet, an Ansible play, a JVM's environment,
 * product minimums, MALLOC_CONF edits) and the arena cap that never goes up: the generated YAML
 * read back by a small reader of the YAML subset they use (no YAML parser is installed here, and
 * no kubectl), and hand-made layouts for what a Debian 12 machine cannot produce: mimalloc 2.0.9
 * (Debian's) decommits without leaving PROT_NONE holes, so the mimalloc-decommit layout of
 * mimalloc 2.1+ is built by hand here (the real mimalloc test checks it is not raised falsely).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { analyzeText } from '../../src/core/analyze';
import { ansibleMaxMapCount, fixContext, k8sMaxMapCount, productMinimum } from '../../src/core/fixes';
import { editMallocConf, parseMallocConf } from '../../src/core/mallocConf';
import type { Analysis, FindingId } from '../../src/core/types';
import { KiB, layout, library, MiB, type Region } from '../helpers/mapsText';

const find = (a: Analysis, id: FindingId) => a.findings.find((f) => f.id === id);
const LIBC = '/usr/lib/x86_64-linux-gnu/libc.so.6';

type Yaml = string | boolean | number | Yaml[] | { [k: string]: Yaml };

/**
 * Reads the block YAML the fixes write: mappings, `- ` sequences, plain and quoted scalars, flow
 * sequences of quoted strings. Throws on anything else (tabs, odd indentation), which is the check.
 */
function readYaml(text: string): Yaml {
  const lines = text
    .split('\n')
    .filter((l) => l.trim() !== '' && !l.trimStart().startsWith('#'))
    .map((l) => {
      if (l.includes('\t')) throw new Error(`tab in ${JSON.stringify(l)}`);
      return { indent: l.length - l.trimStart().length, text: l.trim() };
    });
  let at = 0;
  const scalar = (v: string): Yaml => {
    if (v.startsWith('[')) return JSON.parse(v) as Yaml;
    if (/^".*"$/.test(v)) return JSON.parse(v) as string;
    if (v === 'true' || v === 'false') return v === 'true';
    if (/^\d+$/.test(v)) return Number(v);
    return v;
  };
  const block = (indent: number): Yaml => {
    if (lines[at].indent !== indent) throw new Error(`indentation ${lines[at].indent}, expected ${indent}: ${lines[at].text}`);
    if (lines[at].text.startsWith('- ')) {
      const list: Yaml[] = [];
      while (at < lines.length && lines[at].indent === indent && lines[at].text.startsWith('- ')) {
        // "- key: v" starts a mapping whose other keys sit two columns in.
        lines[at] = { indent: indent + 2, text: lines[at].text.slice(2) };
        list.push(block(indent + 2));
      }
      return list;
    }
    const map: { [k: string]: Yaml } = {};
    while (at < lines.length && lines[at].indent === indent && !lines[at].text.startsWith('- ')) {
      const m = /^([\w./-]+):(?: (.*))?$/.exec(lines[at].text);
      if (!m) throw new Error(`not a key: ${lines[at].text}`);
      at++;
      if (m[2] !== undefined) map[m[1]] = scalar(m[2]);
      else map[m[1]] = block(lines[at].indent > indent ? lines[at].indent : indent + 2);
    }
    return map;
  };
  const doc = block(0);
  if (at !== lines.length) throw new Error(`left over: ${lines[at].text}`);
  return doc;
}

const get = (y: Yaml, ...keys: (string | number)[]): Yaml => keys.reduce<Yaml>((v, k) => (v as Record<string | number, Yaml>)[k], y);

describe('fixes for where servers run', () => {
  const ctx = fixContext([LIBC], { command: '/usr/sbin/mariadbd' }, 300000, 65530);

  it('Kubernetes: a DaemonSet whose privileged init container sets the node sysctl, not pod sysctls', () => {
    const fix = k8sMaxMapCount(ctx, 'test');
    assert.equal(fix.language, 'yaml');
    const y = readYaml(fix.text);
    assert.equal(get(y, 'apiVersion'), 'apps/v1');
    assert.equal(get(y, 'kind'), 'DaemonSet');
    const pod = get(y, 'spec', 'template', 'spec');
    assert.deepEqual(get(y, 'spec', 'selector', 'matchLabels'), get(y, 'spec', 'template', 'metadata', 'labels'), 'the selector matches the pods');
    const init = get(pod, 'initContainers', 0);
    assert.equal(get(init, 'securityContext', 'privileged'), true);
    assert.deepEqual(get(init, 'command'), ['sysctl', '-w', 'vm.max_map_count=2097152'], '4x 300,000 VMAs, rounded up');
    assert.equal((pod as Record<string, Yaml>).securityContext, undefined, 'pod securityContext.sysctls cannot set a non-namespaced sysctl');
    assert.ok(Array.isArray(get(pod, 'containers')), 'a container keeps the pod running');
    assert.match(fix.text, /not a namespaced sysctl/);
  });

  it('Ansible: one ansible.posix.sysctl task, persistent and applied', () => {
    const y = readYaml(ansibleMaxMapCount(ctx, 'test').text);
    const task = get(y, 0, 'tasks', 0, 'ansible.posix.sysctl');
    assert.equal(get(y, 0, 'become'), true);
    assert.equal(get(task, 'name'), 'vm.max_map_count');
    assert.equal(get(task, 'value'), '2097152', 'quoted: the module takes a string');
    assert.equal(get(task, 'reload'), true);
    assert.match(String(get(task, 'sysctl_file')), /^\/etc\/sysctl\.d\//);
  });

  it('product minimums: Elasticsearch and OpenSearch by their main class; nothing for other programs', () => {
    const es = '/usr/share/elasticsearch/jdk/bin/java -Xms1g -Des.path.home=/usr/share/elasticsearch org.elasticsearch.bootstrap.Elasticsearch';
    assert.equal(productMinimum(es)?.minimum, 262144);
    assert.equal(productMinimum('java -cp x org.opensearch.bootstrap.OpenSearch')?.product, 'OpenSearch');
    assert.equal(productMinimum('/usr/sbin/mariadbd'), undefined);
    const dump = (limit: number) =>
      `# command: ${es}\n# max_map_count: ${limit}\n` + layout([...library('/usr/share/elasticsearch/jdk/bin/java'), ...library(LIBC)]);
    const f = find(analyzeText(dump(65530)), 'product-max-map-count')!;
    assert.equal(f.severity, 'warning');
    assert.equal(f.lines[0], 1, 'on the command line');
    assert.deepEqual(
      f.fixes.map((x) => x.id),
      ['sysctl-max-map-count', 'k8s-max-map-count', 'ansible-max-map-count'],
    );
    assert.match(f.fixes[0].text, /vm\.max_map_count = 262144/);
    assert.equal(find(analyzeText(dump(262144)), 'product-max-map-count'), undefined);
  });

  it('MALLOC_CONF edits keep the other options', () => {
    assert.equal(editMallocConf('retain:false,dirty_decay_ms:0,narenas:4', { retain: 'true' }, ['dirty_decay_ms', 'muzzy_decay_ms']), 'narenas:4,retain:true');
    assert.equal(editMallocConf(undefined, { thp: 'never', metadata_thp: 'disabled' }), 'thp:never,metadata_thp:disabled');
    assert.equal(editMallocConf('thp:always,background_thread:true', { thp: 'never' }), 'background_thread:true,thp:never');
    assert.deepEqual(parseMallocConf(' retain:false , dirty_decay_ms:0'), { retain: 'false', dirty_decay_ms: '0' });
  });
});

describe('the arena cap never goes up', () => {
  const heaps: Region[] = Array.from({ length: 40 }, (_, k) => [
    { at: 0x7e0000000000 + k * 64 * MiB, size: 132 * KiB, perms: 'rw-p' },
    { size: 64 * MiB - 132 * KiB, perms: '---p' },
  ]).flat();
  const capsOf = (header: string) => {
    const f = find(analyzeText(header + layout([...library('/usr/sbin/myserver'), ...library(LIBC), ...heaps])), 'glibc-arenas')!;
    return f.fixes.filter((x) => /arena-max/.test(x.id)).map((x) => `${x.id}=${/^Environment="MALLOC_ARENA_MAX=(\d+)"$/m.exec(x.text)![1]}`);
  };

  it('half the cap in force, none at 3 or below; glibc.malloc.arena_max counts; a JVM gets the JVM fix', () => {
    assert.deepEqual(capsOf(''), ['malloc-arena-max=4']);
    assert.deepEqual(capsOf('# malloc_arena_max: 8\n'), ['malloc-arena-max=4']);
    assert.deepEqual(capsOf('# malloc_arena_max: 4\n'), ['malloc-arena-max=2']);
    assert.deepEqual(capsOf('# malloc_arena_max: 3\n'), []);
    assert.deepEqual(capsOf('# glibc_tunables: glibc.malloc.arena_max=6:glibc.malloc.trim_threshold=0\n'), ['malloc-arena-max=3']);
    assert.deepEqual(capsOf('# command: /usr/lib/jvm/java-17-openjdk-amd64/bin/java -jar app.jar\n'), ['jvm-malloc-arena-max=2']);
    assert.deepEqual(capsOf('# command: java -jar app.jar\n# malloc_arena_max: 2\n'), []);
    assert.deepEqual(capsOf('# cpus: 1\n'), ['malloc-arena-max=4'], 'one CPU on 64-bit: the default is 8, 4 is below it');
  });

  it('with the CPU count, never at or above the default cap (8 per core on 64-bit, 2 on 32-bit)', () => {
    const heaps32: Region[] = Array.from({ length: 6 }, (_, k) => [
      { at: 0xe0000000 + k * MiB, size: 132 * KiB, perms: 'rw-p' },
      { size: MiB - 132 * KiB, perms: '---p' },
    ]).flat();
    const caps32 = (header: string) =>
      find(analyzeText(header + layout([...library('/usr/lib/i386-linux-gnu/libc.so.6'), ...heaps32], 0xd0000000)), 'glibc-arenas')!
        .fixes.filter((x) => /arena-max/.test(x.id))
        .map((x) => Number(/^Environment="MALLOC_ARENA_MAX=(\d+)"$/m.exec(x.text)![1]));
    assert.deepEqual(caps32(''), [2], '32-bit: 2');
    assert.deepEqual(caps32('# cpus: 2\n'), [2], 'default 4 on 2 CPUs');
    assert.deepEqual(caps32('# cpus: 1\n'), [], 'default 2 on one CPU: nothing lower worth proposing');
  });
});

describe('glibc heap layouts that happen rarely', () => {
  const A = 0x7e0000000000;
  const heapsOf = (regions: Region[]) => analyzeText(layout([...library('/usr/sbin/myserver'), ...library(LIBC), ...regions])).arenas;

  it("a heap's rest merged with the spare slot new_heap() keeps: one ---p of 127 MiB after a 1 MiB head is one heap", () => {
    assert.equal(
      heapsOf([
        { at: A, size: MiB, perms: 'rw-p' },
        { size: 127 * MiB, perms: '---p' },
      ]),
      1,
    );
  });

  it('heaps whose rests run into the next heap: each rw-p head on its slot boundary is a heap', () => {
    const three: Region[] = [
      { at: A, size: 2 * MiB, perms: 'rw-p' },
      { size: 62 * MiB, perms: '---p' },
      { size: 67 * MiB, perms: 'rw-p' }, // a full heap and the next heap's head, merged by the kernel
      { size: 61 * MiB, perms: '---p' },
    ];
    assert.equal(heapsOf(three), 3);
  });

  it('read-write memory resuming off a slot boundary after ---p is not a heap run', () => {
    assert.equal(
      heapsOf([
        { at: A, size: MiB, perms: 'rw-p' },
        { size: 16 * MiB, perms: '---p' },
        { size: 47 * MiB, perms: 'rw-p' },
      ]),
      0,
    );
  });
});

describe('allocator layouts a Debian 12 machine cannot produce', () => {
  const MI = '/usr/lib/x86_64-linux-gnu/libmimalloc.so.2.0';
  /** A 64 MiB mimalloc segment area with `holes` decommitted 64 KiB pieces between committed ones. */
  const segment = (holes: number): Region[] => [
    { at: 0x20000000000, size: 64 * KiB, perms: 'rw-p' },
    ...Array.from({ length: holes }, () => [
      { size: 64 * KiB, perms: '---p' },
      { size: 64 * KiB, perms: 'rw-p' },
    ]).flat(),
    { size: 64 * MiB - (2 * holes + 1) * 64 * KiB, perms: '---p' },
  ];

  it('mimalloc 2.1+ decommit holes: mimalloc-decommit with MIMALLOC_PURGE_DECOMMITS=0; a committed head and tail alone is not', () => {
    const a = analyzeText(layout([...library('/usr/bin/server'), ...library(LIBC), ...library(MI), ...segment(300)]));
    assert.equal(a.allocator.name, 'mimalloc');
    const f = find(a, 'mimalloc-decommit')!;
    assert.equal(f.data.holes, 299, 'the committed piece on the 32 MiB boundary starts a segment: not after a hole');
    assert.equal(f.fixes[0].id, 'mimalloc-purge-decommits');
    assert.match(f.fixes[0].text, /Environment="MIMALLOC_PURGE_DECOMMITS=0"/);
    assert.equal(find(analyzeText(layout([...library(LIBC), ...library(MI), ...segment(0)])), 'mimalloc-decommit'), undefined);
  });

  it('jemalloc-overcommit needs the capture not to contradict it: overcommit_memory 0 in the header means something else', () => {
    const JE = '/usr/lib/x86_64-linux-gnu/libjemalloc.so.2';
    const runs = (header: string) => analyzeText(header + layout([...library(LIBC), ...library(JE), ...segment(300)]));
    assert.equal(find(runs('# overcommit_memory: 2\n'), 'jemalloc-overcommit')!.data.overcommitMemory, 2);
    assert.equal(find(runs(''), 'jemalloc-overcommit')!.data.overcommitMemory, -1);
    assert.equal(find(runs('# overcommit_memory: 0\n'), 'jemalloc-overcommit'), undefined);
  });
});
