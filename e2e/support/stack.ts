/**
 * A real Synrouter in front of the project's simulator, both on ephemeral loopback ports, plus a
 * client key. What every end-to-end test starts from. The store is a parameter of the stack: its own
 * SQLite file in a temp dir, or with SYNROUTER_TEST_STORE=postgres its own database on the run's
 * throwaway PostgreSQL cluster (src/testing/postgres.ts); `npm run test:e2e` runs the suite both ways.
 */
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DatabaseSync } from 'node:sqlite';
import { createPool } from '../../src/store/postgres/connect.ts';
import { testDatabaseUrl } from '../../src/testing/postgres.ts';
import { loadConfig, type Config } from '../../src/config.ts';
import { startSynrouter, type Synrouter } from '../../src/server/http-server.ts';
import { startSimulator, type Simulator, type SimulatorOptions } from '../../src/simulator/simulator.ts';

export interface LedgerTurn {
  id: number; ts: number; request_id: string; kind: string; key_id: string; session_id: string | null; client_protocol: string;
  endpoint: string; requested_model: string | null; response_model: string | null; provider: string | null; status: number;
  error_code: string | null; streamed: number; aborted: number; input_tokens: number; cache_read_tokens: number;
  cache_write_5m_tokens: number; cache_write_1h_tokens: number; output_tokens: number; cost_usd: number | null;
  cost_direct_usd: number | null; latency_ms: number | null; ttfb_ms: number | null; miss_reason: string | null; engine: string | null; cost_client_usd: number | null; cost_shadow_usd: number | null;
}

export interface Stack {
  sim: Simulator;
  app: Synrouter;
  /** A client key (mode coding). */
  key: string;
  keyId: string;
  dbPath: string;
  /** The PostgreSQL database of this stack, when the store is PostgreSQL. */
  databaseUrl?: string;
  anthropicBase: string;
  openaiBase: string;
  /** Ledger rows, read from the store by a separate connection after a flush. */
  turns(): Promise<LedgerTurn[]>;
  close(): Promise<void>;
}

export async function startStack(opts: { simulator?: SimulatorOptions; env?: Record<string, string>; bodyLimitMb?: number; openrouterToSimulator?: boolean; config?: (c: Config) => Config } = {}): Promise<Stack> {
  const sim = await startSimulator({ port: 0, ...opts.simulator });
  const dbPath = join(mkdtempSync(join(tmpdir(), 'synrouter-e2e-')), 'synrouter.db');
  // The access log stays out of the test runner's output unless a test asks for it.
  const env = { SYNROUTER_LOG_LEVEL: 'silent', SYNROUTER_ANTHROPIC_API_KEY: 'sim-key', SYNROUTER_ANTHROPIC_BASE_URL: sim.url, ...(opts.bodyLimitMb ? { SYNROUTER_BODY_LIMIT_MB: String(opts.bodyLimitMb) } : {}), ...(opts.openrouterToSimulator ? { SYNROUTER_OPENROUTER_BASE_URL: sim.url } : {}), ...opts.env };
  const databaseUrl = testStore() === 'postgres' ? await testDatabaseUrl() : undefined;
  const loaded = loadConfig({ env, overrides: { port: 0, host: '127.0.0.1', dbPath, ...(databaseUrl ? { databaseUrl } : {}) } });
  const config = opts.config ? opts.config(loaded) : loaded;
  const app = await startSynrouter(config, { clock: sim.clock });
  const { key, record } = await app.deps.keys.create({ name: 'e2e', mode: 'coding' });
  const reader = databaseUrl ? pgTurns(databaseUrl) : sqliteTurns(dbPath);
  return {
    sim, app, key, keyId: record.id, dbPath, ...(databaseUrl ? { databaseUrl } : {}),
    anthropicBase: `${app.url}/api/anthropic`,
    openaiBase: `${app.url}/api/v1`,
    async turns() {
      await app.deps.ledger.flush();
      return await reader.read();
    },
    async close() {
      await reader.close();
      await app.close({ graceMs: 1000 });
      await sim.close();
    },
  };
}

/** Which store the e2e stacks use: SYNROUTER_TEST_STORE=postgres, else SQLite. */
export function testStore(): 'sqlite' | 'postgres' {
  return process.env.SYNROUTER_TEST_STORE === 'postgres' ? 'postgres' : 'sqlite';
}

function sqliteTurns(dbPath: string) {
  const db = new DatabaseSync(dbPath, { readOnly: true });
  return { read: async () => db.prepare('SELECT * FROM turns ORDER BY id').all() as unknown as LedgerTurn[], close: async () => db.close() };
}

function pgTurns(url: string) {
  const pool = createPool(url, { max: 1 });
  return { read: async () => (await pool.query<LedgerTurn>('SELECT * FROM turns ORDER BY id')).rows, close: () => pool.end() };
}

/** Waits until `check` is true (for effects that land after a response ends, e.g. the ledger row of an aborted stream). */
export async function eventually(check: () => boolean | Promise<boolean>, what: string, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > until) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
