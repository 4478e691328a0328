#!/usr/bin/env node
// Launcher: Synrouter runs TypeScript by Node's type stripping, which needs Node >= 24. When this
// is started by an older system node, re-run it under the Node 24 that `npm install` put in
// node_modules (the `node` devDependency), so `npx synrouter` works on a fresh machine.
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const main = fileURLToPath(new URL('../src/cli/main.ts', import.meta.url));
const major = Number(process.versions.node.split('.')[0]);
if (major >= 24) {
  await import(main);
} else {
  const local = fileURLToPath(new URL('../node_modules/node/bin/node', import.meta.url));
  if (!existsSync(local)) {
    console.error(`synrouter needs Node >= 24 (found ${process.versions.node}); run \`npm install\` in the synrouter folder first.`);
    process.exit(1);
  }
  const child = spawn(local, [main, ...process.argv.slice(2)], { stdio: 'inherit' });
  for (const sig of ['SIGINT', 'SIGTERM']) process.on(sig, () => child.kill(sig));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
}
