// Child process for the two-process audit test: appends N records to the given SQLite file.
// Usage: node --import tsx test/store/append-worker.ts FILE KEYFILE N NAME START_EPOCH_MS
import pino from 'pino';
import { openStore } from '../../src/store/store.js';

const [file, keyFile, count, name, start] = process.argv.slice(2) as [string, string, string, string, string];
const store = await openStore(
  { driver: 'sqlite', path: file, masterKey: { file: keyFile } },
  { dataDir: '/nonexistent', configDir: '/', logger: pino({ level: 'silent' }) },
);
// Both workers start at the same instant so their appends really interleave.
await new Promise((r) => setTimeout(r, Math.max(0, Number(start) - Date.now())));
for (let i = 0; i < Number(count); i++) {
  await store.audit.append({ type: 'worker', actor: name, details: { i } });
  // A short pause like real traffic: SQLite's busy handler is not fair, and a writer looping
  // with no gap would starve the other process instead of interleaving with it.
  await new Promise((r) => setTimeout(r, 2));
}
await store.close();
