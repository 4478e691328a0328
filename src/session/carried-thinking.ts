/**
 * The signed thinking Synrouter keeps for a session's chat.completions client
 * (translate/chat-via-anthropic/capture-thinking.ts says what and why), as a field of the session's
 * state (`SessionCacheState.thinking`), oldest turn first. It is persisted with the state as JSON in
 * SQLite and PostgreSQL, so any instance serving the next turn can put the blocks back.
 *
 * Mergeable: two writers of one session (two instances, a side call in flight) each add turns; the
 * union is kept, and for a tool call id already kept the first entry stands (a turn's blocks never
 * change once sent: Anthropic wants them back byte-for-byte, protocols.md §1.3).
 *
 * Bounded: at most MAX_CARRIED_TURNS turns and MAX_CARRIED_BYTES of thinking text, signatures and
 * ids per session; past either, the oldest turns go first. What that costs: a turn whose blocks went
 * is replayed without them, so the cached prefix changes at that turn once (a cache write from there
 * on, §2.8), and on models with preserved thinking (Opus 5.5 and the 5.x lineup) Anthropic may refuse
 * a later block whose prefix lost one ("it also fails if a thinking block between others was left
 * out"). The bounds are far above a working session (a turn's block is a few KB: 1,000 turns are
 * ~125 tool rounds per prompt over 8 prompts), and they keep one session's state, which every turn
 * rewrites whole on PostgreSQL, within a few MB (the request caps bound the rest, session-state.ts).
 */
import type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';
import type { SessionStoreApi } from './session-cache-state.ts';

export type { CarriedTurn } from '../translate/chat-via-anthropic/capture-thinking.ts';

export const MAX_CARRIED_TURNS = 1000;
export const MAX_CARRIED_BYTES = 2 * 1024 * 1024;

/** Estimated bytes of a kept turn (UTF-16 string lengths plus a little per object). */
export function turnBytes(t: CarriedTurn): number {
  let n = 64;
  for (const id of t.ids) n += id.length + 16;
  for (const b of t.blocks) n += 32 + (b.type === 'thinking' ? b.thinking.length + b.signature.length : b.data.length);
  return n;
}

export function carriedBytes(list: readonly CarriedTurn[] | undefined): number {
  let n = 0;
  for (const t of list ?? []) n += turnBytes(t);
  return n;
}

/** The newest turns that fit both bounds, in their order. */
export function capCarried(list: readonly CarriedTurn[]): CarriedTurn[] {
  let bytes = 0;
  let from = list.length;
  while (from > 0 && list.length - from < MAX_CARRIED_TURNS) {
    const b = turnBytes(list[from - 1]!);
    if (bytes + b > MAX_CARRIED_BYTES) break;
    bytes += b;
    from--;
  }
  return from === 0 ? [...list] : list.slice(from);
}

/** `list` with `turn` added; `list` itself when one of its tool call ids is kept already (the first stands). */
export function withCarried(list: readonly CarriedTurn[] | undefined, turn: CarriedTurn): readonly CarriedTurn[] {
  const known = new Set((list ?? []).flatMap((t) => t.ids));
  if (list && turn.ids.some((id) => known.has(id))) return list;
  return capCarried([...(list ?? []), turn]);
}

/**
 * The union of two writers' lists: `prev`'s turns in their order, then `next`'s new ones. The usual
 * case (`next` was made from `prev`, or does not carry the field: the cache engine's next state) costs
 * no copy.
 */
export function mergeCarried(prev: readonly CarriedTurn[] | undefined, next: readonly CarriedTurn[] | undefined): readonly CarriedTurn[] | undefined {
  if (!prev || prev.length === 0 || prev === next) return next ?? prev;
  if (!next) return prev;
  const inNext = new Set(next.flatMap((t) => t.ids));
  if (prev.every((t) => t.ids.every((id) => inNext.has(id)))) return next;
  const inPrev = new Set(prev.flatMap((t) => t.ids));
  return capCarried([...prev, ...next.filter((t) => !t.ids.some((id) => inPrev.has(id)))]);
}

/** Tool call id -> its turn's blocks, for the request translator. */
export function carriedById(list: readonly CarriedTurn[] | undefined): ReadonlyMap<string, CarriedTurn> {
  const byId = new Map<string, CarriedTurn>();
  for (const t of list ?? []) for (const id of t.ids) if (!byId.has(id)) byId.set(id, t);
  return byId;
}

/**
 * Keeps one answer's turn in the session's state. Called once the upstream's answer is complete and
 * before its last bytes go to the client, so the client's next request, on whichever instance, finds
 * it. The state exists: the cache engine committed it before the request went out. A failed write is
 * logged, never the client's error (its next tool round then goes without the block).
 */
export async function commitCarriedThinking(store: SessionStoreApi, keyId: string, sessionId: string, turn: CarriedTurn): Promise<void> {
  try {
    const state = await store.get(keyId, sessionId);
    if (!state) return;
    const thinking = withCarried(state.thinking, turn);
    if (thinking === state.thinking) return;
    await store.set(keyId, sessionId, { ...state, thinking });
  } catch (err) {
    console.error(`[synrouter] session ${sessionId}: thinking not kept: ${(err as Error).message}`);
  }
}
