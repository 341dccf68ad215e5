import type { LiteralScanner } from '../regex/literal-scan.js';
import type { VariableDefinition } from '../variables/registry.js';
import type { FormCache } from './forms.js';
import type { EngineMode, Rule, RulePhase, VariableSelector } from './types.js';

/** Engine settings a configuration sets with Sec* directives. */
export interface EngineSettings {
  engine: EngineMode;
  requestBodyAccess: boolean;
  /** SecRequestBodyLimit: bytes of body (files included) the engine inspects. */
  requestBodyLimit: number;
  /** SecRequestBodyNoFilesLimit: bytes of body without file parts. */
  requestBodyNoFilesLimit: number;
  /** SecRequestBodyLimitAction: Reject or ProcessPartial. */
  requestBodyLimitAction: 'Reject' | 'ProcessPartial';
  requestBodyJsonDepthLimit: number;
  /** SecArgumentsLimit: arguments parsed from a body before REQBODY_ERROR. */
  argumentsLimit: number;
  responseBodyAccess: boolean;
  responseBodyMimeTypes: string[];
  responseBodyLimit: number;
  responseBodyLimitAction: 'Reject' | 'ProcessPartial';
  componentSignatures: string[];
  /** SecCollectionTimeout, seconds. */
  collectionTimeout: number;
}

export function defaultSettings(): EngineSettings {
  // ModSecurity's compiled-in defaults (modsecurity.conf-recommended sets most of these again).
  return {
    engine: 'On',
    requestBodyAccess: false,
    requestBodyLimit: 13107200,
    requestBodyNoFilesLimit: 1048576,
    requestBodyLimitAction: 'Reject',
    requestBodyJsonDepthLimit: 512,
    argumentsLimit: 1000,
    responseBodyAccess: false,
    responseBodyMimeTypes: ['text/plain', 'text/html'],
    responseBodyLimit: 524288,
    responseBodyLimitAction: 'ProcessPartial',
    componentSignatures: [],
    collectionTimeout: 3600,
  };
}

/** The values one literal group reads: every selector of every member, once. */
export interface LiteralGroup {
  readonly targets: readonly VariableSelector[];
  readonly targetVariables: readonly (VariableDefinition | undefined)[];
}

/** Rules of one configuration, compiled and ordered per phase. */
export interface RuleSet {
  readonly settings: Readonly<EngineSettings>;
  /** Chain starters and markers, in file order; markers appear in every phase. */
  readonly phases: ReadonlyMap<RulePhase, readonly Rule[]>;
  /**
   * Per phase, per position in `phases`: for a rule with skipAfter, the position of the marker
   * (or rule id) it skips to — the first one after it — or the list's length when there is none;
   * -1 elsewhere. CRS gates each file's higher paranoia levels with skipAfter, so at PL1 most
   * rules of a request are passed over this way: a jump instead of a walk comparing names.
   */
  readonly skipTargets: ReadonlyMap<RulePhase, Int32Array>;
  /** Every rule with an id (chain starters), for lookups by id. */
  readonly byId: ReadonlyMap<number, Rule>;
  readonly ruleCount: number;
  /** The required literals of every rule's operator, scanned once per value (Rule.literalSlot). */
  readonly literals: LiteralScanner;
  /**
   * Per Rule.literalGroup: the union of its rules' targets. A group is every rule of one phase
   * with the same transformation chain (and multiMatch) whose targets are all stable request or
   * response data; scanning the union once answers "can this rule match anything" for each.
   */
  readonly literalGroups: readonly LiteralGroup[];
  /** Number of RuleOperator.memoSlot values. */
  readonly memoSlots: number;
  /** Forms of request-header texts shared by this rule set's transactions (forms.ts). */
  readonly formCache: FormCache;
  /** Load-time notes (rules kept but inert), for the start-up log. */
  readonly warnings: readonly string[];
}

/** RuleSet.skipTargets for one phase's list. */
export function skipTargetsOf(rules: readonly Rule[]): Int32Array {
  const targets = new Int32Array(rules.length).fill(-1);
  for (let i = 0; i < rules.length; i++) {
    const name = rules[i]!.skipAfter;
    if (name === undefined) continue;
    let k = i + 1;
    while (k < rules.length && rules[k]!.marker !== name && (rules[k]!.id === 0 || rules[k]!.idText !== name)) k++;
    targets[i] = k;
  }
  return targets;
}
