/**
 * The bills the turn did not pay, for the savings shown: what the client's own cache markers alone
 * would have cost, or (shadow keys) what the engine's rewrite would have cost. Both from Synrouter's
 * model of the provider's cache, evaluated after the client has its answer.
 */
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';
import { promptSourceOf, promptSteps, type Prompt } from '../protocols/anthropic/prompt.ts';
import { runInSlices } from '../time-slices.ts';
import type { Turn } from '../turn.ts';
import type { ProviderCacheModel } from './provider-cache-model.ts';
import { totalInput, ZERO_USAGE } from './usage.ts';
import { parseJsonBuffer } from '../json/parse-json.ts';
import { MESSAGES_SKELETON_DEPTH } from '../json/scan-json.ts';
import type { Spliced } from '../json/splice.ts';

export async function recordCounterfactuals(o: {
  turn: Turn; scope: string; model: string; clientOnly: ProviderCacheModel; shadowModel: ProviderCacheModel;
  /** The request as the client sent it (in Anthropic form), its bytes, and its prompt when the engine rendered exactly it. */
  request: MessagesRequest; raw: Buffer; clientPrompt?: Prompt;
  /** Shadow keys: the body the engine would have sent. */
  shadowBody?: Spliced;
}): Promise<void> {
  const { turn } = o;
  const evaluate = { scope: o.scope, model: o.model, startMs: turn.startedAt, output: turn.usage.output };
  // Rendering a request the engine did not render as is (trimmed, shadow) is a long conversation's
  // full cost again: in slices, as the engine's own (time-slices.ts).
  const render = (request: MessagesRequest) => runInSlices(promptSteps(request, promptSourceOf(request)));
  if (o.shadowBody) {
    const request = parseJsonBuffer(o.shadowBody.bytes(), MESSAGES_SKELETON_DEPTH) as MessagesRequest;
    turn.shadowUsage = o.shadowModel.evaluate({ ...evaluate, request, prompt: await render(request) });
  }
  // A client that marks nothing caches nothing: its bill is every input token uncached, no model
  // needed. The prompt the engine rendered lists the client's markers; only without it are the bytes searched.
  else if (o.clientPrompt ? o.clientPrompt.markers.length === 0 && !o.clientPrompt.topLevel : !o.raw.includes('"cache_control"')) turn.clientOnlyUsage = { ...ZERO_USAGE, input: totalInput(turn.usage), output: turn.usage.output };
  else turn.clientOnlyUsage = o.clientOnly.evaluate({ ...evaluate, request: o.request, prompt: o.clientPrompt ?? await render(o.request) });
}
