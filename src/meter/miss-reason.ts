/**
 * Why a turn missed the cache (fully, or from some point on): the cache engine's reason when it
 * expected the miss. Without the engine (OpenAI-protocol upstreams cache on their own): below the
 * 1,024-token minimum those providers have (protocols.md §7), else the provider's own miss. On the
 * Anthropic wire, a turn that wrote but read nothing was unexpected, one that did neither was too short.
 */
import type { MissReason } from '../rewrite/cache-engine.ts';
import type { Route } from '../route/resolve-route.ts';
import { totalInput, type Usage } from './usage.ts';

export function missReason(t: { status: number; usage: Usage; expectedMiss: MissReason | null; route?: Route | undefined }): string | null {
  if (t.status !== 200) return null;
  const wrote = t.usage.cacheWrite5m + t.usage.cacheWrite1h > 0;
  if (t.expectedMiss && (wrote || t.usage.cacheRead === 0)) return t.expectedMiss;
  if (t.usage.cacheRead > 0 || t.usage.input + t.usage.cacheWrite5m + t.usage.cacheWrite1h === 0) return null;
  if (t.route && t.route.wire !== 'anthropic') return totalInput(t.usage) < 1024 ? 'below_minimum' : 'provider_cache_miss';
  return wrote ? 'unexpected' : 'below_minimum';
}
