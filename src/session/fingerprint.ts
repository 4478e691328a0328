/**
 * The fingerprint of a request's stable prefix: a hash of tools + system, leaving out volatile
 * client blocks. Same fingerprint, same cache scope (same upstream key, same shared prefix).
 *
 * Volatile blocks: Claude Code's first system block is a billing line
 * `x-anthropic-billing-header: cc_version=…; cc_entrypoint=…;` whose suffix changes per prompt and
 * per version (clients.md, "Across invocations"); it says nothing about the agent's identity.
 */
import { createHash } from 'node:crypto';
import type { MessagesRequest, RequestBlock } from '../protocols/anthropic/wire.ts';
import type { ChatRequest, ResponsesRequest } from '../protocols/openai/validate-request.ts';
import { parsedFrom } from '../json/parse-json.ts';
import { child, MESSAGES_SKELETON_DEPTH, scanned, withoutMarkers, type JsonNode } from '../json/scan-json.ts';

const VOLATILE_SYSTEM = /^x-anthropic-billing-header:/;

type Pieces = ReadonlyArray<string | Uint8Array>;

/** The parts of a request, in any protocol, that identify the agent and the conversation. */
export interface StablePrefix {
  tools: unknown;
  system: unknown[];
  firstUser: unknown;
  /** stableJson of each part as pieces of the request's own bytes, where those are in JSON.stringify's
   *  form: the same text, so the same hashes, without serialising ~50 KB of tools and system again. */
  bytes?: { tools?: Pieces; system?: Pieces; firstUser?: Pieces };
  /** The parsed objects tools and system were read from, when parsed from a body: a parsed request is
   *  never changed and is shared by the turns that repeat its bytes (json/parse-json.ts), so the
   *  hashes of these parts are remembered by these objects instead of hashed again every turn. */
  from?: { tools?: object; system?: object };
}

const partHashes = new WeakMap<object, string>();

export function isVolatileSystemText(text: unknown): boolean {
  return typeof text === 'string' && VOLATILE_SYSTEM.test(text);
}

const dropMarkers = (k: string, val: unknown) => (k === 'cache_control' ? undefined : val);

/**
 * JSON of a value with every `cache_control` removed: markers do not change a prefix's identity.
 * A replacer function makes JSON.stringify several times slower, so it is used only on the array
 * elements whose plain JSON has a `"cache_control":` key (the text is the same either way: a
 * string containing those bytes would have its quotes escaped).
 */
export function stableJson(v: unknown): string {
  if (Array.isArray(v)) {
    const parts: string[] = [];
    for (const item of v) parts.push(item === undefined || typeof item === 'function' || typeof item === 'symbol' ? 'null' : stableJson(item));
    return `[${parts.join(',')}]`;
  }
  const plain = JSON.stringify(v);
  return plain !== undefined && plain.includes('"cache_control":') ? JSON.stringify(v, dropMarkers) : plain;
}

export function systemBlocks(system: MessagesRequest['system']): RequestBlock[] {
  if (system === undefined) return [];
  // validate-request.ts has checked that each block is an object with a string `type`.
  return typeof system === 'string' ? [{ type: 'text', text: system }] : (system as RequestBlock[]);
}

/**
 * The one text of a message content that is a single text part, else undefined. A client may send
 * the same text as a string one time and as a one-part list another, which all three protocols
 * define as the same message: OpenClaw sends its first prompt as `[{type:"text", text,
 * cache_control}]` in the run that asks it and as a plain string when a later run with the same
 * `--session-id` replays the conversation. The derived session id uses the text, so both forms are
 * one session (issue 23). Only a part holding nothing but its text (and a marker) counts: a part
 * with anything else (citations, an image detail, ...) is not the same as the bare string.
 */
export function singleText(content: unknown): string | undefined {
  if (!Array.isArray(content) || content.length !== 1) return undefined;
  const part = content[0] as Record<string, unknown> | null;
  if (typeof part !== 'object' || part === null || (part.type !== 'text' && part.type !== 'input_text') || typeof part.text !== 'string') return undefined;
  for (const key of Object.keys(part)) if (key !== 'type' && key !== 'text' && key !== 'cache_control') return undefined;
  return part.text;
}

export function anthropicStable(req: MessagesRequest): StablePrefix {
  const raw = parsedFrom(req);
  const from = raw ? { ...(req.tools ? { tools: req.tools } : {}), ...(typeof req.system === 'object' ? { system: req.system } : {}) } : undefined;
  const content = req.messages.find((m) => m.role === 'user')?.content ?? '';
  const text = singleText(content);
  let bytes = raw ? anthropicStableBytes(req, raw, from!) : undefined;
  // The text alone is hashed from its stableJson (a few hundred bytes): the content's bytes would be the list's.
  if (bytes && text !== undefined) { const { firstUser: _list, ...rest } = bytes; bytes = rest; }
  return {
    tools: req.tools ?? [],
    system: systemBlocks(req.system).filter((b) => !(b.type === 'text' && isVolatileSystemText(b.text))),
    firstUser: text ?? content,
    ...(raw ? { bytes, from } : {}),
  };
}

/** StablePrefix.bytes of an Anthropic request parsed from `raw` (each part undefined where the bytes will not do). */
function anthropicStableBytes(req: MessagesRequest, raw: Buffer, from: NonNullable<StablePrefix['from']>): NonNullable<StablePrefix['bytes']> {
  const { root, canonical } = scanned(raw, MESSAGES_SKELETON_DEPTH);
  const bytes = (n: JsonNode | undefined) => (n ? withoutMarkers(raw, canonical, n.start, n.end) : undefined);
  // A part whose hash is remembered needs no bytes.
  const tools = req.tools === undefined ? ['[]'] : from.tools && partHashes.has(from.tools) ? undefined : bytes(child(root, 'tools'));
  let system: Pieces | undefined;
  if (from.system && partHashes.has(from.system)) system = undefined;
  else if (req.system === undefined || (typeof req.system === 'string' && isVolatileSystemText(req.system))) system = ['[]'];
  else if (typeof req.system === 'string') {
    const text = bytes(child(root, 'system'));
    system = text && ['[{"type":"text","text":', ...text, '}]'];
  } else {
    const node = child(root, 'system');
    const parts: Array<string | Uint8Array> = ['['];
    let ok = node?.kind === 'array' && node.items.length === req.system.length;
    for (let i = 0; ok && i < req.system.length; i++) {
      const b = req.system[i]!;
      if (b.type === 'text' && isVolatileSystemText(b.text)) continue;
      const block = bytes(child(node, i));
      if (!block) ok = false;
      else { if (parts.length > 1) parts.push(','); parts.push(...block); }
    }
    parts.push(']');
    system = ok ? parts : undefined;
  }
  const u = req.messages.findIndex((m) => m.role === 'user');
  const firstUser = u < 0 ? ['""'] : bytes(child(child(child(root, 'messages'), u), 'content'));
  return { ...(tools ? { tools } : {}), ...(system ? { system } : {}), ...(firstUser ? { firstUser } : {}) };
}

export function chatStable(req: ChatRequest): StablePrefix {
  return {
    tools: req.tools ?? [],
    system: req.messages.filter((m) => m.role === 'system' || m.role === 'developer').map((m) => m.content),
    firstUser: firstUserContent(req.messages.find((m) => m.role === 'user')?.content ?? ''),
  };
}

function firstUserContent(content: unknown): unknown {
  return singleText(content) ?? content;
}

/** Codex sends its system prompt as developer items and per-item ids that differ per session (clients.md). */
export function responsesStable(req: ResponsesRequest): StablePrefix {
  const items = typeof req.input === 'string' ? [{ role: 'user', content: req.input }] : (req.input ?? []);
  const strip = (it: Record<string, unknown>) => { const { id: _id, ...rest } = it; return rest; };
  const user = strip(items.find((i) => i.role === 'user') ?? {});
  return {
    tools: req.tools ?? [],
    system: [req.instructions ?? '', ...items.filter((i) => i.role === 'system' || i.role === 'developer').map(strip)],
    firstUser: 'content' in user ? { ...user, content: firstUserContent(user.content) } : user,
  };
}

export interface Fingerprint {
  /** tools + system (the cache scope) */
  prefix: string;
  tools: string;
  system: string;
}

/** The hash of a part (its pieces of the request's bytes, else its stableJson), remembered by `from`. */
function partHash(from: object | undefined, pieces: Pieces | undefined, value: unknown): string {
  const known = from && partHashes.get(from);
  if (known !== undefined) return known;
  const hash = h(pieces ?? stableJson(value));
  if (from) partHashes.set(from, hash);
  return hash;
}

/** Short sha256 of the concatenated pieces (a string is one piece). */
const h = (pieces: Pieces | string) => {
  const hash = createHash('sha256');
  for (const p of typeof pieces === 'string' ? [pieces] : pieces) hash.update(p);
  return hash.digest('hex').slice(0, 32);
};

export function fingerprint(stable: StablePrefix): Fingerprint {
  const tools = partHash(stable.from?.tools, stable.bytes?.tools, stable.tools);
  const system = partHash(stable.from?.system, stable.bytes?.system, stable.system);
  return { prefix: h(`${tools}:${system}`), tools, system };
}

/**
 * A session id for clients that send none (OpenClaw, plain SDK scripts): the stable prefix plus the
 * first user turn, which every later request of the same conversation repeats verbatim.
 */
export function derivedSessionId(fp: Fingerprint, stable: StablePrefix): string {
  const first = stable.bytes?.firstUser;
  return 'drv_' + h(first ? [`${fp.prefix}:`, ...first] : `${fp.prefix}:${stableJson(stable.firstUser)}`).slice(0, 24);
}
