import type { Config } from '../config.js';
import { systemClock } from '../domain/clock.js';
import { AuthFailureLimit } from '../engine/auth-failure-limit.js';
import { DenialAudit } from '../engine/denial-audit.js';
import { LiveStreams } from '../engine/live-streams.js';
import type { RateLimiter } from '../engine/rate-limiter.js';
import type { ApiKeyStore } from '../ports/api-key-store.js';
import type { AuditLog } from '../ports/audit-log.js';
import type { EventBus } from '../ports/event-bus.js';
import type { UnitOfWork } from '../ports/unit-of-work.js';
import { ApiKeyService } from '../services/api-key-service.js';
import { AuthService } from '../services/auth-service.js';
import { LiveStreamSweeper } from '../workers/live-stream-sweeper.js';
import type { Telemetry } from './build-telemetry.js';

export interface AuthDeps extends Pick<Telemetry, 'logger' | 'metrics'> {
  apiKeyStore: ApiKeyStore;
  audit: AuditLog;
  unitOfWork: UnitOfWork;
  rateLimiter: RateLimiter;
  bus: EventBus;
}

/**
 * API keys and who holds them: authentication (cached, with a limit on failures and refusals
 * audited in batches), key management, and the open streams each key keeps, which end when their
 * key stops allowing them, on every replica.
 */
export function buildAuth(config: Config, deps: AuthDeps) {
  const { logger, metrics, bus } = deps;
  const denials = new DenialAudit({
    audit: deps.audit,
    clock: systemClock,
    windowMs: config.rateLimits.windowSeconds * 1000,
    onError: (error) => logger.warn({ err: error }, 'could not record a refused API key'),
  });
  const auth = new AuthService({
    store: deps.apiKeyStore,
    clock: systemClock,
    cacheTtlMs: config.auth.cacheTtlMs,
    cacheMaxEntries: config.auth.cacheMaxKeys,
    touchIntervalMs: config.auth.touchIntervalMs,
    denials,
    failureLimit: new AuthFailureLimit({
      limiter: deps.rateLimiter,
      clock: systemClock,
      perWindow: config.auth.failuresPerWindow,
    }),
    onFailure: (reason) => metrics.authFailures.inc({ reason }),
    onBackgroundError: (error) => logger.warn({ err: error }, 'could not record key use'),
  });
  const apiKeys = new ApiKeyService({
    store: deps.apiKeyStore,
    unitOfWork: deps.unitOfWork,
    clock: systemClock,
    rotationGraceDefaultSeconds: config.auth.rotationGraceSeconds,
    rotationGraceMaxSeconds: config.auth.rotationGraceMaxSeconds,
    defaultRateLimit: config.rateLimits.perKey,
    // Forgotten here at once; other replicas (and this one's open streams) hear it on the bus.
    onKeyChanged: (keyId) => {
      auth.invalidateKey(keyId);
      bus
        .publish('api_key_changed', { keyId })
        .catch((error) => logger.warn({ err: error }, 'could not announce an API key change'));
    },
  });
  const liveStreams = new LiveStreams({
    current: (digest, request) => auth.current(digest, request),
    maxPerKey: config.rateLimits.maxSubscriptionsPerKey,
    maxAnonymousPerIp: config.rateLimits.maxSubscriptionsPerAnonymousIp,
    onCheckFailed: (error) => logger.warn({ err: error }, 'could not check an open stream against its key'),
  });
  const sweeper = new LiveStreamSweeper({
    streams: liveStreams,
    forgetKey: (keyId) => auth.invalidateKey(keyId),
    bus,
    logger,
    intervalMs: config.auth.recheckMs,
  });
  return { auth, apiKeys, denials, liveStreams, sweeper };
}
