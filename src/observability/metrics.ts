import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastCounter, FastHistogram } from './fast-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** Prometheus metrics of the data plane; the per-request ones use FastCounter/FastHistogram. */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly #requests: FastCounter;
  readonly #duration: FastHistogram;
  readonly #upstreamDuration: FastHistogram;
  readonly #targetHealthy: Gauge<'upstream' | 'target'>;

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry });
    this.#requests = new FastCounter(
      registry,
      'portcullis_requests_total',
      'Requests handled, by route, status and decision',
      ['route', 'status', 'decision'],
    );
    this.#duration = new FastHistogram(
      registry,
      'portcullis_request_duration_seconds',
      'Total time from request head to response end',
      ['route', 'decision'],
      LATENCY_BUCKETS,
    );
    this.#upstreamDuration = new FastHistogram(
      registry,
      'portcullis_upstream_duration_seconds',
      'Time from sending upstream to the upstream response head',
      ['upstream'],
      LATENCY_BUCKETS,
    );
    this.#targetHealthy = new Gauge({
      name: 'portcullis_upstream_target_healthy',
      help: '1 when the upstream target passes its health check and its circuit is closed',
      labelNames: ['upstream', 'target'],
      registers: [registry],
    });
  }

  request(route: string, status: number, decision: string, seconds: number): void {
    const rd = `${route}\u0000${decision}`;
    this.#requests.incKey(`${rd}\u0000${status}`, () => [route, String(status), decision]);
    this.#duration.observeKey(rd, () => [route, decision], seconds);
  }

  upstream(name: string, seconds: number): void {
    this.#upstreamDuration.observeKey(name, () => [name], seconds);
  }

  targetHealth(upstream: string, target: string, healthy: boolean): void {
    this.#targetHealthy.labels(upstream, target).set(healthy ? 1 : 0);
  }
}
