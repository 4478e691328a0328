/**
 * Prometheus metrics for GET /metrics (text exposition format 0.0.4). The request flow reports into
 * this object; it never fails or slows a request (plain counters in memory, rendered on scrape).
 *
 * Cardinality is bounded: endpoints come from the server's fixed list (or 'other'), statuses are
 * HTTP codes, token kinds and miss reasons are closed sets, and model labels are registry ids,
 * never the name a client sent (see #model): 'unknown' for a name the registry does not resolve.
 */
import type { TurnRow } from '../store/ledger.ts';
import type { ModelEntry, Registry } from '../route/registry.ts';
import { CONTROLS, escapeControl } from '../escape-controls.ts';

/** Seconds; shared by the latency and time-to-first-byte histograms. */
export const BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300] as const;

const TOKEN_KINDS = [
  ['input', 'inputTokens'],
  ['cache_read', 'cacheReadTokens'],
  ['cache_write_5m', 'cacheWrite5mTokens'],
  ['cache_write_1h', 'cacheWrite1hTokens'],
  ['output', 'outputTokens'],
] as const;

type Labels = Record<string, string>;

class Histogram {
  readonly counts = new Array<number>(BUCKETS.length).fill(0);
  sum = 0;
  count = 0;
  observe(seconds: number): void {
    this.sum += seconds;
    this.count++;
    for (let i = 0; i < BUCKETS.length; i++) if (seconds <= BUCKETS[i]!) this.counts[i]!++;
  }
}

/** A metric family: one value (or histogram) per label set, keyed by the rendered label string. */
class Family<T> {
  readonly series = new Map<string, { labels: Labels; value: T }>();
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge' | 'histogram';
  readonly #make: () => T;
  constructor(name: string, type: 'counter' | 'gauge' | 'histogram', help: string, make: () => T) {
    this.name = name;
    this.type = type;
    this.help = help;
    this.#make = make;
  }
  get(labels: Labels): { labels: Labels; value: T } {
    const k = renderLabels(labels);
    let s = this.series.get(k);
    if (!s) this.series.set(k, (s = { labels, value: this.#make() }));
    return s;
  }
}

/**
 * The format's three escapes (backslash, double quote, line feed); any other control or bidi
 * character becomes visible text such as `\x1b` (its backslash escaped in turn), so that a scrape
 * never carries raw control bytes. Labels are registry ids and fixed names: this is the last guard.
 */
export function escapeLabelValue(v: string): string {
  return v.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`)).replace(CONTROLS, (c) => `\\${escapeControl(c)}`);
}

function renderLabels(labels: Labels): string {
  // Runs per turn (the series key): a loop rather than a callback made per call (json/scan-json.ts, Scanner).
  let out = '';
  for (const k in labels) out += `${out ? ',' : ''}${k}="${escapeLabelValue(labels[k]!)}"`;
  return out ? `{${out}}` : '';
}

function fmt(n: number): string {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return '+Inf';
  if (n === -Infinity) return '-Inf';
  return String(n);
}

export class Metrics {
  activeStreams = 0;
  readonly #registry: Pick<Registry, 'resolve'>;
  readonly #maxUnlisted: number;
  readonly #unlisted = new Set<string>();
  readonly #maxSeries = 2000;

  readonly #requests = new Family('synrouter_http_requests_total', 'counter', 'HTTP answers by endpoint (path, or "other") and status.', () => ({ n: 0 }));
  readonly #httpDuration = new Family('synrouter_http_request_duration_seconds', 'histogram', 'Time from request to the end of the answer, by endpoint.', () => new Histogram());
  readonly #turns = new Family('synrouter_turns_total', 'counter', 'Ledger rows by kind (turn, retry, keepalive), model and status.', () => ({ n: 0 }));
  readonly #turnDuration = new Family('synrouter_turn_duration_seconds', 'histogram', 'Turn latency (request start to last byte), by model; client turns only.', () => new Histogram());
  readonly #ttfb = new Family('synrouter_turn_ttfb_seconds', 'histogram', 'Time to the first byte sent to the client, by model; client turns only.', () => new Histogram());
  readonly #tokens = new Family('synrouter_tokens_total', 'counter', 'Tokens by kind (input, cache_read, cache_write_5m, cache_write_1h, output) and model; turns only.', () => ({ n: 0 }));
  readonly #cost = new Family('synrouter_cost_usd_total', 'counter', 'Spend in USD at the response model\'s prices (cache-write premiums and keep-alive pings included).', () => ({ n: 0 }));
  readonly #direct = new Family('synrouter_cost_direct_usd_total', 'counter', 'What the same turns would have cost sent directly with no caching, USD.', () => ({ n: 0 }));
  readonly #client = new Family('synrouter_cost_client_only_usd_total', 'counter', 'What the same turns would have cost with the client\'s own cache markers only, USD.', () => ({ n: 0 }));
  readonly #savings = new Family('synrouter_savings_usd', 'gauge', 'What Synrouter saved since start, USD: client-only cost minus spend, keep-alive pings included (can go down, so a gauge).', () => ({ n: 0 }));
  readonly #savingsNoCache = new Family('synrouter_savings_vs_no_cache_usd', 'gauge', 'Direct cost (no caching at all) minus spend since start, USD: the cut against no caching, not what Synrouter saved.', () => ({ n: 0 }));
  readonly #unpriced = new Family('synrouter_turns_unpriced_total', 'counter', 'Turns with tokens but unknown prices (left out of the USD metrics).', () => ({ n: 0 }));
  readonly #misses = new Family('synrouter_cache_misses_total', 'counter', 'Turns that missed the cache, by the cache engine\'s reason.', () => ({ n: 0 }));
  readonly #upstreamErrors = new Family('synrouter_upstream_errors_total', 'counter', 'Failed upstream requests (error code UPSTREAM_*: turns, retried attempts and keep-alive pings), by model and code.', () => ({ n: 0 }));

  /** `maxUnlisted`: how many Claude ids the registry does not list get a label of their own. */
  constructor(registry: Pick<Registry, 'resolve'>, opts: { maxUnlisted?: number } = {}) {
    this.#registry = registry;
    this.#maxUnlisted = opts.maxUnlisted ?? 100;
  }

  /**
   * The model label: the registry id of the model the route that answered serves (`answered`), else
   * of the requested model when the registry resolves it, else 'unknown'; never the name as sent, so
   * junk names neither become labels nor use up a budget. Listed models need no budget (the registry
   * is finite). A Claude id the registry does not list resolves too (it passes through to Anthropic,
   * registry.ts), from whatever the client sent: it gets its own label only once an upstream has
   * answered it with a 200, for the first `maxUnlisted` such ids; later ones are 'other'.
   */
  #model(row: TurnRow, answered: ModelEntry | undefined): string {
    const entry = answered ?? (row.requestedModel ? this.#registry.resolve(row.requestedModel) : undefined);
    if (!entry) return 'unknown';
    if (!entry.unlisted || this.#unlisted.has(entry.id)) return entry.id;
    if (row.status !== 200) return 'unknown';
    if (this.#unlisted.size >= this.#maxUnlisted) return 'other';
    this.#unlisted.add(entry.id);
    return entry.id;
  }

  #series<T>(f: Family<T>, labels: Labels): { value: T } | undefined {
    // A last guard: never let one family grow without bound, whatever the inputs.
    if (f.series.size >= this.#maxSeries && !f.series.has(renderLabels(labels))) return undefined;
    return f.get(labels);
  }

  #add(f: Family<{ n: number }>, labels: Labels, v: number): void {
    const s = this.#series(f, labels);
    if (s) s.value.n += v;
  }

  /** Every HTTP answer Synrouter gives, by endpoint (or 'other') and status. */
  observeHttp(endpoint: string, status: number, ms: number): void {
    this.#add(this.#requests, { endpoint, status: String(status) }, 1);
    this.#series(this.#httpDuration, { endpoint })?.value.observe(ms / 1000);
  }

  /**
   * One ledger row, of any kind: every row counts in synrouter_turns_total (by kind), its cost is spend
   * and its UPSTREAM_* error an upstream error. Only client turns ('turn') count tokens, direct and
   * client-only cost, latency and time to first byte: a keep-alive ping is not a request by the client
   * (no direct counterpart, so it lowers the savings by its cost), and a retried attempt's time is part
   * of its turn's latency. `answered`: the registry entry of the route the row is for, when there was one.
   */
  observeTurn(row: TurnRow, answered?: ModelEntry): void {
    const model = this.#model(row, answered);
    const kind = String(row.kind);
    const isTurn = kind === 'turn';
    this.#add(this.#turns, { kind, model, status: String(row.status) }, 1);
    if (isTurn && row.latencyMs !== null) this.#series(this.#turnDuration, { model })?.value.observe(row.latencyMs / 1000);
    if (isTurn && row.ttfbMs !== null) this.#series(this.#ttfb, { model })?.value.observe(row.ttfbMs / 1000);
    if (isTurn) for (const [k, field] of TOKEN_KINDS) if (row[field] > 0) this.#add(this.#tokens, { kind: k, model }, row[field]);
    const tokens = row.inputTokens + row.cacheReadTokens + row.cacheWrite5mTokens + row.cacheWrite1hTokens + row.outputTokens;
    if (row.costUsd !== null) {
      this.#add(this.#cost, { model }, row.costUsd);
      const direct = isTurn ? row.costDirectUsd ?? row.costUsd : 0;
      const client = isTurn ? row.costClientUsd ?? row.costUsd : 0;
      this.#add(this.#direct, { model }, direct);
      this.#add(this.#client, { model }, client);
      this.#add(this.#savings, { model }, client - row.costUsd);
      this.#add(this.#savingsNoCache, { model }, direct - row.costUsd);
    } else if (isTurn && tokens > 0) {
      this.#add(this.#unpriced, { model }, 1);
    }
    if (isTurn && row.missReason) this.#add(this.#misses, { reason: row.missReason }, 1);
    if (row.errorCode?.startsWith('UPSTREAM')) this.#add(this.#upstreamErrors, { model, code: row.errorCode }, 1);
  }

  readonly #read: Array<{ name: string; type: 'counter' | 'gauge'; help: string; read: () => number }> = [];

  /** A value read at each scrape (the store's state: its kind, the limits' scope, the ledger's queue). */
  watch(name: string, type: 'counter' | 'gauge', help: string, read: () => number): void {
    this.#read.push({ name, type, help, read });
  }

  streamStarted(): void { this.activeStreams++; }
  streamEnded(): void { this.activeStreams--; }

  /** Prometheus text exposition format 0.0.4. */
  render(): string {
    const out: string[] = [];
    const head = (name: string, type: string, help: string) => out.push(`# HELP ${name} ${help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}`, `# TYPE ${name} ${type}`);
    for (const f of [this.#requests, this.#turns, this.#tokens, this.#cost, this.#direct, this.#client, this.#savings, this.#savingsNoCache, this.#unpriced, this.#misses, this.#upstreamErrors]) {
      head(f.name, f.type, f.help);
      for (const [labels, s] of f.series) out.push(`${f.name}${labels} ${fmt(s.value.n)}`);
    }
    for (const f of [this.#httpDuration, this.#turnDuration, this.#ttfb]) {
      head(f.name, f.type, f.help);
      for (const { labels, value: h } of f.series.values()) {
        BUCKETS.forEach((le, i) => out.push(`${f.name}_bucket${renderLabels({ ...labels, le: String(le) })} ${h.counts[i]}`));
        out.push(`${f.name}_bucket${renderLabels({ ...labels, le: '+Inf' })} ${h.count}`);
        out.push(`${f.name}_sum${renderLabels(labels)} ${fmt(h.sum)}`);
        out.push(`${f.name}_count${renderLabels(labels)} ${h.count}`);
      }
    }
    head('synrouter_active_streams', 'gauge', 'Streams being relayed now.');
    out.push(`synrouter_active_streams ${this.activeStreams}`);
    for (const w of this.#read) {
      head(w.name, w.type, w.help);
      out.push(`${w.name} ${fmt(w.read())}`);
    }
    return out.join('\n') + '\n';
  }
}
