import type { ActionDefinition } from './types.js';

/**
 * Description: a transformation applied to each value before the operator; `t:none` drops
 * the transformations inherited so far (from SecDefaultAction or earlier `t:` actions).
 * Syntax: `t:NAME`
 * Example: `t:none,t:urlDecodeUni,t:lowercase`
 */
export const t: ActionDefinition = {
  kind: 'nondisruptive',
  apply(value, rule, env) {
    const name = value.trim();
    if (name.toLowerCase() === 'none') {
      rule.transformations = [];
      return;
    }
    const fn = env.transformation(name);
    if (!fn) throw new Error(`unknown transformation ${name}`);
    rule.transformations.push({ name, fn });
  },
};
