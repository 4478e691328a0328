/**
 * How much JSON structure Synrouter takes apart per request. Parsing and rendering a prompt cost
 * per value, not per byte: 30 MB of one-character text blocks is 1.16 million blocks, which held
 * the event loop for 12 s and the heap for 1 GB (issue 21). These bounds make the scan stop early,
 * at a cost proportional to the budget instead of the body.
 */
import { JsonLimitError } from '../errors.ts';

/**
 * Deepest nesting of objects and arrays. Agents' deepest JSON is a tool's input schema, a dozen
 * levels; 128 is also serde_json's recursion limit, so a provider parsing with it refuses deeper.
 */
export const MAX_NESTING = 128;

/**
 * JSON values the byte skeleton may hold (objects, arrays and leaves down to the depth scanned). An
 * agent-shaped request at every structure cap (protocols/request-limits.ts: 50,000 blocks, 1,000
 * tools) has about 335,000 (request-limits.test.ts). The 30 MB of tiny blocks is refused after
 * ~0.2 s of scanning here, instead of 12 s and 1 GB of rendering.
 */
export const MAX_SKELETON_VALUES = 600_000;

export const tooDeep = () => new JsonLimitError(`The request body nests objects and arrays more than ${MAX_NESTING} levels deep; Synrouter's limit is ${MAX_NESTING}.`, MAX_NESTING);

/** Throws when `value` (from JSON.parse) nests deeper than MAX_NESTING; iterative, so any depth is safe to check. */
export function checkNesting(value: unknown): void {
  if (typeof value !== 'object' || value === null) return;
  const stack: Array<[object, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [v, depth] = stack.pop()!;
    if (depth > MAX_NESTING) throw tooDeep();
    const children = Array.isArray(v) ? v : Object.values(v);
    for (let i = 0; i < children.length; i++) {
      const c: unknown = children[i];
      if (typeof c === 'object' && c !== null) stack.push([c, depth + 1]);
    }
  }
}
