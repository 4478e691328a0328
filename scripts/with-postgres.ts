/**
 * Runs a command with a throwaway PostgreSQL cluster for the tests (src/testing/postgres.ts): starts
 * it on a free port, passes its URL as SYNROUTER_TEST_PG_URL, removes it when the command ends.
 *   node scripts/with-postgres.ts npm run test:e2e
 */
import { spawn } from 'node:child_process';
import { startCluster } from '../src/testing/postgres.ts';

const [cmd, ...args] = process.argv.slice(2);
if (!cmd) {
  console.error('usage: node scripts/with-postgres.ts COMMAND [ARGS...]');
  process.exit(2);
}
const started = performance.now();
const cluster = await startCluster();
console.error(`== PostgreSQL for the tests: ${cluster.url} (started in ${Math.round(performance.now() - started)} ms; removed at the end)`);
const child = spawn(cmd, args, { stdio: 'inherit', env: { ...process.env, SYNROUTER_TEST_PG_URL: cluster.url } });
const stop = () => child.kill('SIGTERM');
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
child.on('exit', (code, signal) => {
  cluster.stop();
  process.exit(code ?? (signal ? 1 : 0));
});
