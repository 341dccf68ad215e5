import type { ActionRun, Disruptive, NamedTransformation, RuleEffect, RulePhase } from '../engine/types.js';
import type { Transformation } from '../transformations/types.js';

/**
 * ModSecurity's action classes: metadata describes the rule, disruptive decides what a match
 * does, flow changes which rule runs next, non-disruptive changes transaction state at match
 * time, data carries a value for another action (status, xmlns).
 */
export type ActionKind = 'metadata' | 'disruptive' | 'nondisruptive' | 'flow' | 'data';

/** A rule while its actions are being applied; frozen into a Rule afterwards. */
export interface RuleDraft {
  id?: number;
  phase?: RulePhase;
  msg?: string;
  logdata?: string;
  severity?: number;
  tags: string[];
  ver?: string;
  rev?: string;
  maturity?: number;
  accuracy?: number;
  capture: boolean;
  multiMatch: boolean;
  log?: boolean;
  auditLog?: boolean;
  disruptive?: Disruptive;
  status?: number;
  chain: boolean;
  skip: number;
  skipAfter?: string;
  transformations: NamedTransformation[];
  actions: ActionRun[];
  /** One entry per entry of `actions`: what it may change (Rule.effects). */
  effects: RuleEffect[];
}

export interface ActionEnv {
  transformation(name: string): Transformation | undefined;
}

export interface ActionDefinition {
  readonly kind: ActionKind;
  /** Applies the action to the rule being built. Throws a plain Error on a bad argument. */
  apply(value: string, rule: RuleDraft, env: ActionEnv): void;
}

export function requireValue(name: string, value: string): string {
  if (value === '') throw new Error(`action ${name} needs a value`);
  return value;
}

export function parseInteger(name: string, value: string): number {
  if (!/^-?\d+$/.test(value.trim())) throw new Error(`action ${name} needs an integer, got "${value}"`);
  return Number.parseInt(value, 10);
}
