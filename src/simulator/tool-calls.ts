// Which of the client's tools the scripted replies call, and with what (script.ts for Anthropic,
// openai-script.ts for the OpenAI routes). A real agent pointed at the built-in simulator (`npm
// start` with no provider key, src/cli/serve.ts) executes these calls on the user's machine, so
// they must be harmless and must work in any directory (issue 23: Codex was told to run `sim`):
//
// 1. A shell tool, with `echo synrouter-step-N` (tests follow the output back into the next
//    request): Codex's `exec_command` {cmd}, Claude Code's `Bash`, Kilo's `bash`, OpenClaw's
//    `exec`, Hermes's `terminal`, the older Codex `shell` (argv), or any tool whose schema asks for a
//    `command` / `cmd` string.
// 2. Else a listing tool (`ls`, `list_dir`, `glob`, ...) on the working directory.
// 3. Else the first function tool that does not look like it changes files (write, edit, patch,
//    delete, ...), then any function tool; required arguments are filled from its JSON schema, with
//    the working directory "." where a path is asked for and "*" for a pattern.
// Custom (freeform) tools are called only when no function tool is offered (Codex "code mode":
// `exec`, with the command as its input). Hosted tools never reach this module.

import { isObject, type JsonObject } from '../json/json-object.ts';

export interface OfferedTool {
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

/** Shell tools by name, most specific first. */
const SHELL_NAMES = ['exec_command', 'Bash', 'bash', 'shell', 'exec', 'terminal', 'run_command', 'run_shell_command', 'execute_command', 'run_terminal_cmd'];
const COMMAND_KEYS = ['command', 'cmd'];
const LISTING = /^(ls|list|list_dir|list_directory|list_files|glob|find_files)$/i;
const CHANGES_FILES = /write|edit|patch|delete|remove|move|rename|create|apply/i;
const PATH_KEY = /^(path|file_?path|dir|directory|cwd|workdir|working_?directory|root|target)$/i;
const PATTERN_KEY = /pattern|glob/i;

function properties(tool: OfferedTool): JsonObject {
  return isObject(tool.parameters) && isObject(tool.parameters.properties) ? tool.parameters.properties : {};
}

function required(tool: OfferedTool): string[] {
  return isObject(tool.parameters) && Array.isArray(tool.parameters.required) ? tool.parameters.required.filter((k): k is string => typeof k === 'string') : [];
}

/** The property a shell tool takes its command in: the one its schema declares, else by tool name. */
function commandKey(tool: OfferedTool): string | undefined {
  const declared = COMMAND_KEYS.find((k) => isObject(properties(tool)[k]));
  if (declared !== undefined) return declared;
  if (SHELL_NAMES.includes(tool.name)) return tool.name === 'exec_command' ? 'cmd' : 'command';
  return undefined;
}

function isShell(tool: OfferedTool): boolean {
  if (tool.kind !== 'function') return false;
  if (SHELL_NAMES.includes(tool.name)) return true;
  const key = COMMAND_KEYS.find((k) => required(tool).includes(k));
  return key !== undefined && (properties(tool)[key] as JsonObject).type === 'string';
}

export function pickTool(tools: OfferedTool[], choice: ToolChoice): OfferedTool | undefined {
  if (choice.mode === 'none') return undefined;
  const allowed = choice.names === undefined ? tools : tools.filter((t) => choice.names?.includes(t.name));
  const functions = allowed.filter((t) => t.kind === 'function');
  if (functions.length > 0) {
    return (
      SHELL_NAMES.map((name) => functions.find((t) => t.name === name)).find((t) => t !== undefined) ??
      functions.find(isShell) ??
      functions.find((t) => LISTING.test(t.name)) ??
      functions.find((t) => !CHANGES_FILES.test(t.name)) ??
      functions[0]
    );
  }
  const custom = allowed.filter((t) => t.kind === 'custom');
  return custom.find((t) => t.name === 'exec') ?? custom[0];
}

/** The command of call `index` (0-based within the turn) of tool round `step`. */
export function stepCommand(step: number, index = 0): string {
  return `echo synrouter-step-${step}${index === 0 ? '' : `-${index + 1}`}`;
}

/**
 * The arguments of call `index` of tool round `step`: an object for a function tool, the raw input
 * of a custom tool.
 */
export function callArguments(tool: OfferedTool, step: number, index = 0): JsonObject | string {
  const command = stepCommand(step, index);
  if (tool.kind === 'custom') return command;
  const args = inputFromSchema(tool.parameters);
  if (!isShell(tool)) return args;
  const key = commandKey(tool) ?? 'command';
  // Codex's older `shell` tool takes argv.
  args[key] = (properties(tool)[key] as JsonObject | undefined)?.type === 'array' ? ['bash', '-lc', command] : command;
  // Claude Code's Bash and Kilo's bash take a short description of the command.
  if (isObject(properties(tool).description) || tool.name === 'Bash') args.description = `Step ${step}`;
  return args;
}

/** An input object that satisfies a JSON schema's required properties, roughly. */
export function inputFromSchema(schema: unknown): JsonObject {
  const input: JsonObject = {};
  if (!isObject(schema) || !isObject(schema.properties)) return input;
  const names = Array.isArray(schema.required) ? schema.required : [];
  for (const name of names) {
    if (typeof name !== 'string') continue;
    const property = schema.properties[name];
    input[name] = valueForSchema(name, isObject(property) ? property : {});
  }
  return input;
}

function valueForSchema(name: string, schema: JsonObject): unknown {
  if (Array.isArray(schema.enum) && schema.enum.length > 0) return schema.enum[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'object':
      return {};
    case 'array':
      return [];
    default:
      // A path that exists wherever the agent runs; a pattern that matches something there.
      return PATH_KEY.test(name) ? '.' : PATTERN_KEY.test(name) ? '*' : 'sim';
  }
}
