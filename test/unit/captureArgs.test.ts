/**
 * The pure parts of the capture module: the process list's order, the ssh command line and the
 * host check. The capture script itself, locally and over a real sshd, is tested in
 * test/integration/capture.test.ts.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CaptureError, parseProcessList, sshArgs, validateHost } from '../../src/capture';

describe('process list', () => {
  it('parses list lines: databases first, then by VMA count; unreadable counts are undefined', () => {
    const list = parseProcessList(
      [
        '10\t50\t0\tnginx\tnginx: worker',
        '11\t-\t999\tbash\t-bash',
        '12\t900\t27\tmysqld\t/usr/sbin/mysqld --basedir=/usr',
        '13\t7000\t0\tjava\tjava -jar x.jar',
        'junk',
      ].join('\n'),
    );
    assert.deepEqual(
      list.map((p) => p.pid),
      [12, 13, 10, 11],
    );
    assert.equal(list[3].vmas, undefined);
    assert.equal(list[0].uid, 27);
  });
});

describe('ssh command line', () => {
  it('passes the host as one argument after "--", batch mode and a connect timeout, the PID checked', () => {
    const args = sshArgs('admin@db1', ['capture', '123', 'maps'], { connectTimeoutSeconds: 7, sudo: true, configFile: '/tmp/c' });
    assert.deepEqual(args.slice(0, 2), ['-F', '/tmp/c']);
    assert.ok(args.includes('BatchMode=yes') && args.includes('ConnectTimeout=7'));
    const dd = args.indexOf('--');
    assert.deepEqual(args.slice(dd + 1), ['admin@db1', 'sudo -n sh -s -- capture 123 maps']);
  });

  it('refuses hosts ssh would read as options or a shell would read as syntax', () => {
    for (const bad of ['-oProxyCommand=touch /tmp/x', 'a b', 'db1;id', 'db1`id`', '$(id)', '', 'a\nb', 'x|y']) {
      assert.throws(
        () => validateHost(bad),
        (e: CaptureError) => e.kind === 'invalid',
        JSON.stringify(bad),
      );
    }
    for (const ok of ['db1', 'root@db1.example.com', '[::1]', 'ssh://u@h:2222', '10.0.0.1']) assert.equal(validateHost(ok), ok);
    assert.throws(() => sshArgs('db1', ['capture', '1;id']), CaptureError);
  });
});
