/**
 * Request rewriting for Anthropic-format bodies: edits spliced into the client's own bytes, plus a
 * list of what changed and why. Pure: the same inputs give the same bytes.
 */
import { scanJson, type ObjectNode } from '../json/scan-json.ts';
import { applyEdits, insertMember, replaceValue, type Edit } from '../json/splice.ts';
import type { MessagesRequest } from '../protocols/anthropic/types.ts';
import type { Route } from '../route/resolve-route.ts';

export interface Change { kind: string; detail: string }

export interface Rewritten { body: Buffer; changes: Change[] }

export function rewriteAnthropicRequest(raw: Buffer, request: MessagesRequest, route: Pick<Route, 'upstreamModel' | 'speed'>): Rewritten {
  const edits: Edit[] = [];
  const changes: Change[] = [];
  const needsModel = request.model !== route.upstreamModel;
  const needsSpeed = route.speed !== undefined && request.speed === undefined;
  if (!needsModel && !needsSpeed) return { body: raw, changes };

  const root = scanJson(raw, 1) as ObjectNode;
  if (needsModel) {
    edits.push(replaceValue(root.entries.get('model')!, JSON.stringify(route.upstreamModel)));
    changes.push({ kind: 'model', detail: `${request.model} -> ${route.upstreamModel}` });
  }
  if (needsSpeed) {
    edits.push(insertMember(root, 'speed', JSON.stringify(route.speed)));
    changes.push({ kind: 'speed', detail: `speed: ${route.speed}` });
  }
  return { body: applyEdits(raw, edits), changes };
}
