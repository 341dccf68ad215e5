import { type ActionDefinition, requireValue } from './types.js';

/** ctl options this engine honours, by lower-case name. */
export const CTL_OPTIONS = new Set([
  'auditengine',
  'auditlogparts',
  'forcerequestbodyvariable',
  'requestbodyaccess',
  'requestbodylimit',
  'requestbodyprocessor',
  'responsebodyaccess',
  'responsebodylimit',
  'ruleengine',
  'ruleremovebyid',
  'ruleremovebymsg',
  'ruleremovebytag',
  'ruleremovetargetbyid',
  'ruleremovetargetbymsg',
  'ruleremovetargetbytag',
  'debugloglevel',
  'hashengine',
]);

/**
 * Description: change engine settings for this transaction only (rule removal, body
 * processor, engine mode...). Takes effect when the rule matches.
 * Syntax: `ctl:OPTION=VALUE`
 * Example: `ctl:ruleRemoveTargetById=942100;ARGS:password`
 */
export const ctl: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule) {
    const text = requireValue('ctl', value.trim());
    const eq = text.indexOf('=');
    if (eq <= 0) throw new Error(`ctl needs OPTION=VALUE, got "${text}"`);
    const option = text.slice(0, eq).trim();
    const lower = option.toLowerCase();
    if (!CTL_OPTIONS.has(lower)) throw new Error(`unknown ctl option ${option}`);
    const argument = text.slice(eq + 1).trim();
    const hasMacro = argument.includes('%{');
    rule.effects.push({ kind: 'ctl', option: lower });
    rule.actions.push((tx, r) => tx.ctl(lower, hasMacro ? tx.expandMacros(argument) : argument, r));
  },
};
