/**
 * The access log's settings (config `log`), apart from its writer: config.ts reads them without
 * importing the writer, which imports the line format and through it the turn (and the turn's route
 * imports config.ts: a circle).
 */
export const LOG_LEVELS = ['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent'] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];

export interface LogConfig {
  level: LogLevel;
  /** "stdout", "stderr" or a file path (appended to; created 0600, its directory 0700). */
  destination: string;
  /** "auto": human-readable when the destination is a terminal, JSON otherwise. */
  format: 'auto' | 'json' | 'pretty';
}

export const DEFAULT_LOG: LogConfig = { level: 'info', destination: 'stdout', format: 'auto' };
