/** The record of one request as it moves through the stages; meter/ and store/ receive it (store/rows.ts makes its row). */
import type { ClientProtocol, LedgerErrorCode } from './errors.ts';
import type { KeyRecord } from './store/keys.ts';
import type { Route } from './route/resolve-route.ts';
import type { OpenTurn } from './store/ledger.ts';
import { ZERO_USAGE, type Usage } from './meter/usage.ts';
import type { Change, MissReason } from './rewrite/cache-engine.ts';
import type { Attempt } from './observe/attempts.ts';

export interface Turn {
  requestId: string;
  startedAt: number;
  startPerf: number;
  clientProtocol: ClientProtocol;
  endpoint: string;
  key?: KeyRecord;
  sessionId: string | null;
  requestedModel: string | null;
  route?: Route;
  streamed: boolean;
  status: number;
  errorCode: LedgerErrorCode | null;
  aborted: boolean;
  usage: Usage;
  responseModel: string | null;
  ttfbMs: number | null;
  /** What the rewrite stage did, and the miss the cache engine expected (null: a hit). */
  changes: Change[];
  expectedMiss: MissReason | null;
  /** The usage the client's own markers alone would have produced (cache engine turns only). */
  clientOnlyUsage?: Usage;
  /** Shadow keys: the usage the engine's rewrite would have produced. */
  shadowUsage?: Usage;
  /** The provider's own price for the turn (OpenRouter `usage.cost`), preferred over the price table. */
  providerCostUsd?: number | null;
  /** Each upstream attempt in order (retries and fallbacks before the last), for the access log and traces. */
  attempts?: Attempt[];
  /** What the upstream said when it failed the turn (its error's message, keys redacted), for the access log. */
  errorMessage?: string;
  /** The ledger's open row of the attempt now at the upstream; its finished row (turn or retry) replaces it. */
  open?: OpenTurn;
  /** The stream's meter while it is relayed: what it has read so far, for the open row. */
  meter?: { soFar(): { usage: Usage | null; model: string | null } };
}

export function newTurn(requestId: string, clientProtocol: ClientProtocol, endpoint: string, now: number): Turn {
  return {
    requestId, startedAt: now, startPerf: performance.now(), clientProtocol, endpoint, sessionId: null, requestedModel: null,
    streamed: false, status: 0, errorCode: null, aborted: false, usage: ZERO_USAGE, responseModel: null, ttfbMs: null,
    changes: [], expectedMiss: null,
    // Set later (dispatch, the stream's start): present from the start so the object keeps one shape.
    open: undefined, meter: undefined,
  };
}
