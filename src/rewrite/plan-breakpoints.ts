/**
 * Where Synrouter adds cache_control breakpoints: a pure function of the rendered prompt (with the
 * client's own markers), what the last turn wrote, and the mode's stable layer ends.
 *
 * Rules (protocols.md §2, §8.1-8.3): count every client marker (tools, system, message blocks,
 * blocks nested in tool_result content, the top-level field); never move or drop one; use only free
 * slots, never more than 4 in all; never 1h after 5m; never on thinking / redacted_thinking / empty
 * text; skip prefixes below the model's minimum. Extra breakpoints cost nothing by themselves: a
 * request pays writes for the tokens between its hit and its last breakpoint, wherever the others sit
 * (§2.7), so every free slot is used, in order of value:
 *
 *   1. rolling: the last block that will still be there next turn (before a volatile tail, such as
 *      OpenClaw's per-turn context message), so the next turn reads everything up to it;
 *   2. bridge: exactly where the last turn wrote, when no later breakpoint can reach it within the
 *      20-position lookback (§2.4, long tool loops);
 *   3. stable ends, in the caller's priority order: end of system (covers tools + system), end of
 *      the stable tool layers (general mode), end of tools (shared across sessions when the system
 *      differs, e.g. Claude Code's per-prompt billing line);
 *   4. bridge again even when reachable: an exact hit beats a lookback hit if slots remain.
 */
import { MAX_BREAKPOINTS, automaticTarget, lookback } from '../protocols/anthropic/cache-rules.ts';
import type { Prompt } from '../protocols/anthropic/prompt.ts';
import type { Ttl } from '../protocols/anthropic/wire.ts';

export type PlacementRole = 'rolling' | 'bridge' | 'stable';

export interface Placement { index: number; ttl: Ttl; role: PlacementRole }

export interface PlanInput {
  prompt: Prompt;
  minTokens: number;
  /** TTLs Synrouter would like for its markers (stable prefix, conversation); ordering rules may force the other one. */
  ttl: { stable: Ttl; conversation: Ttl };
  /** Prefix hashes where the last forwarded request of this session had breakpoints. */
  previousBreakpoints: readonly string[];
  /** The hash per position in the form previousBreakpoints has (the session state's short hashes); default the positions' own. */
  hashes?: readonly string[];
  /** First position of a tail expected to change next turn; the rolling breakpoint stays before it. */
  volatileFrom?: number;
  /** Stable boundaries (position indices), most valuable first. */
  stableEnds: readonly number[];
}

export function planBreakpoints(input: PlanInput): Placement[] {
  const { prompt, minTokens } = input;
  const { positions } = prompt;
  const clientMarkers = new Map<number, Ttl>();
  for (const m of prompt.markers) clientMarkers.set(m.position, m.ttl === '1h' || clientMarkers.get(m.position) === '1h' ? '1h' : '5m');
  const auto = prompt.topLevel ? automaticTarget(prompt) : undefined;
  if (auto && prompt.topLevel) clientMarkers.set(auto.index, prompt.topLevel.ttl);
  let free = MAX_BREAKPOINTS - prompt.markers.length - (prompt.topLevel ? 1 : 0);
  if (free <= 0 || positions.length === 0) return [];

  const usable = (i: number | undefined): i is number =>
    i !== undefined && i >= 0 && i < positions.length && positions[i]!.cacheable && positions[i]!.cumulativeTokens >= minTokens;

  const wanted: Array<{ index: number; role: PlacementRole }> = [];
  const want = (index: number | undefined, role: PlacementRole) => {
    if (usable(index) && !clientMarkers.has(index) && !wanted.some((w) => w.index === index)) wanted.push({ index, role });
  };

  // 1. rolling
  const end = Math.min(input.volatileFrom ?? positions.length, positions.length);
  let rolling: number | undefined;
  for (let i = end - 1; i >= 0; i--) if (positions[i]!.cacheable) { rolling = i; break; }
  want(rolling, 'rolling');

  // 2. bridge, when the last turn's deepest write is out of every later breakpoint's reach
  const previous = new Set(input.previousBreakpoints);
  let bridge: number | undefined;
  for (let i = positions.length - 1; i >= 0; i--) if (previous.has(input.hashes?.[i] ?? positions[i]!.hash)) { bridge = i; break; }
  if (bridge !== undefined) {
    const later = [...clientMarkers.keys(), ...wanted.map((w) => w.index)].filter((b) => b >= bridge!);
    const reachable = later.some((b) => lookback(positions, b, (j) => j === bridge) !== -1);
    if (!reachable) want(bridge, 'bridge');
  }

  // 3. stable ends, then 4. the bridge as an exact hit
  for (const s of input.stableEnds) want(s, 'stable');
  want(bridge, 'bridge');

  const chosen = wanted.slice(0, free).sort((a, b) => a.index - b.index);
  return assignTtls(chosen, clientMarkers, input.ttl);
}

/** Every 1h breakpoint must precede every 5m one (§2.7); client TTLs are fixed, ours adapt or drop. */
function assignTtls(chosen: Array<{ index: number; role: PlacementRole }>, client: Map<number, Ttl>, preferred: PlanInput['ttl']): Placement[] {
  const out: Placement[] = [];
  for (const c of chosen) {
    const fiveBefore = [...client].some(([i, t]) => i < c.index && t === '5m') || out.some((p) => p.ttl === '5m');
    const hourAfter = [...client].some(([i, t]) => i > c.index && t === '1h');
    if (fiveBefore && hourAfter) continue;
    out.push({ ...c, ttl: hourAfter ? '1h' : fiveBefore ? '5m' : c.role === 'stable' ? preferred.stable : preferred.conversation });
  }
  return out;
}

