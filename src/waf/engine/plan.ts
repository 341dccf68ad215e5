import { toInt } from '../actions/setvar.js';
import type { OperatorTx } from '../operators/types.js';
import { type IdRange, inRanges } from './ranges.js';
import type { RuleSet } from './ruleset.js';
import type { Rule, RuleEffect, RulePhase } from './types.js';

/**
 * A rule set specialised to the TX values a transaction starts with (its "seeds": the paranoia
 * levels and anomaly thresholds the gateway sets from its configuration).
 *
 * CRS decides most of what runs with TX alone: every file opens with paranoia-level gates
 * (`SecRule TX:DETECTION_PARANOIA_LEVEL "@lt 2" "...,skipAfter:END-..."`), the blocking evaluation
 * adds each level's score only `@ge` that level, and the initialisation sets defaults only where
 * a variable is missing. At PL1 about 130 of the ~390 rules a GET visits are such TX checks whose
 * answer is the same for every request. The plan walks the rules once per seed set, in the order
 * they run, tracking what TX holds at each point (a value, "absent", or "unknown" once a rule
 * that depends on the request may have written it), and decides every rule that reads only
 * known TX values:
 *
 * - a rule that cannot match is left out (a rule that does not match has no effect);
 * - a rule that always matches and has no effect but its `skipAfter` is left out with every rule
 *   it skips: the gate and the higher paranoia levels behind it cost nothing;
 * - a rule that always matches and writes TX stays in (it must still write), and what it writes
 *   becomes known to the rules after it.
 *
 * Everything else stays as it was, in order. A rule whose `skipAfter` may or may not be taken
 * joins the two paths at its target: a TX value known on one and different (or unknown) on the
 * other becomes unknown. What the plan took as decided holds unless a rule is removed while the
 * transaction runs (`ctl:ruleRemoveById/ByTag/ByMsg`) or a TX target is: the transaction then
 * goes back to the full lists from where it is (Transaction.#evaluatePhase). Phase 5 is never
 * specialised: it runs after an interruption at any point of the earlier phases.
 *
 * Not planned at all (the full lists run): rule sets with `skip:N` (counts rules, which the plan
 * removes) or `allow` (ends phases early, which the walk does not model), and rule sets where a
 * chain starter reads MATCHED_VAR(S) (a left-out rule that always matches would have set them).
 */
export interface Plan {
  readonly phases: ReadonlyMap<RulePhase, PhasePlan>;
  /** Rules whose outcome the plan took as decided: removing one at run time voids the plan. */
  readonly assumed: readonly Rule[];
  /** Rules left out of phases 1-4, over all phases. */
  readonly dropped: number;
}

export interface PhasePlan {
  /** The phase's rules and markers that still run, in order. */
  readonly rules: readonly Rule[];
  /** Per entry of `rules`: its position in the phase's full list (RuleSet.phases). */
  readonly origin: Int32Array;
  /** As RuleSet.skipTargets, in positions of `rules`. */
  readonly skipTargets: Int32Array;
}

const PLANNED_PHASES = [1, 2, 3, 4] as const;

/**
 * Operators whose answer depends on their argument and input only. A decided rule runs its
 * operator here, at load time, with a transaction stand-in that refuses macros and captures.
 */
const PURE_OPERATORS = new Set([
  'eq',
  'ge',
  'gt',
  'le',
  'lt',
  'streq',
  'within',
  'beginsWith',
  'endsWith',
  'contains',
  'containsWord',
  'rx',
  'pm',
  'strmatch',
  'unconditionalMatch',
  'noMatch',
]);

const MATCHED = /MATCHED_VAR/i;

const UNKNOWN = Symbol('unknown');
const ABSENT = Symbol('absent');
type Known = string | typeof ABSENT;
type Value = Known | typeof UNKNOWN;

/** What TX holds at one point of the walk. Keys are lower-case, as TX compares them. */
class TxState {
  constructor(
    private readonly values = new Map<string, Value>(),
    /** Keys starting with one of these may hold anything ("" covers every key). */
    private readonly unknownPrefixes: string[] = [],
  ) {}

  get(key: string): Value {
    const v = this.values.get(key);
    if (v !== undefined) return v;
    for (const p of this.unknownPrefixes) if (key.startsWith(p)) return UNKNOWN;
    return ABSENT;
  }

  set(key: string, value: Value): void {
    this.values.set(key, value);
  }

  /** Every key starting with `prefix` may now hold anything. */
  forget(prefix: string): void {
    for (const key of this.values.keys()) if (key.startsWith(prefix)) this.values.set(key, UNKNOWN);
    if (!this.unknownPrefixes.includes(prefix)) this.unknownPrefixes.push(prefix);
  }

  clone(): TxState {
    return new TxState(new Map(this.values), [...this.unknownPrefixes]);
  }

  /** The state after either of two paths: what they agree on stays known. */
  static join(a: TxState, b: TxState): TxState {
    const prefixes = [...new Set([...a.unknownPrefixes, ...b.unknownPrefixes])];
    const joined = new TxState(new Map(), prefixes);
    for (const key of new Set([...a.values.keys(), ...b.values.keys()])) {
      const va = a.get(key);
      joined.values.set(key, va === b.get(key) ? va : UNKNOWN);
    }
    return joined;
  }
}

/** A transaction stand-in for running pure operators at load time: macros and captures refuse. */
const PROBE: OperatorTx = {
  capturing: false,
  expandMacros(text) {
    if (text.includes('%{')) throw new Error('not decidable at load time');
    return text;
  },
  setCapture() {
    throw new Error('not decidable at load time');
  },
  setMatchedData() {},
};

interface Cache {
  readonly plannable: boolean;
  /** RESPONSE_BODY is empty in every transaction: body access is off and no ctl turns it on. */
  readonly noResponseBody: boolean;
  readonly bySeeds: WeakMap<object, Plan | null>;
  readonly byText: Map<string, Plan | null>;
}

const CACHES = new WeakMap<RuleSet, Cache>();
const NO_SEEDS = {};
/** Seed sets remembered by their text, for callers that pass a new object per transaction. */
const MAX_TEXT_KEYS = 64;

export interface PlanOptions {
  readonly tx?: Readonly<Record<string, string | number>>;
  readonly removeRuleIds?: readonly IdRange[];
  /** Whether a configured target removal names TX (the plan then does not apply). */
  readonly removesTxTarget?: boolean;
}

/**
 * The plan for a transaction started with these options, or undefined when none applies (the
 * rule set is not plannable, a configured removal takes out a rule the plan decided, or a
 * configured target removal names TX). Plans are computed once per seed set and rule set.
 */
export function planFor(rules: RuleSet, options: PlanOptions): Plan | undefined {
  if (options.removesTxTarget) return undefined;
  let cache = CACHES.get(rules);
  if (cache === undefined) {
    cache = {
      plannable: plannable(rules),
      noResponseBody: !rules.settings.responseBodyAccess && !turnsOnResponseBody(rules),
      bySeeds: new WeakMap(),
      byText: new Map(),
    };
    CACHES.set(rules, cache);
  }
  if (!cache.plannable) return undefined;
  const seeds = options.tx ?? NO_SEEDS;
  let plan = cache.bySeeds.get(seeds);
  if (plan === undefined) {
    const text = JSON.stringify(Object.entries(seeds).map(([k, v]) => [k.toLowerCase(), String(v)]));
    plan = cache.byText.get(text);
    if (plan === undefined) {
      plan = planRuleSet(rules, seeds, { noResponseBody: cache.noResponseBody }) ?? null;
      if (cache.byText.size >= MAX_TEXT_KEYS) cache.byText.clear();
      cache.byText.set(text, plan);
    }
    cache.bySeeds.set(seeds, plan);
  }
  if (plan === null) return undefined;
  const removed = options.removeRuleIds;
  if (removed !== undefined && removed.length > 0 && voidedBy(plan, removed)) return undefined;
  return plan;
}

const VOIDED = new WeakMap<Plan, WeakMap<readonly IdRange[], boolean>>();

function voidedBy(plan: Plan, removed: readonly IdRange[]): boolean {
  let byRanges = VOIDED.get(plan);
  if (byRanges === undefined) {
    byRanges = new WeakMap();
    VOIDED.set(plan, byRanges);
  }
  let voided = byRanges.get(removed);
  if (voided === undefined) {
    voided = plan.assumed.some((r) => inRanges(r.id, removed));
    byRanges.set(removed, voided);
  }
  return voided;
}

/** Whether the walk can model every rule's control flow (see Plan). */
function plannable(rules: RuleSet): boolean {
  for (const list of rules.phases.values()) {
    for (const starter of list) {
      if (starter.marker !== undefined) continue;
      if (starter.targets.some((t) => MATCHED.test(t.name)) || MATCHED.test(starter.operator?.argument ?? ''))
        return false;
      for (let r: Rule | undefined = starter; r; r = r.chained) {
        if (r.skip > 0 || r.disruptive?.kind === 'allow') return false;
      }
    }
  }
  return true;
}

/** Whether a ctl may turn response body access on in some transaction. */
function turnsOnResponseBody(rules: RuleSet): boolean {
  for (const list of rules.phases.values())
    for (const starter of list)
      for (let r: Rule | undefined = starter; r; r = r.chained)
        if (r.effects.some((e) => e.kind === 'ctl' && e.option === 'responsebodyaccess')) return true;
  return false;
}

/** What is known of the request data whatever the request (see planFor). */
export interface Knowledge {
  /** RESPONSE_BODY is always empty. */
  readonly noResponseBody: boolean;
}

/** Walks phases 1-4 in order from the seeds (see Plan). */
export function planRuleSet(
  rules: RuleSet,
  seeds: Readonly<Record<string, string | number>>,
  known: Knowledge = { noResponseBody: false },
): Plan {
  let state: TxState | undefined = new TxState();
  for (const [k, v] of Object.entries(seeds)) state.set(k.toLowerCase(), String(v));
  const phases = new Map<RulePhase, PhasePlan>();
  const assumed: Rule[] = [];
  let dropped = 0;
  for (const phase of PLANNED_PHASES) {
    const full = rules.phases.get(phase) ?? [];
    const fullSkips = rules.skipTargets.get(phase) ?? new Int32Array(0);
    const kept: number[] = [];
    const arrivals = new Map<number, TxState>();
    const arrive = (at: number, s: TxState) => {
      const there = arrivals.get(at);
      arrivals.set(at, there ? TxState.join(there, s) : s);
    };
    // undefined: no path falls through to this point (a decided skipAfter jumped past it).
    let s: TxState | undefined = state;
    for (let i = 0; i < full.length; i++) {
      const arriving = arrivals.get(i);
      if (arriving !== undefined) s = s === undefined ? arriving : TxState.join(s, arriving);
      const rule = full[i]!;
      if (rule.marker !== undefined) {
        kept.push(i);
        continue;
      }
      if (s === undefined) {
        dropped++;
        continue;
      }
      const after = Math.min(fullSkips[i]! + 1, full.length);
      const outcome = decide(rule, s, known);
      if (outcome === false) {
        dropped++;
        continue;
      }
      // A decided jump leaves out the rules it skips, unless another path enters them (a
      // skipAfter to a marker in between): the gate then stays, and jumps when it runs.
      if (outcome === true && silent(rule) && !entered(arrivals, i, after)) {
        assumed.push(rule);
        dropped++;
        if (rule.skipAfter !== undefined) {
          arrive(after, s);
          s = undefined;
        }
        continue;
      }
      kept.push(i);
      if (outcome === true) {
        assumed.push(rule);
        s = s.clone();
        applyEffects(rule, s);
        if (rule.skipAfter !== undefined) {
          arrive(after, s);
          s = undefined;
        }
        continue;
      }
      // Undecided: it may match or not. What it may write becomes unknown on both paths (a
      // superset of the not-matching path's knowledge, so one state serves both).
      s = s.clone();
      for (let r: Rule | undefined = rule; r; r = r.chained) forgetWrites(r, s);
      if (rule.skipAfter !== undefined) arrive(after, s);
    }
    const atEnd = arrivals.get(full.length);
    state = s === undefined ? atEnd : atEnd === undefined ? s : TxState.join(s, atEnd);
    phases.set(phase, phasePlan(full, fullSkips, kept));
    // Every jump arrives at or before the end, so some path reaches it; if none did, the later
    // phases would start from nothing known.
    if (state === undefined) state = new TxState(new Map(), ['']);
  }
  return { phases, assumed, dropped };
}

/** Whether a path arrives at a position in (from, to): inside a range a jump would leave out. */
function entered(arrivals: ReadonlyMap<number, TxState>, from: number, to: number): boolean {
  for (const at of arrivals.keys()) if (at > from && at < to) return true;
  return false;
}

function phasePlan(full: readonly Rule[], fullSkips: Int32Array, kept: readonly number[]): PhasePlan {
  const origin = Int32Array.from(kept);
  const rules = kept.map((i) => full[i]!);
  const skipTargets = new Int32Array(kept.length).fill(-1);
  for (let j = 0; j < kept.length; j++) {
    const target = fullSkips[origin[j]!]!;
    if (target < 0) continue;
    // The last kept entry at or before the full list's target: evaluation goes on after it.
    let k = j;
    while (k + 1 < kept.length && origin[k + 1]! <= target) k++;
    skipTargets[j] = k;
  }
  return { rules, origin, skipTargets };
}

/**
 * Whether the rule matches whatever the request: true, false, or undefined when that depends
 * on more than known TX values. A chain is decided only when its starter cannot match.
 */
function decide(rule: Rule, s: TxState, known: Knowledge): boolean | undefined {
  const matched = decideOne(rule, s, known);
  if (matched === true && rule.chained !== undefined) return undefined;
  return matched;
}

function decideOne(rule: Rule, s: TxState, known: Knowledge): boolean | undefined {
  if (rule.multiMatch) return undefined;
  const op = rule.operator;
  if (op === undefined) return rule.capture ? undefined : true;
  if (!PURE_OPERATORS.has(op.name) || op.argument.includes('%{')) return undefined;
  let matched = false;
  for (let t = 0; t < rule.targets.length; t++) {
    const sel = rule.targets[t]!;
    if (rule.targetExclusions[t]!.length > 0) return undefined;
    let texts: string[];
    if (sel.name === 'RESPONSE_BODY' && known.noResponseBody) {
      // A scalar is tested even when empty; its count is 0.
      texts = [sel.count ? '0' : ''];
    } else {
      if (sel.name !== 'TX' || sel.keyLower === undefined || sel.keyRegex !== undefined) return undefined;
      const v = s.get(sel.keyLower);
      if (v === UNKNOWN) return undefined;
      texts = sel.count ? [v === ABSENT ? '0' : '1'] : v === ABSENT ? [] : [v];
    }
    for (const raw of texts) {
      let text = raw;
      for (const t of rule.transformations) text = t.fn(text);
      let hit: boolean;
      try {
        hit = op.impl.evaluate(PROBE, text);
      } catch {
        return undefined;
      }
      if (hit !== op.negated) matched = true;
    }
  }
  // A capturing rule that matches fills TX:0-9 with what the request held: not decided.
  return matched && rule.capture ? undefined : matched;
}

/** A match changes nothing but the flow: no action, no log entry, no disruption. */
function silent(rule: Rule): boolean {
  return (
    rule.actions.length === 0 &&
    rule.msg === undefined &&
    !rule.log &&
    rule.chained === undefined &&
    !rule.capture &&
    rule.skip === 0 &&
    (rule.disruptive === undefined || rule.disruptive.kind === 'pass')
  );
}

/** Applies the TX writes of a rule that always matches. */
function applyEffects(rule: Rule, s: TxState): void {
  if (rule.effects.length !== rule.actions.length) {
    s.forget('');
    return;
  }
  for (const effect of rule.effects) {
    if (!writesTx(effect)) continue;
    if (effect.kind !== 'setvar') {
      forgetKey(effect.key, s);
      continue;
    }
    if (effect.key.includes('%{')) {
      forgetKey(effect.key, s);
      continue;
    }
    const key = effect.key.toLowerCase();
    if (effect.operation === 'remove') {
      s.set(key, ABSENT);
      continue;
    }
    const value = expand(effect.value, s);
    if (value === UNKNOWN || effect.operation === 'set') {
      s.set(key, value);
      continue;
    }
    const current = s.get(key);
    if (current === UNKNOWN) {
      s.set(key, UNKNOWN);
      continue;
    }
    const a = toInt(current === ABSENT ? undefined : current);
    const b = toInt(value);
    s.set(key, String(effect.operation === 'add' ? a + b : a - b));
  }
}

/** What an undecided rule may write becomes unknown. */
function forgetWrites(rule: Rule, s: TxState): void {
  if (rule.effects.length !== rule.actions.length) {
    s.forget('');
    return;
  }
  if (rule.capture) for (let i = 0; i <= 9; i++) s.set(String(i), UNKNOWN);
  for (const effect of rule.effects) if (writesTx(effect)) forgetKey(effect.key, s);
}

function writesTx(effect: RuleEffect): effect is RuleEffect & { kind: 'setvar' | 'expirevar' } {
  return (effect.kind === 'setvar' || effect.kind === 'expirevar') && effect.collection === 'TX';
}

/** A key template: a plain key, or every key starting with its text before the first macro. */
function forgetKey(template: string, s: TxState): void {
  const macro = template.indexOf('%{');
  if (macro === -1) s.set(template.toLowerCase(), UNKNOWN);
  else s.forget(template.slice(0, macro).toLowerCase());
}

/** A setvar value with `%{tx.name}` macros expanded from known values; anything else is unknown. */
function expand(template: string, s: TxState): string | typeof UNKNOWN {
  if (!template.includes('%{')) return template;
  let out = '';
  let at = 0;
  for (;;) {
    const open = template.indexOf('%{', at);
    if (open === -1) return out + template.slice(at);
    const close = template.indexOf('}', open);
    if (close === -1) return UNKNOWN;
    const name = template.slice(open + 2, close);
    if (!/^tx\./i.test(name)) return UNKNOWN;
    const v = s.get(name.slice(3).toLowerCase());
    if (v === UNKNOWN) return UNKNOWN;
    out += template.slice(at, open) + (v === ABSENT ? '' : v);
    at = close + 1;
  }
}
