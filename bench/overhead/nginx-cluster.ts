/**
 * nginx in front of several Synrouter instances, as deploy/nginx.conf does it: a consistent hash of
 * the agent's session header (Claude Code's, then Codex's, then x-session-id; a fresh $request_id
 * when there is none, so those spread), upstream keep-alive, no buffering in either direction, a
 * POST passed to another instance only when the first could not be reached. The benchmark's own
 * differences: loopback ports, one worker (as its pass-through nginx; the machine has 2 cores), its
 * files in a temp dir.
 */
import { mkdirSync } from 'node:fs';
import { freePort, nginxConf, runNginx, type NginxProc } from './processes.ts';

export async function startNginxCluster(dir: string, instancePorts: number[]): Promise<NginxProc> {
  mkdirSync(dir, { recursive: true });
  const port = await freePort();
  const conf = nginxConf(dir, `
  map $http_x_claude_code_session_id $sr_session_1 { "" $http_session_id;   default $http_x_claude_code_session_id; }
  map $sr_session_1                  $sr_session_2 { "" $http_x_session_id; default $sr_session_1; }
  map $sr_session_2                  $sr_session   { "" $request_id;        default $sr_session_2; }
  upstream synrouter {
    hash $sr_session consistent;
${instancePorts.map((p) => `    server 127.0.0.1:${p} max_fails=3 fail_timeout=10s;`).join('\n')}
    keepalive 64;
    keepalive_timeout 55s;
    keepalive_requests 1000000;
  }
  server {
    listen 127.0.0.1:${port};
    client_max_body_size 33m;
    client_body_timeout 60s;
    location / {
      proxy_pass http://synrouter;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host $host;
      proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
      proxy_buffering off;
      proxy_request_buffering off;
      proxy_cache off;
      proxy_connect_timeout 5s;
      proxy_read_timeout 900s;
      proxy_send_timeout 900s;
      proxy_next_upstream error timeout;
      proxy_next_upstream_tries 2;
      proxy_next_upstream_timeout 10s;
    }
  }
`);
  return await runNginx(dir, conf, port);
}
