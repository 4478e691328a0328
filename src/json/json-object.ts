/**
 * A JSON object (RFC 8259 §4) as parsed: string keys, values not yet checked. `isObject` is the one
 * check for "a JSON object, not an array or null" (`typeof [] === 'object'`, `typeof null === 'object'`).
 */

export type JsonObject = Record<string, unknown>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
