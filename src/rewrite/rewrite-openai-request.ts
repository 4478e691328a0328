/**
 * Same-protocol OpenAI-format requests (chat completions, Responses) to an OpenAI-compatible
 * upstream: the client's bytes plus a few spliced edits. These providers cache prefixes on their own
 * (protocols.md §5.5, §7), so the edits only help them find the cache: a stable `prompt_cache_key`
 * and, for OpenRouter, the `session_id` that keeps the conversation on one provider (§6.3).
 */
import { scanJson, type ObjectNode } from '../json/scan-json.ts';
import { applyEdits, insertMember, replaceValue, type Edit } from '../json/splice.ts';
import type { Change } from './cache-engine.ts';

export function rewriteOpenAIRequest(opts: {
  raw: Buffer;
  request: { model: string; prompt_cache_key?: unknown; stream?: unknown; stream_options?: unknown; [k: string]: unknown };
  upstreamModel: string;
  sessionId: string;
  /** Body field for sticky routing (OpenRouter: `session_id`). */
  sessionField?: string;
  /** Chat streams: ask for the usage chunk when the client did not (the caller then hides it). */
  wantUsageChunk: boolean;
}): { body: Buffer; changes: Change[] } {
  const { raw, request } = opts;
  const edits: Edit[] = [];
  const changes: Change[] = [];
  const root = scanJson(raw, 1) as ObjectNode;
  if (request.model !== opts.upstreamModel) {
    edits.push(replaceValue(root.entries.get('model')!, JSON.stringify(opts.upstreamModel)));
    changes.push({ kind: 'model', detail: `${request.model} -> ${opts.upstreamModel}` });
  }
  if (request.prompt_cache_key === undefined) {
    edits.push(insertMember(root, 'prompt_cache_key', JSON.stringify(opts.sessionId)));
    changes.push({ kind: 'cache_key', detail: `prompt_cache_key = session ${opts.sessionId}` });
  }
  if (opts.sessionField && request[opts.sessionField] === undefined) {
    edits.push(insertMember(root, opts.sessionField, JSON.stringify(opts.sessionId)));
    changes.push({ kind: 'cache_key', detail: `${opts.sessionField} = session ${opts.sessionId}` });
  }
  if (opts.wantUsageChunk) {
    const existing = root.entries.get('stream_options');
    if (existing && existing.kind === 'object') edits.push(insertMember(existing, 'include_usage', 'true'));
    else if (existing) edits.push(replaceValue(existing, '{"include_usage":true}'));
    else edits.push(insertMember(root, 'stream_options', '{"include_usage":true}'));
  }
  return { body: applyEdits(raw, edits), changes };
}
