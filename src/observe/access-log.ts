/**
 * The access log's writer: pino, one JSON line per request, at the level lineLevel() gives it
 * (access-line.ts),
 * to stdout (the default), stderr or a file (config `log`). Written asynchronously (pino.destination
 * with sync: false: lines are queued and written off the event loop while the next requests run; a
 * slow reader of stdout makes the queue grow up to 16 MB, then lines are dropped rather than the
 * proxy stalled). On a terminal (format "auto") the lines are shown by prettyLine instead, written
 * as they come. Level "silent" loads nothing.
 */
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { AccessLine, LineLevel } from './access-line.ts';
import { prettyLine } from './pretty-line.ts';
import type { LogConfig } from './log-config.ts';

export interface AccessLog {
  /** Whether a line of this level is written at all (level "warn": successful requests cost nothing). */
  enabled(level: LineLevel): boolean;
  write(line: AccessLine, level: LineLevel): void;
  /** Writes what is queued (SIGTERM); closes a log file. */
  close(): Promise<void>;
}

/** Beyond this much queued output (a stuck reader of stdout) lines are dropped, not held. */
const MAX_QUEUED = 16 * 1024 * 1024;

export async function openAccessLog(cfg: LogConfig, terminal: { stdout: boolean; stderr: boolean }): Promise<AccessLog | undefined> {
  if (cfg.level === 'silent') return undefined;
  const { pino } = await import('pino');
  const fd = cfg.destination === 'stdout' ? 1 : cfg.destination === 'stderr' ? 2 : undefined;
  const tty = fd === 1 ? terminal.stdout : fd === 2 ? terminal.stderr : false;
  const pretty = cfg.format === 'pretty' || (cfg.format === 'auto' && tty);
  if (fd === undefined) mkdirSync(dirname(cfg.destination), { recursive: true, mode: 0o700 });
  const sink = pino.destination({
    ...(fd !== undefined ? { fd } : { dest: cfg.destination, mode: 0o600 }),
    // A terminal gets each line at once; elsewhere lines are written 4 KB at a time, at the latest
    // 250 ms after they were logged (bench/observe-cost.ts: ~12 us of CPU per line, ~14 written one by one).
    ...(pretty ? { sync: true } : { sync: false, minLength: 4096, periodicFlush: 250 }),
    maxLength: MAX_QUEUED,
  });
  const stream = pretty ? { write: (s: string) => sink.write(prettyLine(s, tty)) } : sink;
  const logger = pino({
    level: cfg.level,
    // "level": "info" rather than 30, and an ISO time: read by people and by every log shipper.
    formatters: { level: (label) => ({ level: label }) },
    timestamp: pino.stdTimeFunctions.isoTime,
  }, stream);
  return {
    enabled: (level) => logger.isLevelEnabled(level),
    write(line, level) {
      logger[level](line, 'request');
    },
    async close() {
      await new Promise<void>((resolve) => sink.flush(() => resolve()));
      // stdout and stderr stay open: the last words of shutdown still go there.
      if (fd === undefined) sink.end();
    },
  };
}
