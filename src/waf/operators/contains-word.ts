import { argumentResolver } from './argument.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Matches when the argument occurs in the input as a whole word: the bytes around it
 * (if any) are not ASCII letters — ModSecurity counts only letters as word characters here. An
 * empty argument always matches. The argument may hold macros.
 * Syntax: `@containsWord <word>`
 * Example: `SecRule ARGS "@containsWord select" "id:1"` matches `1 select 2`, not `selection`.
 */
export const containsWord: OperatorFactory = (argument) => {
  const resolve = argumentResolver(argument);
  return {
    evaluate(tx, input) {
      const word = resolve(tx);
      const matched = word === '' || findWord(input, word);
      if (matched) {
        tx.setMatchedData(word);
        if (tx.capturing) tx.setCapture(0, word);
      }
      return matched;
    },
  };
};

function isLetter(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function findWord(input: string, word: string): boolean {
  for (let pos = input.indexOf(word); pos !== -1; pos = input.indexOf(word, pos + 1)) {
    const before = pos === 0 || !isLetter(input.charCodeAt(pos - 1));
    const afterAt = pos + word.length;
    const after = afterAt === input.length || !isLetter(input.charCodeAt(afterAt));
    if (before && after) return true;
  }
  return false;
}
