/**
 * The access log for a person at a terminal: one short line per request instead of the JSON,
 *
 *   18:20:01.123 200 anthropic/messages claude-sonnet-4-6 -> anthropic  in 12 read 45.1k write 1.2k out 340  $0.0123 saved $0.0410  812 ms (ttfb 95)  ses 5e55104d…  req_sr_9f…
 *
 * with the status coloured by level and the error code and message at the end. Every string that came
 * from a client or an upstream goes through escapeControls: a model name or an error message must
 * not be able to move the cursor or rewrite the screen.
 */
import { escapeControls } from '../escape-controls.ts';
import type { AccessLine } from './access-line.ts';

const COLOR: Record<string, string> = { info: '\x1b[32m', warn: '\x1b[33m', error: '\x1b[31m', fatal: '\x1b[31m' };
const DIM = '\x1b[2m', RESET = '\x1b[0m';

/** One JSON line as pino wrote it -> one line for the terminal (with its newline). */
export function prettyLine(json: string, color = true): string {
  let o: Partial<AccessLine> & { time?: string; level?: string; msg?: string };
  try {
    o = JSON.parse(json);
  } catch {
    return json.endsWith('\n') ? json : json + '\n';
  }
  const c = (code: string | undefined, s: string) => (color && code ? code + s + RESET : s);
  const esc = (s: string | null | undefined) => escapeControls(s ?? '-');
  const time = typeof o.time === 'string' ? o.time.slice(11, 23) : '';
  if (o.request_id === undefined) return `${c(DIM, time)} ${o.level ?? ''} ${esc(o.msg)}\n`;
  const parts = [c(DIM, time), c(COLOR[o.level ?? 'info'], String(o.status)), `${o.client_protocol}/${o.endpoint}`, esc(o.requested_model)];
  if (o.provider) parts.push(`-> ${esc(o.provider)}${o.response_model && o.response_model !== o.requested_model ? ` (${esc(o.response_model)})` : ''}`);
  const tokens = o.input_tokens! + o.cache_read_tokens! + o.cache_write_5m_tokens! + o.cache_write_1h_tokens! + o.output_tokens!;
  if (tokens > 0) parts.push(` in ${k(o.input_tokens!)} read ${k(o.cache_read_tokens!)} write ${k(o.cache_write_5m_tokens! + o.cache_write_1h_tokens!)} out ${k(o.output_tokens!)}`);
  if (o.cost_usd !== null && o.cost_usd !== undefined) parts.push(` ${usd(o.cost_usd)}${o.savings_usd ? ` saved ${usd(o.savings_usd)}` : ''}`);
  parts.push(` ${Math.round(o.latency_ms!)} ms${o.ttfb_ms !== null && o.ttfb_ms !== undefined ? ` (ttfb ${Math.round(o.ttfb_ms)})` : ''}`);
  if (o.retries) parts.push(`${o.retries} retr${o.retries === 1 ? 'y' : 'ies'}`);
  if (o.session_id) parts.push(c(DIM, ` ses ${esc(o.session_id.slice(0, 12))}${o.session_id.length > 12 ? '…' : ''}`));
  parts.push(c(DIM, o.request_id));
  if (o.error_code) parts.push(c(COLOR[o.level ?? 'warn'], ` ${o.error_code}${o.error_message ? `: ${esc(o.error_message)}` : ''}`));
  return parts.join(' ') + '\n';
}

/** 0.0123 -> "$0.0123", -0.0013 -> "-$0.0013". */
const usd = (x: number) => `${x < 0 ? '-' : ''}$${Math.abs(x).toFixed(4)}`;

/** 950 -> "950", 45123 -> "45.1k", 1234567 -> "1.23M". */
function k(n: number): string {
  if (n < 1000) return String(n);
  if (n < 1_000_000) return `${(n / 1000).toFixed(n < 10_000 ? 2 : 1)}k`;
  return `${(n / 1_000_000).toFixed(2)}M`;
}
