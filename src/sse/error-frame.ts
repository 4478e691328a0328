/**
 * After the first byte the status is gone: a stream that must end in error ends with its protocol's
 * error frame (Anthropic: an `error` event, protocols.md §1.5; Responses: an `error` event, §5.3;
 * chat completions: an error object as data, §4.5). Used when an upstream stream breaks and when the
 * server shuts down with streams open.
 */
import { renderAnthropicError, renderOpenAIError } from '../errors.ts';
import type { WireProtocol } from '../upstream/providers.ts';
import type { ServerResponse } from 'node:http';
import { writeSse } from './sse-parser.ts';

export function errorFrame(protocol: WireProtocol, status: number, code: string, message: string, requestId?: string): string {
  switch (protocol) {
    case 'anthropic': return writeSse('error', JSON.stringify(renderAnthropicError(status, message, requestId)));
    case 'openai-responses': return writeSse('error', JSON.stringify({ type: 'error', code, message, sequence_number: 0 }));
    case 'openai-chat': return writeSse(undefined, JSON.stringify(renderOpenAIError(status, message, code)));
    default: {
      const _exhaustive: never = protocol;
      return _exhaustive;
    }
  }
}

/** Ends a stream under way with `frame`, unless it has ended already. */
export function endWithFrame(res: ServerResponse, frame: string): void {
  if (res.writableEnded || res.destroyed) return;
  res.end(frame);
}
