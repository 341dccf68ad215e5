import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { TEST_OPERATORS, TEST_TRANSFORMATIONS } from '../../../test/waf/helpers/operators.js';
import { parseActionList } from './actions.js';
import { SecLangError, splitArguments, splitDirectives } from './lexer.js';
import { parseSecLang } from './parser.js';
import { parseVariables } from './variables.js';

const registries = { operators: TEST_OPERATORS, transformations: TEST_TRANSFORMATIONS };
const parse = (text: string) => parseSecLang({ text, textName: 'test.conf' }, registries);

describe('lexer', () => {
  test('joins continuation lines, trims indentation and skips comments', () => {
    const ds = splitDirectives('# c\nSecRule ARGS "@rx a" \\\n    "id:1,\\\n    phase:2"\n\nSecMarker END\n', 'f');
    assert.equal(ds.length, 2);
    assert.equal(ds[0]!.rest, 'ARGS "@rx a" "id:1,phase:2"');
    assert.equal(ds[0]!.line, 2);
    assert.equal(ds[1]!.line, 6);
  });

  test('keeps backslashes inside quotes except before the quote', () => {
    assert.deepEqual(splitArguments('ARGS "@rx a\\"b\\d" "msg:\'x\'"'), ['ARGS', '@rx a"b\\d', "msg:'x'"]);
    assert.deepEqual(splitArguments('"a\\\\" b'), ['a\\\\', 'b']);
    assert.throws(() => splitArguments('"open'), /unterminated/);
  });
});

describe('action list', () => {
  test('splits on commas outside single quotes and strips quotes', () => {
    assert.deepEqual(parseActionList("id:1, msg:'a, b',t:none,setvar:'tx.x=+1',chain"), [
      { name: 'id', value: '1' },
      { name: 'msg', value: 'a, b' },
      { name: 't', value: 'none' },
      { name: 'setvar', value: 'tx.x=+1' },
      { name: 'chain', value: '' },
    ]);
    assert.deepEqual(parseActionList("msg:'it\\'s'"), [{ name: 'msg', value: "it's" }]);
    assert.throws(() => parseActionList("msg:'open"), /unclosed/);
  });
});

describe('variables', () => {
  const known = () => true;
  test('parses counts, exclusions, keys and regex keys containing |', () => {
    const v = parseVariables('ARGS|!ARGS:foo|&TX:x|REQUEST_COOKIES:/^(a|b)$/|XML:/*', known);
    assert.equal(v.length, 5);
    assert.equal(v[1]!.exclude, true);
    assert.equal(v[1]!.key, 'foo');
    assert.equal(v[2]!.count, true);
    assert.ok(v[3]!.keyRegex?.test('B'));
    assert.equal(v[4]!.key, '/*');
  });
  test('rejects unknown variables', () => {
    assert.throws(() => parseVariables('NOPE', (n) => n !== 'NOPE'), /unknown variable NOPE/);
  });
});

describe('parser', () => {
  test('compiles rules per phase with chains and markers', () => {
    const rs = parse(`
SecDefaultAction "phase:2,log,auditlog,pass"
SecRule ARGS "@rx a" "id:1,phase:1,deny,chain"
  SecRule ARGS_NAMES "@rx b" "t:lowercase"
SecMarker END
SecAction "id:2,phase:2,nolog,pass,setvar:tx.x=1"`);
    assert.equal(rs.ruleCount, 2);
    const p1 = rs.phases.get(1)!;
    assert.equal(p1[0]!.id, 1);
    assert.equal(p1[0]!.chained?.logId, 1);
    assert.equal(p1[0]!.chained?.isChainMember, true);
    assert.equal(p1[1]!.marker, 'END');
    assert.equal(rs.phases.get(2)!.length, 2);
  });

  test('block resolves to the default disruptive action of the phase', () => {
    const rs = parse('SecDefaultAction "phase:2,log,deny,status:406"\nSecRule ARGS "@rx a" "id:5,phase:2,block"');
    assert.equal(rs.byId.get(5)!.disruptive?.kind, 'deny');
    assert.equal(rs.byId.get(5)!.status, 406);
  });

  test('errors name file, line and text', () => {
    try {
      parse('SecRuleEngine On\n\nSecRule ARGS "@nope x" "id:1"');
      assert.fail('expected an error');
    } catch (err) {
      assert.ok(err instanceof SecLangError);
      assert.equal(err.line, 3);
      assert.match(err.message, /test\.conf:3: unknown operator @nope/);
    }
    assert.throws(() => parse('SecRule ARGS "@rx a" "id:1,chain"'), /no rule follows/);
    assert.throws(() => parse('SecRule ARGS "@rx a" "id:1"\nSecRule ARGS "@rx a" "id:1"'), /duplicate rule id 1/);
    assert.throws(() => parse('SecRule ARGS "@rx a" "phase:2"'), /no id/);
    assert.throws(() => parse('SecBogus on'), /unknown directive SecBogus/);
    assert.throws(() => parse('SecRule ARGS "@rx a" "id:1,t:nosuch"'), /unknown transformation nosuch/);
    assert.throws(() => parse('SecRule ARGS "@rx (" "id:1"'), SecLangError);
  });

  test('SecRuleRemoveById / UpdateTargetById / UpdateActionById', () => {
    const rs = parse(`
SecRule ARGS "@rx a" "id:10,phase:1,pass"
SecRule ARGS "@rx a" "id:11,phase:1,pass"
SecRule ARGS "@rx a" "id:12,phase:1,pass,msg:'old'"
SecRuleRemoveById 10
SecRuleUpdateTargetById 11 "!ARGS:pwd|REQUEST_HEADERS"
SecRuleUpdateActionById 12 "msg:'new',deny"`);
    assert.equal(rs.byId.has(10), false);
    const r11 = rs.byId.get(11)!;
    assert.equal(r11.exclusions[0]!.key, 'pwd');
    assert.equal(r11.targets[1]!.name, 'REQUEST_HEADERS');
    assert.equal(rs.byId.get(12)!.msg, 'new');
    assert.equal(rs.byId.get(12)!.disruptive?.kind, 'deny');
  });

  test('Include resolves globs relative to the including file, sorted', () => {
    const dir = mkdtempSync(join(tmpdir(), 'seclang-'));
    mkdirSync(join(dir, 'rules'));
    writeFileSync(join(dir, 'rules', 'b.conf'), 'SecAction "id:2,phase:1,pass"\n');
    writeFileSync(join(dir, 'rules', 'a.conf'), 'SecAction "id:1,phase:1,pass"\n');
    writeFileSync(join(dir, 'main.conf'), 'Include rules/*.conf\n');
    const rs = parseSecLang({ files: [join(dir, 'main.conf')] }, registries);
    assert.deepEqual(
      rs.phases.get(1)!.map((r) => r.id),
      [1, 2],
    );
    writeFileSync(join(dir, 'loop.conf'), 'Include loop.conf\n');
    assert.throws(() => parseSecLang({ files: [join(dir, 'loop.conf')] }, registries), /nested too deeply/);
    assert.throws(() => parse(`Include ${join(dir, 'none', '*.conf')}`), /matches no file/);
  });

  test('engine settings directives', () => {
    const rs = parse(
      'SecRuleEngine DetectionOnly\nSecRequestBodyAccess On\nSecRequestBodyLimit 100\nSecResponseBodyMimeType text/plain application/json\nSecComponentSignature "x/1"\nSecCollectionTimeout 60\nSecAuditLog /dev/null',
    );
    assert.equal(rs.settings.engine, 'DetectionOnly');
    assert.equal(rs.settings.requestBodyAccess, true);
    assert.equal(rs.settings.requestBodyLimit, 100);
    assert.deepEqual(rs.settings.responseBodyMimeTypes, ['text/plain', 'application/json']);
    assert.deepEqual(rs.settings.componentSignatures, ['x/1']);
    assert.equal(rs.settings.collectionTimeout, 60);
  });

  test('never throws anything but SecLangError on arbitrary input', () => {
    const alphabet = fc.constantFrom(
      'SecRule ',
      'SecAction ',
      'SecMarker ',
      'ARGS',
      '|',
      '!',
      '&',
      ':',
      '"',
      "'",
      '\\',
      '\n',
      ' ',
      '@rx ',
      'id:1',
      ',',
      'chain',
      'phase:2',
      'Include ',
      '/',
      '(',
      '%{',
    );
    fc.assert(
      fc.property(fc.array(alphabet, { maxLength: 40 }), (parts) => {
        try {
          parse(parts.join(''));
        } catch (err) {
          assert.ok(err instanceof SecLangError, String(err));
        }
      }),
      { numRuns: 400 },
    );
  });
});
