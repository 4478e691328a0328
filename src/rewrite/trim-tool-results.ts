/**
 * tool_result trimming: verbose results are cut to a head + tail window with a marker saying how
 * much was left out. A block is decided once, the first time Synrouter forwards it; the decision is
 * kept in the session state and replayed on every later turn, so the bytes of an already-forwarded
 * block never change (editing a block inside a cached prefix re-writes everything after it,
 * protocols.md §8.4; peers.md §5.5). Thinking blocks and signatures are never touched.
 */
import type { JsonObject } from '../json/json-object.ts';

export interface TrimPolicy {
  /** Results longer than this (characters of text) are trimmed. */
  thresholdChars: number;
  headChars: number;
  tailChars: number;
  /** Error results are kept whole unless longer than thresholdChars × this. */
  errorFactor: number;
}

/** `keep` = forwarded whole; `trim` = forwarded trimmed with these window sizes. */
export type TrimDecision = { action: 'keep' } | { action: 'trim'; head: number; tail: number };

export interface TextEdit {
  /** Path of the string value to replace, e.g. `messages.3.content.0.content` or `…content.0.content.1.text`. */
  path: string;
  text: string;
  removedChars: number;
}

/** The head + tail window of `text`. Deterministic: same text and sizes, same output. */
export function trimText(text: string, head: number, tail: number): string {
  let h = cutBack(text, head);
  let t = text.length - tail;
  if (t < 0 || h >= t) return text;
  const nl = text.lastIndexOf('\n', h);
  if (nl > head * 0.8) h = nl + 1;
  const nl2 = text.indexOf('\n', t);
  if (nl2 !== -1 && nl2 < t + tail * 0.2) t = nl2 + 1;
  t = cutForward(text, t);
  const removed = text.slice(h, t);
  const lines = removed.split('\n').length - 1;
  return `${text.slice(0, h)}\n[... Synrouter trimmed ${removed.length.toLocaleString('en-US')} characters (${lines.toLocaleString('en-US')} lines) from the middle of this tool result ...]\n${text.slice(t)}`;
}

// Never split a UTF-16 surrogate pair.
const isLow = (c: number) => c >= 0xdc00 && c <= 0xdfff;
const cutBack = (s: string, i: number) => (i > 0 && i < s.length && isLow(s.charCodeAt(i)) ? i - 1 : i);
const cutForward = (s: string, i: number) => (i > 0 && i < s.length && isLow(s.charCodeAt(i)) ? i + 1 : i);

function textLength(content: unknown): number {
  if (typeof content === 'string') return content.length;
  if (!Array.isArray(content)) return 0;
  return content.reduce((n: number, b: JsonObject) => n + (b?.type === 'text' && typeof b.text === 'string' ? b.text.length : 0), 0);
}

/**
 * Decides new tool_result blocks and replays old decisions. `forwarded` holds the tool_use ids of
 * blocks already sent upstream whole before any decision was recorded (they stay whole).
 * Returns the text edits for this request and the decisions to store (old ones included).
 */
export function trimToolResults(opts: {
  messages: ReadonlyArray<{ role: string; content: unknown }>;
  decisions: Readonly<Record<string, TrimDecision>>;
  policy: TrimPolicy;
  forwarded: ReadonlySet<string>;
}): { edits: TextEdit[]; decisions: Record<string, TrimDecision> } {
  const decisions: Record<string, TrimDecision> = { ...opts.decisions };
  const edits: TextEdit[] = [];
  // Loops, not callbacks made per call, on this per-turn path (json/scan-json.ts, Scanner).
  for (let mi = 0; mi < opts.messages.length; mi++) {
    const m = opts.messages[mi]!;
    if (m.role !== 'user' || !Array.isArray(m.content)) continue;
    const content = m.content as JsonObject[];
    for (let bi = 0; bi < content.length; bi++) {
      const block = content[bi]!;
      if (block?.type !== 'tool_result' || typeof block.tool_use_id !== 'string') continue;
      const id = block.tool_use_id;
      let decision = decisions[id];
      if (!decision) {
        const limit = opts.policy.thresholdChars * (block.is_error === true ? opts.policy.errorFactor : 1);
        decision = !opts.forwarded.has(id) && textLength(block.content) > limit
          ? { action: 'trim', head: opts.policy.headChars, tail: opts.policy.tailChars }
          : { action: 'keep' };
        decisions[id] = decision;
      }
      if (decision.action === 'keep') continue;
      const base = `messages.${mi}.content.${bi}.content`;
      if (typeof block.content === 'string') trimOne(edits, decision, base, block.content);
      else if (Array.isArray(block.content)) {
        const inners = block.content as JsonObject[];
        for (let ii = 0; ii < inners.length; ii++) {
          const inner = inners[ii];
          if (inner?.type === 'text' && typeof inner.text === 'string') trimOne(edits, decision, `${base}.${ii}.text`, inner.text);
        }
      }
    }
  }
  return { edits, decisions };
}

function trimOne(edits: TextEdit[], { head, tail }: { head: number; tail: number }, path: string, text: string): void {
  if (text.length <= head + tail) return;
  const out = trimText(text, head, tail);
  if (out !== text) edits.push({ path, text: out, removedChars: text.length - out.length });
}
