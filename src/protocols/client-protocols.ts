/**
 * What the request flow needs to know about each client protocol: how to parse and check a body,
 * which parts identify the session, and whether it streams. One entry per front-door operation.
 */
import type { Operation } from '../server/endpoints.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import { parseJsonBody, validateMessagesRequest } from './anthropic/validate-request.ts';
import { validateChatRequest, validateResponsesRequest } from './openai/validate-request.ts';
import { anthropicStable, chatStable, responsesStable, type StablePrefix } from '../session/fingerprint.ts';
import type { MessagesRequest } from './anthropic/wire.ts';
import { MESSAGES_SKELETON_DEPTH } from '../json/scan-json.ts';
import type { ChatRequest, ResponsesRequest } from './openai/validate-request.ts';

export type ClientRequest = MessagesRequest | ChatRequest | ResponsesRequest;

export interface ClientProtocolSpec {
  wire: WireProtocol;
  /** `slot`: the conversation the body continues, for reusing what its previous body parsed to. */
  parse(raw: Buffer, slot?: string): ClientRequest;
  stable(request: ClientRequest): StablePrefix;
}

export const CLIENT_PROTOCOLS: Readonly<Partial<Record<Operation, ClientProtocolSpec>>> = {
  // Scanned as deep as the cache engine needs: parsing, fingerprint and rewrite share one skeleton.
  // Only Anthropic bodies reuse the previous turn's parse: the OpenAI translators have not been
  // checked for never changing the parsed request (json/parse-json.ts shares it between turns).
  messages: { wire: 'anthropic', parse: (raw, slot) => validateMessagesRequest(parseJsonBody(raw, MESSAGES_SKELETON_DEPTH, slot), 'messages'), stable: (r) => anthropicStable(r as MessagesRequest) },
  count_tokens: { wire: 'anthropic', parse: (raw, slot) => validateMessagesRequest(parseJsonBody(raw, MESSAGES_SKELETON_DEPTH, slot), 'count_tokens'), stable: (r) => anthropicStable(r as MessagesRequest) },
  chat: { wire: 'openai-chat', parse: (raw) => validateChatRequest(parseJsonBody(raw)), stable: (r) => chatStable(r as ChatRequest) },
  responses: { wire: 'openai-responses', parse: (raw) => validateResponsesRequest(parseJsonBody(raw)), stable: (r) => responsesStable(r as ResponsesRequest) },
};
