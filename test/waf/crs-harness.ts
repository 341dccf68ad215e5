/**
 * Runs CRS regression tests (../shared/crs/tests.json) straight through the engine, without
 * sockets: each test's request is built the way go-ftw builds it, parsed back, fed to a
 * transaction, and the rule ids the audit log would carry are checked against the test's
 * log expectations. Status and response checks belong to the gateway run (scripts/conformance-crs.mjs).
 */
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { createAuditLog } from '../../src/waf/audit-log/index.js';
import { compileWaf, type Waf } from '../../src/waf/engine/waf.js';
import type { OperatorFactory } from '../../src/waf/operators/types.js';
import { parseRawRequest } from '../../src/waf/raw-request.js';
import type { Transformation } from '../../src/waf/transformations/types.js';

export const SHARED_DIR = resolve(import.meta.dirname, '../../../shared');
export const CRS_DIR = join(SHARED_DIR, 'crs');
export const FTW_PATH = join(SHARED_DIR, 'ftw', 'ftw.mjs');

export function crsAvailable(): boolean {
  return existsSync(join(CRS_DIR, 'rules')) && existsSync(join(CRS_DIR, 'tests.json')) && existsSync(FTW_PATH);
}

export interface FtwStage {
  input: Record<string, unknown> & { uri?: string; method?: string; headers?: Record<string, string> };
  output: {
    status?: number | number[];
    expect_error?: boolean;
    response_contains?: string;
    log?: { expect_ids?: number[]; no_expect_ids?: number[]; match_regex?: string; no_match_regex?: string };
  };
}
export interface FtwTest {
  rule_id: number;
  test_id: number;
  stages: FtwStage[];
}

export function loadTests(): FtwTest[] {
  return JSON.parse(readFileSync(join(CRS_DIR, 'tests.json'), 'utf8')) as FtwTest[];
}

/** The engine part of CRS's CI configuration (../shared/ftw/anchor/modsecurity.conf). */
export const CI_ENGINE_CONF = `
SecRuleEngine DetectionOnly
SecRequestBodyAccess On
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyLimitAction Reject
SecRequestBodyJsonDepthLimit 512
SecArgumentsLimit 1000
SecResponseBodyAccess On
SecResponseBodyMimeType text/plain text/html text/xml application/json
SecResponseBodyLimit 1048576
SecResponseBodyLimitAction ProcessPartial
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" "id:'200000',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:'200001',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "^application/[a-z0-9.-]+[+]json" "id:'200006',phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule &ARGS "@ge 1000" "id:'200007', phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"
SecRule REQBODY_ERROR "!@eq 0" "id:'200002', phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:'200003',phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:'200004',phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"
`;

/** CRS's test-setup block and the ftw marker rule (../shared/ftw/anchor/crs-setup.conf). */
export function ciSetupConf(paranoia = 4): string {
  return `
SecAction "id:900000,phase:1,pass,t:none,nolog,setvar:tx.blocking_paranoia_level=${paranoia}"
SecAction "id:900300,phase:1,pass,t:none,nolog,setvar:tx.max_num_args=255"
SecAction "id:900310,phase:1,pass,t:none,nolog,setvar:tx.arg_name_length=100"
SecAction "id:900320,phase:1,pass,t:none,nolog,setvar:tx.arg_length=400"
SecAction "id:900330,phase:1,pass,t:none,nolog,setvar:tx.total_arg_length=6400"
SecAction "id:900340,phase:1,pass,t:none,nolog,setvar:tx.max_file_size=64100"
SecAction "id:900350,phase:1,pass,t:none,nolog,setvar:tx.combined_file_sizes=65535"
SecRule REQUEST_HEADERS:X-CRS-Test "@rx ^.*$" "id:999999,phase:1,pass,t:none,log,msg:'%{MATCHED_VAR}',ctl:ruleRemoveById=1-999999"
`;
}

export interface Registries {
  readonly operators: ReadonlyMap<string, OperatorFactory>;
  readonly transformations: ReadonlyMap<string, Transformation>;
}

/** The built-in registries, loaded on demand. */
export async function defaultRegistries(): Promise<Registries> {
  const [ops, ts] = await Promise.all([
    import('../../src/waf/operators/registry.js'),
    import('../../src/waf/transformations/registry.js'),
  ]);
  return { operators: ops.OPERATORS, transformations: ts.TRANSFORMATIONS };
}

export function loadCrsForCi(registries: Registries, paranoia = 4): { waf: Waf; lines: string[] } {
  const lines: string[] = [];
  const waf = compileWaf({
    ...registries,
    files: [join(CRS_DIR, 'crs-setup.conf.example')],
    text: `${CI_ENGINE_CONF}\n${ciSetupConf(paranoia)}\nInclude ${join(CRS_DIR, 'rules', '*.conf')}\n`,
    textName: 'crs-ci.conf',
    baseDir: CRS_DIR,
    observer: createAuditLog({ write: (l) => lines.push(l) }),
  });
  return { waf, lines };
}

type BuildRequest = (input: unknown) => Buffer;
let buildRequest: BuildRequest | undefined;
export async function requestBuilder(): Promise<BuildRequest> {
  buildRequest ??= ((await import(FTW_PATH)) as { buildRequest: BuildRequest }).buildRequest;
  return buildRequest;
}

/** The response CRS's test backend gives (anchor/backend.mjs): /reflect echoes a spec. */
function backendResponse(method: string, uri: string, body: string) {
  const path = uri.split('?')[0];
  if (method !== 'POST' || (path !== '/reflect' && path !== '/reflect/')) {
    return { status: 200, headers: [['Content-Type', 'text/plain']] as [string, string][], body: 'ok' };
  }
  let spec: { status?: number; headers?: Record<string, string>; body?: string; encodedBody?: string };
  try {
    spec = JSON.parse(Buffer.from(body, 'latin1').toString('utf8'));
  } catch {
    return { status: 400, headers: [], body: 'Invalid JSON in request body' };
  }
  const out = spec.body
    ? Buffer.from(String(spec.body), 'utf8')
    : spec.encodedBody
      ? Buffer.from(String(spec.encodedBody), 'base64')
      : Buffer.alloc(0);
  const headers = Object.entries(spec.headers ?? {}).map(([k, v]) => [k, String(v)] as [string, string]);
  if (out.length > 0 && !headers.some(([k]) => k.toLowerCase() === 'content-type')) {
    const s = out.subarray(0, 512).toString('latin1').trimStart().toUpperCase();
    headers.push([
      'Content-Type',
      s.startsWith('<') ? (s.startsWith('<?XML') ? 'text/xml' : 'text/html') : 'text/plain',
    ]);
  }
  return { status: Number(spec.status ?? 200), headers, body: out.toString('latin1') };
}

export interface StageResult {
  ids: number[];
  lines: string[];
  /** Set when the gateway's HTTP parser, not the engine, decides this request. */
  gatewayOnly?: string;
}

/** Feeds one stage's request through a fresh transaction; returns the logged rule ids. */
export async function runStage(waf: Waf, sink: string[], stage: FtwStage): Promise<StageResult> {
  const build = await requestBuilder();
  const bytes = build(stage.input);
  sink.length = 0;
  let raw: ReturnType<typeof parseRawRequest>;
  try {
    raw = parseRawRequest(bytes);
  } catch {
    return { ids: [], lines: [], gatewayOnly: 'not a parseable request' };
  }
  // Node's HTTP parser answers 400 before any stage runs (RFC 9112 §2.2, §6.3); such tests
  // are decided by the gateway, not the engine.
  if (raw.headers.some(([k, v]) => /[\r\n]/.test(k + v))) return { ids: [], lines: [], gatewayOnly: 'bare CR' };
  const has = (n: string) => raw.headers.some(([k]) => k.toLowerCase() === n);
  if (has('content-length') && has('transfer-encoding')) return { ids: [], lines: [], gatewayOnly: 'CL and TE' };
  if (!/^HTTP\/1\.[01]$/.test(raw.protocol)) return { ids: [], lines: [], gatewayOnly: 'not HTTP/1.x' };
  const tx = waf.newTransaction({ clientIp: '127.0.0.1', clientPort: 40000, serverPort: 80 });
  tx.processUri(raw.method, raw.uri, raw.protocol);
  for (const [k, v] of raw.headers) tx.addRequestHeader(k, v);
  tx.processRequestHeaders();
  if (raw.body.length > 0) tx.appendRequestBody(raw.body);
  tx.processRequestBody();
  const resp = backendResponse(raw.method, raw.uri, raw.body);
  for (const [k, v] of resp.headers) tx.addResponseHeader(k, v);
  tx.processResponseHeaders(resp.status, 'HTTP/1.1');
  if (tx.wantsResponseBody()) tx.appendResponseBody(resp.body);
  tx.processResponseBody();
  tx.processLogging();
  const lines = [...sink];
  const ids: number[] = [];
  for (const l of lines) {
    const o = JSON.parse(l) as { ruleId?: number };
    if (o.ruleId !== undefined) ids.push(o.ruleId);
  }
  return { ids, lines };
}

function goRegex(src: string): RegExp {
  const m = /^\(\?([ims]+)\)/.exec(src);
  return m ? new RegExp(src.slice(m[0].length), m[1]) : new RegExp(src);
}

/** Checks the log expectations of a stage the way ftw.mjs does in json mode. */
export function checkLog(stage: FtwStage, result: StageResult): string | undefined {
  const log = stage.output.log;
  if (!log) return undefined;
  const text = result.lines.map((l) => {
    const o = JSON.parse(l) as { ruleId?: number };
    return o.ruleId !== undefined ? `${l} [id "${o.ruleId}"]` : l;
  });
  if (log.match_regex && !text.some((l) => goRegex(log.match_regex!).test(l)))
    return `no line matches ${log.match_regex}`;
  for (const id of log.expect_ids ?? []) if (!result.ids.includes(id)) return `expected ${id}, got [${result.ids}]`;
  if (log.no_match_regex && text.some((l) => goRegex(log.no_match_regex!).test(l)))
    return `a line matches ${log.no_match_regex}`;
  for (const id of log.no_expect_ids ?? []) if (result.ids.includes(id)) return `unexpected ${id}`;
  return undefined;
}

/** Whether the test's verdict depends only on the WAF log (no status, response or socket error checks). */
export function isLogOnly(test: FtwTest): boolean {
  return test.stages.every((s) => !s.output.expect_error && s.output.response_contains === undefined && s.output.log);
}

export type TestOutcome = { result: 'pass' } | { result: 'fail' | 'skip'; reason: string };

export async function runTest(waf: Waf, sink: string[], test: FtwTest): Promise<TestOutcome> {
  if (!isLogOnly(test)) return { result: 'skip', reason: 'checks status, response or socket errors' };
  for (const stage of test.stages) {
    const r = await runStage(waf, sink, stage);
    if (r.gatewayOnly) return { result: 'skip', reason: r.gatewayOnly };
    const f = checkLog(stage, r);
    if (f) return { result: 'fail', reason: f };
  }
  return { result: 'pass' };
}
