// HTTP load generator (autocannon) in a process of its own. Request `run` with the target and the
// load shape; answers completed requests per second and the latency percentiles.
import autocannon from 'autocannon';
import { serveRequests } from '../lib/child.js';

export interface HttpLoadOptions {
  url: string;
  headers: Record<string, string>;
  body: string;
  connections: number;
  durationSeconds: number;
}

export interface HttpLoadResult {
  requestsPerSecond: number;
  requests: number;
  non2xx: number;
  errors: number;
  p50Ms: number;
  p99Ms: number;
}

serveRequests({
  run: async (o: HttpLoadOptions): Promise<HttpLoadResult> => {
    const result = await autocannon({
      url: o.url,
      method: 'POST',
      headers: o.headers,
      body: o.body,
      connections: o.connections,
      duration: o.durationSeconds,
    });
    return {
      requestsPerSecond: result.requests.total / result.duration,
      requests: result.requests.total,
      non2xx: result.non2xx,
      errors: result.errors + result.timeouts,
      p50Ms: result.latency.p50,
      p99Ms: result.latency.p99,
    };
  },
});
