/**
 * The one line `synrouter serve` prints when it cannot listen (a second `npm start` on a taken
 * port, a port below 1024, a host that is not this machine's), instead of Node's stack trace:
 * which address, and which setting chooses another. Undefined for errors that are not about
 * listening, which stay as they are.
 * @see https://nodejs.org/api/net.html#serverlisten (the 'error' event: EADDRINUSE and friends)
 */
import type { Config } from '../config.ts';

interface ListenError { code?: string; syscall?: string; address?: string; port?: number; hostname?: string }

const PORT_SETTINGS = 'SYNROUTER_PORT, --port or "port" in the config file';
const HOST_SETTINGS = 'SYNROUTER_HOST, --host or "host" in the config file';

export function listenFailureMessage(err: unknown, config: Pick<Config, 'host' | 'port'>): string | undefined {
  if (typeof err !== 'object' || err === null) return undefined;
  const e = err as ListenError;
  // A host name that does not resolve fails in the lookup that listen() makes first.
  if (e.syscall === 'getaddrinfo' && (e.code === 'ENOTFOUND' || e.code === 'EAI_AGAIN')) {
    return `synrouter: cannot listen on ${config.host}: no such host (${e.code}); choose another with ${HOST_SETTINGS}.`;
  }
  if (e.syscall !== 'listen') return undefined;
  const host = e.address ?? config.host;
  const where = `${host.includes(':') ? `[${host}]` : host}:${e.port ?? config.port}`;
  switch (e.code) {
    case 'EADDRINUSE':
      return `synrouter: cannot listen on ${where}: the port is already in use (another Synrouter?); choose another with ${PORT_SETTINGS}.`;
    case 'EACCES':
      return `synrouter: cannot listen on ${where}: permission denied (ports below 1024 need privileges); choose another with ${PORT_SETTINGS}.`;
    case 'EADDRNOTAVAIL':
      return `synrouter: cannot listen on ${where}: ${host} is not an address of this machine; choose another with ${HOST_SETTINGS}.`;
    default:
      return `synrouter: cannot listen on ${where} (${e.code ?? 'unknown error'}); check ${HOST_SETTINGS} and ${PORT_SETTINGS}.`;
  }
}
