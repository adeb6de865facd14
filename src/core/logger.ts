import { pino, type Logger as PinoLogger } from 'pino';

export type Logger = PinoLogger;

export interface CreateLoggerOptions {
  level: string;
  /** Applied to every line before it is written: secrets are replaced by ***. */
  redact?: (line: string) => string;
  destination?: NodeJS.WritableStream;
}

/** Structured JSON logs (pino). Every line passes through `redact`, so no secret reaches a log. */
export function createLogger(options: CreateLoggerOptions): Logger {
  const redact = options.redact;
  return pino(
    {
      level: options.level,
      base: { pid: process.pid },
      ...(redact ? { hooks: { streamWrite: (line: string) => redact(line) } } : {}),
    },
    (options.destination ?? process.stderr) as pino.DestinationStream,
  );
}
