/**
 * Scripted agent sessions in Anthropic Messages format, for the cache engine's tests and the savings
 * benchmark. Each turn resends the whole conversation, as agents do; the shapes follow what real
 * clients send (clients.md): Claude Code's 3 markers and billing line, OpenClaw's moving context
 * block, clients that mark nothing.
 */

export type MarkerStyle = 'none' | 'claude-code';

export interface SessionShape {
  model: string;
  turns: number;
  tools: number;
  /** Characters of each tool's description (schemas are small). */
  toolChars: number;
  systemChars: number;
  /** Characters of each tool result (the conversation's growth per turn). */
  resultChars: number;
  markers: MarkerStyle;
  /** A small per-turn context message at the end that the next turn drops (OpenClaw). */
  volatileTail?: boolean;
  /** Parallel tool calls per turn, with a text block between each (more lookback positions per turn). */
  callsPerTurn?: number;
  /** Tool names; default Bash, Read, … */
  toolNames?: string[];
  /** Seconds between turn starts: fixed, or per turn. */
  gapSeconds?: number | ((turn: number) => number);
  /** Distinguishes sessions of the same agent (first user message). */
  sessionTag?: string;
  /** From this turn on, these extra tools are present (MCP churn). */
  extraToolsFrom?: { turn: number; names: string[] };
}

export interface ScriptedTurn { atMs: number; body: Record<string, unknown> }

/** Deterministic filler text: the same seed gives the same characters. */
export function filler(seed: string, chars: number): string {
  let s = '';
  let i = 0;
  while (s.length < chars) s += `${seed} line ${i++}: the quick brown fox jumps over the lazy dog 0123456789.\n`;
  return s.slice(0, chars);
}

const DEFAULT_TOOLS = ['Bash', 'Read', 'Edit', 'Write', 'Glob', 'Grep', 'WebFetch', 'WebSearch', 'TodoWrite', 'Task', 'NotebookEdit', 'SendMessage'];

function toolDef(name: string, chars: number) {
  return { name, description: filler(`tool ${name}`, chars), input_schema: { type: 'object', properties: { arg: { type: 'string' } }, required: ['arg'] } };
}

export function scriptSession(shape: SessionShape): ScriptedTurn[] {
  const names = shape.toolNames ?? Array.from({ length: shape.tools }, (_, i) => DEFAULT_TOOLS[i] ?? `tool_${i}`);
  const baseTools = names.map((n) => toolDef(n, shape.toolChars));
  const mainPrompt = filler('system prompt', shape.systemChars);
  const calls = shape.callsPerTurn ?? 1;
  const history: Array<{ role: string; content: unknown }> = [
    { role: 'user', content: [{ type: 'text', text: `Task ${shape.sessionTag ?? 'A'}: refactor the module and run the tests.` }] },
  ];
  const out: ScriptedTurn[] = [];
  let at = 0;
  for (let t = 0; t < shape.turns; t++) {
    if (t > 0) {
      const gap = typeof shape.gapSeconds === 'function' ? shape.gapSeconds(t) : (shape.gapSeconds ?? 5);
      at += gap * 1000;
      // The previous turn's reply and this turn's tool results.
      const reply: unknown[] = [];
      const results: unknown[] = [];
      for (let c = 0; c < calls; c++) {
        const id = `toolu_${t}_${c}`;
        reply.push({ type: 'text', text: `Step ${t}.${c}: checking.` });
        reply.push({ type: 'tool_use', id, name: names[(t + c) % names.length], input: { arg: `step ${t}.${c}` } });
        results.push({ type: 'tool_result', tool_use_id: id, content: filler(`result ${t}.${c}`, shape.resultChars) });
      }
      history.push({ role: 'assistant', content: reply });
      history.push({ role: 'user', content: results });
    }
    const tools = shape.extraToolsFrom && t >= shape.extraToolsFrom.turn
      ? [...baseTools, ...shape.extraToolsFrom.names.map((n) => toolDef(n, shape.toolChars))]
      : baseTools;
    const messages = structuredClone(history) as Array<{ role: string; content: Array<Record<string, unknown>> }>;
    if (shape.volatileTail) messages.push({ role: 'user', content: [{ type: 'text', text: `<context>turn ${t} at ${at} ms, cwd /repo</context>` }] });
    let system: unknown = mainPrompt;
    if (shape.markers === 'claude-code') {
      // Claude Code: billing line (no marker), agent line + main prompt (markers), last block of the last message.
      system = [
        { type: 'text', text: `x-anthropic-billing-header: cc_version=2.1.332.${tagHex(shape.sessionTag ?? 'A')}; cc_entrypoint=sdk-cli;` },
        { type: 'text', text: "You are a Claude agent, built on Anthropic's Claude Agent SDK.", cache_control: { type: 'ephemeral' } },
        { type: 'text', text: mainPrompt, cache_control: { type: 'ephemeral' } },
      ];
      const last = messages.at(-1)!.content;
      last[last.length - 1] = { ...last[last.length - 1], cache_control: { type: 'ephemeral' } };
    }
    out.push({ atMs: at, body: { model: shape.model, max_tokens: 4096, stream: false, system, tools, messages } });
  }
  return out;
}

/** Claude Code's billing line ends in 3 hex characters that depend on the session's first prompt. */
function tagHex(tag: string): string {
  let h = 0;
  for (const c of tag) h = (h * 31 + c.charCodeAt(0)) & 0xfff;
  return h.toString(16).padStart(3, '0');
}
