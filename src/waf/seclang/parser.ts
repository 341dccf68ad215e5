import { existsSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ACTIONS } from '../actions/registry.js';
import type { ActionEnv, RuleDraft } from '../actions/types.js';
import { FormCache } from '../engine/forms.js';
import { type IdRange, inRanges, parseIdRanges } from '../engine/ranges.js';
import { defaultSettings, type EngineSettings, type RuleSet, skipTargetsOf } from '../engine/ruleset.js';
import type { Rule, RuleOperator, RulePhase, VariableSelector } from '../engine/types.js';
import { RULE_PHASES } from '../engine/types.js';
import type { OperatorFactory } from '../operators/types.js';
import { UNSUPPORTED } from '../operators/unsupported.js';
import { LiteralScanner } from '../regex/literal-scan.js';
import type { Transformation } from '../transformations/types.js';
import { VARIABLES } from '../variables/registry.js';
import { type ActionItem, parseActionList } from './actions.js';
import { expandInclude } from './include.js';
import { type Directive, SecLangError, splitArguments, splitDirectives } from './lexer.js';
import { parseVariables } from './variables.js';

export interface SecLangSource {
  /** Files to load in order; each may be a glob, like Include. */
  readonly files?: readonly string[];
  /** Inline SecLang, loaded after the files. */
  readonly text?: string;
  /** Name used for `text` in error messages. */
  readonly textName?: string;
  /** Directory relative Include paths in `text` resolve against. */
  readonly baseDir?: string;
}

export interface ParserRegistries {
  readonly operators: ReadonlyMap<string, OperatorFactory>;
  readonly transformations: ReadonlyMap<string, Transformation>;
}

const UNSUPPORTED_REASONS = new Map(UNSUPPORTED.map(([name, reason]) => [name.toLowerCase(), reason]));

/** Deepest Include nesting accepted: a file including itself fails instead of looping. */
const MAX_INCLUDE_DEPTH = 32;
/** ModSecurity's built-in default action list when no SecDefaultAction names the phase. */
const BUILTIN_DEFAULT_ACTIONS = 'log,auditlog,pass';

interface RuleBuild {
  draft: RuleDraft;
  targets: VariableSelector[];
  exclusions: VariableSelector[];
  operator?: RuleOperator;
  marker?: string;
  members: RuleBuild[];
  file: string;
  line: number;
  raw: string;
  removed: boolean;
}

/** Parses and compiles SecLang into a RuleSet. Throws SecLangError naming file and line. */
export function parseSecLang(source: SecLangSource, registries: ParserRegistries): RuleSet {
  const parser = new Parser(registries);
  for (const pattern of source.files ?? []) {
    for (const file of expandInclude(pattern, process.cwd())) parser.loadFile(file, 0);
  }
  if (source.text !== undefined) {
    parser.loadText(source.text, source.textName ?? '<inline>', source.baseDir ?? process.cwd(), 0);
  }
  return parser.finish();
}

class Parser {
  readonly #operators = new Map<string, OperatorFactory>();
  readonly #transformations = new Map<string, Transformation>();
  readonly #settings: EngineSettings = defaultSettings();
  readonly #defaults = new Map<RulePhase, ActionItem[]>();
  readonly #rules: RuleBuild[] = [];
  readonly #ids = new Map<number, RuleBuild>();
  #pendingChain: RuleBuild | undefined;
  readonly #env: ActionEnv;
  readonly #warnings: string[] = [];
  #where = '';

  constructor(registries: ParserRegistries) {
    for (const [name, f] of registries.operators) this.#operators.set(name.toLowerCase(), f);
    for (const [name, f] of registries.transformations) this.#transformations.set(name.toLowerCase(), f);
    this.#env = { transformation: (name) => this.#transformations.get(name.toLowerCase()) };
  }

  loadFile(file: string, depth: number): void {
    let text: string;
    try {
      text = readFileSync(file, 'latin1');
    } catch (err) {
      throw new SecLangError(file, 0, '', `cannot read rules file: ${(err as NodeJS.ErrnoException).code ?? err}`);
    }
    this.loadText(text, file, dirname(file), depth);
  }

  loadText(text: string, file: string, baseDir: string, depth: number): void {
    for (const d of splitDirectives(text, file)) {
      this.#where = `${d.file}:${d.line}`;
      try {
        this.#directive(d, baseDir, depth);
      } catch (err) {
        if (err instanceof SecLangError) throw err;
        throw new SecLangError(d.file, d.line, d.text, (err as Error).message);
      }
    }
  }

  #directive(d: Directive, baseDir: string, depth: number): void {
    const name = d.name.toLowerCase();
    if (this.#pendingChain && name !== 'secrule') {
      throw new Error(`rule ${this.#pendingChain.draft.id} ends with "chain" but the next directive is ${d.name}`);
    }
    const args = splitArguments(d.rest);
    switch (name) {
      case 'include':
      case 'includeoptional': {
        if (depth >= MAX_INCLUDE_DEPTH) throw new Error('Include nested too deeply (a file includes itself?)');
        let files: string[];
        try {
          files = expandInclude(one(args, d.name), baseDir);
        } catch (error) {
          // Apache's IncludeOptional: a pattern that matches nothing is not an error.
          if (name === 'includeoptional') return;
          throw error;
        }
        for (const file of files) {
          if (name === 'includeoptional' && !existsSync(file)) continue;
          this.loadFile(file, depth + 1);
        }
        return;
      }
      case 'secrule':
        this.#secRule(d, args, baseDir);
        return;
      case 'secaction':
        this.#secAction(d, args);
        return;
      case 'secmarker':
        this.#rules.push({
          draft: emptyDraft(),
          targets: [],
          exclusions: [],
          marker: one(args, d.name),
          members: [],
          file: d.file,
          line: d.line,
          raw: d.text,
          removed: false,
        });
        return;
      case 'secdefaultaction': {
        const items = parseActionList(one(args, d.name));
        const phase = phaseOf(items);
        if (phase === undefined) throw new Error('SecDefaultAction must name a phase');
        for (const item of items) {
          const def = ACTIONS.get(item.name);
          if (!def) throw new Error(`unknown action ${item.name}`);
          if (def.kind === 'metadata' && item.name !== 'phase')
            throw new Error(`SecDefaultAction cannot carry metadata action ${item.name}`);
        }
        this.#defaults.set(
          phase,
          items.filter((i) => i.name !== 'phase'),
        );
        return;
      }
      case 'secruleengine':
        this.#settings.engine = engineMode(one(args, d.name));
        return;
      case 'secrequestbodyaccess':
        this.#settings.requestBodyAccess = onOff(one(args, d.name));
        return;
      case 'secresponsebodyaccess':
        this.#settings.responseBodyAccess = onOff(one(args, d.name));
        return;
      case 'secrequestbodylimit':
        this.#settings.requestBodyLimit = positive(one(args, d.name));
        return;
      case 'secrequestbodynofileslimit':
        this.#settings.requestBodyNoFilesLimit = positive(one(args, d.name));
        return;
      case 'secresponsebodylimit':
        this.#settings.responseBodyLimit = positive(one(args, d.name));
        return;
      case 'secrequestbodylimitaction':
        this.#settings.requestBodyLimitAction = limitAction(one(args, d.name));
        return;
      case 'secresponsebodylimitaction':
        this.#settings.responseBodyLimitAction = limitAction(one(args, d.name));
        return;
      case 'secrequestbodyjsondepthlimit':
        this.#settings.requestBodyJsonDepthLimit = positive(one(args, d.name));
        return;
      case 'secargumentslimit':
        this.#settings.argumentsLimit = positive(one(args, d.name));
        return;
      case 'secresponsebodymimetype':
        if (args.length === 0) throw new Error('SecResponseBodyMimeType needs at least one type');
        this.#settings.responseBodyMimeTypes = args.flatMap((a) => a.split(/\s+/)).map((a) => a.toLowerCase());
        return;
      case 'secresponsebodymimetypesclear':
        this.#settings.responseBodyMimeTypes = [];
        return;
      case 'seccomponentsignature':
        this.#settings.componentSignatures.push(one(args, d.name));
        return;
      case 'seccollectiontimeout':
        this.#settings.collectionTimeout = positive(one(args, d.name));
        return;
      case 'secruleremovebyid': {
        const ranges = args.flatMap((a) => parseIdRanges(a));
        this.#removeWhere((r) => r.draft.id !== undefined && inRanges(r.draft.id, ranges));
        return;
      }
      case 'secruleremovebytag': {
        const tag = one(args, d.name);
        this.#removeWhere((r) => r.draft.tags.includes(tag));
        return;
      }
      case 'secruleremovebymsg': {
        const msg = one(args, d.name);
        this.#removeWhere((r) => r.draft.msg === msg);
        return;
      }
      case 'secruleupdatetargetbyid': {
        if (args.length < 2) throw new Error(`${d.name} needs a rule id and a target list`);
        const ranges: IdRange[] = parseIdRanges(args[0]!);
        this.#updateTargets((r) => r.draft.id !== undefined && inRanges(r.draft.id, ranges), args[1]!, args[2]);
        return;
      }
      case 'secruleupdatetargetbytag': {
        if (args.length < 2) throw new Error(`${d.name} needs a tag and a target list`);
        const tag = args[0]!;
        this.#updateTargets((r) => r.draft.tags.includes(tag), args[1]!, args[2]);
        return;
      }
      case 'secruleupdateactionbyid': {
        if (args.length !== 2) throw new Error(`${d.name} needs a rule id and an action list`);
        const id = Number(args[0]!.split(':')[0]);
        const rule = this.#ids.get(id);
        if (!rule) throw new Error(`${d.name}: no rule with id ${args[0]}`);
        for (const item of parseActionList(args[1]!)) {
          if (item.name === 'id' || item.name === 'phase' || item.name === 'chain')
            throw new Error(`${d.name} cannot change ${item.name}`);
          this.#apply(rule.draft, item);
        }
        return;
      }
      default:
        if (IGNORED_DIRECTIVES.has(name)) return;
        throw new Error(`unknown directive ${d.name}`);
    }
  }

  #secRule(d: Directive, args: string[], baseDir: string): void {
    if (args.length < 2 || args.length > 3) throw new Error('SecRule needs VARIABLES "OPERATOR" ["ACTIONS"]');
    const variables = parseVariables(args[0]!, (name) => VARIABLES.has(name));
    const targets = variables.filter((v) => !v.exclude);
    if (targets.length === 0) throw new Error('SecRule has only excluded variables');
    const operator = this.#operator(args[1]!, baseDir);
    const items = args[2] !== undefined ? parseActionList(args[2]) : [];
    const parent = this.#pendingChain;
    const build: RuleBuild = {
      draft: this.#draft(items, parent),
      targets,
      exclusions: variables.filter((v) => v.exclude),
      operator,
      members: [],
      file: d.file,
      line: d.line,
      raw: d.text,
      removed: false,
    };
    this.#attach(build, parent);
  }

  #secAction(d: Directive, args: string[]): void {
    const items = parseActionList(one(args, d.name));
    const build: RuleBuild = {
      draft: this.#draft(items, undefined),
      targets: [],
      exclusions: [],
      members: [],
      file: d.file,
      line: d.line,
      raw: d.text,
      removed: false,
    };
    this.#attach(build, undefined);
  }

  #attach(build: RuleBuild, parent: RuleBuild | undefined): void {
    if (parent) {
      parent.members.push(build);
      parent.raw += `\n${build.raw}`;
      this.#pendingChain = build.draft.chain ? parent : undefined;
      return;
    }
    const id = build.draft.id;
    if (id === undefined) throw new Error('rule has no id action');
    if (this.#ids.has(id)) throw new Error(`duplicate rule id ${id}`);
    this.#ids.set(id, build);
    this.#rules.push(build);
    this.#pendingChain = build.draft.chain ? build : undefined;
  }

  #draft(items: readonly ActionItem[], parent: RuleBuild | undefined): RuleDraft {
    const draft = emptyDraft();
    if (parent) {
      for (const item of items) {
        const def = ACTIONS.get(item.name);
        if (def?.kind === 'disruptive') throw new Error('a chained rule cannot carry a disruptive action');
        if (item.name === 'id' || item.name === 'phase') throw new Error(`a chained rule cannot set ${item.name}`);
        this.#apply(draft, item);
      }
      draft.phase = parent.draft.phase ?? 2;
      return draft;
    }
    const phase = phaseOf(items) ?? 2;
    const defaults = this.#defaults.get(phase) ?? parseActionList(BUILTIN_DEFAULT_ACTIONS);
    for (const item of defaults) this.#apply(draft, item);
    const inherited = draft.disruptive;
    for (const item of items) this.#apply(draft, item);
    // ModSecurity: `block` means "the disruptive action of the phase's SecDefaultAction".
    if (draft.disruptive?.kind === 'block') {
      draft.disruptive = inherited && inherited.kind !== 'block' ? inherited : { kind: 'pass', argument: '' };
    }
    draft.phase = phase;
    return draft;
  }

  #apply(draft: RuleDraft, item: ActionItem): void {
    const def = ACTIONS.get(item.name);
    if (!def) throw new Error(`unknown action ${item.name}`);
    def.apply(item.value, draft, this.#env);
  }

  /** Operator and argument -> RuleOperator.memoSlot. */
  readonly #memoSlots = new Map<string, number>();

  #operator(text: string, baseDir: string): RuleOperator {
    let negated = false;
    let rest = text;
    if (rest.startsWith('!')) {
      negated = true;
      rest = rest.slice(1);
    }
    let name = 'rx';
    let argument = rest;
    if (rest.startsWith('@')) {
      const space = rest.search(/\s/);
      name = space === -1 ? rest.slice(1) : rest.slice(1, space);
      argument = space === -1 ? '' : rest.slice(space + 1).trim();
    }
    const factory = this.#operators.get(name.toLowerCase());
    if (!factory) throw new Error(`unknown operator @${name}`);
    const reason = UNSUPPORTED_REASONS.get(name.toLowerCase());
    if (reason !== undefined) {
      // ModSecurity loads such rules and fails them at run time; CRS 3.3 (Debian) ships
      // @geoLookup in REQUEST-910, used only when country blocking is configured. Load the rule
      // as one that never matches and say so once at start-up, instead of refusing all of CRS.
      this.#warnings.push(`${this.#where}: @${name} ${reason}; this rule never matches`);
      return { name, argument, negated: false, impl: { evaluate: () => false }, memoSlot: -1 };
    }
    const impl = factory(argument, { baseDir });
    const lower = name.toLowerCase();
    let memoSlot = -1;
    if (MEMO_OPERATORS.has(lower) && !argument.includes('%{')) {
      const key = `${lower}\n${argument}`;
      memoSlot = this.#memoSlots.get(key) ?? this.#memoSlots.size;
      this.#memoSlots.set(key, memoSlot);
    }
    return { name, argument, negated, impl, memoSlot };
  }

  #removeWhere(pred: (r: RuleBuild) => boolean): void {
    for (const r of this.#rules) if (r.marker === undefined && pred(r)) r.removed = true;
  }

  #updateTargets(pred: (r: RuleBuild) => boolean, list: string, replaced: string | undefined): void {
    const selectors = parseVariables(list, (name) => VARIABLES.has(name));
    const replacedSel = replaced ? parseVariables(replaced, (name) => VARIABLES.has(name)) : undefined;
    for (const r of this.#rules) {
      if (r.marker !== undefined || r.operator === undefined || !pred(r)) continue;
      if (replacedSel) {
        r.targets = r.targets.filter(
          (t) => !replacedSel.some((x) => x.name === t.name && x.key === t.key && x.count === t.count),
        );
      }
      for (const s of selectors) (s.exclude ? r.exclusions : r.targets).push(s);
    }
  }

  finish(): RuleSet {
    if (this.#pendingChain) {
      const p = this.#pendingChain;
      throw new SecLangError(p.file, p.line, p.raw, 'the last rule ends with "chain" but no rule follows');
    }
    const phases = new Map<RulePhase, Rule[]>(RULE_PHASES.map((p) => [p, []]));
    const byId = new Map<number, Rule>();
    let count = 0;
    // One literal slot per distinct operator argument: CRS applies the same pattern in several
    // rules (per target, per paranoia level), and one bit then answers for all of them.
    const slots = new Map<string, number>();
    const literalSets: (readonly string[])[] = [];
    const groups = new Map<string, number>();
    const groupTargets: Map<string, VariableSelector>[] = [];
    // Rules of one phase that run the same transformation chain over stable data share a group,
    // whatever their targets: the group scans the union of their values once per phase.
    const groupKey = (b: RuleBuild): string | undefined => {
      const op = b.operator;
      if (op === undefined || op.negated || !op.impl.requiredLiterals?.length || !b.targets.every(isStableTarget))
        return undefined;
      return JSON.stringify([
        b.draft.phase ?? 1,
        b.draft.transformations.map((t) => t.name.toLowerCase()),
        b.draft.multiMatch,
      ]);
    };
    // A group pays one pass over its values per phase to let its rules skip theirs; with a single
    // rule that pass would only repeat the rule's own (which checks the literals per value).
    const members = new Map<string, number>();
    for (const build of this.#rules) {
      const key = build.removed || build.marker !== undefined ? undefined : groupKey(build);
      if (key !== undefined) members.set(key, (members.get(key) ?? 0) + 1);
    }
    const groupOf = (b: RuleBuild, slot: number): number => {
      const key = slot < 0 ? undefined : groupKey(b);
      if (key === undefined || (members.get(key) ?? 0) < 2) return -1;
      let group = groups.get(key);
      if (group === undefined) {
        group = groups.size;
        groups.set(key, group);
        groupTargets.push(new Map());
      }
      const targets = groupTargets[group]!;
      for (const t of b.targets) targets.set(selectorKey(t), t);
      return group;
    };
    const slotOf = (b: RuleBuild): number => {
      const op = b.operator;
      const literals = op?.impl.requiredLiterals;
      if (op === undefined || literals === undefined || literals.length === 0) return -1;
      const key = `${op.name}\n${op.argument}`;
      let slot = slots.get(key);
      if (slot === undefined) {
        slot = literalSets.length;
        literalSets.push(literals);
        slots.set(key, slot);
      }
      return slot;
    };
    for (const build of this.#rules) {
      if (build.removed) continue;
      const rule = freeze(build, slotOf, groupOf);
      if (build.marker !== undefined) {
        for (const list of phases.values()) list.push(rule);
        continue;
      }
      phases.get(rule.phase)!.push(rule);
      byId.set(rule.id, rule);
      count++;
    }
    return {
      settings: this.#settings,
      phases,
      skipTargets: new Map([...phases].map(([phase, rules]) => [phase, skipTargetsOf(rules)])),
      byId,
      ruleCount: count,
      warnings: this.#warnings,
      literals: new LiteralScanner(literalSets),
      formCache: new FormCache(),
      memoSlots: this.#memoSlots.size,
      literalGroups: groupTargets.map((targets) => {
        const selectors = [...targets.values()];
        return Object.freeze({
          targets: Object.freeze(selectors),
          targetVariables: Object.freeze(selectors.map((t) => VARIABLES.get(t.name))),
        });
      }),
    };
  }
}

function freeze(
  build: RuleBuild,
  slotOf: (b: RuleBuild) => number,
  groupOf: (b: RuleBuild, slot: number) => number,
): Rule {
  let next: Rule | undefined;
  const starterId = build.draft.id ?? 0;
  for (let i = build.members.length - 1; i >= 0; i--) {
    const member = build.members[i]!;
    next = toRule(member, 0, starterId, true, build.draft.phase ?? 1, next, slotOf(member), -1);
  }
  const slot = slotOf(build);
  return toRule(build, starterId, starterId, false, build.draft.phase ?? 1, next, slot, groupOf(build, slot));
}

/**
 * Operators whose answer depends on the value alone once the argument is fixed: no macros, no
 * transaction state, no files read per call. A "no match" from them is kept on the value's Form.
 */
const MEMO_OPERATORS = new Set([
  'rx',
  'pm',
  'pmfromfile',
  'pmf',
  'detectsqli',
  'detectxss',
  'validatebyterange',
  'validateurlencoding',
  'validateutf8encoding',
  'contains',
  'containsword',
  'beginswith',
  'endswith',
  'streq',
  'strmatch',
  'within',
]);

/** A target whose values no rule can change during a phase (counts match without any literal). */
function isStableTarget(sel: VariableSelector): boolean {
  return !sel.count && VARIABLES.get(sel.name)?.stable === true;
}

function selectorKey(sel: VariableSelector): string {
  return `${sel.name}:${sel.key ?? ''}:${sel.keyRegex === undefined ? '' : `/${sel.keyRegex.source}/${sel.keyRegex.flags}`}`;
}

function toRule(
  b: RuleBuild,
  id: number,
  logId: number,
  isChainMember: boolean,
  phase: RulePhase,
  chained: Rule | undefined,
  literalSlot: number,
  literalGroup: number,
): Rule {
  const d = b.draft;
  const keys: string[] = [];
  let prefix = '';
  for (const t of d.transformations) {
    prefix = prefix === '' ? t.name.toLowerCase() : `${prefix},${t.name.toLowerCase()}`;
    keys.push(prefix);
  }
  // Every rule gets every field, in one order (undefined when absent): rules then share one
  // hidden class, and the rule loop's property reads stay monomorphic. With optional fields
  // spread in, CRS's rules came in 22 shapes and every read went through V8's megamorphic path.
  // The fields the rule loop reads for every rule come first, so that they share the object's
  // first cache lines: a request visits ~390 rules, and the cost of a visit is mostly the loads
  // of memory the previous request's allocations evicted. The rest (ids, logging, explain) follow.
  return Object.freeze({
    marker: b.marker,
    operator: b.operator,
    literalGroup,
    literalSlot,
    targets: b.targets,
    targetVariables: Object.freeze(b.targets.map((t) => VARIABLES.get(t.name))),
    targetExclusions: b.targets.map((t) => b.exclusions.filter((ex) => ex.name === t.name)),
    transformationIds: keys.map(prefixId),
    capture: d.capture,
    multiMatch: d.multiMatch,
    chained,
    msg: d.msg,
    log: d.log ?? true,
    skipAfter: d.skipAfter,
    skip: d.skip,
    disruptive: d.disruptive,
    actions: d.actions,
    logdata: d.logdata,
    transformations: d.transformations,
    id,
    logId,
    idText: String(logId),
    phase,
    file: b.file,
    line: b.line,
    exclusions: b.exclusions,
    transformationNames: Object.freeze(d.transformations.map((t) => t.name)),
    transformationKeys: keys,
    severity: d.severity,
    tags: d.tags,
    ver: d.ver,
    rev: d.rev,
    maturity: d.maturity,
    accuracy: d.accuracy,
    auditLog: d.auditLog ?? true,
    status: d.status,
    isChainMember,
    raw: b.raw,
    effects: d.effects,
  });
}

/** Transformation-chain prefixes seen by any rule set in this process, numbered densely. */
const PREFIX_IDS = new Map<string, number>();

function prefixId(key: string): number {
  let id = PREFIX_IDS.get(key);
  if (id === undefined) {
    id = PREFIX_IDS.size;
    PREFIX_IDS.set(key, id);
  }
  return id;
}

function emptyDraft(): RuleDraft {
  return {
    tags: [],
    capture: false,
    multiMatch: false,
    chain: false,
    skip: 0,
    transformations: [],
    actions: [],
    effects: [],
  };
}

function phaseOf(items: readonly ActionItem[]): RulePhase | undefined {
  let phase: RulePhase | undefined;
  for (const item of items) {
    if (item.name !== 'phase') continue;
    const draft = emptyDraft();
    ACTIONS.get('phase')!.apply(item.value, draft, { transformation: () => undefined });
    phase = draft.phase;
  }
  return phase;
}

function one(args: readonly string[], directive: string): string {
  if (args.length !== 1) throw new Error(`${directive} takes exactly one argument, got ${args.length}`);
  return args[0]!;
}

function onOff(value: string): boolean {
  const v = value.toLowerCase();
  if (v === 'on') return true;
  if (v === 'off') return false;
  throw new Error(`expected On or Off, got "${value}"`);
}

function engineMode(value: string): EngineSettings['engine'] {
  const v = value.toLowerCase();
  if (v === 'on') return 'On';
  if (v === 'off') return 'Off';
  if (v === 'detectiononly') return 'DetectionOnly';
  throw new Error(`SecRuleEngine takes On, Off or DetectionOnly, got "${value}"`);
}

function limitAction(value: string): 'Reject' | 'ProcessPartial' {
  const v = value.toLowerCase();
  if (v === 'reject') return 'Reject';
  if (v === 'processpartial') return 'ProcessPartial';
  throw new Error(`expected Reject or ProcessPartial, got "${value}"`);
}

function positive(value: string): number {
  if (!/^\d+$/.test(value)) throw new Error(`expected a non-negative integer, got "${value}"`);
  return Number(value);
}

/**
 * Directives about ModSecurity's own files, logs and host integration. Portcullis has its own
 * audit log, temp handling and limits, so these are accepted and have no effect; listing them
 * keeps stock modsecurity.conf files loadable.
 */
const IGNORED_DIRECTIVES = new Set(
  [
    'SecArgumentSeparator',
    'SecAuditEngine',
    'SecAuditLog',
    'SecAuditLog2',
    'SecAuditLogDirMode',
    'SecAuditLogFileMode',
    'SecAuditLogFormat',
    'SecAuditLogParts',
    'SecAuditLogRelevantStatus',
    'SecAuditLogStorageDir',
    'SecAuditLogType',
    'SecConnEngine',
    'SecCookieFormat',
    'SecDataDir',
    'SecDebugLog',
    'SecDebugLogLevel',
    'SecGeoLookupDb',
    'SecHashEngine',
    'SecHashKey',
    'SecHashMethodPm',
    'SecHashMethodRx',
    'SecHashParam',
    'SecPcreMatchLimit',
    'SecPcreMatchLimitRecursion',
    'SecRequestBodyInMemoryLimit',
    'SecServerSignature',
    'SecStatusEngine',
    'SecTmpDir',
    'SecTmpSaveUploadedFiles',
    'SecUnicodeMapFile',
    'SecUploadDir',
    'SecUploadFileLimit',
    'SecUploadFileMode',
    'SecUploadKeepFiles',
    'SecWebAppId',
    'SecXmlExternalEntity',
  ].map((n) => n.toLowerCase()),
);
