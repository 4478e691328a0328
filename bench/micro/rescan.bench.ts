/**
 * src/json/rescan.ts against JSON.parse: turn n+1 of a Claude Code conversation scanned (and
 * parsed, json/parse-json.ts) reusing turn n's skeleton where the bytes repeat, as the request path
 * does for every later turn of a session. Turn n+1 is turn n with one tool round appended and the
 * client's marker moved; the bodies are the overhead benchmark's, the second about 200 KB.
 */
import { deepStrictEqual } from 'node:assert/strict';
import { forgetScan, scanned, MESSAGES_SKELETON_DEPTH, type JsonNode } from '../../src/json/scan-json.ts';
import { rescan } from '../../src/json/rescan.ts';
import { parseJsonBuffer } from '../../src/json/parse-json.ts';
import { recentBodies } from '../../src/json/recent-bodies.ts';
import { claudeCodeBodies } from './inputs.ts';
import type { Case } from './measure.ts';

const SLOT = 'micro-bench-session';

/** A skeleton as plain data, to compare a rescan with a full scan. */
function shape(n: JsonNode): unknown {
  if (n.kind === 'leaf') return [n.start, n.end];
  if (n.kind === 'array') return [n.start, n.end, n.items.map(shape)];
  return [n.start, n.end, [...n.entries].map(([k, v]) => [k, shape(v)])];
}

export function cases(): Case[] {
  const { previous, body } = claudeCodeBodies();
  const input = `turn n+1 (${(body.length / 1024).toFixed(0)} KB) after turn n (${(previous.length / 1024).toFixed(0)} KB)`;
  const parse = () => JSON.parse(body.toString('utf8')) as unknown;
  const before = { buf: previous, scan: scanned(previous, MESSAGES_SKELETON_DEPTH) };
  // Turn n parsed in its slot, as the request path leaves it: its values are there to be reused.
  parseJsonBuffer(previous, MESSAGES_SKELETON_DEPTH, SLOT);
  const kept = recentBodies.get(SLOT)!;
  const parseAfter = () => { recentBodies.set(SLOT, kept); forgetScan(body); return parseJsonBuffer(body, MESSAGES_SKELETON_DEPTH, SLOT); };
  return [
    {
      group: 'rescan',
      input: `${input}: skeleton and audit`,
      ours: { label: 'rescan', op: () => { forgetScan(body); return rescan(body, MESSAGES_SKELETON_DEPTH, before); } },
      theirs: { label: 'JSON.parse(buf.toString())', op: parse },
      check: () => {
        forgetScan(body);
        const re = rescan(body, MESSAGES_SKELETON_DEPTH, before);
        forgetScan(body);
        const full = scanned(body, MESSAGES_SKELETON_DEPTH);
        if (!re || JSON.stringify(shape(re.root)) !== JSON.stringify(shape(full.root)) || JSON.stringify(re.canonical) !== JSON.stringify(full.canonical)) throw new Error('rescan bench: rescan differs from a full scan');
        if (re.values >= full.values / 4) throw new Error(`rescan bench: the rescan scanned ${re.values} of ${full.values} values itself; the bodies do not share a prefix`);
      },
    },
    {
      group: 'rescan',
      input: `${input}: the parsed value`,
      ours: { label: 'parseJsonBuffer in the session\'s slot (rescan + slices)', op: parseAfter },
      theirs: { label: 'JSON.parse(buf.toString())', op: parse },
      check: () => deepStrictEqual(parseAfter(), parse()),
    },
  ];
}
