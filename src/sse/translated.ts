/**
 * An answer in another protocol than the client's: errors and JSON translated whole; an event
 * stream translated frame by frame through the pair's reducer as it arrives (no buffering to the
 * end). A stream that breaks before its terminal event ends with the client protocol's error frame
 * (the reducer's finish()).
 *
 * Pairs that keep thinking for their clients (Pair.capture: chat clients on Claude) read the answer
 * for it too; `onCarry` stores it before the answer's last bytes (the JSON body, or the stream's
 * terminal frames) reach the client, so the client's next request, sent as soon as it has them,
 * finds it wherever it lands.
 */
import type { Translation } from '../translate/translate-request.ts';
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';
import type { StreamTranslator } from '../translate/pairs.ts';
import type { UpstreamResponse } from '../upstream/send-upstream.ts';
import { tryParse } from '../upstream/read-bounded.ts';
import { UNPARSABLE, type ClientAnswer, type Headers } from './client-answer.ts';

/** The upstream headers a translated answer keeps: what a client acts on (backoff) or quotes (support). */
const KEPT_HEADERS = ['retry-after', 'request-id', 'x-request-id'];

export function translated(t: Translation, o: { onCarry?: ((turn: CarriedTurn) => Promise<void>) | undefined }): ClientAnswer {
  const { pair, context } = t;
  let reducer: StreamTranslator | undefined;
  const stream = () => (reducer ??= pair.stream(context));
  let capture: ReturnType<NonNullable<typeof pair.capture>['stream']> | undefined;
  let ended = false;
  const end = (): string[] => {
    if (ended) return [];
    ended = true;
    return stream().finish();
  };
  return {
    error(status, raw) {
      const e = pair.translateError(status, tryParse(raw) ?? raw.toString('utf8'));
      return { status: e.status, body: JSON.stringify(e.body) };
    },
    async json(parsed) {
      if (parsed === undefined) {
        const e = pair.translateError(502, 'The upstream answered with a body that is not JSON.');
        return { status: e.status, body: JSON.stringify(e.body) };
      }
      const carry = o.onCarry && pair.capture?.fromResponse(parsed, context);
      if (carry) await o.onCarry!(carry);
      return { status: 200, body: JSON.stringify(pair.translateResponse(parsed, context)) };
    },
    headers: (up) => keep(up.headers),
    sseHead: () => ({ status: 200, headers: { 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache' } }),
    rewrites: true,
    parse: (data) => stream().parse(data),
    async frame(_f, event) {
      if (ended) return [];
      if (event === UNPARSABLE) return end(); // unparsable data: the stream broke here
      const step = stream().push(event);
      ended = step.ended;
      if (o.onCarry) capture ??= pair.capture?.stream(context);
      capture?.push(event);
      const carry = ended ? capture?.result() : undefined;
      if (carry) await o.onCarry!(carry);
      return step.out;
    },
    get ended() { return ended; },
    // The reducer knows whether its stream was complete: finish() closes it, or ends it with an error frame.
    finish: () => end(),
    cut: () => end(),
  };
}

function keep(h: UpstreamResponse['headers']): Headers {
  const out: Headers = {};
  for (const n of KEPT_HEADERS) {
    const v = h[n];
    if (typeof v === 'string') out[n] = v;
  }
  return out;
}
