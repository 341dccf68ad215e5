/**
 * Writes docs/reference/configuration.md from the assembled configuration schema, so the
 * reference cannot drift from what the loader accepts. Run: npx tsx scripts/config-reference.ts
 */
import { writeFileSync } from 'node:fs';
import type { TSchema } from '@sinclair/typebox';
import { assembleSchema } from '../src/config/schema.js';
import { SERVICE_DEFINITIONS, STAGE_DEFINITIONS } from '../src/stages/registry.js';

interface Row {
  path: string;
  type: string;
  def: string;
  description: string;
}

function typeOf(s: TSchema): string {
  if (s.const !== undefined) return JSON.stringify(s.const);
  if (s.anyOf) return (s.anyOf as TSchema[]).map(typeOf).join(' \\| ');
  if (s.enum) return (s.enum as unknown[]).map((v) => JSON.stringify(v)).join(' \\| ');
  if (s.type === 'array') return `${typeOf(s.items as TSchema)}[]`;
  if (s.type === 'object' && s.patternProperties) return 'map';
  return String(s.type ?? 'any');
}

function walk(s: TSchema, path: string, rows: Row[], depth: number): void {
  if (depth > 6) return;
  const row = (p: string, schema: TSchema) =>
    rows.push({
      path: p,
      type: typeOf(schema),
      def: schema.default !== undefined ? `\`${JSON.stringify(schema.default)}\`` : '',
      description: String(schema.description ?? ''),
    });
  if (s.type === 'object' && s.properties) {
    for (const [key, child] of Object.entries(s.properties as Record<string, TSchema>)) {
      const p = path ? `${path}.${key}` : key;
      row(p, child);
      walk(child, p, rows, depth + 1);
    }
  } else if (s.type === 'object' && s.patternProperties) {
    const child = Object.values(s.patternProperties as Record<string, TSchema>)[0] as TSchema;
    walk(child, `${path}.<name>`, rows, depth + 1);
  } else if (s.type === 'array' && s.items) {
    walk(s.items as TSchema, `${path}[]`, rows, depth + 1);
  } else if (s.anyOf) {
    for (const branch of s.anyOf as TSchema[])
      if (branch.type === 'object' || branch.type === 'array') walk(branch, path, rows, depth + 1);
  }
}

const rows: Row[] = [];
walk(assembleSchema(STAGE_DEFINITIONS, SERVICE_DEFINITIONS), '', rows, 0);
const text = `# Configuration reference

Generated from the configuration schema by \`npx tsx scripts/config-reference.ts\`: every key the
loader accepts, and nothing else (unknown keys are errors). Values may use \`\${env:NAME}\`,
\`\${env:NAME:-default}\` and \`\${file:PATH}\`. Relative paths resolve against the directory of the
configuration file. The guide with examples is [../configuration.md](../configuration.md).

| key | type | default | description |
|---|---|---|---|
${rows.map((r) => `| \`${r.path}\` | ${r.type} | ${r.def} | ${r.description.replace(/\|/g, '\\|')} |`).join('\n')}
`;
writeFileSync(new URL('../docs/reference/configuration.md', import.meta.url), text);
console.log(`${rows.length} keys`);
