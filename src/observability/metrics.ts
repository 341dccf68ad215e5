import { collectDefaultMetrics, Gauge, Registry } from 'prom-client';
import { FastCounter, FastHistogram, type HistogramData } from './fast-metrics.js';

const LATENCY_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

/** One route and decision's series: its duration histogram and its counters by status. */
interface RequestSeries {
  readonly duration: HistogramData;
  readonly byStatus: Map<number, { value: number }>;
}

/**
 * Prometheus metrics of the data plane; the per-request ones use FastCounter/FastHistogram, whose
 * series handles are kept here by route, decision and status: recording a request builds no
 * string and no label array.
 */
export class GatewayMetrics {
  readonly registry: Registry;
  readonly #requests: FastCounter;
  readonly #duration: FastHistogram;
  readonly #upstreamDuration: FastHistogram;
  readonly #targetHealthy: Gauge<'upstream' | 'target'>;
  readonly #byRoute = new Map<string, Map<string, RequestSeries>>();
  readonly #byUpstream = new Map<string, HistogramData>();
  /** The metrics' reset generations the handles above were taken in. */
  #generation = 0;

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
    this.#checkGeneration();
    let byDecision = this.#byRoute.get(route);
    if (byDecision === undefined) {
      byDecision = new Map();
      this.#byRoute.set(route, byDecision);
    }
    let series = byDecision.get(decision);
    if (series === undefined) {
      series = { duration: this.#duration.handle([route, decision]), byStatus: new Map() };
      byDecision.set(decision, series);
    }
    let count = series.byStatus.get(status);
    if (count === undefined) {
      count = this.#requests.handle([route, String(status), decision]);
      series.byStatus.set(status, count);
    }
    count.value++;
    this.#duration.record(series.duration, seconds);
  }

  upstream(name: string, seconds: number): void {
    this.#checkGeneration();
    let series = this.#byUpstream.get(name);
    if (series === undefined) {
      series = this.#upstreamDuration.handle([name]);
      this.#byUpstream.set(name, series);
    }
    this.#upstreamDuration.record(series, seconds);
  }

  /** A registry reset drops the series: handles taken before it are dropped too. */
  #checkGeneration(): void {
    const generation = this.#requests.generation + this.#duration.generation + this.#upstreamDuration.generation;
    if (generation === this.#generation) return;
    this.#generation = generation;
    this.#byRoute.clear();
    this.#byUpstream.clear();
  }

  targetHealth(upstream: string, target: string, healthy: boolean): void {
    this.#targetHealthy.labels(upstream, target).set(healthy ? 1 : 0);
  }
}
