import type { OperatorFactory } from './types.js';

/**
 * Description: Always matches, whatever the input.
 * Syntax: `@unconditionalMatch`
 * Example: `SecRule REMOTE_ADDR "@unconditionalMatch" "id:1,pass,setvar:tx.seen=1"`
 */
export const unconditionalMatch: OperatorFactory = () => ({
  evaluate(tx, input) {
    tx.setMatchedData(input);
    return true;
  },
});
