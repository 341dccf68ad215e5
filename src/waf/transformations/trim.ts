import { isCSpace } from './bytes.js';
import type { Transformation } from './types.js';

/**
 * Description: Removes whitespace (C `isspace`) from both ends of the value; `trimLeft` and
 * `trimRight` from one end only.
 * Syntax: `t:trim`, `t:trimLeft`, `t:trimRight`
 * Example: `t:trim` turns ` \t a b \n` into `a b`.
 */
export const trim: Transformation = (input) => trimRight(trimLeft(input));

export const trimLeft: Transformation = (input) => {
  let i = 0;
  while (i < input.length && isCSpace(input.charCodeAt(i))) i++;
  return i === 0 ? input : input.slice(i);
};

export const trimRight: Transformation = (input) => {
  let i = input.length;
  while (i > 0 && isCSpace(input.charCodeAt(i - 1))) i--;
  return i === input.length ? input : input.slice(0, i);
};
