import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export interface CrsPattern {
  /** Rule id of the rule, or of the chain the rule belongs to. */
  readonly ruleId: number;
  readonly file: string;
  readonly pattern: string;
}

/**
 * The `@rx` patterns of a CRS rules directory, for tests and benchmarks of the regex layer
 * (the real rule loading is the SecLang parser's job). Continuation lines are joined and `\"` is
 * unescaped, which is all the quoting CRS operator arguments use.
 */
export function readCrsPatterns(rulesDir: string): CrsPattern[] {
  const out: CrsPattern[] = [];
  for (const file of readdirSync(rulesDir)
    .filter((f) => f.endsWith('.conf'))
    .sort()) {
    const text = readFileSync(join(rulesDir, file), 'latin1').replace(/\\\r?\n/g, '');
    let chainId = 0;
    for (const line of text.split('\n')) {
      const m = /^\s*SecRule\s+\S+\s+"!?@rx ((?:[^"\\]|\\.)*)"(.*)$/.exec(line);
      if (m === null) continue;
      const id = /\bid:(\d+)/.exec(m[2] as string);
      if (id !== null) chainId = Number(id[1]);
      out.push({ ruleId: chainId, file, pattern: (m[1] as string).replace(/\\"/g, '"') });
    }
  }
  return out;
}
