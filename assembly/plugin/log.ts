// Log lines through the host (Traefik prints them in its own log). `logLevel` 0 logs debug and up,
// 1 info and up (decisions), 2 only warnings and errors. Never pass a token to these functions.
import { LogLevel, log } from '../abi/host';
import { Config } from '../policy/config';

export function levelEnabled(config: Config | null, level: LogLevel): bool {
  const configured = config == null ? 1 : config.logLevel;
  if (configured == 0) return true;
  if (configured == 1) return level >= LogLevel.Info;
  return level >= LogLevel.Warn;
}

export function logAt(config: Config | null, level: LogLevel, message: string): void {
  if (levelEnabled(config, level)) log(level, message);
}
