import pino from 'pino';
import { Registry } from 'prom-client';
/** A RequestContext as the core would build it, for calling stage hooks directly. */
export function makeContext(overrides = {}) {
    return {
        id: 'req-1',
        startedAt: 0,
        method: 'GET',
        path: overrides.path ?? '/limited',
        rawTarget: overrides.path ?? '/limited',
        query: '',
        host: 'gw.test',
        headers: overrides.headers ?? {},
        clientIp: overrides.clientIp ?? '192.0.2.10',
        peer: { address: '127.0.0.1', port: 40000, tls: false, protocol: 'http/1.1' },
        routeName: overrides.routeName ?? 'limited',
        params: {},
        upstreamHeaders: {},
        upstreamPath: overrides.path ?? '/limited',
        upstreamQuery: '',
        requestBody: undefined,
        responseBody: undefined,
        identity: overrides.identity,
        decision: 'allowed',
        logFields: {},
        state: new Map(),
    };
}
export function makeIdentity(subject, extra = {}) {
    return { subject, method: 'jwt', roles: [], scopes: [], claims: {}, ...extra };
}
export function makeServices(config = {}) {
    return {
        logger: pino({ level: 'silent' }),
        metrics: new Registry(),
        configDir: process.cwd(),
        dataDir: process.cwd(),
        config,
        shared: new Map(),
    };
}
/** A unique Redis key prefix per test run, so parallel runs never share counters. */
export function testPrefix(name) {
    return `pctest:rl:${name}:${process.pid}:${Date.now().toString(36)}:`;
}
export const REDIS_URL = process.env['TEST_REDIS_URL'] ?? 'redis://127.0.0.1:6379';
/**
 * Whether the shared Redis answers. Tests that need it skip with this reason when it does not,
 * except under CI=true, where a missing Redis is a failure.
 */
export async function redisSkipReason() {
    const { Redis } = await import('ioredis');
    const client = new Redis(REDIS_URL, {
        lazyConnect: true,
        maxRetriesPerRequest: 0,
        connectTimeout: 500,
        retryStrategy: () => null,
    });
    client.on('error', () => undefined);
    try {
        await client.connect();
        await client.ping();
        return false;
    }
    catch (error) {
        const reason = `Redis not reachable at ${REDIS_URL} (${error.message})`;
        if (process.env['CI'] === 'true')
            throw new Error(`${reason}; CI=true requires it`);
        return reason;
    }
    finally {
        client.disconnect();
    }
}
//# sourceMappingURL=context.js.map