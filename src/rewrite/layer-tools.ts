/**
 * General mode: tools in stable layers (DESIGN.md §4): core (the agent's built-ins: files, shell,
 * edit, search), extended (web, browser, notebook, tasks, …), platform (messaging and channel tools of
 * Hermes, OpenClaw and the like), MCP (`mcp__server__tool`). Sorted by name within a layer, so many
 * sessions of one agent render the same tool prefix, and a change in MCP tools changes only the tail.
 */
export type Layer = 'core' | 'extended' | 'platform' | 'mcp';

export const LAYERS: readonly Layer[] = ['core', 'extended', 'platform', 'mcp'];

/** Default name patterns; config `engine.layerPatterns` replaces them per layer (merged over these in config.ts). Unmatched names are 'extended'. */
export const DEFAULT_LAYER_PATTERNS: Readonly<Record<Exclude<Layer, 'extended'>, string>> = {
  mcp: '^mcp(__|_|-)|__',
  core: '^(bash|shell|exec(_command)?|run(_terminal)?(_cmd|_command)?|execute(_command)?|terminal|read|read_file|write|write_file|edit|edit_file|multi_?edit|apply_patch|str_replace.*|glob|grep|ls|list(_files|_dir)?|search(_files)?|find(_files)?|view|create_file|delete_file|move_file|codebase_search|file_search)$',
  platform: '(message|send|channel|slack|discord|telegram|whatsapp|signal|email|mail|sms|calendar|notify|notification|cron|schedule|reminder)',
};

export function classifyTool(name: string, patterns: Readonly<Record<string, string>> = DEFAULT_LAYER_PATTERNS): Layer {
  for (const layer of ['mcp', 'core', 'platform'] as const) {
    const src = patterns[layer];
    if (src && new RegExp(src, 'i').test(name)) return layer;
  }
  return 'extended';
}

export interface Layering {
  /** New order: order[i] = index in the client's tools array. */
  order: number[];
  /** Index (in the new order) of the last tool of each non-empty layer. */
  layerEnds: Partial<Record<Layer, number>>;
}

export function layerTools(tools: ReadonlyArray<{ name?: unknown }>, patterns?: Readonly<Record<string, string>>): Layering {
  const keyed = tools.map((t, i) => {
    const name = typeof t.name === 'string' ? t.name : '';
    return { i, name, layer: LAYERS.indexOf(classifyTool(name, patterns)) };
  });
  // Stable: layer, then name, then the client's order for equal names.
  keyed.sort((a, b) => a.layer - b.layer || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0) || a.i - b.i);
  const layerEnds: Partial<Record<Layer, number>> = {};
  keyed.forEach((k, pos) => { layerEnds[LAYERS[k.layer]!] = pos; });
  return { order: keyed.map((k) => k.i), layerEnds };
}
