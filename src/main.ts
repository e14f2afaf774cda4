import { createApp } from './app.js';
import { announceBootstrapKey } from './bootstrap-key-notice.js';
import { ConfigError, loadConfig } from './config.js';
import { announceIfSlow, printProgress } from './observability/slow-step.js';

/** `rdev serve`: load config, start, print where to go, stop cleanly on SIGTERM/SIGINT. */
export async function serve(): Promise<void> {
  let config: ReturnType<typeof loadConfig>;
  try {
    config = loadConfig();
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`rdev: ${error.message}\n`);
      process.exit(1);
    }
    throw error;
  }
  const app = await createApp(config, { progress: printProgress });
  const { url } = await announceIfSlow(printProgress, 'starting the HTTP server…', () => app.start());
  process.stdout.write(`rdev ${app.services.serverInfo.get().version} listening on ${url}\n`);
  process.stdout.write(`GraphiQL: ${url}/graphql\n`);
  if (app.bootstrapAdminKey) {
    // Shown once, on the first start of an empty database; only its digest is stored.
    announceBootstrapKey(app.bootstrapAdminKey, {
      isTTY: process.stdout.isTTY === true,
      file: config.bootstrapKeyFile,
      out: (text) => process.stdout.write(text),
      err: (text) => process.stderr.write(text),
    });
  }

  let signalled = false;
  const shutdown = (signal: NodeJS.Signals) => {
    if (signalled) return;
    signalled = true;
    app.logger.info({ signal }, 'signal received');
    // A hard ceiling in case something refuses to close: exit non-zero so the operator notices.
    setTimeout(() => process.exit(1), config.shutdownGraceMs + 10_000).unref();
    app.stop().then(
      () => process.exit(0),
      (error) => {
        app.logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', shutdown);
  process.on('SIGINT', shutdown);
}
