// One "gateway process" for the accuracy test: opens its own Redis client and makes `attempts`
// decisions on one shared key, 50 in flight at a time, then prints how many were admitted.
// Usage: node --import tsx accuracy-worker.ts <redisUrl> <prefix> <algorithm> <limit> <per> <attempts>
// Prints "ready" once connected and starts when a line arrives on stdin, so that both
// processes really run at the same time whatever their start-up time.

import { parseDuration } from '../../src/ratelimit/duration.js';
import { openRedis } from '../../src/ratelimit/redis-client.js';
import { RedisStore } from '../../src/ratelimit/redis-store.js';
import { type Algorithm, limitSpec } from '../../src/ratelimit/spec.js';

const [url, prefix, algorithm, limit, per, attempts] = process.argv.slice(2);
const client = await openRedis({ url: url!, keyPrefix: prefix!, timeoutMs: 2000 });
const store = new RedisStore(client, prefix!);
const spec = limitSpec(algorithm as Algorithm, Number(limit), parseDuration(per!)!);
const total = Number(attempts);
process.stdout.write('ready\n');
await new Promise((resolve) => process.stdin.once('data', resolve));
process.stdin.pause();
let admitted = 0;
let errors = 0;
let sent = 0;
async function lane(): Promise<void> {
  while (sent < total) {
    sent++;
    try {
      const [outcome] = await store.decide([{ key: 'accuracy', spec }]);
      if (outcome!.allowed) admitted++;
    } catch {
      errors++;
    }
  }
}
await Promise.all(Array.from({ length: 50 }, lane));
process.stdout.write(JSON.stringify({ admitted, errors }));
client.disconnect();
