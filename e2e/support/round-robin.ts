/**
 * A load balancer with no stickiness at all, the worst case for a session's cache state: each
 * request goes to the next backend in turn. Like nginx with `proxy_next_upstream error` (and without
 * non_idempotent, deploy/nginx.conf), a request moves to the next backend only when its connection
 * failed (refused, or reset while connecting), before any byte of it reached a backend; a backend
 * that fails later is answered with a 502.
 * Each request opens its own connection (no pooled keep-alive connection can race a backend's
 * shutdown). Records which backend served each request, in order.
 */
import { createServer, request, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';

export interface RoundRobin {
  url: string;
  /** Backend index per request, in arrival order (-1: none could be reached). */
  served: number[];
  /** Takes a backend out of the rotation, as `down` in nginx's upstream block and a reload do. */
  down(i: number): void;
  /** Responses from backend i still being relayed. */
  active(i: number): number;
  close(): Promise<void>;
}

export async function startRoundRobin(backends: string[]): Promise<RoundRobin> {
  let next = 0;
  const served: number[] = [];
  const isDown = new Set<number>();
  const relaying = backends.map(() => 0);
  const server: Server = createServer(async (req, res) => {
    const slot = served.push(-1) - 1;
    const body = await readAll(req);
    const first = next++;
    for (let tries = 0; tries < backends.length; tries++) {
      const i = (first + tries) % backends.length;
      if (isDown.has(i)) continue;
      const up = await forward(backends[i]!, req, body).catch((err: NodeJS.ErrnoException & { connected?: boolean }) => err);
      if (up instanceof Error) {
        // Refused, or reset while connecting (a process dying with its port): no byte of the request went out.
        if (!(up as { connected?: boolean }).connected) continue;
        res.writeHead(502).end(`balancer: ${up.message}`);
        return;
      }
      served[slot] = i;
      relaying[i]!++;
      res.once('close', () => { relaying[i]!--; });
      res.writeHead(up.statusCode ?? 502, up.headers);
      up.pipe(res);
      // A backend that dies mid-response: the client's connection is cut too (nginx closes it), never left hanging.
      up.once('error', () => res.destroy());
      up.once('aborted', () => res.destroy());
      // A client that goes away: the backend sees its connection close, as behind nginx.
      res.once('close', () => up.destroy());
      return;
    }
    res.writeHead(502).end('balancer: no backend reachable');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    served,
    down: (i) => { isDown.add(i); },
    active: (i) => relaying[i]!,
    close: () => new Promise((resolve) => { server.closeAllConnections(); server.close(() => resolve()); }),
  };
}

function readAll(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.once('end', () => resolve(Buffer.concat(chunks)));
    req.once('error', reject);
  });
}

function forward(base: string, req: IncomingMessage, body: Buffer): Promise<IncomingMessage> {
  const target = new URL(req.url ?? '/', base);
  return new Promise((resolve, reject) => {
    const headers = { ...req.headers, host: target.host, 'content-length': String(body.length) };
    delete headers['transfer-encoding'];
    let connected = false;
    const out = request(target, { method: req.method, headers, agent: false }, resolve);
    out.once('socket', (s) => s.once('connect', () => { connected = true; }));
    out.once('error', (err) => reject(Object.assign(err, { connected })));
    out.end(body);
  });
}
