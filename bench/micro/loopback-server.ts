/**
 * The upstream for bench/micro/upstream-body.bench.ts, in its own process so that its work is not
 * counted in the benchmark's CPU: a node:http server on 127.0.0.1 that reads each request body whole
 * and answers `POST /json` with a 1.5 KB Messages API answer and `POST /sse` with the Claude Code turn
 * of inputs.ts, one write (one HTTP chunk) per event. Prints its port; exits when stdin closes.
 */
import { createServer } from 'node:http';
import { claudeCodeTurnEvents, MODEL } from './inputs.ts';

/** A Messages API answer of about 1.5 KB: a text block and a tool_use. */
export function jsonAnswer(): Buffer {
  return Buffer.from(JSON.stringify({
    id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: MODEL,
    content: [
      { type: 'text', text: 'I\'ll batch the ledger\'s inserts — one transaction every 200 ms or 500 rows. '.repeat(12) },
      { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'Edit', input: { file_path: '/work/project/src/ledger/ledger.ts', old_string: 'this.#insert.run(toParams(row));', new_string: 'this.#queue.push(toParams(row));' } },
    ],
    stop_reason: 'tool_use', stop_sequence: null,
    usage: { input_tokens: 3, cache_creation_input_tokens: 1204, cache_read_input_tokens: 48211, output_tokens: 212, service_tier: 'standard' },
  }));
}

if (import.meta.main) {
  const json = jsonAnswer();
  const events = claudeCodeTurnEvents();
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => {
      if (req.url === '/sse') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
        for (const e of events) res.write(e);
        res.end();
      } else {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': json.length });
        res.end(json);
      }
    });
  });
  server.keepAliveTimeout = 60_000;
  server.listen(0, '127.0.0.1', () => {
    const address = server.address();
    process.stdout.write(`${typeof address === 'object' && address ? address.port : 0}\n`);
  });
  process.stdin.resume();
  process.stdin.on('end', () => process.exit(0));
}
