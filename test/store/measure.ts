// Rough store throughput, one process, sequential awaits (latency-bound, not a load test).
// Usage: node --import tsx test/store/measure.ts [sqlite|postgres]
import { pgHarness, sqliteHarness } from './helpers.js';

const engine = process.argv[2] ?? 'sqlite';
const h = await (engine === 'postgres' ? pgHarness() : sqliteHarness());
const { store } = h;

async function rate(name: string, n: number, fn: (i: number) => Promise<unknown>): Promise<void> {
  const started = process.hrtime.bigint();
  for (let i = 0; i < n; i++) await fn(i);
  const ms = Number(process.hrtime.bigint() - started) / 1e6;
  console.log(
    `${engine}\t${name}\t${n} ops\t${Math.round((n / ms) * 1000)} ops/s\t${((ms * 1000) / n).toFixed(0)} µs/op`,
  );
}

try {
  const u = await store.users.create({ username: 'measure' });
  await store.apiKeys.create({ prefix: 'pc_measure', hash: 'h', owner: u.id });
  await store.sessions.create('sid-measure', { userId: u.id, expiresAt: h.clock.t + 3_600_000 });
  await rate('users.getByUsername', 2000, () => store.users.getByUsername('measure'));
  await rate('apiKeys.getByPrefix', 2000, () => store.apiKeys.getByPrefix('pc_measure'));
  await rate('sessions.get', 2000, () => store.sessions.get('sid-measure'));
  await rate('audit.append', 1000, (i) => store.audit.append({ type: 'measure', actor: 'm', details: { i } }));
  const started = Date.now();
  const result = await store.audit.verify();
  console.log(`${engine}\taudit.verify\t${result.count} records\t${Date.now() - started} ms`);
} finally {
  await h.cleanup();
}
