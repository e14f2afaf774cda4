import type { Config } from '../config.js';
import { createLogger, type Logger } from '../observability/logger.js';
import { AppMetrics } from '../observability/metrics.js';
import { type AppTracing, createTracing, type SpanExporter } from '../observability/tracing.js';
import { VERSION } from '../version.js';

/** Logs, metrics and traces: one set per app (tests run several apps in one process). */
export interface Telemetry {
  logger: Logger;
  metrics: AppMetrics;
  tracing: AppTracing;
}

/** The app's telemetry; the settings' warnings are logged first, before anything else can fail. */
export async function buildTelemetry(
  config: Config,
  given: { logger?: Logger; spanExporter?: SpanExporter },
): Promise<Telemetry> {
  const logger = given.logger ?? createLogger({ level: config.logLevel });
  if (config.warnings.length > 0) logger.warn({ warnings: config.warnings }, config.warnings.join('; '));
  const metrics = new AppMetrics();
  const tracing = await createTracing(config.tracing, {
    serviceVersion: VERSION,
    exporter: given.spanExporter,
  });
  return { logger, metrics, tracing };
}
