/**
 * The ledger's error codes are a closed set (LedgerErrorCode): each has a status, and each is in the
 * README's table of `error_code` values with that status, so an operator reading a row (or the
 * dashboard, or /metrics' upstream errors) can look up any code it holds. Adding a code to
 * errors.ts without documenting it, or documenting one nobody writes, fails here.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { ANTHROPIC_ERROR_TYPES, ERROR_CODES, inStreamErrorCode, LEDGER_ERROR_CODES, ProxyError, type LedgerErrorCode } from './errors.ts';

const README = readFileSync(new URL('../README.md', import.meta.url), 'utf8');

/** The README's `| \`CODE\` | status | what |` rows, code -> status. */
function documentedCodes(markdown: string): Map<string, number> {
  const section = markdown.slice(markdown.indexOf('\n## The ledger'), markdown.indexOf('\n## ', markdown.indexOf('\n## The ledger') + 1));
  const rows = new Map<string, number>();
  for (const m of section.matchAll(/^\| `([A-Za-z_]+)` \| (\d{3}) \|/gm)) rows.set(m[1]!, Number(m[2]));
  return rows;
}

test('every code a ledger row can hold has an HTTP status', () => {
  for (const [code, status] of Object.entries(LEDGER_ERROR_CODES)) {
    assert.ok(Number.isInteger(status) && status >= 400 && status <= 599, `${code}: ${status}`);
  }
  // The proxy's own codes, and the ledger-only INTERRUPTED and CLIENT_ABORTED, are among them.
  for (const code of Object.keys(ERROR_CODES)) assert.ok(code in LEDGER_ERROR_CODES, code);
  assert.equal(LEDGER_ERROR_CODES.INTERRUPTED, 500);
  assert.equal(LEDGER_ERROR_CODES.CLIENT_ABORTED, 499);
});

test('every code a ledger row can hold is documented in the README with its status, and the README lists no other', () => {
  const documented = documentedCodes(README);
  assert.deepEqual(Object.fromEntries([...documented].sort()), Object.fromEntries(Object.entries(LEDGER_ERROR_CODES).sort()));
});

test('the table reader reads rows and would notice a missing one', () => {
  const md = '\n## The ledger\n\n| `error_code` | status | what |\n|---|---|---|\n| `A_CODE` | 404 | x |\n| `UPSTREAM_api_error` | 500 | ″ |\n\n## Tests\n| `OUTSIDE` | 400 | not this section |\n';
  assert.deepEqual([...documentedCodes(md)], [['A_CODE', 404], ['UPSTREAM_api_error', 500]]);
});

test('an Anthropic stream\'s in-band error type maps to its own code, with the status the type stands for; an unknown type to UPSTREAM_STREAM_ERROR', () => {
  for (const [type, status] of Object.entries(ANTHROPIC_ERROR_TYPES)) {
    const code = inStreamErrorCode(type);
    assert.equal(code, `UPSTREAM_${type}`);
    assert.equal(LEDGER_ERROR_CODES[code], status, type);
  }
  assert.equal(inStreamErrorCode('a_type_from_next_year'), 'UPSTREAM_STREAM_ERROR');
  assert.equal(inStreamErrorCode('toString'), 'UPSTREAM_STREAM_ERROR', 'not an inherited property');
});

test('a ProxyError\'s code is a ledger code and its status defaults to the code\'s', () => {
  const e = new ProxyError('BUDGET_EXCEEDED', 'over');
  const code: LedgerErrorCode = e.code;
  assert.equal(e.status, LEDGER_ERROR_CODES[code]);
});
