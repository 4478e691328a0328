/** Small node:http clients: one request, sequential time-to-first-byte, and many concurrent slow streams. */
import { Agent, request } from 'node:http';

export interface OneResult { status: number; headersMs: number; firstByteMs: number; totalMs: number; body: Buffer }

export function post(url: string, body: Buffer, headers: Record<string, string>, agent?: Agent): Promise<OneResult> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let headersMs = 0, firstByteMs = 0;
    const chunks: Buffer[] = [];
    const req = request(url, { method: 'POST', agent: agent ?? false, headers: { 'content-type': 'application/json', 'content-length': String(body.length), ...headers } }, (res) => {
      headersMs = performance.now() - t0;
      res.on('data', (c: Buffer) => { if (!firstByteMs) firstByteMs = performance.now() - t0; chunks.push(c); });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headersMs, firstByteMs, totalMs: performance.now() - t0, body: Buffer.concat(chunks) }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

export const median = (xs: number[]) => quantile(xs, 0.5);
export function quantile(xs: number[], q: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const i = (s.length - 1) * q;
  const lo = Math.floor(i), hi = Math.ceil(i);
  return s[lo]! + (s[hi]! - s[lo]!) * (i - lo);
}

/** Sequential requests on one keep-alive connection; medians of headers and first-body-byte times. */
export async function ttfb(url: string, body: Buffer, headers: Record<string, string>, n: number, warm: number): Promise<{ headersP50: number; firstByteP50: number; firstByteP90: number; totalP50: number; failures: number }> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1 });
  const h: number[] = [], fb: number[] = [], tot: number[] = [];
  let failures = 0;
  try {
    for (let i = 0; i < warm + n; i++) {
      const r = await post(url, body, headers, agent);
      const ok = r.status === 200 && r.body.includes('message_stop');
      if (!ok) failures++;
      if (i >= warm && ok) { h.push(r.headersMs); fb.push(r.firstByteMs); tot.push(r.totalMs); }
    }
  } finally {
    agent.destroy();
  }
  return { headersP50: median(h), firstByteP50: median(fb), firstByteP90: quantile(fb, 0.9), totalP50: median(tot), failures };
}

/**
 * `count` concurrent SSE streams (each on its own connection, opened over `rampMs`), each with its own
 * session id. A stream counts as completed when it got 200 and ended with message_stop.
 */
export async function manyStreams(opts: { url: string; body: Buffer; headers: Record<string, string>; count: number; rampMs: number; onTick?: () => void }): Promise<{ completed: number; failed: number; maxOpen: number; wallMs: number; errors: string[] }> {
  const agent = new Agent({ keepAlive: false, maxSockets: Infinity });
  let open = 0, maxOpen = 0, completed = 0, failed = 0;
  const errors: string[] = [];
  const t0 = performance.now();
  const one = async (i: number) => {
    await new Promise((r) => setTimeout(r, (opts.rampMs * i) / opts.count));
    open++;
    maxOpen = Math.max(maxOpen, open);
    try {
      const r = await post(opts.url, opts.body, { ...opts.headers, 'x-claude-code-session-id': `bench-stream-${i}` }, agent);
      if (r.status === 200 && r.body.includes('event: message_stop')) completed++;
      else { failed++; if (errors.length < 5) errors.push(`status ${r.status}: ${r.body.toString('utf8', 0, 200)}`); }
    } catch (err) {
      failed++;
      if (errors.length < 5) errors.push((err as Error).message);
    } finally {
      open--;
    }
  };
  const tick = opts.onTick ? setInterval(opts.onTick, 100) : undefined;
  try {
    await Promise.all(Array.from({ length: opts.count }, (_, i) => one(i)));
  } finally {
    if (tick) clearInterval(tick);
    agent.destroy();
  }
  return { completed, failed, maxOpen, wallMs: performance.now() - t0, errors };
}
