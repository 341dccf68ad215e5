import type { Registry } from 'prom-client';

/**
 * Counters and histograms for the per-request hot path. prom-client hashes the label object on
 * every observe(), a few microseconds per request; these keep one pre-resolved series object per
 * label combination, which the hot path keeps as a handle (handle()), so recording is a few
 * additions. They register with a
 * prom-client Registry as ordinary metrics (get() returns prom-client's metric shape), so
 * /metrics, process metrics and cluster aggregation work as usual.
 */
interface MetricValue {
  labels: Record<string, string | number>;
  value: number;
  metricName?: string;
}

interface MetricShape {
  name: string;
  help: string;
  type: 'counter' | 'histogram';
  values: MetricValue[];
  aggregator: 'sum';
}

abstract class FastMetric<S> {
  readonly name: string;
  readonly help: string;
  readonly labelNames: readonly string[];
  readonly aggregator = 'sum';
  protected readonly series = new Map<string, { labels: Record<string, string>; data: S }>();
  /** Incremented by reset(): handles taken before it no longer count. */
  generation = 0;

  constructor(registry: Registry, name: string, help: string, labelNames: readonly string[]) {
    this.name = name;
    this.help = help;
    this.labelNames = labelNames;
    registry.registerMetric(this as never);
  }

  protected seriesFor(values: readonly string[]): S {
    const key = values.length === 1 ? (values[0] as string) : values.join('\u0000');
    let s = this.series.get(key);
    if (!s) {
      const labels: Record<string, string> = {};
      this.labelNames.forEach((n, i) => {
        labels[n] = values[i] as string;
      });
      s = { labels, data: this.create() };
      this.series.set(key, s);
    }
    return s.data;
  }

  /** The series for these label values (in labelNames order), for a caller to keep and record into. */
  handle(values: readonly string[]): S {
    return this.seriesFor(values);
  }

  protected abstract create(): S;
  abstract get(): Promise<MetricShape>;

  reset(): void {
    this.series.clear();
    this.generation++;
  }
}

export class FastCounter extends FastMetric<{ value: number }> {
  readonly type = 'counter';

  inc(values: readonly string[], by = 1): void {
    this.seriesFor(values).value += by;
  }

  protected create() {
    return { value: 0 };
  }

  async get(): Promise<MetricShape> {
    return {
      name: this.name,
      help: this.help,
      type: 'counter',
      aggregator: 'sum',
      values: [...this.series.values()].map((s) => ({ labels: s.labels, value: s.data.value })),
    };
  }
}

export interface HistogramData {
  buckets: Float64Array;
  sum: number;
  count: number;
}

export class FastHistogram extends FastMetric<HistogramData> {
  readonly type = 'histogram';
  readonly #bounds: readonly number[];

  constructor(
    registry: Registry,
    name: string,
    help: string,
    labelNames: readonly string[],
    bounds: readonly number[],
  ) {
    super(registry, name, help, labelNames);
    this.#bounds = [...bounds].sort((a, b) => a - b);
  }

  observe(values: readonly string[], value: number): void {
    this.record(this.seriesFor(values), value);
  }

  /** Records into a series held from handle(). */
  record(data: HistogramData, value: number): void {
    const bounds = this.#bounds;
    let i = 0;
    while (i < bounds.length && value > (bounds[i] as number)) i++;
    if (i < bounds.length) data.buckets[i] = (data.buckets[i] as number) + 1;
    data.sum += value;
    data.count++;
  }

  protected create(): HistogramData {
    return { buckets: new Float64Array(this.#bounds.length), sum: 0, count: 0 };
  }

  async get(): Promise<MetricShape> {
    const values: MetricValue[] = [];
    for (const { labels, data } of this.series.values()) {
      let cumulative = 0;
      this.#bounds.forEach((le, i) => {
        cumulative += data.buckets[i] as number;
        values.push({ labels: { le, ...labels }, value: cumulative, metricName: `${this.name}_bucket` });
      });
      values.push({ labels: { le: '+Inf', ...labels }, value: data.count, metricName: `${this.name}_bucket` });
      values.push({ labels, value: data.sum, metricName: `${this.name}_sum` });
      values.push({ labels, value: data.count, metricName: `${this.name}_count` });
    }
    return { name: this.name, help: this.help, type: 'histogram', aggregator: 'sum', values };
  }
}
