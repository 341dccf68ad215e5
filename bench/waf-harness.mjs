// Shared by bench/waf-engine-ab.mjs and bench/waf-engine-instr.mjs: paths, option parsing, and
// one gateway-harness request through a build's WAF engine with CRS at PL1, as the gateway runs it.
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const shared = resolve(root, '..', 'shared');

/** `--name value` from the command line, or the fallback. */
export function option(args, name, fallback) {
  const i = args.indexOf(`--${name}`);
  return i === -1 ? fallback : args[i + 1];
}

/**
 * Compiles CRS with the engine of the build in `dist` and returns a function that runs one
 * request of the harness workload (../shared/bench/workloads.mjs) through every phase.
 */
export async function harnessRequest(dist, workload, textName) {
  const { prelude } = await import(join(dist, 'stages', 'waf', 'index.js'));
  const { createWaf } = await import(join(dist, 'waf', 'index.js'));
  const crs = join(shared, 'crs');
  const waf = createWaf({
    text: `${prelude({})}\nInclude "${join(crs, 'crs-setup.conf.example')}"\nInclude "${join(crs, 'rules', '*.conf')}"\n`,
    textName,
  });
  const w = (await import(join(shared, 'bench', 'workloads.mjs'))).WORKLOADS[workload];
  if (w === undefined) throw new Error(`unknown workload ${workload}`);
  const headers = Object.entries(w.headers);
  return () => {
    const tx = waf.newTransaction({ clientIp: '127.0.0.1', clientPort: 5000 });
    tx.processUri(w.method, w.path, 'HTTP/1.1');
    for (const [k, v] of headers) tx.addRequestHeader(k, v);
    tx.processRequestHeaders();
    if (w.body) tx.appendRequestBody(w.body);
    tx.processRequestBody();
    tx.addResponseHeader('Content-Type', 'application/json');
    tx.processResponseHeaders(200);
    tx.processResponseBody();
    tx.processLogging();
  };
}
