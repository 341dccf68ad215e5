import { BODY_PROCESSORS } from '../body/registry.js';
import type { BodySink } from '../body/types.js';
import { parseQueryString } from '../body/urlencoded.js';
import { COUNTING, counters } from '../counters.js';
import type { OperatorTx } from '../operators/types.js';
import { hasSlot } from '../regex/literal-scan.js';
import { keyRegexHits, parseVariables } from '../seclang/variables.js';
import { VARIABLE_COUNT, VARIABLES, type VariableDefinition, type VariableSource } from '../variables/registry.js';
import { type CollectionEntry, KeyedCollection } from './collection.js';
import { Form, MAX_SHARED_TEXT } from './forms.js';
import { expandMacros } from './macros.js';
import type { Plan } from './plan.js';
import { type IdRange, inRanges, parseIdRanges } from './ranges.js';
import type { RuleSet } from './ruleset.js';
import type {
  ActionContext,
  EngineMode,
  Interruption,
  MatchDetail,
  MatchedRule,
  MutableCollection,
  Rule,
  RuleOperator,
  RulePhase,
  VariableSelector,
} from './types.js';

/** Facts about the connection, known before the request line. */
export interface TransactionOptions {
  readonly requestId?: string;
  readonly clientIp?: string;
  readonly clientPort?: number;
  readonly serverIp?: string;
  readonly serverPort?: number;
  /** TX variables set before phase 1 (per-route paranoia level, thresholds...). */
  readonly tx?: Readonly<Record<string, string | number>>;
  /** Rule ids removed for this transaction only (per-route exclusions). */
  readonly removeRuleIds?: readonly IdRange[];
  /** Targets removed from rules for this transaction only: rule id range -> selectors. */
  readonly removeTargets?: readonly { readonly ids: IdRange; readonly targets: string }[];
  /** Overrides SecRuleEngine for this transaction. */
  readonly engine?: EngineMode;
}

/** Receives each matched, logged rule as it happens, then the transaction's end. */
export interface TransactionObserver {
  onMatch?(tx: Transaction, match: MatchedRule): void;
  onEnd?(tx: Transaction): void;
}

/** Persistent collections (IP, GLOBAL...) shared by the transactions of one WAF. */
export interface PersistentStore {
  open(collection: string, key: string, timeoutSeconds: number): KeyedCollection;
}

type AllowType = 'none' | 'phase' | 'request' | 'all';

interface RemovedTarget {
  readonly selector: VariableSelector;
  readonly ruleIds?: IdRange;
  readonly tag?: string;
}

let uniqueCounter = 0;

/**
 * One HTTP transaction through the rule engine. The gateway feeds it the request in order
 * (connection, URI, headers, body, response) and reads back an Interruption or undefined.
 * It never touches sockets: the WAF never imports HTTP (STYLE #7).
 */
export class Transaction implements OperatorTx, ActionContext, VariableSource {
  readonly id: string;
  readonly #rules: RuleSet;
  readonly #observer: TransactionObserver | undefined;
  readonly #store: PersistentStore;
  readonly #scalars = new Map<string, string>();
  readonly #collections = new Map<string, KeyedCollection>();
  /** TX, also in #collections: read by most rules and macros. */
  readonly #tx = new KeyedCollection();
  /**
   * MATCHED_VARS, cleared before every rule. Most matches are CRS's own TX bookkeeping that no
   * rule reads back, so a match only appends to the #mv arrays; the collection is filled
   * from them when something reads it (#syncMatchedVars).
   */
  readonly #matchedVars = new KeyedCollection();
  readonly #mvVariables: string[] = [];
  readonly #mvKeys: string[] = [];
  readonly #mvValues: string[] = [];
  /** Entries of the #mv arrays in use (the arrays are reused, never shrunk: cheaper than length = 0). */
  #mvCount = 0;
  #mvSynced = true;
  /** MATCHED_VAR and MATCHED_VAR_NAME (variable and key): the last match, kept across rules. */
  #lastMatchVariable: string | undefined;
  #lastMatchKey = '';
  #lastMatchValue = '';
  #engine: EngineMode;
  #requestBodyAccess: boolean;
  #responseBodyAccess: boolean;
  #bodyProcessor: string | undefined;
  #forceBodyVariable = false;
  #requestBody: string[] = [];
  #requestBodySize = 0;
  #responseBody: string[] = [];
  #responseBodySize = 0;
  #interruption: Interruption | undefined;
  #allow: AllowType = 'none';
  #skipAfter: string | undefined;
  #skip = 0;
  readonly #removedIds: IdRange[] = [];
  readonly #removedTags = new Set<string>();
  readonly #removedMsgs = new Set<string>();
  readonly #removedTargets: RemovedTarget[] = [];
  /** skipValues() requests, resolved to entries at the start of each phase. */
  readonly #skipRequests: { readonly collection: string; readonly keys: ReadonlySet<string> }[] = [];
  /** Entries no rule inspects: values a schema proved to be no free text. */
  readonly #skipped = new Set<CollectionEntry>();
  /** text -> its Form (transformation results, literal hits), for this transaction. */
  readonly #forms = new Map<string, Form>();
  /** Per stable variable (VariableDefinition.id): its entries, read once per phase (#entries). */
  readonly #phaseEntries: (readonly CollectionEntry[] | undefined)[] = new Array(VARIABLE_COUNT).fill(undefined);
  #phaseEntriesUsed = false;
  /** Per literal group (Rule.literalGroup): the union of its values' hits, this phase. */
  #groupHits: (Uint32Array | undefined)[] = [];
  readonly #matched: MatchedRule[] = [];
  readonly #views = new Map<string, { stamp: number; entries: readonly CollectionEntry[] }>();
  readonly #phasesDone = new Set<RulePhase>();
  #currentMatches: MatchDetail[] = [];
  #currentRule: Rule | undefined;
  #matchedData = '';
  #loggingDone = false;
  #timeSet = false;
  #ruleTextExpanded = false;
  #ruleMsg = '';
  #ruleLogdata = '';
  /** The rule set specialised to this transaction's TX seeds (plan.ts); undefined once voided. */
  #plan: Plan | undefined;
  /** Set by a ctl that removes rules or targets: the plan's assumptions are checked again. */
  #removalsChanged = false;
  capturing = false;

  constructor(
    rules: RuleSet,
    store: PersistentStore,
    options: TransactionOptions = {},
    observer?: TransactionObserver,
    plan?: Plan,
  ) {
    this.#rules = rules;
    this.#plan = plan;
    this.#store = store;
    this.#observer = observer;
    this.#engine = options.engine ?? rules.settings.engine;
    this.#requestBodyAccess = rules.settings.requestBodyAccess;
    this.#responseBodyAccess = rules.settings.responseBodyAccess;
    this.id = options.requestId ?? `${Date.now().toString(36)}${(++uniqueCounter).toString(36)}`;
    this.#collections.set('TX', this.#tx);
    for (const name of ['ARGS_GET', 'ARGS_POST', 'REQUEST_HEADERS', 'REQUEST_COOKIES', 'RESPONSE_HEADERS']) {
      this.#collections.set(name, new KeyedCollection());
    }
    this.#collections.set('MATCHED_VARS', this.#matchedVars);
    // ENV, FILES*, XML, MULTIPART_*, GEO: created when something is written to them
    // (#collectionFor); a reader finds none and sees no values.
    this.#scalars.set('UNIQUE_ID', this.id);
    this.#scalars.set('REMOTE_ADDR', options.clientIp ?? '');
    this.#scalars.set('REMOTE_PORT', String(options.clientPort ?? 0));
    this.#scalars.set('SERVER_ADDR', options.serverIp ?? '');
    this.#scalars.set('SERVER_PORT', String(options.serverPort ?? 0));
    this.#scalars.set('REQBODY_ERROR', '0');
    this.#scalars.set('REQBODY_PROCESSOR_ERROR', '0');
    this.#scalars.set('INBOUND_DATA_ERROR', '0');
    this.#scalars.set('OUTBOUND_DATA_ERROR', '0');
    this.#scalars.set('REQUEST_BODY_LENGTH', '0');
    this.#scalars.set('FILES_COMBINED_SIZE', '0');
    for (const [k, v] of Object.entries(options.tx ?? {})) this.#tx.set(k, String(v));
    if (options.removeRuleIds) this.#removedIds.push(...options.removeRuleIds);
    for (const r of options.removeTargets ?? []) {
      for (const selector of parseTargets(r.targets)) this.#removedTargets.push({ selector, ruleIds: r.ids });
    }
    if (this.#plan !== undefined && this.#removedTargets.some((r) => r.selector.name === 'TX')) this.#plan = undefined;
  }

  // ---- feeding the request -------------------------------------------------------------

  /** The TCP connection, when it was not known at newTransaction() time. */
  processConnection(clientIp: string, clientPort: number, serverIp: string, serverPort: number): void {
    this.#scalars.set('REMOTE_ADDR', clientIp);
    this.#scalars.set('REMOTE_PORT', String(clientPort));
    this.#scalars.set('SERVER_ADDR', serverIp);
    this.#scalars.set('SERVER_PORT', String(serverPort));
  }

  /** The request line. `uri` is the request-target as sent; protocol like "HTTP/1.1". */
  processUri(method: string, uri: string, protocol: string): void {
    this.#scalars.set('REQUEST_METHOD', method);
    this.#scalars.set('REQUEST_PROTOCOL', protocol);
    this.#scalars.set('REQUEST_LINE', `${method} ${uri} ${protocol}`.trimEnd());
    this.#scalars.set('REQUEST_URI_RAW', uri);
    const hash = uri.indexOf('#');
    const noFragment = hash === -1 ? uri : uri.slice(0, hash);
    const q = noFragment.indexOf('?');
    const query = q === -1 ? '' : noFragment.slice(q + 1);
    this.#scalars.set('QUERY_STRING', query);
    // libmodsecurity: REQUEST_URI and REQUEST_FILENAME are %-decoded; an absolute-form target
    // loses its scheme and authority.
    let decoded = percentDecode(noFragment);
    const absolute = /^[a-z][a-z0-9+.-]*:\/\/[^/]*/i.exec(decoded);
    if (absolute) decoded = decoded.slice(absolute[0].length) || '/';
    this.#scalars.set('REQUEST_URI', decoded);
    const dq = decoded.indexOf('?');
    const path = dq === -1 ? decoded : decoded.slice(0, dq);
    this.#scalars.set('REQUEST_FILENAME', path);
    this.#scalars.set('PATH_INFO', path);
    const slash = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
    this.#scalars.set('REQUEST_BASENAME', slash === -1 ? path : path.slice(slash + 1));
    const args = this.#collections.get('ARGS_GET')!;
    parseQueryString(query, (k, v) => {
      args.add(k, v);
      return true;
    });
  }

  addRequestHeader(name: string, value: string): void {
    this.#collections.get('REQUEST_HEADERS')!.add(name, value);
    const lower = name.toLowerCase();
    if (lower === 'cookie') this.#parseCookies(value);
    else if (lower === 'content-type') {
      // libmodsecurity picks the processor from the header; ctl:requestBodyProcessor overrides it.
      const ct = value.trim().toLowerCase();
      if (ct.startsWith('multipart/form-data')) this.#bodyProcessor = 'MULTIPART';
      else if (ct.startsWith('application/x-www-form-urlencoded')) this.#bodyProcessor = 'URLENCODED';
      if (this.#bodyProcessor) this.#scalars.set('REQBODY_PROCESSOR', this.#bodyProcessor);
    } else if (lower === 'host') this.#scalars.set('SERVER_NAME', value.split(':')[0] ?? '');
    else if (lower === 'authorization') this.#scalars.set('AUTH_TYPE', value.split(' ')[0] ?? '');
  }

  #parseCookies(value: string): void {
    const cookies = this.#collections.get('REQUEST_COOKIES')!;
    for (const raw of value.split(';')) {
      const eq = raw.indexOf('=');
      const key = (eq === -1 ? raw : raw.slice(0, eq)).trimStart();
      if (key === '') continue;
      cookies.add(key, eq === -1 ? '' : raw.slice(eq + 1).trimEnd());
    }
  }

  /** Phase 1. Returns the interruption when a rule stops the request. */
  processRequestHeaders(): Interruption | undefined {
    return this.#runPhase(1);
  }

  /** Buffers request body bytes (latin1 string or Buffer), up to SecRequestBodyLimit. */
  appendRequestBody(chunk: string | Buffer): Interruption | undefined {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const limit = this.#rules.settings.requestBodyLimit;
    if (this.#requestBodySize + text.length > limit) {
      this.#scalars.set('INBOUND_DATA_ERROR', '1');
      const room = Math.max(0, limit - this.#requestBodySize);
      this.#requestBody.push(text.slice(0, room));
      this.#requestBodySize += room;
      if (this.#rules.settings.requestBodyLimitAction === 'Reject' && this.#engine === 'On' && !this.#interruption) {
        this.#interruption = { ruleId: 0, action: 'deny', status: 413, data: 'request body larger than the limit' };
      }
      return this.#interruption;
    }
    this.#requestBody.push(text);
    this.#requestBodySize += text.length;
    return undefined;
  }

  /** Runs the body processor, then phase 2. */
  processRequestBody(): Interruption | undefined {
    if (this.#interruption) return this.#interruption;
    if (this.#engine === 'Off') return undefined;
    if (this.#requestBodyAccess) {
      const body = this.#requestBody.join('');
      this.#requestBody = [body];
      this.#scalars.set('REQUEST_BODY_LENGTH', String(body.length));
      // ModSecurity 2 and Coraza: REQUEST_BODY holds the raw body only for URLENCODED or when
      // ctl:forceRequestBodyVariable asked for it (CRS 901340 does, when no processor applies).
      // Filling it for XML/JSON too makes CRS 944xxx match element names (the libmodsecurity 3
      // behaviour CRS's nginx overrides excuse).
      if (body.length > 0 && (this.#bodyProcessor === 'URLENCODED' || this.#forceBodyVariable)) {
        this.#scalars.set('REQUEST_BODY', body);
      }
      this.#processBody(body);
    }
    return this.#runPhase(2);
  }

  #processBody(body: string): void {
    const name = this.#bodyProcessor;
    if (!name) return;
    const processor = BODY_PROCESSORS.get(name);
    if (!processor) return;
    const limit = this.#rules.settings.argumentsLimit;
    const argsPost = this.#collections.get('ARGS_POST')!;
    const sink: BodySink = {
      addArgument: (key, value) => {
        if (argsPost.size + this.#collections.get('ARGS_GET')!.size >= limit) return false;
        argsPost.add(key, value);
        return true;
      },
      addToCollection: (collection, key, value) => this.#collectionFor(collection).add(key, value),
      setScalar: (n, v) => this.#scalars.set(n, v),
    };
    let error: { message: string } | undefined;
    try {
      error = processor(body, this.#collections.get('REQUEST_HEADERS')!.get('content-type') ?? '', sink, {
        jsonDepth: this.#rules.settings.requestBodyJsonDepthLimit,
      });
    } catch (err) {
      error = { message: `${name} parsing error: ${(err as Error).message}` };
    }
    if (error) {
      this.#scalars.set('REQBODY_ERROR', '1');
      this.#scalars.set('REQBODY_PROCESSOR_ERROR', '1');
      this.#scalars.set('REQBODY_ERROR_MSG', error.message);
      this.#scalars.set('REQBODY_PROCESSOR_ERROR_MSG', error.message);
    }
  }

  #collectionFor(name: string): KeyedCollection {
    let c = this.#collections.get(name);
    if (!c) {
      c = new KeyedCollection();
      this.#collections.set(name, c);
    }
    return c;
  }

  addResponseHeader(name: string, value: string): void {
    this.#collections.get('RESPONSE_HEADERS')!.add(name, value);
    if (name.toLowerCase() === 'content-type') {
      this.#scalars.set('RESPONSE_CONTENT_TYPE', (value.split(';')[0] ?? '').trim());
    }
  }

  /** Phase 3. */
  processResponseHeaders(status: number, protocol = 'HTTP/1.1'): Interruption | undefined {
    this.#scalars.set('RESPONSE_STATUS', String(status));
    this.#scalars.set('RESPONSE_PROTOCOL', protocol);
    this.#scalars.set('STATUS_LINE', `${protocol} ${status}`);
    return this.#runPhase(3);
  }

  /** Whether the response body should be buffered for phase 4 (access on, inspectable type). */
  wantsResponseBody(): boolean {
    if (!this.#responseBodyAccess || this.#engine === 'Off') return false;
    const ct = (this.#scalars.get('RESPONSE_CONTENT_TYPE') ?? '').toLowerCase();
    return this.#rules.settings.responseBodyMimeTypes.includes(ct);
  }

  appendResponseBody(chunk: string | Buffer): void {
    const text = typeof chunk === 'string' ? chunk : chunk.toString('latin1');
    const limit = this.#rules.settings.responseBodyLimit;
    if (this.#responseBodySize + text.length > limit) {
      this.#scalars.set('OUTBOUND_DATA_ERROR', '1');
      const room = Math.max(0, limit - this.#responseBodySize);
      this.#responseBody.push(text.slice(0, room));
      this.#responseBodySize += room;
      return;
    }
    this.#responseBody.push(text);
    this.#responseBodySize += text.length;
  }

  /** Phase 4. */
  processResponseBody(): Interruption | undefined {
    if (this.wantsResponseBody()) {
      const body = this.#responseBody.join('');
      this.#scalars.set('RESPONSE_BODY', body);
      this.#scalars.set('RESPONSE_CONTENT_LENGTH', String(body.length));
    }
    return this.#runPhase(4);
  }

  /** Phase 5, then the observer's end-of-transaction call. Safe to call once only. */
  processLogging(): void {
    if (this.#loggingDone) return;
    this.#loggingDone = true;
    this.#runPhase(5);
    this.#observer?.onEnd?.(this);
  }

  /**
   * Keeps the values of `keys` in one collection (ARGS_GET, ARGS_POST, REQUEST_HEADERS,
   * REQUEST_COOKIES) from every rule, through ARGS too: the caller has proved them to be no
   * free text (an integer, an enum...; the validate stage's schema hints). A key is compared as
   * written (header keys lower-case), and skipped only while it names exactly one entry of the
   * collection, case-insensitively: a repeated or case-varied name may carry a value the proof
   * did not cover, so it is inspected. Names (ARGS_NAMES...) and whole-request variables
   * (QUERY_STRING, REQUEST_BODY) are still inspected. Requests for ARGS_POST apply once the
   * body has been parsed.
   */
  skipValues(
    collection: 'ARGS_GET' | 'ARGS_POST' | 'REQUEST_HEADERS' | 'REQUEST_COOKIES',
    keys: ReadonlySet<string>,
  ): void {
    if (keys.size > 0) this.#skipRequests.push({ collection, keys });
  }

  #resolveSkips(): void {
    for (const { collection, keys } of this.#skipRequests) {
      const c = this.#collections.get(collection);
      if (c === undefined || c.size === 0) continue;
      const byLower = collection === 'REQUEST_HEADERS';
      for (const key of keys) {
        const same = c.getAllLower(key.toLowerCase());
        if (same.length !== 1) continue;
        const entry = same[0]!;
        if (byLower ? entry.lower === key : entry.key === key) this.#skipped.add(entry);
      }
    }
  }

  /** The body processor chosen so far (URLENCODED, MULTIPART, JSON, XML), if any. */
  get requestBodyProcessor(): string | undefined {
    return this.#bodyProcessor;
  }

  // ---- results ---------------------------------------------------------------------------

  get interruption(): Interruption | undefined {
    return this.#interruption;
  }

  get matchedRules(): readonly MatchedRule[] {
    return this.#matched;
  }

  get engineMode(): EngineMode {
    return this.#engine;
  }

  get requestBodyAccess(): boolean {
    return this.#requestBodyAccess && this.#engine !== 'Off';
  }

  /** A TX variable, e.g. `blocking_inbound_anomaly_score`. */
  txVar(name: string): string | undefined {
    return this.#tx.get(name);
  }

  /** Inbound and outbound anomaly scores as CRS computes them. */
  get scores(): { inbound: number; outbound: number } {
    const n = (k: string) => Number.parseInt(this.txVar(k) ?? '0', 10) || 0;
    return { inbound: n('blocking_inbound_anomaly_score'), outbound: n('blocking_outbound_anomaly_score') };
  }

  /** Every variable the transaction holds, for `waf explain`. */
  snapshot(): { scalars: [string, string][]; collections: [string, [string, string][]][] } {
    if (!this.#timeSet) this.#setTime();
    this.#syncMatchedVars();
    const matched: [string, string][] =
      this.#lastMatchVariable === undefined
        ? []
        : [
            ['MATCHED_VAR', this.#lastMatchValue],
            ['MATCHED_VAR_NAME', this.#lastMatchName()!],
          ];
    return {
      scalars: [...this.#scalars, ...matched].filter(([, v]) => v !== ''),
      collections: [...this.#collections]
        .filter(([, c]) => c.size > 0)
        .map(([name, c]) => [name, c.entries().map((e) => [e.key, e.value] as [string, string])]),
    };
  }

  // ---- VariableSource / OperatorTx / ActionContext ---------------------------------------

  scalar(name: string): string | undefined {
    if (name === 'MATCHED_VAR') return this.#lastMatchVariable === undefined ? undefined : this.#lastMatchValue;
    if (name === 'MATCHED_VAR_NAME') return this.#lastMatchName();
    const value = this.#scalars.get(name);
    // TIME*: read from the clock when first asked for (CRS at PL1 never does); only a miss,
    // off the path of the scalars every request reads, looks at the name.
    if (value === undefined && !this.#timeSet && name.startsWith('TIME')) {
      this.#setTime();
      return this.#scalars.get(name);
    }
    return value;
  }

  collection(name: string): KeyedCollection | undefined {
    if (name === 'RULE') return this.#ruleCollection();
    if (name === 'MATCHED_VARS') this.#syncMatchedVars();
    return this.#collections.get(name);
  }

  #lastMatchName(): string | undefined {
    const variable = this.#lastMatchVariable;
    if (variable === undefined) return undefined;
    return this.#lastMatchKey === '' ? variable : `${variable}:${this.#lastMatchKey}`;
  }

  #syncMatchedVars(): void {
    if (this.#mvSynced) return;
    this.#mvSynced = true;
    this.#matchedVars.clear();
    for (let i = 0; i < this.#mvCount; i++) {
      const key = this.#mvKeys[i]!;
      const variable = this.#mvVariables[i]!;
      this.#matchedVars.add(key === '' ? variable : `${variable}:${key}`, this.#mvValues[i]!);
    }
  }

  derived(
    view: string,
    sources: readonly string[],
    build: (src: VariableSource) => CollectionEntry[],
  ): readonly CollectionEntry[] {
    let stamp = 0;
    if (!this.#mvSynced && sources.includes('MATCHED_VARS')) this.#syncMatchedVars();
    for (const s of sources) stamp = stamp * 1_000_003 + (this.#collections.get(s)?.version ?? 0) + 1;
    const hit = this.#views.get(view);
    if (hit && hit.stamp === stamp) return hit.entries;
    const entries = build(this);
    this.#views.set(view, { stamp, entries });
    return entries;
  }

  expandMacros(text: string): string {
    return expandMacros(text, this.#resolver);
  }

  /** Bound once: expandMacros runs for most matched rules (setvar, msg, logdata). */
  readonly #resolver = (variable: string, key: string | undefined, keyLower: string | undefined): string =>
    this.#resolveMacro(variable, key, keyLower);

  #resolveMacro(variable: string, key: string | undefined, keyLower?: string): string {
    // %{tx.x}: CRS's anomaly scores and settings, by far the most expanded.
    if (variable === 'TX' && keyLower !== undefined) return this.#tx.getAllLower(keyLower)[0]?.value ?? '';
    if (variable === 'RULE') return this.#ruleField(key ?? 'id');
    const def = VARIABLES.get(variable);
    if (!def) return '';
    if (def.kind === 'scalar') return def.read(this) ?? '';
    if (key === undefined) return def.read(this)[0]?.value ?? '';
    if (def.lookup) return def.lookup(this, key.toLowerCase())[0]?.value ?? '';
    const lower = key.toLowerCase();
    for (const e of def.read(this)) if (e.key.toLowerCase() === lower) return e.value;
    return '';
  }

  setCapture(index: number, value: string): void {
    this.#tx.set(String(index), value);
  }

  setMatchedData(value: string): void {
    this.#matchedData = value;
  }

  ctl(name: string, value: string, rule: Rule): void {
    switch (name) {
      case 'ruleengine':
        this.#engine = value.toLowerCase() === 'off' ? 'Off' : value.toLowerCase() === 'on' ? 'On' : 'DetectionOnly';
        return;
      case 'requestbodyaccess':
        this.#requestBodyAccess = value.toLowerCase() === 'on' || value.toLowerCase() === 'true';
        return;
      case 'responsebodyaccess':
        this.#responseBodyAccess = value.toLowerCase() === 'on' || value.toLowerCase() === 'true';
        return;
      case 'requestbodyprocessor':
        this.#bodyProcessor = value.toUpperCase();
        this.#scalars.set('REQBODY_PROCESSOR', this.#bodyProcessor);
        return;
      case 'ruleremovebyid':
        try {
          this.#removedIds.push(...parseIdRanges(value));
          this.#removalsChanged = true;
        } catch {
          // A malformed id list in a ctl is ignored, as ModSecurity does at run time.
        }
        return;
      case 'ruleremovebytag':
        this.#removedTags.add(value);
        this.#removalsChanged = true;
        return;
      case 'ruleremovebymsg':
        this.#removedMsgs.add(value);
        this.#removalsChanged = true;
        return;
      case 'ruleremovetargetbyid':
      case 'ruleremovetargetbytag':
      case 'ruleremovetargetbymsg': {
        const semi = value.indexOf(';');
        if (semi === -1) return;
        const which = value.slice(0, semi).trim();
        let selectors: VariableSelector[];
        try {
          selectors = parseTargets(value.slice(semi + 1));
        } catch {
          return;
        }
        for (const selector of selectors) {
          if (name === 'ruleremovetargetbyid') {
            try {
              for (const ids of parseIdRanges(which)) this.#removedTargets.push({ selector, ruleIds: ids });
            } catch {
              return;
            }
          } else this.#removedTargets.push({ selector, tag: which });
        }
        this.#removalsChanged = true;
        return;
      }
      case 'forcerequestbodyvariable':
        this.#forceBodyVariable = value.toLowerCase() === 'on' || value.toLowerCase() === 'true';
        return;
      default:
        // Audit engine and debug options concern ModSecurity's own log files.
        void rule;
    }
  }

  setEnv(name: string, value: string): void {
    this.#collectionFor('ENV').set(name, value);
  }

  expireVar(collection: string, key: string, seconds: number): void {
    const col = this.#collections.get(collection);
    if (!col) return;
    if (seconds <= 0) col.remove(key);
    else {
      const timer = setTimeout(() => col.remove(key), seconds * 1000);
      timer.unref();
    }
  }

  initCollection(name: string, key: string): void {
    this.#collections.set(name, this.#store.open(name, key, this.#rules.settings.collectionTimeout));
    if (name === 'USER') this.#scalars.set('USERID', key);
    if (name === 'SESSION') this.#scalars.set('SESSIONID', key);
  }

  // ---- the rule loop ---------------------------------------------------------------------

  #runPhase(phase: RulePhase): Interruption | undefined {
    if (this.#engine === 'Off' || this.#phasesDone.has(phase)) return this.#interruption;
    this.#phasesDone.add(phase);
    // A phase skipped by the caller (no body) still runs its rules when a later one is asked for.
    for (const p of [1, 2, 3, 4] as const) {
      if (p < phase && !this.#phasesDone.has(p) && !this.#interruption) {
        this.#phasesDone.add(p);
        this.#evaluatePhase(p);
      }
    }
    if (this.#interruption && phase !== 5) return this.#interruption;
    this.#evaluatePhase(phase);
    if (phase === 2) this.#shed();
    return this.#interruption;
  }

  /**
   * Drops what the request phases cached (the forms of values and transformation results, the
   * per-phase entry lists, derived views) once phase 2 is done. A transaction lives on until its
   * response, and every in-flight one kept its caches alive for the young-generation collections
   * to copy again (measured: 210 KB per 1 KB JSON POST, 29 KB after this). Response phases
   * rebuild what they read.
   */
  #shed(): void {
    this.#forms.clear();
    this.#views.clear();
    for (const c of this.#collections.values()) for (const e of c.entries()) e.form = undefined;
    if (this.#phaseEntriesUsed) {
      this.#phaseEntries.fill(undefined);
      this.#phaseEntriesUsed = false;
    }
    this.#groupHits = [];
  }

  #evaluatePhase(phase: RulePhase): void {
    const planned = this.#plan?.phases.get(phase);
    let rules = planned !== undefined ? planned.rules : (this.#rules.phases.get(phase) ?? []);
    if (this.#skipRequests.length > 0) this.#resolveSkips();
    // Request data may have grown since the last phase (the body, the response).
    if (this.#groupHits.length > 0) this.#groupHits = [];
    if (this.#phaseEntriesUsed) {
      this.#phaseEntries.fill(undefined);
      this.#phaseEntriesUsed = false;
    }
    this.#skipAfter = undefined;
    this.#skip = 0;
    let skipTargets = planned !== undefined ? planned.skipTargets : this.#rules.skipTargets.get(phase);
    for (let i = 0; i < rules.length; i++) {
      const rule = rules[i]!;
      if (this.#interruption && phase !== 5) break;
      if (rule.marker !== undefined) continue;
      if (this.#isRemoved(rule)) continue;
      if (this.#skip > 0) {
        this.#skip--;
        continue;
      }
      if (this.#allow === 'all' || this.#allow === 'phase') break;
      if (this.#allow === 'request' && phase <= 2) break;
      this.#evaluateRule(rule, phase);
      if (this.#removalsChanged) {
        this.#removalsChanged = false;
        if (planned !== undefined && this.#plan !== undefined && this.#planVoided()) {
          // A rule the plan decided, or a TX target, was removed: the full list from here on.
          i = planned.origin[i]!;
          rules = this.#rules.phases.get(phase) ?? [];
          skipTargets = this.#rules.skipTargets.get(phase);
          this.#plan = undefined;
        }
      }
      if (this.#skipAfter !== undefined) {
        // Past the marker (or the rule with that id): skipAfter skips it too. Only a matched
        // rule sets #skipAfter, and only to its own skipAfter, whose target is precomputed.
        i = skipTargets![i]!;
        this.#skipAfter = undefined;
      }
    }
    if (this.#allow === 'phase') this.#allow = 'none';
    if (this.#allow === 'request' && phase === 2) this.#allow = 'none';
  }

  #planVoided(): boolean {
    for (const r of this.#removedTargets) if (r.selector.name === 'TX') return true;
    for (const rule of this.#plan!.assumed) if (this.#isRemoved(rule)) return true;
    return false;
  }

  #isRemoved(rule: Rule): boolean {
    if (this.#removedIds.length > 0 && inRanges(rule.id, this.#removedIds)) return true;
    if (this.#removedTags.size > 0) for (const t of rule.tags) if (this.#removedTags.has(t)) return true;
    if (this.#removedMsgs.size > 0 && rule.msg !== undefined && this.#removedMsgs.has(rule.msg)) return true;
    return false;
  }

  #evaluateRule(rule: Rule, phase: RulePhase): void {
    if (COUNTING) counters.rules++;
    if (this.#mvCount > 0) {
      this.#mvCount = 0;
      this.#mvSynced = false;
    }
    if (this.#currentMatches.length > 0) this.#currentMatches = [];
    this.#currentRule = rule;
    // RULE (%{rule.id}, %{rule.msg}...) is read from the current rule on demand (#ruleField);
    // msg and logdata are expanded only once the rule matches, since hundreds of rules run per
    // request and few match.
    this.#ruleMsg = '';
    this.#ruleLogdata = '';
    this.#ruleTextExpanded = false;
    if (rule.literalGroup >= 0 && !this.#groupHolds(rule)) {
      // No value this rule reads holds one of its required literals: it cannot match.
      if (COUNTING) counters.rulesSkipped++;
      return;
    }
    let member: Rule | undefined = rule;
    while (member) {
      if (!this.#evaluateOne(member, rule)) {
        this.capturing = false;
        return;
      }
      member = member.chained;
    }
    this.capturing = false;
    this.#onRuleMatched(rule, phase);
  }

  /** Evaluates one rule of a chain; runs its non-disruptive actions per match. */
  #evaluateOne(rule: Rule, starter: Rule): boolean {
    this.capturing = rule.capture;
    if (!rule.operator) {
      this.#runActions(rule);
      return true;
    }
    // Targets are walked in place (no intermediate arrays): this loop runs for every rule and
    // every value of every request.
    const removedTargets = this.#removedTargets.length > 0;
    const skipped = this.#skipped.size > 0 ? this.#skipped : undefined;
    // A value whose transformed form is known and holds none of the operator's required
    // literals cannot match: it is passed over before any other check (key regexes, exclusions,
    // the transformation cache). The group scan (#groupHolds) has usually computed that form.
    const op = rule.operator;
    const slot = rule.multiMatch || op.negated ? -1 : rule.literalSlot;
    const chain = rule.transformationIds;
    const last = chain.length === 0 ? -1 : chain[chain.length - 1]!;
    // No transformation, no literal slot, no remembered answer (CRS's TX bookkeeping: counts,
    // paranoia levels, scores): the operator runs on the text itself, without looking up or
    // creating its Form.
    const bare = last < 0 && op.memoSlot < 0 && rule.literalSlot < 0;
    let matched = false;
    const targets = rule.targets;
    for (let t = 0; t < targets.length; t++) {
      const sel = targets[t]!;
      const def = rule.targetVariables[t];
      if (!def) continue;
      const exclusions = rule.targetExclusions[t]!;
      if (def.kind === 'scalar') {
        // A scalar can be excluded too: ctl:ruleRemoveTargetByTag=xss-perf-disable;REQUEST_FILENAME.
        const removals = removedTargets ? this.#removalsFor(starter, sel.name) : undefined;
        if ((removals !== undefined || exclusions.length > 0) && excluded(exclusions, removals, '', '')) continue;
        const raw = def.read(this) ?? '';
        const value = sel.count ? (raw === '' ? '0' : '1') : raw;
        if (
          bare
            ? this.#testBare(rule, starter, sel.name, '', value)
            : this.#test(rule, starter, sel.name, '', this.#root(value, sel.name))
        )
          matched = true;
        continue;
      }
      // A literal key goes through the collection's index, which already compared keys.
      const indexed = sel.key !== undefined && def.lookup !== undefined && sel.name !== 'XML';
      // TX:key, the commonest target (CRS's paranoia gates, scores, settings), straight from #tx.
      const entries = indexed
        ? def === TX_VARIABLE
          ? this.#tx.getAllLower(sel.keyLower!)
          : def.lookup!(this, sel.keyLower!)
        : this.#entries(def);
      // Fixed length: a setvar run by this very rule must not add values to its own loop.
      const n = entries.length;
      // Target removals (ctl:ruleRemoveTarget*, configured ones) that name this variable and
      // this rule, found once per target rather than once per value: CRS's xss-perf-disable
      // removal is in force for most requests and concerns REQUEST_FILENAME only.
      const removals = removedTargets && n > 0 ? this.#removalsFor(starter, sel.name) : undefined;
      const checkExclusions = removals !== undefined || exclusions.length > 0;
      let count = 0;
      for (let i = 0; i < n; i++) {
        const e = entries[i]!;
        if (slot >= 0 && !sel.count) {
          const root = e.form;
          if (root !== undefined && root.text === e.value) {
            const form = last < 0 ? root : root.next[last];
            if (form !== undefined && form.hits !== undefined && !hasSlot(form.hits, slot)) {
              if (COUNTING) counters.literalRejects++;
              continue;
            }
          }
        }
        if (sel.key !== undefined && !indexed && !keyMatches(sel, e)) continue;
        if (sel.keyRegex && !keyRegexHits(sel, e.key, e.lower)) continue;
        if (checkExclusions && excluded(exclusions, removals, e.key, e.lower)) continue;
        if (skipped !== undefined && !sel.count && skipped.has(e)) continue;
        if (sel.count) count++;
        else if (
          bare
            ? this.#testBare(rule, starter, sel.name, e.key, e.value)
            : this.#test(rule, starter, sel.name, e.key, this.#formOf(e, sel.name))
        )
          matched = true;
      }
      if (sel.count) {
        const text = String(count);
        const key = sel.key ?? '';
        if (
          bare
            ? this.#testBare(rule, starter, sel.name, key, text)
            : this.#test(rule, starter, sel.name, key, this.#root(text, sel.name))
        )
          matched = true;
      }
    }
    return matched;
  }

  /**
   * A collection variable's entries. Stable ones (request and response data, which no rule
   * changes) are read once per phase: a derived view such as ARGS_NAMES otherwise costs a few
   * map lookups for each of the hundreds of rules that target it.
   */
  #entries(def: VariableDefinition & { kind: 'collection' }): readonly CollectionEntry[] {
    if (!def.stable) return def.read(this);
    let entries = this.#phaseEntries[def.id];
    if (entries === undefined) {
      entries = def.read(this);
      this.#phaseEntries[def.id] = entries;
      this.#phaseEntriesUsed = true;
    }
    return entries;
  }

  /** #test for a rule without transformations, literal slot or memo slot (#evaluateOne's `bare`). */
  #testBare(rule: Rule, starter: Rule, variable: string, key: string, text: string): boolean {
    const op = rule.operator!;
    if (COUNTING) counters.valueTests++;
    if (this.#evaluate(op, text) === op.negated) return false;
    this.#onValueMatched(rule, starter, variable, key, text);
    return true;
  }

  /** Transforms one value, runs the operator, and records a match. */
  #test(rule: Rule, starter: Rule, variable: string, key: string, root: Form): boolean {
    const op = rule.operator!;
    const slot = rule.literalSlot;
    if (COUNTING) counters.valueTests++;
    if (!rule.multiMatch) {
      const form = this.#transform(rule, root);
      if (COUNTING && slot >= 0 && !op.negated && !hasSlot(this.#hits(form), slot)) counters.literalRejects++;
      if ((slot >= 0 && !hasSlot(this.#hits(form), slot) ? false : this.#run(op, form)) === op.negated) return false;
      this.#onValueMatched(rule, starter, variable, key, form.text);
      return true;
    }
    for (const form of this.#transformAll(rule, root)) {
      if ((slot >= 0 && !hasSlot(this.#hits(form), slot) ? false : this.#run(op, form)) === op.negated) continue;
      this.#onValueMatched(rule, starter, variable, key, form.text);
      return true;
    }
    return false;
  }

  /**
   * The operator's answer for a form. A value-only operator that did not match a text is not
   * run on it again: header forms are shared across transactions (forms.ts), and CRS applies
   * the same pattern to the same values in several rules.
   */
  #run(op: RuleOperator, form: Form): boolean {
    const memo = op.memoSlot;
    if (memo < 0) return this.#evaluate(op, form.text);
    const misses = form.misses;
    if (misses !== undefined && hasSlot(misses, memo)) {
      if (COUNTING) counters.memoHits++;
      return false;
    }
    if (this.#evaluate(op, form.text)) return true;
    const set = misses ?? (form.misses = new Uint32Array((this.#rules.memoSlots + 31) >>> 5));
    set[memo >>> 5]! |= 1 << (memo & 31);
    return false;
  }

  #evaluate(op: RuleOperator, value: string): boolean {
    if (COUNTING) counters.tests[op.name] = (counters.tests[op.name] ?? 0) + 1;
    return op.impl.evaluate(this, value);
  }

  /**
   * Which rules' required literals the form holds (RuleSet.literals.scan): a rule whose slot is
   * clear cannot match and is not run. One scan per distinct text answers for every rule.
   */
  #hits(form: Form): Uint32Array {
    let hits = form.hits;
    if (hits === undefined) {
      hits = this.#rules.literals.scan(form.text);
      form.hits = hits;
      if (COUNTING) counters.literalScans++;
    }
    return hits;
  }

  /**
   * Whether some value of the rule's literal group holds one of the rule's required literals. The
   * group's values are every value its members' targets select (a superset of this rule's), before
   * exclusions, through the same transformations, so the answer is a necessary condition for the
   * rule to match.
   */
  #groupHolds(rule: Rule): boolean {
    let union = this.#groupHits[rule.literalGroup];
    if (union === undefined) {
      union = this.#scanGroup(rule);
      this.#groupHits[rule.literalGroup] = union;
    }
    return hasSlot(union, rule.literalSlot);
  }

  #scanGroup(rule: Rule): Uint32Array {
    const union = new Uint32Array((this.#rules.literals.slots + 31) >>> 5);
    const group = this.#rules.literalGroups[rule.literalGroup]!;
    const targets = group.targets;
    for (let t = 0; t < targets.length; t++) {
      const sel = targets[t]!;
      const def = group.targetVariables[t];
      if (!def) continue;
      if (def.kind === 'scalar') {
        this.#addHits(union, rule, this.#root(def.read(this) ?? '', sel.name));
        continue;
      }
      const indexed = sel.key !== undefined && def.lookup !== undefined && sel.name !== 'XML';
      const entries = indexed ? def.lookup!(this, sel.keyLower!) : this.#entries(def);
      for (const e of entries) {
        if (sel.key !== undefined && !indexed && !keyMatches(sel, e)) continue;
        if (sel.keyRegex && !keyRegexHits(sel, e.key, e.lower)) continue;
        this.#addHits(union, rule, this.#formOf(e, sel.name));
      }
    }
    return union;
  }

  #addHits(union: Uint32Array, rule: Rule, root: Form): void {
    if (rule.multiMatch) for (const form of this.#transformAll(rule, root)) orInto(union, this.#hits(form));
    else orInto(union, this.#hits(this.#transform(rule, root)));
  }

  #onValueMatched(rule: Rule, starter: Rule, variable: string, key: string, value: string): void {
    this.#recordMatch(rule, starter, variable, key, value);
    if (!this.#ruleTextExpanded) this.#expandRuleText(starter);
    this.#runActions(rule);
  }

  /** %{rule.msg} and %{rule.logdata} for actions that run at match time. */
  #expandRuleText(rule: Rule): void {
    this.#ruleTextExpanded = true;
    // A msg that refers to RULE itself would recurse; it is kept as written.
    if (rule.msg !== undefined) this.#ruleMsg = /%\{rule\./i.test(rule.msg) ? rule.msg : this.expandMacros(rule.msg);
    if (rule.logdata !== undefined && !/%\{rule\./i.test(rule.logdata))
      this.#ruleLogdata = this.expandMacros(rule.logdata);
  }

  /** One field of the RULE collection, for the rule being evaluated. */
  #ruleField(key: string): string {
    const rule = this.#currentRule;
    if (!rule) return '';
    switch (key.toLowerCase()) {
      case 'id':
        return rule.idText;
      case 'rev':
        return rule.rev ?? '';
      case 'ver':
        return rule.ver ?? '';
      case 'severity':
        return rule.severity === undefined ? '' : String(rule.severity);
      case 'msg':
        return this.#ruleMsg;
      case 'logdata':
        return this.#ruleLogdata;
      default:
        return '';
    }
  }

  /** RULE as a collection, for the rare rule that targets it. */
  #ruleCollection(): KeyedCollection {
    const c = new KeyedCollection();
    for (const k of ['id', 'rev', 'ver', 'severity', 'msg', 'logdata']) c.add(k, this.#ruleField(k));
    return c;
  }

  #runActions(rule: Rule): void {
    for (const action of rule.actions) action(this, rule);
  }

  #recordMatch(rule: Rule, starter: Rule, variable: string, key: string, value: string): void {
    // ModSecurity and Coraza record the value after transformations: chained rules such as
    // CRS 944120 (`SecRule MATCHED_VARS "@rx processbuilder"`) rely on the lower-cased text.
    this.#lastMatchVariable = variable;
    this.#lastMatchKey = key;
    this.#lastMatchValue = value;
    const n = this.#mvCount++;
    this.#mvVariables[n] = variable;
    this.#mvKeys[n] = key;
    this.#mvValues[n] = value;
    this.#mvSynced = false;
    // The details are kept only for a rule that is recorded (msg or log): #onRuleMatched.
    if (starter.msg !== undefined || starter.log) {
      this.#currentMatches.push({ variable, key, value, transformations: rule.transformationNames });
    }
  }

  #onRuleMatched(rule: Rule, phase: RulePhase): void {
    const msg = rule.msg !== undefined ? this.expandMacros(rule.msg) : '';
    const data = rule.logdata !== undefined ? this.expandMacros(rule.logdata) : '';
    this.#ruleMsg = msg;
    this.#ruleLogdata = data;
    const d = rule.disruptive;
    if (rule.msg !== undefined || rule.log) {
      const match: MatchedRule = {
        ruleId: rule.id,
        phase,
        msg,
        data,
        severity: rule.severity,
        tags: rule.tags,
        file: rule.file,
        line: rule.line,
        matches: this.#currentMatches,
        log: rule.log,
        disruptive: d !== undefined && d.kind !== 'pass' && d.kind !== 'allow',
      };
      this.#matched.push(match);
      if (rule.log) this.#observer?.onMatch?.(this, match);
    }
    if (rule.skipAfter !== undefined) this.#skipAfter = rule.skipAfter;
    if (rule.skip > 0) this.#skip = rule.skip;
    if (!d) return;
    switch (d.kind) {
      case 'allow':
        if (this.#engine === 'On')
          this.#allow = d.argument === 'phase' ? 'phase' : d.argument === 'request' ? 'request' : 'all';
        return;
      case 'deny':
      case 'drop':
      case 'redirect':
        if (this.#engine !== 'On' || phase === 5) return;
        this.#interruption = {
          ruleId: rule.id,
          action: d.kind,
          status: d.kind === 'redirect' ? (rule.status ?? 302) : (rule.status ?? 403),
          data: d.kind === 'redirect' ? d.argument : '',
        };
        return;
      default:
        return;
    }
  }

  // ---- targets and transformations ---------------------------------------------------------

  /** The selectors of the target removals in force for this rule and variable, if any. */
  #removalsFor(starter: Rule, variable: string): VariableSelector[] | undefined {
    let found: VariableSelector[] | undefined;
    for (const r of this.#removedTargets) {
      if (r.selector.name !== variable) continue;
      const applies =
        (r.ruleIds !== undefined && starter.id >= r.ruleIds[0] && starter.id <= r.ruleIds[1]) ||
        (r.tag !== undefined && starter.tags.includes(r.tag));
      if (applies) (found ??= []).push(r.selector);
    }
    return found;
  }

  /**
   * The form of a raw value. Request-header values and names come from the rule set's cache,
   * shared across transactions (forms.ts); other values live as long as this transaction.
   */
  #root(text: string, variable: string): Form {
    let form = this.#forms.get(text);
    if (form === undefined) {
      if (text.length > MAX_CACHED_VALUE) return new Form(text);
      form =
        (variable === 'REQUEST_HEADERS' || variable === 'REQUEST_HEADERS_NAMES') && text.length <= MAX_SHARED_TEXT
          ? this.#rules.formCache.formOf(text)
          : new Form(text);
      this.#forms.set(text, form);
    }
    return form;
  }

  /** The form of an entry's value, kept on the entry while the value stays the same. */
  #formOf(e: CollectionEntry, variable: string): Form {
    const form = e.form;
    if (form !== undefined && form.text === e.value) return form;
    return (e.form = this.#root(e.value, variable));
  }

  /** The form of a transformed text: one per distinct text, so that equal texts share their hits. */
  #intern(text: string): Form {
    let form = this.#forms.get(text);
    if (form === undefined) {
      form = new Form(text);
      this.#forms.set(text, form);
    }
    return form;
  }

  /**
   * Runs the rule's transformation chain over a value, reusing any prefix of the chain already
   * computed for the same value: CRS runs the same t:urlDecodeUni,... chains over the same ARGS
   * in hundreds of rules.
   */
  #transform(rule: Rule, root: Form): Form {
    const ts = rule.transformations;
    const n = ts.length;
    if (n === 0) return root;
    if (root.text.length > MAX_CACHED_VALUE) {
      // A large body is transformed afresh for each rule: caching every chain's copy of a
      // multi-megabyte REQUEST_BODY would multiply the memory a request can pin.
      let v = root.text;
      for (const t of ts) v = t.fn(v);
      if (COUNTING) counters.transformRuns += n;
      return new Form(v);
    }
    const ids = rule.transformationIds;
    const next = root.next;
    const full = next[ids[n - 1]!];
    if (full !== undefined) {
      if (COUNTING) counters.transformCacheHits++;
      return full;
    }
    let start = 0;
    let form = root;
    for (let i = n - 2; i >= 0; i--) {
      const hit = next[ids[i]!];
      if (hit !== undefined) {
        form = hit;
        start = i + 1;
        break;
      }
    }
    for (let i = start; i < n; i++) {
      const text = ts[i]!.fn(form.text);
      // An unchanged text keeps its form (and its hits).
      if (text !== form.text) form = this.#intern(text);
      next[ids[i]!] = form;
    }
    if (COUNTING) counters.transformRuns += n - start;
    return form;
  }

  /** multiMatch: the value before and after each transformation, without repeats. */
  #transformAll(rule: Rule, root: Form): Form[] {
    const out = [root];
    const ts = rule.transformations;
    if (root.text.length > MAX_CACHED_VALUE) {
      let v = root.text;
      for (const t of ts) {
        v = t.fn(v);
        if (v !== out[out.length - 1]!.text) out.push(new Form(v));
      }
      return out;
    }
    // The same prefix results as #transform: CRS's multiMatch rules (930100, 930110...) share
    // their chains' prefixes with the rules around them.
    const ids = rule.transformationIds;
    const next = root.next;
    let form = root;
    for (let i = 0; i < ts.length; i++) {
      const id = ids[i]!;
      let after = next[id];
      if (after === undefined) {
        const text = ts[i]!.fn(form.text);
        after = text === form.text ? form : this.#intern(text);
        next[id] = after;
        if (COUNTING) counters.transformRuns++;
      }
      form = after;
      if (form !== out[out.length - 1]) out.push(form);
    }
    return out;
  }

  #setTime(): void {
    this.#timeSet = true;
    const now = new Date();
    const s = this.#scalars;
    s.set('TIME_EPOCH', String(Math.floor(now.getTime() / 1000)));
    s.set('TIME_YEAR', String(now.getFullYear()));
    s.set('TIME_MON', String(now.getMonth() + 1));
    s.set('TIME_DAY', String(now.getDate()));
    s.set('TIME_HOUR', String(now.getHours()));
    s.set('TIME_MIN', String(now.getMinutes()));
    s.set('TIME_SEC', String(now.getSeconds()));
    s.set('TIME_WDAY', String(now.getDay()));
    s.set('TIME', `${pad(now.getHours())}:${pad(now.getMinutes())}:${pad(now.getSeconds())}`);
  }

  /** The matched data the last operator reported (for explain). */
  get lastMatchedData(): string {
    return this.#matchedData;
  }

  get currentRule(): Rule | undefined {
    return this.#currentRule;
  }
}

const TX_VARIABLE = VARIABLES.get('TX');

/** Values longer than this (bytes) skip the per-transaction transformation cache. */
const MAX_CACHED_VALUE = 65536;

function pad(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

function orInto(union: Uint32Array, hits: Uint32Array): void {
  for (let i = 0; i < union.length; i++) union[i]! |= hits[i]!;
}

function keyMatches(sel: VariableSelector, e: CollectionEntry): boolean {
  // XML:/* and XML://@* are XPath expressions, stored under those exact keys.
  if (sel.name === 'XML') return sel.key === e.key;
  return sel.keyLower === e.lower;
}

function selectorHits(sel: VariableSelector, key: string, lower: string): boolean {
  if (sel.keyRegex) return keyRegexHits(sel, key, lower);
  if (sel.keyLower === undefined) return true;
  return sel.keyLower === lower;
}

const targetCache = new Map<string, VariableSelector[]>();

/** Whether a rule's own exclusions (`!ARGS:x`) or a removal in force leave this value out. */
function excluded(
  exclusions: readonly VariableSelector[],
  removals: readonly VariableSelector[] | undefined,
  key: string,
  lower: string,
): boolean {
  for (const ex of exclusions) if (selectorHits(ex, key, lower)) return true;
  if (removals !== undefined) for (const r of removals) if (selectorHits(r, key, lower)) return true;
  return false;
}

function parseTargets(text: string): VariableSelector[] {
  let parsed = targetCache.get(text);
  if (!parsed) {
    parsed = parseVariables(text.trim(), (name) => VARIABLES.has(name));
    if (targetCache.size > 1000) targetCache.clear();
    targetCache.set(text, parsed);
  }
  return parsed;
}

/** %XX decoding without `+` (libmodsecurity's uri_decode for the request line). */
function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  return text.replace(/%([0-9a-fA-F]{2})/g, (_m, h: string) => String.fromCharCode(Number.parseInt(h, 16)));
}

export type { MutableCollection };
