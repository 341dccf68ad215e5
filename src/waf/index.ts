import type { TransactionObserver } from './engine/transaction.js';
import { compileWaf, type Waf } from './engine/waf.js';
import { OPERATORS } from './operators/registry.js';
import type { SecLangSource } from './seclang/parser.js';
import { TRANSFORMATIONS } from './transformations/registry.js';

export { createAuditLog, openAuditFile, paranoiaLevel } from './audit-log/index.js';
export type { RuleSet } from './engine/ruleset.js';
export type { PersistentStore, TransactionObserver, TransactionOptions } from './engine/transaction.js';
export { Transaction } from './engine/transaction.js';
export type { EngineMode, Interruption, MatchDetail, MatchedRule, Rule, RulePhase } from './engine/types.js';
export type { Waf } from './engine/waf.js';
export { SecLangError } from './seclang/lexer.js';
export type { SecLangSource } from './seclang/parser.js';

export interface CreateWafOptions extends SecLangSource {
  readonly observer?: TransactionObserver;
  /** See WafOptions.specialize (on by default). */
  readonly specialize?: boolean;
}

/**
 * Compiles SecLang rules (files and/or inline text) with the built-in operators and
 * transformations. Throws SecLangError naming file, line and text on a bad rule.
 *
 *   const waf = createWaf({ files: ['crs-setup.conf', 'rules/*.conf'] });
 *   const tx = waf.newTransaction({ clientIp, clientPort, requestId });
 *   tx.processUri('GET', '/?q=1', 'HTTP/1.1'); tx.addRequestHeader('Host', 'x');
 *   const stop = tx.processRequestHeaders();
 */
export function createWaf(options: CreateWafOptions): Waf {
  return compileWaf({ ...options, operators: OPERATORS, transformations: TRANSFORMATIONS });
}
