import { existsSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { ConfigError, type KeyPath } from '../../config/errors.js';
import type { RequestContext } from '../../pipeline/context.js';
import { CONTINUE, respondProblem, type Stage, type Verdict } from '../../pipeline/stage.js';
import { createAuditLog, openAuditFile } from '../../waf/audit-log/index.js';
import { BASELINE_SECLANG } from '../../waf/baseline/rules.js';
import { planFor } from '../../waf/engine/plan.js';
import { parseIdRanges } from '../../waf/engine/ranges.js';
import type { TransactionObserver } from '../../waf/engine/transaction.js';
import type { Interruption } from '../../waf/engine/types.js';
import type { Waf } from '../../waf/engine/waf.js';
import { createWaf, SecLangError, type Transaction } from '../../waf/index.js';
import { parseVariables } from '../../waf/seclang/variables.js';
import { VARIABLES } from '../../waf/variables/registry.js';
import type { StageDefinition } from '../definition.js';
import { WAF_HINTS, type WafHints } from '../validate/index.js';
import { createRejectedInspector, WAF_REJECTED_KEY } from './rejected.js';
import { type WafGlobal, WafGlobalSchema, type WafRoute, WafRouteSchema } from './schema.js';

const TX_KEY = Symbol('waf.transaction');

export { WAF_REJECTED_KEY };

/** CRS defaults (crs-setup.conf.example): PL1, inbound 5, outbound 4. */
const DEFAULTS = { paranoiaLevel: 1, inbound: 5, outbound: 4 } as const;

export interface WafStageOptions {
  readonly waf: Waf;
  readonly mode: 'block' | 'detect';
  readonly paranoiaLevel: number;
  readonly detectionParanoiaLevel: number;
  readonly inbound: number;
  readonly outbound: number;
  readonly removeRuleIds: readonly (readonly [number, number])[];
  readonly removeTargets: readonly { readonly ids: readonly [number, number]; readonly targets: string }[];
  readonly observer?: TransactionObserver;
  /**
   * Skip the argument values the validate stage proved to be no free text (WafHints). Only
   * meaningful on routes that validate; without hints nothing is skipped.
   */
  readonly schemaAware?: boolean;
}

/**
 * Runs the request and response through the SecLang engine: phase 1 on the head, phase 2 on
 * the buffered body, phases 3-4 on the upstream's answer, phase 5 at log time. A stop becomes
 * 403 problem+json (PC_ERR_WAF_BLOCKED) without rule details; the rule id goes to the log only.
 */
export function createWafStage(options: WafStageOptions): Stage {
  const txSeeds = {
    blocking_paranoia_level: options.paranoiaLevel,
    detection_paranoia_level: Math.max(options.paranoiaLevel, options.detectionParanoiaLevel),
    inbound_anomaly_score_threshold: options.inbound,
    outbound_anomaly_score_threshold: options.outbound,
  };
  const engine = options.mode === 'block' ? 'On' : 'DetectionOnly';
  // The rule-set plan for these seeds is computed now, at load or reload, rather than by the
  // first request (5-60 ms for CRS).
  planFor(options.waf.rules, { tx: txSeeds, removeRuleIds: options.removeRuleIds });
  const txOf = (ctx: RequestContext) => ctx.state.get(TX_KEY) as Transaction | undefined;
  const verdictOf = (ctx: RequestContext, stop: Interruption | undefined): Verdict => {
    if (!stop) return CONTINUE;
    ctx.logFields['waf'] = { blockedBy: stop.ruleId };
    return respondProblem('waf_blocked', 'PC_ERR_WAF_BLOCKED', { reason: `waf rule ${stop.ruleId}` });
  };
  const stage: Stage = {
    name: 'waf',
    requestHead(ctx) {
      const tx = options.waf.newTransaction(
        {
          requestId: ctx.id,
          clientIp: ctx.clientIp,
          clientPort: ctx.peer.port,
          serverPort: 0,
          engine,
          tx: txSeeds,
          removeRuleIds: options.removeRuleIds,
          removeTargets: options.removeTargets,
        },
        options.observer,
      );
      ctx.state.set(TX_KEY, tx);
      const protocol =
        ctx.peer.protocol === 'h2' ? 'HTTP/2.0' : ctx.peer.protocol === 'http/1.0' ? 'HTTP/1.0' : 'HTTP/1.1';
      tx.processUri(ctx.method, ctx.rawTarget, protocol);
      const headers = ctx.headers;
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        const display = displayName(name);
        if (Array.isArray(value)) for (const v of value) tx.addRequestHeader(display, latin1(v));
        else tx.addRequestHeader(display, latin1(value));
      }
      const hints = options.schemaAware ? hintsOf(ctx) : undefined;
      if (hints) {
        tx.skipValues('ARGS_GET', hints.query);
        tx.skipValues('REQUEST_HEADERS', hints.headers);
        tx.skipValues('REQUEST_COOKIES', hints.cookies);
      }
      const stop = tx.processRequestHeaders();
      if (stop) return verdictOf(ctx, stop);
      // No body to wait for: phase 2 runs now, before the upstream is called. Most CRS rules
      // (ARGS, the anomaly evaluation 949110) are phase 2.
      if (!bodyExpected(ctx, tx)) return verdictOf(ctx, tx.processRequestBody());
      return CONTINUE;
    },
    wantsRequestBody(ctx) {
      const tx = txOf(ctx);
      return tx !== undefined && bodyExpected(ctx, tx);
    },
    requestBody(ctx) {
      const tx = txOf(ctx);
      if (!tx) return CONTINUE;
      if (ctx.requestBody && ctx.requestBody.length > 0) {
        const stop = tx.appendRequestBody(ctx.requestBody);
        if (stop) return verdictOf(ctx, stop);
      }
      const hints = options.schemaAware ? hintsOf(ctx) : undefined;
      if (hints && hints.body.size > 0)
        tx.skipValues('ARGS_POST', bodyArgumentNames(hints.body, tx.requestBodyProcessor));
      return verdictOf(ctx, tx.processRequestBody());
    },
    responseHead(ctx, head) {
      const tx = txOf(ctx);
      if (!tx) return CONTINUE;
      const early = tx.processRequestBody();
      if (early) return verdictOf(ctx, early);
      const headers = head.headers;
      for (const name in headers) {
        const value = headers[name];
        if (value === undefined) continue;
        const display = displayName(name);
        if (Array.isArray(value)) for (const v of value) tx.addResponseHeader(display, latin1(v));
        else tx.addResponseHeader(display, latin1(String(value)));
      }
      return verdictOf(ctx, tx.processResponseHeaders(head.status));
    },
    wantsResponseBody(ctx) {
      return txOf(ctx)?.wantsResponseBody() ?? false;
    },
    responseBody(ctx) {
      const tx = txOf(ctx);
      if (!tx) return CONTINUE;
      if (ctx.responseBody) tx.appendResponseBody(ctx.responseBody);
      return verdictOf(ctx, tx.processResponseBody());
    },
    log(ctx) {
      const tx = txOf(ctx);
      if (!tx) return;
      try {
        tx.processLogging();
        const scores = tx.scores;
        const matched = tx.matchedRules.filter((m) => m.log).map((m) => m.ruleId);
        if (matched.length > 0 || scores.inbound > 0 || scores.outbound > 0) {
          ctx.logFields['waf'] = {
            ...(ctx.logFields['waf'] as object),
            inbound: scores.inbound,
            outbound: scores.outbound,
            matched,
          };
        }
      } catch {
        // log() must not throw; a failing phase-5 rule loses only its own log line.
      }
    },
  };
  return guarded(stage, options.mode);
}

/**
 * A stage never throws on the data plane (STYLE #2). An engine fault fails closed in block
 * mode (500, detail in the log only) and open in detect mode, where the WAF only observes.
 */
function guarded(stage: Stage, mode: 'block' | 'detect'): Stage {
  const onFault = (ctx: RequestContext, error: unknown): Verdict => {
    ctx.logFields['wafError'] = error instanceof Error ? error.message : String(error);
    return mode === 'block' ? respondProblem('error', 'PC_ERR_INTERNAL', { reason: 'waf engine fault' }) : CONTINUE;
  };
  const wrap =
    <A extends unknown[]>(fn: ((ctx: RequestContext, ...rest: A) => Verdict | Promise<Verdict>) | undefined) =>
    (ctx: RequestContext, ...rest: A): Verdict => {
      try {
        return fn!(ctx, ...rest) as Verdict;
      } catch (error) {
        return onFault(ctx, error);
      }
    };
  return {
    ...stage,
    requestHead: wrap(stage.requestHead),
    requestBody: wrap(stage.requestBody),
    responseHead: wrap(stage.responseHead),
    responseBody: wrap(stage.responseBody),
  };
}

function bodyExpected(ctx: RequestContext, tx: Transaction): boolean {
  if (!tx.requestBodyAccess) return false;
  const h = ctx.headers;
  return (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
}

/** Header names arrive lower-cased; CRS logs and tests expect `User-Agent`, not `user-agent`. */
function displayName(name: string): string {
  let display = DISPLAY_NAMES.get(name);
  if (display === undefined) {
    display = name.replace(/(^|-)([a-z])/g, (_m, dash: string, c: string) => dash + c.toUpperCase());
    // Names are client-chosen: the cache keeps the first ones seen and stops growing.
    if (DISPLAY_NAMES.size < MAX_DISPLAY_NAMES) DISPLAY_NAMES.set(name, display);
  }
  return display;
}

const DISPLAY_NAMES = new Map<string, string>();
const MAX_DISPLAY_NAMES = 512;

const NOT_LATIN1 = /[^\u0000-\u00ff]/;

/** Node decodes header values as latin1 already; strings from elsewhere are re-encoded to bytes. */
function latin1(value: string): string {
  return NOT_LATIN1.test(value) ? Buffer.from(value, 'utf8').toString('latin1') : value;
}

export interface WafShared {
  readonly waf: Waf | undefined;
  readonly global: WafGlobal;
  readonly observer: TransactionObserver | undefined;
  readonly close: () => void;
}

/** The SecLang prelude: engine settings and the body-processor rules of modsecurity.conf-recommended. */
export function prelude(global: WafGlobal): string {
  return `SecRuleEngine On
SecRequestBodyAccess ${global.requestBodyAccess === false ? 'Off' : 'On'}
SecRequestBodyLimit 13107200
SecRequestBodyNoFilesLimit 131072
SecRequestBodyJsonDepthLimit 512
SecArgumentsLimit 1000
SecResponseBodyAccess ${global.responseBodyAccess ? 'On' : 'Off'}
SecResponseBodyMimeType text/plain text/html text/xml application/json
SecResponseBodyLimit 1048576
SecResponseBodyLimitAction ProcessPartial
SecRule REQUEST_HEADERS:Content-Type "^(?:application(?:/soap\\+|/)|text/)xml" "id:200000,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=XML"
SecRule REQUEST_HEADERS:Content-Type "^application/json" "id:200001,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule REQUEST_HEADERS:Content-Type "^application/[a-z0-9.-]+[+]json" "id:200006,phase:1,t:none,t:lowercase,pass,nolog,ctl:requestBodyProcessor=JSON"
SecRule &ARGS "@ge 1000" "id:200007,phase:2,t:none,log,deny,status:400,msg:'Failed to fully parse request body due to large argument count',severity:2"
SecRule REQBODY_ERROR "!@eq 0" "id:200002,phase:2,t:none,log,deny,status:400,msg:'Failed to parse request body.',logdata:'%{reqbody_error_msg}',severity:2"
SecRule MULTIPART_STRICT_ERROR "!@eq 0" "id:200003,phase:2,t:none,log,deny,status:400,msg:'Multipart request body failed strict validation'"
SecRule MULTIPART_UNMATCHED_BOUNDARY "@eq 1" "id:200004,phase:2,t:none,log,deny,msg:'Multipart parser detected a possible unmatched boundary.'"
`;
}

/**
 * An installed CRS, for `portcullis init` and `waf explain`: Debian's package, then the usual
 * manual install locations. Undefined when none is found.
 */
export function findInstalledCrs(candidates: readonly string[] = INSTALLED_CRS_CANDIDATES): string | undefined {
  for (const dir of candidates) {
    try {
      crsFiles(dir);
      return dir;
    } catch {
      // not a usable CRS here; try the next place
    }
  }
  return undefined;
}

export const INSTALLED_CRS_CANDIDATES: readonly string[] = [
  '/usr/share/modsecurity-crs',
  '/usr/local/share/coreruleset',
  '/opt/coreruleset',
  '/etc/modsecurity/crs',
];

/** Where Debian's modsecurity-crs package keeps the setup and exclusion files. */
const DEBIAN_CRS_ETC = '/etc/modsecurity/crs';

/**
 * The files CRS is made of, in load order: its setup file, then rules/*.conf. Works with a CRS
 * checkout or release (crs-setup.conf[.example] beside rules/) and with Debian's package
 * (rules in /usr/share/modsecurity-crs, setup and exclusions in /etc/modsecurity/crs).
 */
export function crsFiles(dir: string): string[] {
  if (!existsSync(join(dir, 'rules'))) throw new Error(`no rules/ directory in ${dir}`);
  const local = ['crs-setup.conf', 'crs-setup.conf.example'].map((f) => join(dir, f)).find((f) => existsSync(f));
  if (local) return [local, join(dir, 'rules', '*.conf')];
  const debian = join(DEBIAN_CRS_ETC, 'crs-setup.conf');
  if (!existsSync(debian))
    throw new Error(`no crs-setup.conf or crs-setup.conf.example in ${dir} or ${DEBIAN_CRS_ETC}`);
  const optional = (f: string) => (existsSync(join(DEBIAN_CRS_ETC, f)) ? [join(DEBIAN_CRS_ETC, f)] : []);
  return [
    debian,
    ...optional('REQUEST-900-EXCLUSION-RULES-BEFORE-CRS.conf'),
    join(dir, 'rules', '*.conf'),
    ...optional('RESPONSE-999-EXCLUSION-RULES-AFTER-CRS.conf'),
  ];
}

export const wafStage: StageDefinition<WafGlobal, WafRoute, WafShared> = {
  name: 'waf',
  global: { key: 'waf', schema: WafGlobalSchema },
  route: { key: 'waf', schema: WafRouteSchema },
  async setup(global, services) {
    const g = global ?? {};
    if (global === undefined) return { waf: undefined, global: g, observer: undefined, close: () => {} };
    const abs = (p: string) => (isAbsolute(p) ? p : resolve(services.configDir, p));
    let files: string[];
    try {
      files = g.crs ? crsFiles(abs(g.crs.dir)) : [];
    } catch (error) {
      throw new ConfigError(['waf', 'crs', 'dir'], (error as Error).message);
    }
    if (!g.crs) {
      services.logger.warn(
        'waf: no CRS configured, using the built-in baseline rules; install OWASP CRS (e.g. apt install modsecurity-crs) and set waf.crs.dir',
      );
    }
    let audit: ReturnType<typeof openAuditFile> | undefined;
    if (g.auditLog) {
      try {
        audit = openAuditFile(abs(g.auditLog.path));
      } catch (error) {
        throw new ConfigError(['waf', 'auditLog', 'path'], `cannot open: ${(error as NodeJS.ErrnoException).code}`);
      }
    }
    const observer = audit ? createAuditLog({ write: audit.write }) : undefined;
    let waf: Waf;
    try {
      const started = performance.now();
      waf = createWaf({
        text: [
          prelude(g),
          ...(g.crs
            ? [`Include "${files[0]}"`, g.setup ?? '', ...files.slice(1).map((f) => `Include "${f}"`)]
            : [g.setup ?? '', BASELINE_SECLANG]),
          ...(g.rules ?? []).map((f) => `Include "${abs(f)}"`),
          g.directives ?? '',
        ].join('\n'),
        textName: 'waf',
        baseDir: services.configDir,
      });
      services.logger.info(
        { rules: waf.rules.ruleCount, ms: Math.round(performance.now() - started) },
        'waf: rules compiled',
      );
      for (const warning of waf.rules.warnings) services.logger.warn(`waf: ${warning}`);
    } catch (error) {
      audit?.close();
      if (error instanceof SecLangError) throw new ConfigError(['waf'], error.message);
      throw error;
    }
    if (g.inspectRejected ?? g.mode !== 'off') {
      const paranoiaLevel = g.paranoiaLevel ?? DEFAULTS.paranoiaLevel;
      services.shared.set(
        WAF_REJECTED_KEY,
        createRejectedInspector({
          waf,
          tx: {
            blocking_paranoia_level: paranoiaLevel,
            detection_paranoia_level: Math.max(paranoiaLevel, g.detectionParanoiaLevel ?? paranoiaLevel),
            inbound_anomaly_score_threshold: g.anomalyThreshold?.inbound ?? DEFAULTS.inbound,
            outbound_anomaly_score_threshold: g.anomalyThreshold?.outbound ?? DEFAULTS.outbound,
          },
          ...(observer ? { observer } : {}),
          ...(audit ? { write: audit.write } : {}),
        }),
      );
    }
    return { waf, global: g, observer, close: () => audit?.close() };
  },
  create(route, shared) {
    const r = route.settings ?? {};
    const g = shared.global;
    const mode = r.mode ?? g.mode ?? 'block';
    if (!shared.waf || mode === 'off') return undefined;
    const path: KeyPath = [...route.path, 'waf'];
    const removeRuleIds = (r.removeRules ?? []).flatMap((id, i) => {
      try {
        return parseIdRanges(id);
      } catch (error) {
        throw new ConfigError([...path, 'removeRules', i], (error as Error).message);
      }
    });
    const removeTargets = (r.removeTargets ?? []).map((t, i) => {
      try {
        parseVariables(t.targets, (name) => VARIABLES.has(name));
        return { ids: parseIdRanges(t.rule)[0]!, targets: t.targets };
      } catch (error) {
        throw new ConfigError([...path, 'removeTargets', i], (error as Error).message);
      }
    });
    const paranoiaLevel = r.paranoiaLevel ?? g.paranoiaLevel ?? DEFAULTS.paranoiaLevel;
    return createWafStage({
      waf: shared.waf,
      mode,
      paranoiaLevel,
      detectionParanoiaLevel: r.detectionParanoiaLevel ?? g.detectionParanoiaLevel ?? paranoiaLevel,
      inbound: r.anomalyThreshold?.inbound ?? g.anomalyThreshold?.inbound ?? DEFAULTS.inbound,
      outbound: r.anomalyThreshold?.outbound ?? g.anomalyThreshold?.outbound ?? DEFAULTS.outbound,
      removeRuleIds,
      removeTargets,
      schemaAware: r.schemaAware ?? true,
      ...(shared.observer ? { observer: shared.observer } : {}),
    });
  },
  async dispose(shared) {
    shared.close();
  },
};

function hintsOf(ctx: RequestContext): WafHints | undefined {
  return ctx.state.get(WAF_HINTS) as WafHints | undefined;
}

/**
 * The validate stage's body pointers as the engine's ARGS_POST names: the JSON processor names
 * `/a/0/b` `json.a.0.b`; the urlencoded one names a form field as sent (pointer `/name`). Other
 * processors (multipart, XML) get no names, so everything in them is inspected.
 */
function bodyArgumentNames(pointers: ReadonlySet<string>, processor: string | undefined): Set<string> {
  const names = new Set<string>();
  for (const pointer of pointers) {
    // RFC 6901 §4: ~1 is '/', ~0 is '~', in that order.
    const segments = pointer
      .split('/')
      .slice(1)
      .map((s) => s.replaceAll('~1', '/').replaceAll('~0', '~'));
    if (processor === 'JSON') names.add(['json', ...segments].join('.'));
    else if (processor === 'URLENCODED' && segments.length === 1) names.add(segments[0]!);
  }
  return names;
}
