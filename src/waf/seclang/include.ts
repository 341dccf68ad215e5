import { readdirSync, statSync } from 'node:fs';
import { isAbsolute, join, resolve, sep } from 'node:path';

const WILDCARD = /[*?[]/;

/**
 * Expands an Include path the way ModSecurity does (apr_match_glob): wildcards in any path
 * segment, matches sorted by name, a relative path resolved against the including file's
 * directory. A pattern that matches nothing is an error, like a missing plain file.
 */
export function expandInclude(pattern: string, baseDir: string): string[] {
  const full = isAbsolute(pattern) ? pattern : resolve(baseDir, pattern);
  if (!WILDCARD.test(full)) return [full];
  const parts = full.split(sep);
  let current = [parts[0] === '' ? sep : parts[0]!];
  for (let i = 1; i < parts.length; i++) {
    const part = parts[i]!;
    if (part === '') continue;
    const last = i === parts.length - 1;
    const next: string[] = [];
    for (const dir of current) {
      if (!WILDCARD.test(part)) {
        next.push(join(dir, part));
        continue;
      }
      const re = globToRegExp(part);
      let names: string[];
      try {
        names = readdirSync(dir).sort();
      } catch {
        continue;
      }
      for (const name of names) {
        if (!re.test(name)) continue;
        const path = join(dir, name);
        if (!last && !isDirectory(path)) continue;
        next.push(path);
      }
    }
    current = next;
  }
  const files = current.filter((p) => !isDirectory(p));
  if (files.length === 0) throw new Error(`Include pattern matches no file: ${pattern}`);
  return files;
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}

function globToRegExp(glob: string): RegExp {
  let out = '^';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*') out += '[^/]*';
    else if (c === '?') out += '[^/]';
    else if (c === '[') {
      const end = glob.indexOf(']', i + 1);
      if (end === -1) out += '\\[';
      else {
        let cls = glob.slice(i + 1, end);
        if (cls.startsWith('!')) cls = `^${cls.slice(1)}`;
        out += `[${cls.replace(/\\/g, '\\\\')}]`;
        i = end;
      }
    } else out += c.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`${out}$`);
}
