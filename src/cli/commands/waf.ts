import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { crsFiles, findInstalledCrs, INSTALLED_CRS_CANDIDATES, prelude } from '../../stages/waf/index.js';
import { BASELINE_SECLANG } from '../../waf/baseline/rules.js';
import { createWaf, type MatchedRule, SecLangError, type Transaction } from '../../waf/index.js';
import { parseRawRequest, type RawRequest } from '../../waf/raw-request.js';
import type { CliIO, Command } from '../command.js';

const HELP = `Usage: portcullis waf explain <raw-request-file> [options]
       portcullis waf explain [-X METHOD] [-H 'Name: value']... [-d DATA] URL [options]

Runs one request through the WAF and prints what the engine saw: the parsed variables
(arguments, headers, cookies, body processor and errors), every rule that matched with its
transformations and the value it matched, and the anomaly scores with the decision.

The request is either a file holding a raw HTTP/1.x request (as sent on the wire), or curl-style
arguments. Options:
  --crs DIR          OWASP CRS directory (rules/ and crs-setup.conf[.example]); default: an
                     installed CRS (Debian's /usr/share/modsecurity-crs, /opt/coreruleset...),
                     else the built-in baseline rules
  --baseline         use the built-in baseline rules even when CRS is installed
  --rules FILE       extra SecLang file, loaded after CRS (repeatable)
  --paranoia N       paranoia level 1-4 (default 1)
  --threshold N      inbound anomaly threshold (default 5)
`;

interface Options {
  request: RawRequest;
  crs: string | undefined;
  rules: string[];
  paranoia: number;
  threshold: number;
}

class UsageError extends Error {}

function parseArgs(argv: readonly string[], io: CliIO): Options {
  let method: string | undefined;
  const headers: [string, string][] = [];
  let data: string | undefined;
  let target: string | undefined;
  let crs: string | undefined;
  let baseline = false;
  const rules: string[] = [];
  let paranoia = 1;
  let threshold = 5;
  const value = (i: number, flag: string) => {
    const v = argv[i + 1];
    if (v === undefined) throw new UsageError(`${flag} needs a value`);
    return v;
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    switch (a) {
      case '-X':
      case '--request':
        method = value(i++, a);
        break;
      case '-H':
      case '--header': {
        const h = value(i++, a);
        const colon = h.indexOf(':');
        if (colon <= 0) throw new UsageError(`header "${h}" is not "Name: value"`);
        headers.push([h.slice(0, colon).trim(), h.slice(colon + 1).trim()]);
        break;
      }
      case '-d':
      case '--data':
      case '--data-raw':
        data = value(i++, a);
        break;
      case '--crs':
        crs = resolve(io.cwd, value(i++, a));
        break;
      case '--baseline':
        baseline = true;
        break;
      case '--rules':
        rules.push(resolve(io.cwd, value(i++, a)));
        break;
      case '--paranoia':
        paranoia = Number(value(i++, a));
        if (!Number.isInteger(paranoia) || paranoia < 1 || paranoia > 4)
          throw new UsageError('--paranoia takes 1 to 4');
        break;
      case '--threshold':
        threshold = Number(value(i++, a));
        if (!Number.isInteger(threshold) || threshold < 1) throw new UsageError('--threshold takes a positive integer');
        break;
      default:
        if (a.startsWith('-')) throw new UsageError(`unknown option ${a}`);
        if (target !== undefined) throw new UsageError(`unexpected argument ${a}`);
        target = a;
    }
  }
  if (target === undefined) throw new UsageError('give a raw request file or a URL');
  let request: RawRequest;
  if (/^https?:\/\//i.test(target)) {
    const url = new URL(target);
    const body = data ?? '';
    const hs = [['Host', url.host] as [string, string], ...headers];
    if (body !== '') {
      if (!hs.some(([k]) => k.toLowerCase() === 'content-type'))
        hs.push(['Content-Type', 'application/x-www-form-urlencoded']);
      hs.push(['Content-Length', String(Buffer.byteLength(body))]);
    }
    request = {
      method: method ?? (body !== '' ? 'POST' : 'GET'),
      uri: `${url.pathname}${url.search}`,
      protocol: 'HTTP/1.1',
      headers: hs,
      body: Buffer.from(body, 'utf8').toString('latin1'),
    };
  } else {
    const file = resolve(io.cwd, target);
    let bytes: Buffer;
    try {
      bytes = readFileSync(file);
    } catch (error) {
      throw new UsageError(`cannot read ${file} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    try {
      request = parseRawRequest(bytes);
    } catch (error) {
      throw new UsageError(`${file}: ${(error as Error).message}`);
    }
  }
  if (crs === undefined && !baseline) {
    crs = findInstalledCrs([...INSTALLED_CRS_CANDIDATES, resolve(io.cwd, '..', 'shared', 'crs')]);
  }
  return { request, crs, rules, paranoia, threshold };
}

const show = (s: string, max = 200) => {
  const json = JSON.stringify(s);
  return json.length > max ? `${json.slice(0, max - 4)}..."` : json;
};

function report(tx: Transaction, matched: readonly MatchedRule[], o: Options, io: CliIO): void {
  const out = (line = '') => io.stdout(`${line}\n`);
  out(
    `Rules: ${o.crs ? `CRS at ${o.crs}` : 'built-in baseline'}${o.rules.length ? ` + ${o.rules.join(', ')}` : ''}, paranoia level ${o.paranoia}`,
  );
  out();
  out('Variables');
  const snap = tx.snapshot();
  const scalars = new Map(snap.scalars);
  for (const name of [
    'REQUEST_LINE',
    'REQUEST_METHOD',
    'REQUEST_URI',
    'REQUEST_FILENAME',
    'QUERY_STRING',
    'REQBODY_PROCESSOR',
    'REQBODY_ERROR',
    'REQBODY_ERROR_MSG',
    'REQUEST_BODY_LENGTH',
  ]) {
    const v = scalars.get(name);
    if (v !== undefined && v !== '') out(`  ${name.padEnd(20)} ${show(v)}`);
  }
  for (const [name, entries] of snap.collections) {
    if (!['ARGS_GET', 'ARGS_POST', 'REQUEST_HEADERS', 'REQUEST_COOKIES', 'FILES', 'XML'].includes(name)) continue;
    for (const [k, v] of entries) out(`  ${`${name}:${k}`.padEnd(20)} ${show(v)}`);
  }
  out();
  const visible = matched.filter((m) => m.ruleId !== 0);
  out(`Matched rules (${visible.length})`);
  for (const m of visible) {
    out(`  ${m.ruleId}  phase ${m.phase}  ${m.msg || '(no msg)'}${m.disruptive ? '  [disruptive]' : ''}`);
    out(`      ${m.file}:${m.line}`);
    for (const d of m.matches) {
      const name = d.key === '' ? d.variable : `${d.variable}:${d.key}`;
      const ts = d.transformations.length ? d.transformations.join(',') : 'none';
      out(`      ${name}  t:${ts}  -> ${show(d.value, 160)}`);
    }
    if (m.data) out(`      data: ${show(m.data, 240)}`);
  }
  out();
  const scores = tx.scores;
  out(`Inbound anomaly score:  ${scores.inbound} (threshold ${o.threshold})`);
  out(`Outbound anomaly score: ${scores.outbound}`);
  // explain runs in DetectionOnly so every matching rule shows; the first disruptive match is
  // where blocking mode would have stopped.
  const stop = matched.find((m) => m.disruptive);
  out(`Decision: ${stop ? `blocked by rule ${stop.ruleId} in blocking mode` : 'allowed'}`);
}

async function explain(argv: readonly string[], io: CliIO): Promise<number> {
  const o = parseArgs(argv, io);
  const matched: MatchedRule[] = [];
  const sources = [
    prelude({ responseBodyAccess: false }),
    ...(o.crs ? crsFiles(o.crs).map((f) => `Include "${f}"`) : [BASELINE_SECLANG]),
    ...o.rules.map((f) => `Include "${f}"`),
  ];
  const waf = createWaf({ text: sources.join('\n'), textName: 'waf explain', baseDir: io.cwd });
  const tx = waf.newTransaction(
    {
      clientIp: '127.0.0.1',
      clientPort: 0,
      engine: 'DetectionOnly',
      tx: {
        blocking_paranoia_level: o.paranoia,
        detection_paranoia_level: o.paranoia,
        inbound_anomaly_score_threshold: o.threshold,
      },
    },
    { onMatch: (_tx, m) => matched.push(m) },
  );
  const r = o.request;
  tx.processUri(r.method, r.uri, r.protocol || 'HTTP/1.1');
  for (const [k, v] of r.headers) tx.addRequestHeader(k, v);
  tx.processRequestHeaders();
  if (r.body !== '') tx.appendRequestBody(r.body);
  tx.processRequestBody();
  tx.processLogging();
  report(tx, matched, o, io);
  return 0;
}

/** `portcullis waf explain`: what the WAF sees in one request and why it decides as it does. */
export const wafCommand: Command = {
  name: 'waf',
  summary: 'explain how the WAF sees and scores one request',
  help: HELP,
  async run(argv, io) {
    const [sub, ...rest] = argv;
    if (sub === undefined || sub === '--help' || sub === '-h') {
      io.stdout(HELP);
      return sub === undefined ? 2 : 0;
    }
    if (sub !== 'explain') {
      io.stderr(`portcullis waf: unknown sub-command "${sub}" (try: portcullis waf explain --help)\n`);
      return 2;
    }
    if (rest.includes('--help') || rest.includes('-h')) {
      io.stdout(HELP);
      return 0;
    }
    try {
      return await explain(rest, io);
    } catch (error) {
      if (error instanceof UsageError || error instanceof SecLangError) {
        io.stderr(`portcullis waf explain: ${error.message}\n`);
        return 2;
      }
      if (error instanceof Error && /crs-setup|rules\/ directory/.test(error.message)) {
        io.stderr(`portcullis waf explain: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
  },
};
