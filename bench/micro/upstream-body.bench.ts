/**
 * src/upstream/upstream-body.ts (dispatchRequest: undici's dispatch handler feeding a queue that
 * `for await` drains) against undici's `request()` (a stream.Readable behind an AsyncResource), the
 * call it replaced. One operation: one POST to a node:http server on loopback in a child process
 * (bench/micro/loopback-server.ts) and its answer read to the end, `concurrency` at once, each side
 * on its own keep-alive Agent, each request with its own AbortSignal as the proxy passes. The CPU
 * column is this process's (client) CPU per request: the server's is not in it.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { Agent } from 'undici';
import { dispatchRequest } from '../../src/upstream/upstream-body.ts';
import { claudeCodeBodies, claudeCodeTurnEvents } from './inputs.ts';
import { jsonAnswer } from './loopback-server.ts';
import type { Case } from './measure.ts';

let child: ChildProcess | undefined;
const agents: Agent[] = [];

async function startServer(): Promise<string> {
  child = spawn(process.execPath, [new URL('./loopback-server.ts', import.meta.url).pathname], { stdio: ['pipe', 'pipe', 'inherit'] });
  const port = await new Promise<string>((resolve, reject) => {
    child!.once('exit', (code) => reject(new Error(`loopback server exited (${code})`)));
    child!.stdout!.once('data', (d: Buffer) => resolve(d.toString().trim()));
  });
  return `http://127.0.0.1:${port}`;
}

export async function close(): Promise<void> {
  await Promise.all(agents.map((a) => a.close()));
  if (child && child.exitCode === null) {
    const exited = new Promise((resolve) => child!.once('exit', resolve));
    child.stdin!.end();
    await exited;
  }
}

type Send = (path: string, body: Buffer) => Promise<number>;

function readers(origin: string): { ours: Send; theirs: Send } {
  const mine = new Agent({ keepAliveTimeout: 30_000 });
  const undiciRequest = new Agent({ keepAliveTimeout: 30_000 });
  agents.push(mine, undiciRequest);
  const headers = { 'content-type': 'application/json' };
  return {
    ours: async (path, body) => {
      const res = await dispatchRequest(mine, { origin, path, method: 'POST', headers, body }, new AbortController().signal);
      let n = 0;
      for await (const chunk of res.body) n += chunk.length;
      return n;
    },
    theirs: async (path, body) => {
      const res = await undiciRequest.request({ origin, path, method: 'POST', headers, body, signal: new AbortController().signal });
      let n = 0;
      for await (const chunk of res.body as AsyncIterable<Buffer>) n += chunk.length;
      return n;
    },
  };
}

export async function cases(): Promise<Case[]> {
  const origin = await startServer();
  const { ours, theirs } = readers(origin);
  const small = Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 16, messages: [{ role: 'user', content: 'hi' }] }));
  const { body } = claudeCodeBodies();
  const jsonBytes = jsonAnswer().length;
  const sseBytes = claudeCodeTurnEvents().reduce((n, e) => n + e.length, 0);
  const make = (input: string, path: string, req: Buffer, expect: number, concurrency: number): Case => ({
    group: 'upstream-body',
    input,
    concurrency,
    ours: { label: 'dispatchRequest + for await', op: () => ours(path, req) },
    theirs: { label: 'undici request() + for await', op: () => theirs(path, req) },
    check: async () => {
      const [a, b] = [await ours(path, req), await theirs(path, req)];
      if (a !== expect || b !== expect) throw new Error(`upstream-body bench: read ${a} and ${b} bytes, expected ${expect}`);
    },
  });
  const kb = (n: number) => `${(n / 1024).toFixed(n < 10_240 ? 1 : 0)} KB`;
  return [
    make(`small POST, ${kb(jsonBytes)} JSON answer`, '/json', small, jsonBytes, 1),
    make(`small POST, ${kb(jsonBytes)} JSON answer`, '/json', small, jsonBytes, 16),
    make(`${kb(body.length)} POST, ${kb(jsonBytes)} JSON answer`, '/json', body, jsonBytes, 16),
    make(`${kb(body.length)} POST, SSE Claude Code turn (${kb(sseBytes)}, a chunk per event)`, '/sse', body, sseBytes, 16),
  ];
}
