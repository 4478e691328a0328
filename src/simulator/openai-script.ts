// Scripted, deterministic replies for the OpenAI-compatible endpoints, the counterpart of script.ts:
// while the request offers a callable tool and fewer than `rounds` tool rounds happened, answer with
// tool call(s) (one, or `parallel` of them); then answer with a text that quotes the last tool output so
// tests can see the loop ran. The same conversation always gets the same reply.
//
// Tool preference: function tools first (exec_command, for Codex, with {"cmd": "echo synrouter-step-N"};
// then shell / bash / Bash with a `command`; else the first function tool, with arguments built from its
// JSON schema's required properties). Custom (freeform) tools are called only when no function tool is
// offered (Codex "code mode": `exec` with input `echo synrouter-step-N`). Hosted tools (web_search, …)
// are never called.

import { tokensForBytes } from '../protocols/anthropic/canonical.ts';
import { isObject, type JsonObject } from '../protocols/anthropic/wire-types.ts';
import { DEFAULT_ROUNDS, inputFromSchema } from './script.ts';

export { DEFAULT_ROUNDS };

/** Most calls the simulator puts in one turn (x-sim-parallel). */
export const MAX_PARALLEL_CALLS = 8;

export interface ScriptTool {
  kind: 'function' | 'custom';
  name: string;
  /** Set for a tool nested in a Responses `namespace` tool. */
  namespace?: string;
  /** JSON schema of a function tool's arguments. */
  parameters?: unknown;
}

export interface ToolChoice {
  mode: 'auto' | 'none' | 'required';
  /** Only these tool names may be called (a named tool_choice or allowed_tools). */
  names?: string[];
}

export interface ScriptedCall {
  kind: 'function' | 'custom';
  /** 1-based number of this call in the conversation: ids are call_sim_<n>, fc_sim_<n>. */
  number: number;
  name: string;
  namespace?: string;
  /** JSON arguments of a function call, or the raw input of a custom tool call. */
  input: string;
}

export interface OpenAIScriptedReply {
  /** Assistant text; null on a tool-call turn. */
  text: string | null;
  calls: ScriptedCall[];
  finish: 'stop' | 'tool_calls' | 'length';
  outputTokens: number;
}

export interface ScriptState {
  tools: ScriptTool[];
  toolChoice: ToolChoice;
  /** Tool rounds already in the conversation. */
  roundsDone: number;
  /** Tool calls already in the conversation (numbers the new calls). */
  callsSoFar: number;
  /** Text of the last tool output in the conversation. */
  lastToolOutput: string | undefined;
  /** Calls wanted per tool round (x-sim-parallel); 1 if the request sets parallel_tool_calls:false. */
  parallel: number;
  /** max_tokens / max_completion_tokens / max_output_tokens. */
  maxOutputTokens?: number | undefined;
}

const COMMAND_TOOLS = ['shell', 'bash', 'Bash'];

export function pickTool(tools: ScriptTool[], choice: ToolChoice): ScriptTool | undefined {
  if (choice.mode === 'none') return undefined;
  const allowed = choice.names === undefined ? tools : tools.filter((t) => choice.names?.includes(t.name));
  const functions = allowed.filter((t) => t.kind === 'function');
  if (functions.length > 0) {
    return (
      functions.find((t) => t.name === 'exec_command') ??
      COMMAND_TOOLS.map((name) => functions.find((t) => t.name === name)).find((t) => t !== undefined) ??
      functions[0]
    );
  }
  const custom = allowed.filter((t) => t.kind === 'custom');
  return custom.find((t) => t.name === 'exec') ?? custom[0];
}

/** The input of call `index` (0-based within the turn) of tool round `step`. */
export function callInput(tool: ScriptTool, step: number, index: number): string {
  const command = `echo synrouter-step-${step}${index === 0 ? '' : `-${index + 1}`}`;
  if (tool.kind === 'custom') return command;
  if (tool.name === 'exec_command') return JSON.stringify({ cmd: command });
  const args = inputFromSchema(tool.parameters);
  if (COMMAND_TOOLS.includes(tool.name)) {
    const schema = isObject(tool.parameters) && isObject(tool.parameters.properties) ? tool.parameters.properties.command : undefined;
    // Codex's older `shell` tool takes argv.
    args.command = isObject(schema) && schema.type === 'array' ? ['bash', '-lc', command] : command;
  }
  return JSON.stringify(args);
}

function tokensOf(text: string): number {
  return tokensForBytes(Buffer.byteLength(text, 'utf8'));
}

export function scriptOpenAIReply(state: ScriptState, rounds: number = DEFAULT_ROUNDS): OpenAIScriptedReply {
  const tool = pickTool(state.tools, state.toolChoice);
  const mustCall = state.toolChoice.mode === 'required';
  let reply: OpenAIScriptedReply;
  if (tool !== undefined && (state.roundsDone < rounds || mustCall)) {
    const step = state.roundsDone + 1;
    const count = Math.max(1, Math.min(MAX_PARALLEL_CALLS, state.parallel));
    const calls: ScriptedCall[] = [];
    for (let i = 0; i < count; i++) {
      calls.push({
        kind: tool.kind,
        number: state.callsSoFar + i + 1,
        name: tool.name,
        ...(tool.namespace === undefined ? {} : { namespace: tool.namespace }),
        input: callInput(tool, step, i),
      });
    }
    const outputTokens = Math.max(1, tokensOf(calls.map((c) => `${c.name}${c.input}`).join('')));
    reply = { text: null, calls, finish: 'tool_calls', outputTokens };
  } else {
    const last = state.lastToolOutput;
    const quote = last === undefined ? '' : ` Last tool result: ${Array.from(last).slice(0, 100).join('')}`;
    const text = `Done after ${state.roundsDone} tool calls.${quote}`;
    reply = { text, calls: [], finish: 'stop', outputTokens: Math.max(1, tokensOf(text)) };
  }
  return limitOutput(reply, state.maxOutputTokens);
}

/** A reply longer than the output limit becomes a cut text that stops with `length`. */
function limitOutput(reply: OpenAIScriptedReply, max: number | undefined): OpenAIScriptedReply {
  if (max === undefined || reply.outputTokens <= max) return reply;
  let chars = Array.from(reply.text ?? '');
  while (chars.length > 0 && tokensOf(chars.join('')) > max) chars = chars.slice(0, -1);
  return { text: chars.join(''), calls: [], finish: 'length', outputTokens: max };
}

/** Text of a tool output: a string, or the text parts of a content list joined by newlines. */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (!Array.isArray(output)) return '';
  return output
    .filter((part: unknown): part is JsonObject => isObject(part) && typeof part.text === 'string')
    .map((part) => String(part.text))
    .join('\n');
}

/** How many calls to put in a turn: header x-sim-parallel (else the option), 1 with parallel_tool_calls:false. */
export function parallelCalls(wanted: number | undefined, parallelToolCalls: unknown): number {
  if (parallelToolCalls === false) return 1;
  return Math.max(1, Math.min(MAX_PARALLEL_CALLS, wanted ?? 1));
}
