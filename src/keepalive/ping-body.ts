/**
 * The keep-alive request: the last turn's exact bytes (same prefix, same breakpoints) with
 * `max_tokens: 0` and no streaming, which reads and so refreshes the cached prefix without
 * generating anything (protocols.md §2.10). Undefined when `max_tokens: 0` is not allowed for this
 * request: thinking enabled with a budget, a structured-output format, or a forced tool choice
 * (changing those to make the ping legal would change the cache key: §2.8).
 */
import { scanJson, type ObjectNode } from '../json/scan-json.ts';
import { applyEdits, replaceValue, type Edit } from '../json/splice.ts';

interface PingRelevant {
  thinking?: { type?: string } | null;
  output_config?: { format?: unknown } | null;
  tool_choice?: { type?: string } | null;
  stream?: unknown;
}

/** Whether `max_tokens: 0` is allowed for this request (cheap: a few property reads, done on every turn). */
export function pingAllowed(parsed: PingRelevant): boolean {
  if (parsed.thinking?.type === 'enabled') return false;
  if (parsed.output_config?.format !== undefined && parsed.output_config.format !== null) return false;
  if (parsed.tool_choice?.type === 'any' || parsed.tool_choice?.type === 'tool') return false;
  return true;
}

/**
 * The ping for a turn's body (scans the whole body: built only when a ping is due, not on every
 * turn). Undefined when the request is not one `max_tokens: 0` allows, or has no max_tokens.
 */
export function pingBody(lastBody: Buffer, parsed?: PingRelevant): Buffer | undefined {
  if (parsed && !pingAllowed(parsed)) return undefined;
  const root = scanJson(lastBody, 1) as ObjectNode;
  const edits: Edit[] = [];
  const maxTokens = root.entries.get('max_tokens');
  if (!maxTokens) return undefined;
  edits.push(replaceValue(maxTokens, '0'));
  const stream = root.entries.get('stream');
  if (stream) edits.push(replaceValue(stream, 'false'));
  return applyEdits(lastBody, edits);
}
