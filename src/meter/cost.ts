/**
 * Cost of a turn at the response model's prices (protocols.md §8.6), and the cost of the same
 * tokens sent with no caching at all ("direct"): every input token at the base input price.
 */
import type { Prices } from '../route/registry.ts';
import { totalInput, type Usage } from './usage.ts';

const PER_TOKEN = 1e-6;

export function costOf(u: Usage, p: Prices | null): number | null {
  if (!p) return null;
  return (u.input * p.input + u.cacheRead * p.cacheRead + u.cacheWrite5m * p.cacheWrite5m + u.cacheWrite1h * p.cacheWrite1h + u.output * p.output) * PER_TOKEN;
}

export function directCostOf(u: Usage, p: Prices | null): number | null {
  if (!p) return null;
  return (totalInput(u) * p.input + u.output * p.output) * PER_TOKEN;
}
