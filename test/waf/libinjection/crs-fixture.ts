/**
 * Turns CRS regression tests (../shared/crs/tests.json) into the values a rule's operator sees:
 * the request's variables, parsed and transformed the way the rule's SecLang line says. Only
 * what rules 941100/941101/942100 need is modelled: query and urlencoded-body arguments, XML
 * text and attributes, cookies, User-Agent, Referer and the request filename.
 */
import { existsSync, readFileSync } from 'node:fs';

export const CRS_TESTS_PATH = new URL('../../../../shared/crs/tests.json', import.meta.url);

export interface CrsStageInput {
  readonly method?: string;
  readonly uri?: string;
  readonly headers?: Record<string, string>;
  readonly data?: string | string[];
}

export interface CrsTest {
  readonly rule_id: number;
  readonly test_id: number;
  readonly stages: ReadonlyArray<{
    readonly input: CrsStageInput;
    readonly output?: { readonly log?: { readonly expect_ids?: number[]; readonly no_expect_ids?: number[] } };
  }>;
}

export function loadCrsTests(): CrsTest[] | undefined {
  if (!existsSync(CRS_TESTS_PATH)) return undefined;
  return JSON.parse(readFileSync(CRS_TESTS_PATH, 'utf8')) as CrsTest[];
}

/** The request as bytes: one char per byte, as the WAF sees it. */
function bytes(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

function hexValue(s: string): number {
  return Number.parseInt(s, 16);
}

/** ModSecurity t:urlDecodeUni: %XX, %uXXXX (low byte kept) and `+` as space. */
export function urlDecodeUni(s: string): string {
  return s.replace(/\+|%u([0-9a-fA-F]{4})|%([0-9a-fA-F]{2})/g, (m, u: string | undefined, h: string | undefined) => {
    if (m === '+') return ' ';
    if (u !== undefined) return String.fromCharCode(hexValue(u) & 0xff);
    return String.fromCharCode(hexValue(h!));
  });
}

const ENTITIES: Record<string, string> = { lt: '<', gt: '>', amp: '&', quot: '"', apos: "'", nbsp: '\xa0' };

/** ModSecurity t:htmlEntityDecode: numeric references and the few named ones it knows. */
export function htmlEntityDecode(s: string): string {
  return s.replace(
    /&(?:#[xX]([0-9a-fA-F]+)|#([0-9]+)|([a-zA-Z]+));?/g,
    (m, hex?: string, dec?: string, name?: string) => {
      if (hex !== undefined) return String.fromCharCode(hexValue(hex) & 0xff);
      if (dec !== undefined) return String.fromCharCode(Number(dec) & 0xff);
      return ENTITIES[name!.toLowerCase()] ?? m;
    },
  );
}

/** ModSecurity t:jsDecode: \xHH, \uHHHH (low byte), \n-style escapes, and \c as c. */
export function jsDecode(s: string): string {
  const simple: Record<string, string> = { n: '\n', r: '\r', t: '\t', f: '\f', b: '\b', v: '\v', a: '\x07' };
  return s.replace(
    /\\(?:x([0-9a-fA-F]{2})|u([0-9a-fA-F]{4})|([0-7]{1,3})|(.))/gs,
    (_m, x?: string, u?: string, o?: string, c?: string) => {
      if (x !== undefined) return String.fromCharCode(hexValue(x));
      if (u !== undefined) return String.fromCharCode(hexValue(u) & 0xff);
      if (o !== undefined) return String.fromCharCode(Number.parseInt(o, 8) & 0xff);
      return simple[c!] ?? c!;
    },
  );
}

/** ModSecurity t:cssDecode: \HHHHHH hex escapes (one optional space after) and \c as c. */
export function cssDecode(s: string): string {
  return s.replace(/\\(?:([0-9a-fA-F]{1,6}) ?|(.))/gs, (_m, h?: string, c?: string) =>
    h !== undefined ? String.fromCharCode(hexValue(h) & 0xff) : c!,
  );
}

export function removeNulls(s: string): string {
  return s.replaceAll('\0', '');
}

function formPairs(text: string): Array<[string, string]> {
  const pairs: Array<[string, string]> = [];
  for (const part of text.split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const name = eq === -1 ? part : part.slice(0, eq);
    const value = eq === -1 ? '' : part.slice(eq + 1);
    // The body/query parser decodes once; the rule's t:urlDecodeUni decodes again.
    pairs.push([urlDecodeUni(name), urlDecodeUni(value)]);
  }
  return pairs;
}

/** XML:/* (text nodes) and XML://@* (attribute values), entities decoded by the XML parser. */
function xmlValues(xml: string): string[] {
  const out: string[] = [];
  const decode = (v: string) => htmlEntityDecode(v);
  for (const m of xml.matchAll(/\s[\w:.-]+\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) out.push(decode(m[1] ?? m[2] ?? ''));
  for (const m of xml.matchAll(/>([^<]+)</g)) out.push(decode(m[1]!));
  return out;
}

function header(input: CrsStageInput, name: string): string | undefined {
  const headers = input.headers ?? {};
  for (const [k, v] of Object.entries(headers)) if (k.toLowerCase() === name) return v;
  return undefined;
}

/** Variables of the 941100 / 942100 target list: cookies, User-Agent, args, names, XML. */
export function argumentValues(input: CrsStageInput, withReferer: boolean): string[] {
  const values: string[] = [];
  const uri = bytes(input.uri ?? '/');
  const q = uri.indexOf('?');
  if (q !== -1) for (const [k, v] of formPairs(uri.slice(q + 1))) values.push(k, v);
  const data =
    input.data === undefined ? undefined : bytes(Array.isArray(input.data) ? input.data.join('\r\n') : input.data);
  const type = (header(input, 'content-type') ?? '').toLowerCase();
  if (data !== undefined) {
    if (type.includes('xml')) values.push(...xmlValues(data));
    else if (type === '' || type.includes('x-www-form-urlencoded'))
      for (const [k, v] of formPairs(data)) values.push(k, v);
  }
  const cookie = header(input, 'cookie');
  if (cookie !== undefined) {
    for (const part of bytes(cookie).split(';')) {
      const eq = part.indexOf('=');
      values.push(part.slice(0, eq === -1 ? undefined : eq).trim(), eq === -1 ? '' : part.slice(eq + 1));
    }
  }
  const ua = header(input, 'user-agent');
  if (ua !== undefined) values.push(bytes(ua));
  const referer = header(input, 'referer');
  if (withReferer && referer !== undefined) values.push(bytes(referer));
  return values;
}

/** 941101's targets: REQUEST_FILENAME and Referer. */
export function filenameValues(input: CrsStageInput): string[] {
  const uri = bytes(input.uri ?? '/');
  const q = uri.indexOf('?');
  const values = [q === -1 ? uri : uri.slice(0, q)];
  const referer = header(input, 'referer');
  if (referer !== undefined) values.push(bytes(referer));
  return values;
}

/** t:none,t:utf8toUnicode,t:urlDecodeUni,t:removeNulls (utf8toUnicode: the payloads are ASCII). */
export function sqliTransforms(v: string): string {
  return removeNulls(urlDecodeUni(v));
}

/** 941100's chain: ... t:urlDecodeUni,t:htmlEntityDecode,t:jsDecode,t:cssDecode,t:removeNulls. */
export function xssTransforms(v: string): string {
  return removeNulls(cssDecode(jsDecode(htmlEntityDecode(urlDecodeUni(v)))));
}

export interface Vector {
  readonly ruleId: number;
  readonly testId: number;
  readonly stage: number;
  /** true: the test expects the rule to fire; false: it expects it not to. */
  readonly expected: boolean;
  readonly values: readonly string[];
}

/** One vector per stage of each test that names `ruleId` in expect_ids or no_expect_ids. */
export function vectorsFor(
  tests: readonly CrsTest[],
  ruleId: number,
  extract: (input: CrsStageInput) => string[],
  transform: (v: string) => string,
): Vector[] {
  const out: Vector[] = [];
  for (const test of tests) {
    test.stages.forEach((stage, index) => {
      const log = stage.output?.log;
      const expected = log?.expect_ids?.includes(ruleId)
        ? true
        : log?.no_expect_ids?.includes(ruleId)
          ? false
          : undefined;
      if (expected === undefined) return;
      out.push({ ruleId, testId: test.test_id, stage: index, expected, values: extract(stage.input).map(transform) });
    });
  }
  return out;
}
