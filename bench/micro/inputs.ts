/**
 * The micro-benchmarks' inputs, the same bytes every run: the Anthropic SSE stream of a Claude Code
 * turn, a recorded fixture stream, and the overhead benchmark's 200 KB Claude Code-shaped bodies.
 */
import { readFileSync } from 'node:fs';
import { formatSse, type SseEvent } from '../../src/simulator/write-response.ts';
import { agentConversation, rng } from '../overhead/body.ts';

export const MODEL = 'claude-sonnet-4-6';

/** `text` in pieces of 4 to 40 code points, as the API streams text (a few tokens per delta). */
function pieces(text: string, r: () => number): string[] {
  const chars = Array.from(text);
  const out: string[] = [];
  for (let i = 0; i < chars.length;) {
    const n = 4 + Math.floor(r() * 37);
    out.push(chars.slice(i, i + n).join(''));
    i += n;
  }
  return out;
}

const THINKING = ('The test fails because the ledger writes each row in its own transaction — with 200 rows per second '
  + 'that is 200 fsyncs. I should read src/ledger/ledger.ts first, then batch the inserts behind a queue that flushes '
  + 'every 200 ms or at 500 rows, whichever comes first. The API must stay the same: record() stays synchronous for '
  + 'the caller, and close() has to flush what is queued. Edge cases: a crash between two flushes loses at most one '
  + 'batch (acceptable, the issue says so), and the tests use a ManualClock, so the timer must come from deps. ').repeat(4);
const TEXT = 'I\'ll batch the ledger\'s inserts: rows go into a queue that is flushed in one transaction every 200 ms '
  + 'or every 500 rows → far fewer fsyncs. `record()` keeps its signature; `close()` flushes the rest. Editing '
  + '`src/ledger/ledger.ts` now, then I\'ll run the tests ✓';
const EDIT_INPUT = {
  file_path: '/work/project/src/ledger/ledger.ts',
  old_string: '  record(row: LedgerRow): void {\n    this.#insert.run(toParams(row));\n  }\n',
  new_string: ('  record(row: LedgerRow): void {\n    this.#queue.push(toParams(row));\n    if (this.#queue.length >= BATCH_ROWS) this.flush();\n'
    + '    else this.#timer ??= this.#clock.setTimeout(() => this.flush(), FLUSH_MS);\n  }\n\n'
    + '  /** Writes what is queued in one transaction (called by the timer, at BATCH_ROWS and by close()). */\n'
    + '  flush(): void {\n    this.#timer = undefined;\n    const rows = this.#queue.splice(0);\n'
    + '    if (rows.length) this.#db.transaction(() => { for (const p of rows) this.#insert.run(p); })();\n  }\n').repeat(2),
};

/**
 * The stream of one Claude Code turn as the Messages API sends it (spelled as the .sse fixtures
 * under src/translate/ are): message_start, ping, a thinking block of ~2 KB in small
 * deltas and its signature, a text block, a tool_use (Edit) streamed as input_json_delta pieces,
 * message_delta, message_stop. One Buffer per event: the API sends each event as its own HTTP chunk.
 */
export function claudeCodeTurnEvents(): Buffer[] {
  const r = rng(7);
  const usage = { input_tokens: 3, cache_creation_input_tokens: 1204, cache_read_input_tokens: 48211, cache_creation: { ephemeral_5m_input_tokens: 1204, ephemeral_1h_input_tokens: 0 }, output_tokens: 1, service_tier: 'standard' };
  const ev: SseEvent[] = [
    { event: 'message_start', data: { type: 'message_start', message: { id: 'msg_01XFDUDYJgAACzvnptvVoYEL', type: 'message', role: 'assistant', model: MODEL, content: [], stop_reason: null, stop_sequence: null, usage } } },
    { event: 'ping', data: { type: 'ping' } },
    { event: 'content_block_start', data: { type: 'content_block_start', index: 0, content_block: { type: 'thinking', thinking: '', signature: '' } } },
  ];
  for (const thinking of pieces(THINKING, r)) ev.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'thinking_delta', thinking } } });
  ev.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 0, delta: { type: 'signature_delta', signature: 'EqQBCkYIBxgCKkDzVb1Q'.repeat(20) } } });
  ev.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 0 } });
  ev.push({ event: 'content_block_start', data: { type: 'content_block_start', index: 1, content_block: { type: 'text', text: '' } } });
  let i = 0;
  for (const text of pieces(TEXT, r)) {
    ev.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 1, delta: { type: 'text_delta', text } } });
    if (++i === 10) ev.push({ event: 'ping', data: { type: 'ping' } });
  }
  ev.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 1 } });
  ev.push({ event: 'content_block_start', data: { type: 'content_block_start', index: 2, content_block: { type: 'tool_use', id: 'toolu_01A09q90qw90lq917835lq9', name: 'Edit', input: {} } } });
  ev.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json: '' } } });
  for (const partial_json of pieces(JSON.stringify(EDIT_INPUT), r)) ev.push({ event: 'content_block_delta', data: { type: 'content_block_delta', index: 2, delta: { type: 'input_json_delta', partial_json } } });
  ev.push({ event: 'content_block_stop', data: { type: 'content_block_stop', index: 2 } });
  ev.push({ event: 'message_delta', data: { type: 'message_delta', delta: { stop_reason: 'tool_use', stop_sequence: null }, usage: { input_tokens: 3, cache_creation_input_tokens: 1204, cache_read_input_tokens: 48211, output_tokens: 912 } } });
  ev.push({ event: 'message_stop', data: { type: 'message_stop' } });
  return ev.map((e) => Buffer.from(formatSse(e)));
}

/** A recorded-shape Anthropic stream (thinking, text with non-ASCII, tool_use), one Buffer per event. */
export function fixtureEvents(): Buffer[] {
  const text = readFileSync(new URL('../../src/translate/chat-via-anthropic/__fixtures__/anthropic-thinking-text-tools.sse', import.meta.url), 'utf8');
  return text.split(/(?<=\n\n)/).filter((e) => e.trim() !== '').map((e) => Buffer.from(e));
}

/** The same bytes cut every `size` bytes regardless of event or UTF-8 boundaries (TCP segments coalesced into reads). */
export function cut(chunks: readonly Buffer[], size: number): Buffer[] {
  const all = Buffer.concat(chunks);
  const out: Buffer[] = [];
  for (let i = 0; i < all.length; i += size) out.push(all.subarray(i, Math.min(i + size, all.length)));
  return out;
}

/**
 * Two consecutive turns of the overhead benchmark's Claude Code conversation (stream: true), the
 * second about 200 KB: turn n+1 is turn n with one tool round appended and the client's marker moved.
 */
export function claudeCodeBodies(): { previous: Buffer; body: Buffer } {
  const [previous, body] = agentConversation({ stream: true, targetBytes: 200_000, turns: 2, model: MODEL });
  return { previous: previous!, body: body! };
}
