// Input token count of a request: the sum over all prompt positions (see canonical.ts for the rule and
// prompt.ts for the order). This is what POST /v1/messages/count_tokens returns, and it always equals
// input_tokens + cache_creation_input_tokens + cache_read_input_tokens of the same request
// (protocols.md 1.4 identity).

import { buildPrompt } from '../protocols/anthropic/prompt.ts';
import type { MessagesRequest } from '../protocols/anthropic/wire.ts';

export { MESSAGE_OVERHEAD_TOKENS, tokensForBytes, tokensForJson } from '../protocols/anthropic/canonical.ts';

export function countTokens(request: MessagesRequest): number {
  return buildPrompt(request).totalTokens;
}
