import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

/** Prometheus metrics of the data plane. Label children are cached: a lookup per request is a Map hit. */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly #requests: Counter<'route' | 'status' | 'decision'>;
  readonly #duration: Histogram<'route' | 'decision'>;
  readonly #upstreamDuration: Histogram<'upstream'>;
  readonly #targetHealthy: Gauge<'upstream' | 'target'>;
  readonly #counters = new Map<string, Counter.Internal>();
  readonly #histograms = new Map<string, Histogram.Internal<'route' | 'decision'>>();
  readonly #upstreamHistograms = new Map<string, Histogram.Internal<'upstream'>>();

  constructor(registry = new Registry()) {
    this.registry = registry;
    collectDefaultMetrics({ register: registry });
    this.#requests = new Counter({
      name: 'portcullis_requests_total',
      help: 'Requests handled, by route, status and decision',
      labelNames: ['route', 'status', 'decision'],
      registers: [registry],
    });
    this.#duration = new Histogram({
      name: 'portcullis_request_duration_seconds',
      help: 'Total time from request head to response end',
      labelNames: ['route', 'decision'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.#upstreamDuration = new Histogram({
      name: 'portcullis_upstream_duration_seconds',
      help: 'Time from sending upstream to the upstream response head',
      labelNames: ['upstream'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers: [registry],
    });
    this.#targetHealthy = new Gauge({
      name: 'portcullis_upstream_target_healthy',
      help: '1 when the upstream target passes its health check and its circuit is closed',
      labelNames: ['upstream', 'target'],
      registers: [registry],
    });
  }

  request(route: string, status: number, decision: string, seconds: number): void {
    const key = `${route}\u0000${status}\u0000${decision}`;
    let counter = this.#counters.get(key);
    if (!counter) {
      counter = this.#requests.labels(route, String(status), decision);
      this.#counters.set(key, counter);
    }
    counter.inc();
    const hkey = `${route}\u0000${decision}`;
    let histogram = this.#histograms.get(hkey);
    if (!histogram) {
      histogram = this.#duration.labels(route, decision);
      this.#histograms.set(hkey, histogram);
    }
    histogram.observe(seconds);
  }

  upstream(name: string, seconds: number): void {
    let histogram = this.#upstreamHistograms.get(name);
    if (!histogram) {
      histogram = this.#upstreamDuration.labels(name);
      this.#upstreamHistograms.set(name, histogram);
    }
    histogram.observe(seconds);
  }

  targetHealth(upstream: string, target: string, healthy: boolean): void {
    this.#targetHealthy.labels(upstream, target).set(healthy ? 1 : 0);
  }
}
