import { z } from 'zod';
import { napUntilWoken, stoppableStream } from '../lib/stoppable-stream.js';
import { parseInput } from './validation.js';

/** Facts about this rdev process that clients may ask for without any scope. */
export interface ServerInfo {
  version: string;
  runtime: 'local' | 'kubernetes';
  database: 'pglite' | 'postgres';
  startedAt: Date;
}

/**
 * The shortest heartbeat interval. Heartbeats need no key, so without a floor one connection
 * could ask for thousands of events a second.
 */
export const HEARTBEAT_MIN_SECONDS = 1;

const heartbeatSchema = z.object({
  intervalSeconds: z
    .number()
    .int()
    .min(HEARTBEAT_MIN_SECONDS, `must be at least ${HEARTBEAT_MIN_SECONDS} second`)
    .max(3600, 'must be at most 3600 seconds'),
  count: z.number().int().min(1, 'must be at least 1').nullish(),
});

export class ServerInfoService {
  constructor(private readonly info: ServerInfo) {}

  get(): ServerInfo {
    return this.info;
  }

  /**
   * The server time every `intervalSeconds`, `count` times or until the client stops. Anyone may
   * ask (it keeps a stream open through proxies that drop idle ones); the interval has a floor and
   * anonymous subscriptions a per-address cap.
   */
  heartbeats(input: { intervalSeconds: number; count?: number | null }): AsyncIterableIterator<Date> {
    const { intervalSeconds, count } = parseInput(heartbeatSchema, input);
    return stoppableStream(async function* (stopped) {
      for (let i = 0; i < (count ?? Number.POSITIVE_INFINITY) && !stopped.aborted; i++) {
        if (i > 0) await napUntilWoken(intervalSeconds * 1000, stopped).done;
        if (stopped.aborted) return;
        yield new Date();
      }
    });
  }
}
