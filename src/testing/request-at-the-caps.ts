/**
 * The largest agent-shaped Anthropic request within every structure cap (protocols/request-limits.ts):
 * 1,000 tools with JSON schemas and 50,000 content blocks in tool rounds (text + tool_use, then a
 * tool_result of two text blocks). What the caps are checked against (request-limits.test.ts) and
 * what the structure benchmark costs (bench/structure-cost.ts).
 */
import { REQUEST_LIMITS } from '../protocols/request-limits.ts';

export function requestAtTheCaps(model = 'claude-sonnet-4-6'): { model: string; max_tokens: number; system: unknown[]; tools: unknown[]; messages: Array<{ role: string; content: unknown[] }> } {
  const tools = Array.from({ length: REQUEST_LIMITS.tools }, (_, i) => ({ name: `t${i}`, description: 'd', input_schema: { type: 'object', properties: { path: { type: 'string', description: 'p' }, opts: { type: 'object', properties: { a: { type: 'integer' } } } }, required: ['path'] } }));
  const messages: Array<{ role: string; content: unknown[] }> = [];
  let blocks = 1; // the system block
  for (let r = 0; blocks + 5 <= REQUEST_LIMITS.blocks; r++, blocks += 5) {
    messages.push({ role: 'assistant', content: [{ type: 'text', text: 'x' }, { type: 'tool_use', id: `tu${r}`, name: 't1', input: { path: '/a', opts: { a: 1 }, list: [1, 2] } }] });
    messages.push({ role: 'user', content: [{ type: 'tool_result', tool_use_id: `tu${r}`, content: [{ type: 'text', text: 'a' }, { type: 'text', text: 'b' }] }] });
  }
  return { model, max_tokens: 16, system: [{ type: 'text', text: 's' }], tools, messages };
}
