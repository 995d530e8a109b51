/**
 * The CLI in the user's language (split from test/unit/l10n.test.ts: it runs the built CLI and a
 * real process): findings of a live `sleep` in Chinese under LANG=zh_CN.UTF-8 and in English by
 * default; usage errors in the language of LC_ALL / LC_MESSAGES / --lang.
 */
import assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { spawn, spawnSync } from 'node:child_process';
import { after, before, describe, it } from 'node:test';

const ROOT = path.resolve(__dirname, '..', '..');

describe('CLI language', () => {
  const cli = path.join(ROOT, 'dist', 'cli.js');
  // A real process to analyse: its maps are the truth the message is checked against.
  const sleeper = spawn('sleep', ['600'], { stdio: 'ignore' });
  const run = (args: string[], env: Record<string, string>) => {
    const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^(LANG|LANGUAGE|LC_.*)$/.test(k)));
    const r = spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...base, NO_COLOR: '1', ...env } });
    return { code: r.status, out: r.stdout, err: r.stderr };
  };
  before(() => {
    if (!fs.existsSync(cli)) spawnSync(process.execPath, [path.join(ROOT, 'scripts', 'build.mjs')], { cwd: ROOT, stdio: 'inherit' });
  });
  after(() => sleeper.kill());

  it('prints findings and the summary in Chinese under LANG=zh_CN.UTF-8, in English by default', () => {
    const pid = String(sleeper.pid);
    const zh = run(['analyze', '--pid', pid], { LANG: 'zh_CN.UTF-8' });
    const en = run(['analyze', '--pid', pid], {});
    assert.equal(zh.code, 0, zh.err);
    assert.equal(en.code, 0, en.err);
    // The process's own VMA count, read from the live system (sleep maps nothing new); [vsyscall] is
    // the kernel's gate area, listed in maps but no VMA of the process's mm (not in map_count).
    const vmas = fs
      .readFileSync(`/proc/${pid}/maps`, 'utf8')
      .trim()
      .split('\n')
      .filter((l) => !l.endsWith('[vsyscall]')).length;
    const limit = Number(fs.readFileSync('/proc/sys/vm/max_map_count', 'utf8'));
    const count = vmas.toLocaleString('en-US');
    assert.ok(zh.out.includes(`${count} 个 VMA，vm.max_map_count 为 ${limit.toLocaleString('en-US')}（`), zh.out);
    assert.ok(!zh.out.includes('VMAs of vm.max_map_count'), zh.out);
    assert.ok(en.out.includes(`${count} VMAs of vm.max_map_count ${limit.toLocaleString('en-US')} (`), en.out);
    assert.ok(!/[\u4e00-\u9fff]/.test(en.out + en.err), 'Chinese in the default output');
  });

  it('says usage errors in the language of LC_ALL / LC_MESSAGES / --lang, which wins', () => {
    assert.match(run(['analyze'], { LC_MESSAGES: 'zh_CN.UTF-8', LANG: 'en_US.UTF-8' }).err, /^vma-lens: analyze 需要一个 FILE/);
    assert.match(run(['analyze'], { LC_ALL: 'C', LANG: 'zh_CN.UTF-8' }).err, /^vma-lens: analyze takes one FILE/);
    const forced = run(['--lang', 'zh-cn', 'bogus'], { LANG: 'C' });
    assert.equal(forced.code, 2);
    assert.match(forced.err, /^vma-lens: 未知命令 "bogus"\n用法：vma-lens/);
    // A language without a bundle is English, not an error.
    assert.match(run(['analyze'], { LANG: 'fr_FR.UTF-8' }).err, /^vma-lens: analyze takes one FILE/);
  });
});
