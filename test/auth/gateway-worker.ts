// A whole gateway as its own OS process, for revocation-sign-out.test.ts. argv: <config YAML file>.
// Prints {"url": ...} once it listens; closes on SIGTERM.
import { readFileSync } from 'node:fs';
import { startTestGateway } from '../helpers/gateway.js';

const gw = await startTestGateway(readFileSync(process.argv[2] as string, 'utf8'));
process.stdout.write(`${JSON.stringify({ url: gw.url })}\n`);
process.on('SIGTERM', () => {
  void gw.close().then(() => process.exit(0));
});
