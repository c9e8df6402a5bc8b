// Entry point of `npm start`: load and validate configuration, start the daemon, stop it cleanly
// on SIGTERM/SIGINT within the shutdown timeout.
import { loadConfig, ConfigError } from './config/load.js';
import { createLogger } from './logger.js';
import { startDaemon } from './daemon.js';
import { isStartupError } from './listen-errors.js';

function configPathFromArgs(argv: string[]): string | undefined {
  const i = argv.indexOf('--config');
  return i >= 0 ? argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  let config;
  try {
    config = loadConfig({ file: configPathFromArgs(process.argv) });
  } catch (err) {
    if (err instanceof ConfigError) {
      process.stderr.write(`feikong: ${err.message}\n`);
      process.exit(2);
    }
    throw err;
  }
  const logger = createLogger(config.log.level);
  const daemon = await startDaemon(config, logger);
  let signalled = false;
  const onSignal = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    logger.info({ signal }, 'shutdown requested');
    const deadline = setTimeout(() => {
      logger.error({ timeoutMs: config.shutdownTimeoutMs }, 'shutdown took too long; exiting');
      process.exit(1);
    }, config.shutdownTimeoutMs);
    deadline.unref();
    daemon.stop().then(() => process.exit(0), (err) => {
      logger.error({ err }, 'shutdown failed');
      process.exit(1);
    });
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

main().catch((err) => {
  if (isStartupError(err)) {
    // A setting to change, named in the message: no stack trace.
    process.stderr.write(`feikong: ${err.message}\n`);
    process.exit(1);
  }
  process.stderr.write(`feikong: start-up failed: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
