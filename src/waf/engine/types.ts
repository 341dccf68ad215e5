import type { Operator } from '../operators/types.js';
import type { Transformation } from '../transformations/types.js';
import type { VariableDefinition } from '../variables/registry.js';

/** SecLang phases: 1 request headers, 2 request body, 3 response headers, 4 response body, 5 logging. */
export const RULE_PHASES = [1, 2, 3, 4, 5] as const;
export type RulePhase = (typeof RULE_PHASES)[number];

/** SecRuleEngine values. */
export type EngineMode = 'On' | 'Off' | 'DetectionOnly';

/** One selector of a rule's target list, e.g. `!ARGS:foo`, `&TX:x`, `REQUEST_HEADERS:/^x-/`. */
export interface VariableSelector {
  /** Upper-case variable name: ARGS, TX, XML... */
  readonly name: string;
  /** Literal key as written, when the selector names one. */
  readonly key?: string;
  /** `key` lower-cased, for comparisons. */
  readonly keyLower?: string;
  /** Key given as /regex/ (matched case-insensitively, as ModSecurity does). */
  readonly keyRegex?: RegExp;
  /**
   * With keyRegex, when its pattern is a plain word (`/^header_name_920450_/`, `/__utm/`): the
   * word lower-cased, so keys are compared without running the regex (keyRegexHits).
   */
  readonly keyLiteral?: string;
  /** keyLiteral must start the key (the pattern began with `^`). */
  readonly keyAnchored?: boolean;
  readonly count: boolean;
  readonly exclude: boolean;
}

/** A value taken from the transaction for one rule target. */
export interface TargetValue {
  readonly variable: string;
  /** Collection key ('' for scalars). */
  readonly key: string;
  readonly value: string;
}

export type DisruptiveKind = 'deny' | 'drop' | 'block' | 'pass' | 'allow' | 'redirect';

export interface Disruptive {
  readonly kind: DisruptiveKind;
  /** allow:phase / allow:request, redirect:URL */
  readonly argument: string;
}

/** A transformation resolved from the registry, with the name kept for logs and cache keys. */
export interface NamedTransformation {
  readonly name: string;
  readonly fn: Transformation;
}

/** The mutable state actions and variables see. Implemented by the transaction. */
export interface RuleRuntime {
  expandMacros(text: string): string;
}

/** A runtime action (setvar, ctl...): runs once per match, before the chain is evaluated. */
export type ActionRun = (tx: ActionContext, rule: Rule) => void;

/** What a runtime action may touch on the transaction. */
export interface ActionContext {
  expandMacros(text: string): string;
  collection(name: string): MutableCollection | undefined;
  ctl(name: string, value: string, rule: Rule): void;
  setEnv(name: string, value: string): void;
  expireVar(collection: string, key: string, seconds: number): void;
  initCollection(name: string, key: string): void;
}

export interface MutableCollection {
  /** `lower`: the key already lower-cased by the caller (a constant setvar key, once at load). */
  get(key: string, lower?: string): string | undefined;
  set(key: string, value: string, lower?: string): void;
  remove(key: string): void;
}

export interface RuleOperator {
  readonly name: string;
  readonly argument: string;
  readonly negated: boolean;
  readonly impl: Operator;
  /**
   * For an operator whose answer depends on the value alone (a constant argument, no state), a
   * number per distinct operator and argument in the rule set (RuleSet.memoSlots), else -1: a
   * value's Form remembers which of them did not match it (Form.misses).
   */
  readonly memoSlot: number;
}

/** One compiled rule (SecRule, SecAction or SecMarker); chain members hang off `chained`. */
/**
 * What a non-disruptive action may change when its rule matches, as the load-time analysis of a
 * rule set (plan.ts) needs to know it: which TX variables a rule writes decides which later
 * rules have a fixed outcome. Keys and values are the action's templates (macros unexpanded).
 */
export type RuleEffect =
  | {
      readonly kind: 'setvar';
      readonly collection: string;
      readonly key: string;
      readonly operation: 'set' | 'add' | 'sub' | 'remove';
      readonly value: string;
    }
  | { readonly kind: 'expirevar'; readonly collection: string; readonly key: string }
  | { readonly kind: 'ctl'; readonly option: string }
  /** Opens or writes another collection (initcol, setsid, setuid, setenv): never TX. */
  | { readonly kind: 'collection'; readonly collection: string };

export interface Rule {
  /** 0 for chain members and markers. */
  readonly id: number;
  /** The id printed for chain members: their starter's. */
  readonly logId: number;
  /** `id` as text, for RULE:id and %{rule.id}. */
  readonly idText: string;
  readonly phase: RulePhase;
  readonly file: string;
  readonly line: number;
  /** SecMarker name, for skipAfter targets. */
  readonly marker?: string;
  readonly targets: readonly VariableSelector[];
  /** How each of `targets` is read, resolved at load: the rule loop does no registry lookup. */
  readonly targetVariables: readonly (VariableDefinition | undefined)[];
  readonly exclusions: readonly VariableSelector[];
  /** Per target: the exclusions naming the same variable (`!REQUEST_HEADERS:Referer`), often none. */
  readonly targetExclusions: readonly (readonly VariableSelector[])[];
  readonly operator?: RuleOperator;
  readonly transformations: readonly NamedTransformation[];
  /** The names of `transformations`, as each match records them (MatchDetail). */
  readonly transformationNames: readonly string[];
  /** Cache keys for each prefix of `transformations` (names joined by ','). */
  readonly transformationKeys: readonly string[];
  /** A small integer per distinct prefix key, process-wide, for the per-value result slots. */
  readonly transformationIds: readonly number[];
  /**
   * The operator's slot in the rule set's LiteralScanner (RuleSet.literals), or -1: with a slot,
   * a value in which the scan finds none of the operator's required literals cannot match.
   */
  readonly literalSlot: number;
  /**
   * With a literal slot, the rule's group (RuleSet.literalGroups) when its targets only read
   * request and response data that rules cannot change, else -1. A group holds the rules of one
   * phase with the same transformation chain: the transaction scans the union of their values
   * once per phase, and a rule whose slot none of them holds is skipped whole.
   */
  readonly literalGroup: number;
  readonly msg?: string;
  readonly logdata?: string;
  readonly severity?: number;
  readonly tags: readonly string[];
  readonly ver?: string;
  readonly rev?: string;
  readonly maturity?: number;
  readonly accuracy?: number;
  readonly capture: boolean;
  readonly multiMatch: boolean;
  readonly log: boolean;
  readonly auditLog: boolean;
  readonly disruptive?: Disruptive;
  readonly status?: number;
  readonly skip: number;
  readonly skipAfter?: string;
  readonly actions: readonly ActionRun[];
  /** What each of `actions` may change, in the same order: read by the rule-set analysis (plan.ts). */
  readonly effects: readonly RuleEffect[];
  readonly chained?: Rule;
  /** True for chain members (never the starter). */
  readonly isChainMember: boolean;
  /** The raw directive text, for explain and errors. */
  readonly raw: string;
}

/** What stops a transaction: the rule that decided and what the gateway should do. */
export interface Interruption {
  readonly ruleId: number;
  readonly action: 'deny' | 'drop' | 'redirect';
  readonly status: number;
  readonly data: string;
}

/** One matched rule, as the audit log and `waf explain` show it. */
export interface MatchedRule {
  readonly ruleId: number;
  readonly phase: RulePhase;
  readonly msg: string;
  readonly data: string;
  readonly severity: number | undefined;
  readonly tags: readonly string[];
  readonly file: string;
  readonly line: number;
  /** Every value that matched, chain members included. */
  readonly matches: readonly MatchDetail[];
  /** Whether `log`/`nolog` says this match is written to the log. */
  readonly log: boolean;
  readonly disruptive: boolean;
}

export interface MatchDetail {
  readonly variable: string;
  readonly key: string;
  /** The value after transformations, as the operator saw it. */
  readonly value: string;
  readonly transformations: readonly string[];
}
