import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import type { CliIO } from '../command.js';
import { wafCommand } from './waf.js';

function io(cwd: string) {
  let out = '';
  let err = '';
  const cli: CliIO = { stdout: (t) => (out += t), stderr: (t) => (err += t), env: {}, cwd };
  return { cli, out: () => out, err: () => err };
}

describe('portcullis waf explain', () => {
  const dir = mkdtempSync(join(tmpdir(), 'waf-explain-'));
  writeFileSync(
    join(dir, 'rules.conf'),
    `SecRule ARGS "@rx (?i)union\\s+select" "id:5001,phase:2,pass,t:none,t:urlDecodeUni,t:lowercase,msg:'union select',logdata:'%{MATCHED_VAR}',setvar:'tx.blocking_inbound_anomaly_score=+5'"\n`,
  );

  test('prints variables, the matching rule with transformations and value, scores', async () => {
    writeFileSync(
      join(dir, 'req.txt'),
      'POST /search?page=2 HTTP/1.1\r\nHost: shop\r\nContent-Type: application/x-www-form-urlencoded\r\nContent-Length: 22\r\n\r\nq=1%20UNION%20SELECT+x',
    );
    const t = io(dir);
    const code = await wafCommand.run(['explain', 'req.txt', '--baseline', '--rules', 'rules.conf'], t.cli);
    assert.equal(code, 0, t.err());
    const out = t.out();
    assert.match(out, /ARGS_POST:q\s+"1 UNION SELECT x"/);
    assert.match(out, /ARGS_GET:page\s+"2"/);
    assert.match(out, /5001 {2}phase 2 {2}union select/);
    assert.match(out, /ARGS:q {2}t:urlDecodeUni,lowercase {2}-> "1 union select x"/);
  });

  test('curl-style arguments build the request', async () => {
    const t = io(dir);
    const code = await wafCommand.run(
      [
        'explain',
        '-H',
        'User-Agent: test',
        'http://example.com/a?id=1%20union%20select%202',
        '--baseline',
        '--rules',
        'rules.conf',
      ],
      t.cli,
    );
    assert.equal(code, 0, t.err());
    assert.match(t.out(), /REQUEST_HEADERS:User-Agent "test"/);
    assert.match(t.out(), /5001/);
  });

  test('bad input is one plain sentence and exit code 2', async () => {
    const t = io(dir);
    assert.equal(await wafCommand.run(['explain', 'missing.txt'], t.cli), 2);
    assert.match(t.err(), /^portcullis waf explain: cannot read .*missing\.txt \(ENOENT\)\n$/);
    writeFileSync(join(dir, 'bad.conf'), 'SecRule ARGS "@nope" "id:1"\n');
    const t2 = io(dir);
    assert.equal(await wafCommand.run(['explain', 'http://x/', '--baseline', '--rules', 'bad.conf'], t2.cli), 2);
    assert.match(t2.err(), /bad\.conf:1: unknown operator @nope/);
    const t3 = io(dir);
    assert.equal(await wafCommand.run(['explain', 'http://x/', '--paranoia', '9'], t3.cli), 2);
    const t4 = io(dir);
    assert.equal(await wafCommand.run(['nope'], t4.cli), 2);
  });
});
