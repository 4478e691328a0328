/**
 * The keep-alive's settings (config file `keepalive`, README "Keep-alive"), apart from keep-alive.ts
 * so that config.ts can read them without importing the keep-alive and all it uses.
 */
import type { KeyMode } from '../store/keys.ts';

export interface KeepAliveConfig {
  enabled: boolean;
  /** Keep a session's entry alive until it has idled this long (per key mode), not longer. */
  maxIdleMs: Readonly<Record<KeyMode, number>>;
  /** Prefixes smaller than this are cheap to re-write: not worth a ping. */
  minPrefixTokens: number;
  /** Spend on pings per key per UTC day, USD. */
  budgetUsdPerKeyDay: number;
  /** Memory for the kept request bodies; past it, the least recently active sessions stop being pinged. */
  maxBytes: number;
}

export const DEFAULT_KEEPALIVE: KeepAliveConfig = {
  enabled: true,
  maxIdleMs: { coding: 60 * 60_000, general: 15 * 60_000 },
  minPrefixTokens: 4096,
  budgetUsdPerKeyDay: 5,
  maxBytes: 24 * 1024 * 1024,
};
