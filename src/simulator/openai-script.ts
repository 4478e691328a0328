// Scripted, deterministic replies for the OpenAI-compatible endpoints, the counterpart of script.ts:
// while the request offers a callable tool and fewer than `rounds` tool rounds happened, answer with
// tool call(s) (one, or `parallel` of them); then answer with a text that quotes the last tool output so
// tests can see the loop ran. The same conversation always gets the same reply.
//
// Which tool, and with what arguments: tool-calls.ts (a harmless real command for shell tools).

import { tokensForBytes } from '../protocols/anthropic/canonical.ts';
import { isObject, type JsonObject } from '../json/json-object.ts';
import { DEFAULT_ROUNDS } from './script.ts';
import { callArguments, pickTool, type OfferedTool, type ToolChoice } from './tool-calls.ts';

export { DEFAULT_ROUNDS, pickTool, type ToolChoice };

/** Most calls the simulator puts in one turn (x-sim-parallel). */
export const MAX_PARALLEL_CALLS = 8;

export type ScriptTool = OfferedTool;

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

/** The input of call `index` (0-based within the turn) of tool round `step`: JSON arguments, or a custom tool's raw input. */
export function callInput(tool: ScriptTool, step: number, index: number): string {
  const args = callArguments(tool, step, index);
  return typeof args === 'string' ? args : JSON.stringify(args);
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
