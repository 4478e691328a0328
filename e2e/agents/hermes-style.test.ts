/**
 * What e2e/agents/hermes.test.ts cannot show with the real Hermes Agent: two tool calls in one turn.
 * The simulator's OpenAI routes make the parallel calls of a turn identical for a tool like Hermes's
 * `terminal` (its arguments come from the schema), and Hermes 0.19.0 drops identical calls of a turn
 * (`_deduplicate_tool_calls`), so through Hermes every turn has one call. This is the official
 * `openai` SDK running Hermes's loop instead: streamed chat completions with Hermes's tools and a
 * long system prompt, each call executed and answered as a `role:"tool"` message with a JSON
 * result, no session id of any kind.
 *
 * Two conversations with different prompts run turn by turn, interleaved, through one Synrouter on
 * DeepSeek (chat passed through to OpenRouter, played by the simulator), with `x-sim-parallel: 2`
 * (sent through the SDK's defaultHeaders): each tool turn has two calls, each conversation
 * completes its three tool rounds, the ledger has one row per upstream request with the
 * upstream's token counts, Synrouter derives ONE session (`drv_…`) per conversation, and every
 * turn after a conversation's first reads the cache.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { promisify } from 'node:util';
import OpenAI from 'openai';
import {
  ROUNDS, assertLedger, assertToolOutputsFlowBack, expectedFinal, makeWorkspace, startAgentStack,
  type AgentStack, type LedgerExpectation, type Workspace,
} from './harness.ts';

const run = promisify(execFile);

/** Hermes's system prompt is long (identity, tool guidance, memory, skills); this one is ~2.4k tokens. */
const SYSTEM = [
  'You are Hermes, an autonomous agent created by Nous Research. You help the user by running commands, reading and writing files, and reporting what you found.',
  ...Array.from({ length: 40 }, (_, i) => `Guideline ${i + 1}: prefer small, verifiable steps; use the terminal tool for shell commands, read_file to inspect files, write_file to change them, and search_files to find text. Report tool errors plainly.`),
].join('\n');

/** Hermes's core tools, terminal first (its schemas take `command`, `path`, `pattern`, ...). */
const TOOLS: OpenAI.Chat.ChatCompletionTool[] = [
  {
    type: 'function',
    function: {
      name: 'terminal',
      description: 'Execute a shell command in the working directory and return its output and exit code.',
      parameters: {
        type: 'object',
        properties: { command: { type: 'string', description: 'The command to run' }, timeout: { type: 'integer', description: 'Seconds before the command is killed' } },
        required: ['command'],
      },
    },
  },
  {
    type: 'function',
    function: {
      name: 'read_file',
      description: 'Read a text file and return its content with line numbers.',
      parameters: { type: 'object', properties: { path: { type: 'string' }, offset: { type: 'integer' }, limit: { type: 'integer' } }, required: ['path'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'write_file',
      description: 'Write content to a file, replacing it.',
      parameters: { type: 'object', properties: { path: { type: 'string' }, content: { type: 'string' } }, required: ['path', 'content'] },
    },
  },
  {
    type: 'function',
    function: {
      name: 'search_files',
      description: 'Search file contents with a regular expression.',
      parameters: { type: 'object', properties: { pattern: { type: 'string' }, path: { type: 'string' } }, required: ['pattern'] },
    },
  },
];

/** One Hermes-style conversation, advanced one model turn at a time. */
class Conversation {
  readonly messages: OpenAI.Chat.ChatCompletionMessageParam[];
  final: string | undefined;
  /** Tool calls per assistant tool turn. */
  readonly callsPerTurn: number[] = [];

  private readonly client: OpenAI;
  private readonly model: string;
  private readonly ws: Workspace;

  constructor(client: OpenAI, model: string, ws: Workspace, prompt: string) {
    this.client = client;
    this.model = model;
    this.ws = ws;
    this.messages = [{ role: 'system', content: SYSTEM }, { role: 'user', content: prompt }];
  }

  /** One streamed model turn, then the tools it asked for. Returns false once the model answered. */
  async step(): Promise<boolean> {
    const stream = await this.client.chat.completions.create({
      model: this.model, messages: this.messages, tools: TOOLS, tool_choice: 'auto', stream: true, stream_options: { include_usage: true },
    });
    let content = '';
    let finish: string | null = null;
    let usage = false;
    const calls: Array<{ id: string; name: string; args: string }> = [];
    for await (const chunk of stream) {
      if (chunk.usage) usage = true;
      const choice = chunk.choices[0];
      if (!choice) continue;
      content += choice.delta.content ?? '';
      for (const tc of choice.delta.tool_calls ?? []) {
        calls[tc.index] ??= { id: '', name: '', args: '' };
        if (tc.id) calls[tc.index]!.id = tc.id;
        if (tc.function?.name) calls[tc.index]!.name = tc.function.name;
        calls[tc.index]!.args += tc.function?.arguments ?? '';
      }
      finish = choice.finish_reason ?? finish;
    }
    assert.ok(usage, 'stream_options.include_usage: the stream ends with a usage chunk');
    if (finish !== 'tool_calls') {
      this.final = content;
      this.messages.push({ role: 'assistant', content });
      return false;
    }
    this.callsPerTurn.push(calls.length);
    this.messages.push({
      role: 'assistant',
      content: content || null,
      tool_calls: calls.map((c) => ({ id: c.id, type: 'function' as const, function: { name: c.name, arguments: c.args } })),
    });
    // Hermes runs the calls of a turn in order and answers each with a JSON result.
    for (const c of calls) this.messages.push({ role: 'tool', tool_call_id: c.id, content: await this.execute(c.name, JSON.parse(c.args)) });
    return true;
  }

  private async execute(name: string, args: Record<string, unknown>): Promise<string> {
    if (name === 'terminal') {
      try {
        const { stdout, stderr } = await run('bash', ['-c', String(args.command)], { cwd: this.ws.project, env: { PATH: this.ws.path, HOME: this.ws.home }, timeout: 10_000 });
        return JSON.stringify({ output: stdout + stderr, exit_code: 0, error: null });
      } catch (e) {
        const err = e as { stdout?: string; stderr?: string; code?: number };
        return JSON.stringify({ output: `${err.stdout ?? ''}${err.stderr ?? ''}`, exit_code: err.code ?? 1, error: 'command failed' });
      }
    }
    if (name === 'read_file') {
      try {
        return JSON.stringify({ content: await readFile(join(this.ws.project, String(args.path)), 'utf8') });
      } catch (e) {
        return JSON.stringify({ error: String(e) });
      }
    }
    return JSON.stringify({ error: `tool ${name} is not available in this test` });
  }
}

/** Runs two conversations turn by turn, interleaved (A1 B1 A2 B2 ...), then checks them and the ledger. */
async function twoConversations(stack: AgentStack, model: string, expect: Omit<LedgerExpectation, 'clientProtocol' | 'endpoint' | 'clientPath' | 'requestedModel'>, perRound: number) {
  const client = new OpenAI({ apiKey: stack.key, baseURL: stack.openaiBase, maxRetries: 0, defaultHeaders: { 'x-sim-parallel': '2' } });
  const workspaces = [makeWorkspace('hermes-a'), makeWorkspace('hermes-b')];
  try {
    const convs = [
      new Conversation(client, model, workspaces[0]!, 'List the files in this project and tell me what it does.'),
      new Conversation(client, model, workspaces[1]!, 'Check whether the add function in src/add.js works.'),
    ];
    const going = new Set(convs);
    for (let i = 0; i < 10 && going.size > 0; i++) {
      for (const conv of convs) if (going.has(conv) && !(await conv.step())) going.delete(conv);
    }
    assert.equal(going.size, 0, 'both conversations finished');

    const check = await assertLedger(
      stack,
      { clientProtocol: 'openai', endpoint: 'chat', clientPath: '/api/v1/chat/completions', requestedModel: model, ...expect },
      { turns: 2 * (ROUNDS + 1), sessions: 2 },
    );
    // No session id from the client: one derived session per conversation, turns in order.
    for (const call of check.calls) {
      for (const h of ['x-session-id', 'session-id', 'x-session-affinity', 'x-claude-code-session-id']) assert.equal(call.headers[h], undefined);
      assert.equal(call.body.prompt_cache_key, undefined);
      assert.equal(call.headers['x-sim-parallel'], '2');
    }
    const [a, b] = check.sessionIds;
    assert.match(a!, /^drv_[0-9a-f]{24}$/);
    assert.match(b!, /^drv_[0-9a-f]{24}$/);
    assert.deepEqual(check.rows.map((r) => r.session_id), [a, b, a, b, a, b, a, b], 'turns alternate between the two derived sessions');

    convs.forEach((conv, i) => {
      const session = check.sessionIds[i];
      const calls = check.calls.filter((_, k) => check.rows[k]!.session_id === session);
      assert.deepEqual(conv.callsPerTurn, Array(ROUNDS).fill(perRound), `${perRound} tool call(s) per tool turn`);
      const last = assertToolOutputsFlowBack(calls, ROUNDS, perRound);
      assert.match(last, /"exit_code":0/, 'the last command succeeded');
      assert.equal(conv.final?.trim(), expectedFinal(last).trim(), 'the final answer quotes the last tool result');
    });
    return check;
  } finally {
    for (const ws of workspaces) ws.remove();
  }
}

test('Hermes-style SDK loop on DeepSeek: chat passed through to OpenRouter, two tool calls per turn, one derived session per conversation, cache reads from turn 2', async () => {
  const stack = await startAgentStack();
  try {
    const check = await twoConversations(stack, 'deepseek/deepseek-v4-flash', { provider: 'openrouter', upstreamPath: '/v1/chat/completions', responseModel: 'deepseek/deepseek-v4-flash' }, 2);
    // Same protocol: Synrouter gives the upstream a stable cache key and OpenRouter's sticky session_id from the session.
    check.sims.forEach((s, i) => {
      const body = s.body as { prompt_cache_key?: string; session_id?: string };
      assert.equal(body.prompt_cache_key, check.rows[i]!.session_id);
      assert.equal(body.session_id, check.rows[i]!.session_id);
    });
  } finally {
    await stack.close();
  }
});
