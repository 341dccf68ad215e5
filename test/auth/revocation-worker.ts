// One gateway instance's revocation wiring, as its own OS process, for revocation.test.ts.
// argv: redis <url> <key prefix> <role>  |  store <store config JSON> <data dir> <role>
// role: listen | publish | late. The store's master key comes in PC_TEST_MK. With
// PC_TEST_REVOKE=cutoff the revocation is a cutoff for user "u-cut" (issued before 1,000,000 ms
// refused), and the listener and the late instance report a credential on each side of it.
import pino from 'pino';
import {
  followBus,
  RedisRevocationBus,
  type RevocationBus,
  RevocationList,
  StoreRevocationBus,
} from '../../src/auth/revocation.js';
import { openStore } from '../../src/store/store.js';

const [kind, a, b, role] = process.argv.slice(2) as [string, string, string, string];
let bus: RevocationBus;
let closeStore = async (): Promise<void> => undefined;
if (kind === 'redis') {
  bus = await RedisRevocationBus.open(a, { keyPrefix: b });
} else {
  const store = await openStore(JSON.parse(a), { dataDir: b, configDir: b, logger: pino({ level: 'silent' }) });
  bus = await StoreRevocationBus.open(store.revocations);
  closeStore = () => store.close();
}
const close = async () => {
  await bus.close();
  await closeStore();
};
const list = new RevocationList();
await followBus(bus, list);

const cutoff = process.env.PC_TEST_REVOKE === 'cutoff';
const CUT_AT = 1_000_000;
/** In force: the jti is revoked; or an old credential of u-cut is refused and a new one is not. */
const inForce = () =>
  cutoff
    ? list.cutsOff('u-cut', CUT_AT - 1) && !list.cutsOff('u-cut', CUT_AT + 1)
    : list.has('jti', 'https://iss tok-1');

if (role === 'listen') {
  list.onRevoke((r) => {
    // A feed shared with an earlier run may re-deliver its entries (the catch-up window).
    if ((r.kind === 'cutoff') !== cutoff) return;
    process.stdout.write(`${JSON.stringify({ event: 'revoked', at: Date.now(), id: r.id, has: inForce() })}\n`);
    void close().then(() => process.exit(0));
  });
  // The bus's poll timer is unref'd (it never keeps a gateway alive); this process has nothing
  // else to wait on with SQLite, so it holds itself open until the revocation arrives.
  setInterval(() => undefined, 60_000);
  process.stdout.write(`${JSON.stringify({ event: 'ready' })}\n`);
} else if (role === 'publish') {
  const at = Date.now();
  await bus.publish(
    cutoff
      ? { kind: 'cutoff', id: 'u-cut', issuedBefore: CUT_AT, until: at + 60_000 }
      : { kind: 'jti', id: 'https://iss tok-1', until: at + 60_000 },
  );
  process.stdout.write(`${JSON.stringify({ event: 'published', at })}\n`);
  await close();
} else {
  // A late instance: it must know about revocations made before it started.
  process.stdout.write(`${JSON.stringify({ event: 'loaded', has: inForce() })}\n`);
  await close();
}
