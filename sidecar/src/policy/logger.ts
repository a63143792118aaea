/**
 * The logging surface every module here needs: pino's `Logger` satisfies it, and so does a
 * plain object of four functions in tests. Objects go first (pino's merge-object form).
 */
export interface LoggerLike {
  debug(obj: object | string, msg?: string): void;
  info(obj: object | string, msg?: string): void;
  warn(obj: object | string, msg?: string): void;
  error(obj: object | string, msg?: string): void;
}

/** A logger that drops everything; handy default for tools and tests. */
export const silentLogger: LoggerLike = {
  debug() {},
  info() {},
  warn() {},
  error() {},
};
