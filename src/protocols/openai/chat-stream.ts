/**
 * The frames of a chat.completion.chunk stream (protocols.md §4.3): JSON chunks, an in-band error
 * object, and the `[DONE]` sentinel that ends OpenAI's streams. Read by the meter and by the
 * translator of chat streams alike, so a frame is parsed once.
 */
import type { ChatCompletionChunk, OpenAIErrorObject } from '../../translate/shared/wire-openai-chat.ts';

/** The data of the frame that ends an OpenAI stream. */
export const DONE = '[DONE]';

/** What the upstream sends: chunks, an in-band error object, or the `[DONE]` sentinel. */
export type ChatStreamEvent = ChatCompletionChunk | { error: OpenAIErrorObject } | typeof DONE;

/** SSE frame data -> event. Throws SyntaxError on data that is not JSON: a translator treats that as an abrupt end. */
export function parseChatFrame(data: string): ChatStreamEvent {
  return data.trim() === DONE ? DONE : (JSON.parse(data) as ChatStreamEvent);
}
