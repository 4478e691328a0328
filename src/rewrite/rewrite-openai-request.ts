/**
 * Same-protocol OpenAI-format requests (chat completions, Responses) to an OpenAI-compatible
 * upstream: the client's bytes plus a few spliced edits. These providers cache prefixes on their own
 * (protocols.md §5.5, §7), so the edits only help them find the cache: a stable `prompt_cache_key`
 * and, for OpenRouter, the `session_id` that keeps the conversation on one provider (§6.3).
 */
import { forgetScan, structure, type ArrayNode, type ObjectNode } from '../json/scan-json.ts';
import { CARRIER_PREFIX } from '../translate/responses-via-anthropic/reasoning.ts';
import { insertMember, replaceValue, splice, type Edit, type Spliced } from '../json/splice.ts';
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
}): { body: Spliced; changes: Change[] } {
  const { raw, request } = opts;
  const edits: Edit[] = [];
  const changes: Change[] = [];
  const carriers = carrierItems(request.input);
  // The skeleton parse-json kept for a large body, if any; dropped below (the rewrite is its last use).
  const root = structure(raw, carriers.length ? 2 : 1) as ObjectNode;
  if (carriers.length) {
    // Reasoning items that carry a Claude thinking block (translate/responses-via-anthropic/reasoning.ts)
    // mean nothing to another provider, which would reject them: a session that moves from a Claude
    // model to this one drops them. The kept items are the client's own bytes, joined by commas.
    const input = root.entries.get('input') as ArrayNode;
    const kept = input.items.filter((_, i) => !carriers.includes(i)).map((n) => raw.toString('utf8', n.start, n.end));
    edits.push(replaceValue(input, `[${kept.join(',')}]`));
    changes.push({ kind: 'translate', detail: `dropped ${carriers.length} reasoning item(s) carrying Claude thinking` });
  }
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
  forgetScan(raw);
  return { body: splice(raw, edits), changes };
}

/** Indices of Responses input items that are reasoning items carrying our Claude thinking blocks. */
function carrierItems(input: unknown): number[] {
  if (!Array.isArray(input)) return [];
  const out: number[] = [];
  input.forEach((item, i) => {
    const it = item as { type?: unknown; encrypted_content?: unknown } | null;
    if (it?.type === 'reasoning' && typeof it.encrypted_content === 'string' && it.encrypted_content.startsWith(CARRIER_PREFIX)) out.push(i);
  });
  return out;
}
