// pino JSON logs; one root logger built in main and passed down.
import { pino, type Logger } from 'pino';

export function createLogger(level: string, destination?: NodeJS.WritableStream): Logger {
  return pino({ level, base: { service: 'feikong' }, timestamp: pino.stdTimeFunctions.isoTime }, destination ?? process.stdout);
}
