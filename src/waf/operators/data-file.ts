import { readFileSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';

/**
 * Reads the data files named in a @pmFromFile / @ipMatchFromFile argument (space-separated,
 * relative to the rule file's directory) and returns their entries: one per line, skipping empty
 * lines and lines starting with `#`, as ModSecurity does. Remote (http/https) lists are refused:
 * rules must not depend on the network at load time.
 */
export function readDataFiles(argument: string, baseDir: string, operator: string): string[] {
  const names = argument.split(/[ \t]+/).filter((n) => n !== '');
  if (names.length === 0) throw new Error(`${operator} needs a file name`);
  const entries: string[] = [];
  for (const name of names) {
    if (/^https?:\/\//i.test(name)) throw new Error(`${operator}: remote files are not supported (${name})`);
    const path = isAbsolute(name) ? name : resolve(baseDir, name);
    let text: string;
    try {
      text = readFileSync(path, 'latin1');
    } catch (error) {
      throw new Error(`${operator}: cannot read ${path} (${(error as NodeJS.ErrnoException).code ?? 'error'})`);
    }
    for (const raw of text.split('\n')) {
      const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
      if (line === '' || line.startsWith('#')) continue;
      entries.push(line);
    }
  }
  return entries;
}
