/**
 * OpenAPI path templates (`/pets/{petId}`, OpenAPI 3.1 §4.8.8.2) to find-my-way patterns
 * (`/pets/:petId`). Static ':' is doubled, as find-my-way requires; '*' has no OpenAPI meaning
 * and would become a wildcard, so it is refused.
 */
export class PathTemplateError extends Error {}

const PARAM_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function toRoutePattern(template: string, basePath = ''): { pattern: string; params: string[] } {
  if (!template.startsWith('/')) throw new PathTemplateError(`path "${template}" must start with /`);
  const params: string[] = [];
  let pattern = '';
  let i = 0;
  while (i < template.length) {
    const c = template[i]!;
    if (c === '{') {
      const end = template.indexOf('}', i);
      if (end < 0) throw new PathTemplateError(`path "${template}" has an unclosed {`);
      const name = template.slice(i + 1, end);
      if (!PARAM_NAME.test(name)) {
        throw new PathTemplateError(`path parameter "${name}" must be letters, digits and underscores`);
      }
      const next = template[end + 1];
      if (next !== undefined && next !== '/' && next !== '.' && next !== '-') {
        throw new PathTemplateError(`path parameter "${name}" must be followed by /, . or -`);
      }
      params.push(name);
      pattern += `:${name}`;
      i = end + 1;
    } else if (c === '}' || c === '*' || c === '?' || c === '#') {
      throw new PathTemplateError(`path "${template}" contains "${c}"`);
    } else {
      pattern += c === ':' ? '::' : c;
      i++;
    }
  }
  const base = basePath.endsWith('/') ? basePath.slice(0, -1) : basePath;
  return { pattern: base + pattern, params };
}
