/**
 * Tries a request on its routes until one answers with something worth forwarding: retries the same
 * route with backoff (honouring retry-after), then moves to the next route (another provider of the
 * model, then fallback models). Every failed attempt is a ledger row of kind 'retry'.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { ProxyError, toProxyError, type LedgerErrorCode } from '../errors.ts';
import type { Deps } from '../deps.ts';
import type { Route } from '../route/resolve-route.ts';
import type { Turn } from '../turn.ts';
import { retryRow } from '../store/rows.ts';
import { isRetryableStatus, retryDelayMs } from './retry-policy.ts';
import { describeTransportError, type UpstreamResponse } from './send-upstream.ts';
import { attempted } from '../observe/attempts.ts';

export async function sendWithRetries<T extends { route: Route; upstream: UpstreamResponse }>(o: {
  routes: Route[]; deps: Deps; turn: Turn; signal: AbortSignal; attempt: (route: Route) => Promise<T>;
}): Promise<T> {
  const policy = o.deps.config.retry;
  let r = 0;
  let tries = 0;
  for (;;) {
    const route = o.routes[r]!;
    o.turn.route = route;
    let result: T | undefined;
    let failure: ProxyError | undefined;
    try {
      result = await attempted(o.turn, route, o.attempt);
    } catch (err) {
      if (o.signal.aborted || !(err instanceof ProxyError) || !err.code.startsWith('UPSTREAM_')) throw err;
      failure = err;
      logFailure(o.turn.requestId, route, err);
    }
    const headers = result?.upstream.headers ?? {};
    const retryable = failure !== undefined || isRetryableStatus(result!.upstream.status, headers);
    const delay = retryDelayMs(tries + 1, headers, policy);
    const sameAgain = tries < policy.retries && delay <= policy.maxDelayMs;
    const nextRoute = r + 1 < o.routes.length;
    if (!retryable || (!sameAgain && !nextRoute)) {
      if (failure) throw failure;
      return result!;
    }
    recordAttempt(o, route, failure?.status ?? result!.upstream.status, failure?.code ?? 'UPSTREAM_ERROR');
    await result?.upstream.body.dump().catch(() => undefined);
    if (sameAgain) {
      tries++;
      await sleep(delay, undefined, { signal: o.signal });
    } else {
      r++;
      tries = 0;
    }
  }
}

function recordAttempt(o: { deps: Deps; turn: Turn }, route: Route, status: number, code: LedgerErrorCode): void {
  const key = o.turn.key;
  if (!key) return;
  try {
    // It replaces the attempt's open row; the next attempt opens its own. In /metrics too: the failed
    // attempt is an upstream error (by kind 'retry').
    o.deps.rows.write(retryRow({ ...o.turn, key }, route, status, code, o.deps.registry), { open: o.turn.open, answered: route.entry });
    o.turn.open = undefined;
  } catch (err) {
    console.error(`[synrouter] could not record a retry: ${toProxyError(err).message}`);
  }
}

/**
 * What the client's 502 / 504 leaves out (send-upstream.ts upstreamError), for the operator: the
 * provider, its origin and the transport error (address, errno), under the request id the client got.
 */
function logFailure(requestId: string, route: Route, err: ProxyError): void {
  // The origin only: a base URL may carry credentials.
  console.error(`[synrouter] ${requestId} ${err.code}: provider ${route.providerName} at ${new URL(route.provider.baseUrl).origin}: ${describeTransportError(err.cause ?? err)}`);
}
