import type { LiveSubscriptions } from '../graphql/subscription-guard.js';
import type { Logger } from '../observability/logger.js';
import type { AuthService } from '../services/auth-service.js';

export interface CredentialSweeperDeps {
  auth: AuthService;
  live: LiveSubscriptions;
  logger: Logger;
  intervalMs: number;
  /** Closes the WebSocket connections opened with these credentials (close code 4403). */
  closeConnections(credentialIds: ReadonlySet<string>): void;
}

/**
 * Ends the subscriptions of keys that were revoked or expired, on whichever replica they run:
 * every `intervalMs` it asks the database which credentials with open subscriptions still work.
 */
export class CredentialSweeper {
  private timer: NodeJS.Timeout | null = null;
  private running: Promise<void> | null = null;

  constructor(private readonly deps: CredentialSweeperDeps) {}

  start(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .finally(() => {
          this.running = null;
        });
    }, this.deps.intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    await this.running;
  }

  async sweep(): Promise<number> {
    const credentials = this.deps.live.credentials();
    if (credentials.length === 0) return 0;
    try {
      const active = await this.deps.auth.activeCredentials(credentials);
      const dead = new Set(credentials.filter((c) => !active.has(c)));
      if (dead.size === 0) return 0;
      this.deps.live.end(dead);
      this.deps.closeConnections(dead);
      this.deps.logger.info({ credentials: dead.size }, 'ended subscriptions of revoked or expired keys');
      return dead.size;
    } catch (error) {
      this.deps.logger.warn({ err: error }, 'could not check open subscriptions against the key store');
      return 0;
    }
  }
}
