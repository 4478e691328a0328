/**
 * The upstream attempts of a turn, recorded as they happen (send-with-retries.ts wraps each one):
 * when it went out, when its answer's head (or its failure) came back, and what that was. The access
 * log counts the retries from them and lists the failed ones; the tracer turns each into a child span.
 */
import { ProxyError, type ErrorCode } from '../errors.ts';
import type { Route } from '../route/resolve-route.ts';
import { describeTransportError } from '../upstream/send-upstream.ts';
import { redactSecrets } from './upstream-error-message.ts';

export interface Attempt {
  /** The route tried (its apiKey stays in memory: nothing here is written out whole). */
  route: Route;
  startPerf: number;
  /** When the response head or the failure arrived; unset while the attempt is still running. */
  endPerf?: number;
  /** The upstream's status, or the status of the error Synrouter made of a transport failure. */
  status?: number;
  /** Set when the attempt failed without an HTTP answer: the ProxyError code (UPSTREAM_UNREACHABLE, ...). */
  errorCode?: ErrorCode;
  /** The transport error (address, errno) for such a failure. */
  errorMessage?: string;
}

/** Runs one attempt on `route` and records it on the turn, whatever its outcome. */
// The turn by the one field it needs (turn.ts imports Attempt from here).
export async function attempted<T extends { upstream: { status: number } }>(turn: { attempts?: Attempt[] }, route: Route, attempt: (route: Route) => Promise<T>): Promise<T> {
  const a: Attempt = { route, startPerf: performance.now() };
  (turn.attempts ??= []).push(a);
  try {
    const result = await attempt(route);
    a.endPerf = performance.now();
    a.status = result.upstream.status;
    return result;
  } catch (err) {
    a.endPerf = performance.now();
    if (err instanceof ProxyError) {
      a.status = err.status;
      a.errorCode = err.code;
      if (err.code.startsWith('UPSTREAM_')) a.errorMessage = redactSecrets(describeTransportError(err.cause ?? err));
    } else a.errorCode = err instanceof Error && err.name === 'AbortError' ? 'CLIENT_ABORTED' : 'INTERNAL';
    throw err;
  }
}
