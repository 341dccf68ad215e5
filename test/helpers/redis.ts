export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';

/**
 * Whether the shared Redis answers. Tests that need it skip with this reason when it does not,
 * except under CI=true, where a missing Redis is a failure.
 */
export async function redisSkipReason(): Promise<string | false> {
  const { Redis } = await import('ioredis');
  const client = new Redis(REDIS_URL, {
    lazyConnect: true,
    maxRetriesPerRequest: 0,
    // Generous: on a loaded machine (CI's 2 cores running the suite in parallel) a 500 ms connect
    // timeout failed the whole file under CI=true while Redis was up.
    connectTimeout: 5000,
    retryStrategy: () => null,
  });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.ping();
    return false;
  } catch (error) {
    const reason = `Redis not reachable at ${REDIS_URL} (${(error as Error).message})`;
    if (process.env['CI'] === 'true') throw new Error(`${reason}; CI=true requires it`);
    return reason;
  } finally {
    client.disconnect();
  }
}
