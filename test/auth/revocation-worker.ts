// One gateway instance's revocation wiring, as its own OS process, for revocation.test.ts.
// argv: <redis url> <key prefix> listen|publish|late
import { followBus, RedisRevocationBus, RevocationList } from '../../src/auth/revocation.js';

const [url, prefix, role] = process.argv.slice(2) as [string, string, string];
const bus = await RedisRevocationBus.open(url, { keyPrefix: prefix });
const list = new RevocationList();
await followBus(bus, list);

if (role === 'listen') {
  list.onRevoke((r) => {
    process.stdout.write(
      `${JSON.stringify({ event: 'revoked', at: Date.now(), id: r.id, has: list.has(r.kind, r.id) })}\n`,
    );
    void bus.close().then(() => process.exit(0));
  });
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
} else if (role === 'publish') {
  const at = Date.now();
  await bus.publish({ kind: 'jti', id: 'https://iss tok-1', until: at + 60_000 });
  process.stdout.write(`${JSON.stringify({ event: 'published', at })}\n`);
  await bus.close();
} else {
  // A late instance: it must know about revocations made before it started.
  process.stdout.write(`${JSON.stringify({ event: 'loaded', has: list.has('jti', 'https://iss tok-1') })}\n`);
  await bus.close();
}
