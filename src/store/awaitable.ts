/**
 * A value the SQLite store returns at once and the PostgreSQL store after a round trip; callers
 * `await` it either way. A module of its own: every store part and the stages' interfaces name it,
 * and store.ts (which gathers them) must not be what they import.
 */
export type Awaitable<T> = T | Promise<T>;
