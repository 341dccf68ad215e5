import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigErrors, formatIssue } from './errors.js';
import { parseConfig } from './load.js';

const BASE = `dataDir: /tmp/pc-load-test
listeners: [{ protocol: http, host: 127.0.0.1, port: 8080 }]
routes:
  - name: all
    match: { path: "/*" }
    upstream: http://127.0.0.1:1
    public: true
`;

function problems(yaml: string): string[] {
  try {
    parseConfig(yaml, '/cfg/gateway.yaml');
  } catch (error) {
    if (error instanceof ConfigErrors) return error.errors.map(formatIssue);
    throw error;
  }
  return [];
}

describe('parseConfig validates with the sections the document has', () => {
  it('a plain configuration is valid and gets its defaults', () => {
    const { config } = parseConfig(BASE, '/cfg/gateway.yaml');
    assert.equal(config.server.limits.maxBodyBytes > 0, true);
    assert.deepEqual(config.upstreams, {});
  });

  it('an unknown top-level key is refused with its position', () => {
    assert.deepEqual(problems(`${BASE}wafff: {}\n`), ['/cfg/gateway.yaml:8:1: wafff: unknown key']);
  });

  it('an unknown route key is refused', () => {
    assert.deepEqual(problems(BASE.replace('public: true', 'public: true\n    corz: {}')), [
      '/cfg/gateway.yaml:8:5: routes[0].corz: unknown key',
    ]);
  });

  it('a present stage section is checked, globally and per route, also after a plainer document', () => {
    assert.deepEqual(problems(BASE), []);
    const yaml = `${BASE.replace('public: true', 'public: true\n    cors: { origins: 3 }')}waf: { mode: sometimes }\n`;
    // The same list, in the same order, as the schema of every section gives.
    assert.deepEqual(problems(yaml), [
      '/cfg/gateway.yaml:8:22: routes[0].cors.origins: must be array',
      '/cfg/gateway.yaml:9:14: waf.mode: must be "block"',
      '/cfg/gateway.yaml:9:14: waf.mode: must be "detect"',
      '/cfg/gateway.yaml:9:14: waf.mode: must be "off"',
      '/cfg/gateway.yaml:9:14: waf.mode: must match a schema in anyOf',
    ]);
    assert.deepEqual(problems(BASE), []);
  });
});
