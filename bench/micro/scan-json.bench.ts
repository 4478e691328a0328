/**
 * src/json/scan-json.ts against JSON.parse, which it stands in for on the request path: the body
 * is scanned into a byte-offset skeleton (and where its bytes are not JSON.stringify's form) so that
 * rewrites splice into the client's bytes instead of re-serialising, and json/parse-json.ts parses
 * a large body slice by slice along that skeleton instead of decoding one string of it (a fresh
 * 200 KB string lands in V8's large-object space). Input: a 200 KB Claude Code-shaped body, a fresh
 * scan each operation (the per-buffer memo is dropped first).
 */
import { deepStrictEqual } from 'node:assert/strict';
import { forgetScan, scanJson, scanned, MESSAGES_SKELETON_DEPTH } from '../../src/json/scan-json.ts';
import { parseJsonBuffer } from '../../src/json/parse-json.ts';
import { claudeCodeBodies } from './inputs.ts';
import type { Case } from './measure.ts';

const JSON_PARSE = 'JSON.parse(buf.toString())';

export function cases(): Case[] {
  const { body } = claudeCodeBodies();
  const input = `Claude Code body, ${(body.length / 1024).toFixed(0)} KB`;
  const parse = () => JSON.parse(body.toString('utf8')) as unknown;
  const topKeys = () => { if (JSON.stringify([...(scanJson(body, MESSAGES_SKELETON_DEPTH) as { entries: Map<string, unknown> }).entries.keys()]) !== JSON.stringify(Object.keys(parse() as object))) throw new Error('scan-json bench: the skeleton does not match the body'); };
  return [
    {
      group: 'scan-json',
      input: `${input}: skeleton only (depth 7)`,
      ours: { label: 'scanJson', op: () => scanJson(body, MESSAGES_SKELETON_DEPTH) },
      theirs: { label: JSON_PARSE, op: parse },
      check: topKeys,
    },
    {
      group: 'scan-json',
      input: `${input}: skeleton and canonical-form audit (what a turn uses)`,
      ours: { label: 'scanned', op: () => { forgetScan(body); return scanned(body, MESSAGES_SKELETON_DEPTH); } },
      theirs: { label: JSON_PARSE, op: parse },
      check: topKeys,
    },
    {
      group: 'scan-json',
      input: `${input}: the parsed value (no previous turn)`,
      ours: { label: 'parseJsonBuffer (scanned + slices)', op: () => { forgetScan(body); return parseJsonBuffer(body, MESSAGES_SKELETON_DEPTH); } },
      theirs: { label: JSON_PARSE, op: parse },
      check: () => { forgetScan(body); deepStrictEqual(parseJsonBuffer(body, MESSAGES_SKELETON_DEPTH), parse()); },
    },
  ];
}
