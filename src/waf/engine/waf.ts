import type { OperatorFactory } from '../operators/types.js';
import { parseSecLang, type SecLangSource } from '../seclang/parser.js';
import type { Transformation } from '../transformations/types.js';
import { planFor } from './plan.js';
import type { RuleSet } from './ruleset.js';
import { MemoryCollectionStore } from './store.js';
import { Transaction, type TransactionObserver, type TransactionOptions } from './transaction.js';

export interface WafOptions extends SecLangSource {
  /** Operator registry (defaults to src/waf/operators/registry.ts through createWaf in index.ts). */
  readonly operators: ReadonlyMap<string, OperatorFactory>;
  readonly transformations: ReadonlyMap<string, Transformation>;
  /** Receives matched rules and transaction ends (the audit log). */
  readonly observer?: TransactionObserver;
  /**
   * Specialise the rules to each transaction's TX seeds (plan.ts): rules whose answer the seeds
   * decide, such as CRS's paranoia-level gates, are not run. On by default; off runs every rule
   * as written (for comparisons and tests).
   */
  readonly specialize?: boolean;
}

/** A compiled rule set: parse once, then one Transaction per request. */
export interface Waf {
  readonly rules: RuleSet;
  newTransaction(options?: TransactionOptions, observer?: TransactionObserver): Transaction;
}

/** Parses and compiles the rules; throws SecLangError (file, line, text) on a bad configuration. */
export function compileWaf(options: WafOptions): Waf {
  const rules = parseSecLang(options, options);
  const store = new MemoryCollectionStore();
  const defaultObserver = options.observer;
  const specialize = options.specialize ?? true;
  return {
    rules,
    newTransaction(txOptions = {}, observer = defaultObserver) {
      const plan = specialize ? planFor(rules, txOptions) : undefined;
      return new Transaction(rules, store, txOptions, observer, plan);
    },
  };
}
