import type { OperatorFactory } from '../operators/types.js';
import { parseSecLang, type SecLangSource } from '../seclang/parser.js';
import type { Transformation } from '../transformations/types.js';
import type { RuleSet } from './ruleset.js';
import { MemoryCollectionStore } from './store.js';
import { Transaction, type TransactionObserver, type TransactionOptions } from './transaction.js';

export interface WafOptions extends SecLangSource {
  /** Operator registry (defaults to src/waf/operators/registry.ts through createWaf in index.ts). */
  readonly operators: ReadonlyMap<string, OperatorFactory>;
  readonly transformations: ReadonlyMap<string, Transformation>;
  /** Receives matched rules and transaction ends (the audit log). */
  readonly observer?: TransactionObserver;
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
  return {
    rules,
    newTransaction(txOptions = {}, observer = defaultObserver) {
      return new Transaction(rules, store, txOptions, observer);
    },
  };
}
