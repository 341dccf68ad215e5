import { readDataFiles } from './data-file.js';
import { phraseOperator } from './phrase-operator.js';
import type { OperatorFactory } from './types.js';

/**
 * Description: Like @pm, with the phrases read from files, one phrase per line (a whole line,
 * spaces included); empty lines and lines starting with `#` are skipped. Paths are relative to the
 * directory of the rule file; several files may be given, separated by spaces. Also `@pmf`.
 * Syntax: `@pmFromFile <file> [<file> ...]`
 * Example: `SecRule REQUEST_FILENAME "@pmFromFile restricted-files.data" "id:1"`
 */
export const pmFromFile: OperatorFactory = (argument, options) => {
  const phrases = readDataFiles(argument, options.baseDir, '@pmFromFile');
  if (phrases.length === 0) return { evaluate: () => false };
  return phraseOperator(phrases);
};
