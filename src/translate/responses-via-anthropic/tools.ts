/**
 * Responses tools -> Anthropic tools (protocols.md §5.1; clients.md checklist §2: function, namespace,
 * custom, hosted web_search; tools may also arrive inside an `additional_tools` input item).
 *
 * - function -> tool with the same schema.
 * - custom (free-form text input) -> tool taking {input: string}; a grammar, which Anthropic cannot
 *   enforce, is appended to the description so the model still knows the format.
 * - namespace -> its tools flattened as `<namespace>__<tool>` (Anthropic has no namespaces); the
 *   namespace description is put in front of each tool's own.
 * - hosted tools (web_search, file_search, ...) run only at OpenAI -> dropped with a warning.
 * The ToolNameMap records where each Anthropic name came from, so response.ts and stream.ts can give
 * Codex back the name and namespace it declared and tell custom tool calls from function calls.
 */
import type { ToolParam } from '../../protocols/anthropic/wire.ts';
import type { CustomTool, FunctionTool, Tool } from '../shared/wire-openai-responses.ts';
import { invalid, type TranslateWarning } from '../shared/build-anthropic.ts';

/** Where an Anthropic tool name came from. */
export interface ToolOrigin { name: string; namespace?: string; kind: 'function' | 'custom' }
/** Anthropic tool name -> origin. Look names up with Object.hasOwn (a model can say "constructor"). */
export type ToolNameMap = Readonly<Record<string, ToolOrigin>>;

/** Anthropic has no namespaces; `<namespace>__<tool>` keeps names within [a-zA-Z0-9_-]. */
export const NAMESPACE_SEPARATOR = '__';

export function flattenName(name: string, namespace: string | undefined): string {
  return namespace ? `${namespace}${NAMESPACE_SEPARATOR}${name}` : name;
}

/** Collects tools from `tools` and additional_tools items, in order, flattening namespaces. */
export class ToolSet {
  readonly #warnings: TranslateWarning[];
  readonly #tools: ToolParam[] = [];
  readonly #map: Record<string, ToolOrigin> = Object.create(null) as Record<string, ToolOrigin>;

  constructor(warnings: TranslateWarning[]) {
    this.#warnings = warnings;
  }

  get map(): ToolNameMap {
    return { ...this.#map };
  }

  list(): ToolParam[] {
    return this.#tools;
  }

  addAll(tools: readonly Tool[], param: string): void {
    if (!Array.isArray(tools)) throw invalid('tools must be an array.', param);
    tools.forEach((t, i) => this.#add(t, `${param}[${i}]`));
  }

  #add(t: Tool, param: string): void {
    switch (t.type) {
      case 'function':
      case 'custom':
        this.#push(t, undefined, undefined, param);
        break;
      case 'namespace':
        if (typeof t.name !== 'string' || !Array.isArray(t.tools)) throw invalid('A namespace tool needs a name and tools.', param);
        t.tools.forEach((inner, j) => {
          if (inner.type !== 'function' && inner.type !== 'custom') throw invalid('A namespace can hold function and custom tools only.', `${param}.tools[${j}]`);
          this.#push(inner, t.name, t.description, `${param}.tools[${j}]`);
        });
        break;
      case 'web_search': case 'web_search_preview': case 'web_search_2025_08_26': case 'web_search_preview_2025_03_11':
      case 'file_search': case 'computer': case 'computer_use_preview': case 'code_interpreter': case 'image_generation':
      case 'local_shell': case 'shell': case 'apply_patch': case 'mcp': case 'tool_search': case 'programmatic_tool_calling':
        this.#warnings.push({ code: 'dropped_tool', message: `Hosted tool "${t.type}" runs only at OpenAI; not offered to the Anthropic model.`, param });
        break;
      default: {
        const _exhaustive: never = t;
        this.#warnings.push({ code: 'dropped_tool', message: `Unknown tool type "${String((_exhaustive as { type: unknown }).type)}" was not offered.`, param });
      }
    }
  }

  #push(t: FunctionTool | CustomTool, namespace: string | undefined, nsDescription: string | undefined, param: string): void {
    if (typeof t.name !== 'string' || t.name === '') throw invalid('A tool needs a name.', `${param}.name`);
    const name = flattenName(t.name, namespace);
    if (Object.hasOwn(this.#map, name)) throw invalid(`Two tools are named "${name}" once namespaces are flattened with "${NAMESPACE_SEPARATOR}".`, param);
    const own = t.type === 'custom' ? customDescription(t) : (t.description ?? '');
    // The namespace's description is context the model would otherwise lose with the grouping.
    const description = [nsDescription ?? '', own].filter((s) => s !== '').join('\n\n');
    const schema = t.type === 'custom'
      ? { type: 'object', properties: { input: { type: 'string' } }, required: ['input'] }
      : t.parameters && typeof t.parameters === 'object' ? (t.parameters.type === undefined ? { type: 'object', ...t.parameters } : t.parameters) : { type: 'object' };
    this.#tools.push({ name, ...(description ? { description } : {}), input_schema: schema });
    this.#map[name] = { name: t.name, ...(namespace ? { namespace } : {}), kind: t.type };
  }
}

/** A custom tool's grammar is part of its contract; Anthropic cannot enforce it, so the model is told. */
function customDescription(t: CustomTool): string {
  const f = t.format;
  const base = t.description ?? '';
  if (!f || f.type !== 'grammar') return base;
  return `${base}${base ? '\n\n' : ''}The \`input\` string must match this ${f.syntax} grammar:\n${f.definition}`;
}
