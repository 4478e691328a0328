/**
 * Reference target: the floor of any Node proxy that buffers the request body, with Synrouter's own
 * transport (node:http server, its readBody, undici Agent with the same options read through its
 * dispatchRequest, chunk-by-chunk relay) and none of its work (no JSON, no auth, no cache engine, no
 * meter, no ledger). Synrouter's CPU minus this
 * process's CPU is what Synrouter's stages cost. Run as its own process; prints {"port":N} when listening.
 * Usage: node bench/overhead/floor-proxy.ts UPSTREAM_URL
 */
import { createServer, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { once } from 'node:events';
import { Agent } from 'undici';
import { readBody } from '../../src/server/read-body.ts';
import { dispatchRequest } from '../../src/upstream/upstream-body.ts';
import { ResponseHead } from '../../src/sse/response-head.ts';

const upstream = new URL(process.argv[2] ?? 'http://127.0.0.1:9000');
const agent = new Agent({ connections: Number(process.env.FLOOR_CONNECTIONS ?? 1200), headersTimeout: 600_000, bodyTimeout: 300_000, keepAliveTimeout: 30_000 });
const DROP = new Set(['connection', 'keep-alive', 'transfer-encoding', 'host', 'content-length', 'upgrade', 'te', 'trailer', 'proxy-connection']);

function forward(h: IncomingHttpHeaders | Record<string, string | string[] | undefined>): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(h)) if (v !== undefined && !DROP.has(k)) out[k] = v;
  return out;
}

const server = createServer({ keepAliveTimeout: 65_000 }, async (req, res) => {
  try {
    const body = await readBody(req, 64 * 1024 * 1024);
    const up = await dispatchRequest(agent, { origin: upstream.origin, path: req.url ?? '/', method: 'POST', headers: forward(req.headers) as Record<string, string>, body }, new AbortController().signal);
    res.writeHead(up.status, forward(up.headers));
    // As Synrouter's relay: the head goes alone only when no body bytes wait (every chunk here writes).
    new ResponseHead(res, up.body);
    for await (const chunk of up.body) if (!res.write(chunk)) await once(res, 'drain');
    res.end();
  } catch {
    if (!res.headersSent) res.writeHead(502).end(); else res.destroy();
  }
});
server.listen(0, '127.0.0.1', () => process.stdout.write(JSON.stringify({ port: (server.address() as AddressInfo).port }) + '\n'));
process.on('SIGTERM', () => { server.closeAllConnections(); server.close(() => process.exit(0)); });
