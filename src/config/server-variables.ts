import { resolve } from 'node:path';
import { z } from 'zod';
import { csv, int } from './parsers.js';
import { type FieldContext, type Values, variable } from './variable.js';

/** The HTTP server, its database and its logs. */
export const SERVER_VARIABLES = {
  PORT: variable({
    field: 'port',
    schema: int(0, 65535),
    default: '4000',
    doc: 'TCP port to listen on (0 picks a free port).',
  }),
  HOST: variable({
    field: 'host',
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: 'Address to listen on; `0.0.0.0` in a container.',
  }),
  NODE_ENV: variable({
    field: 'production',
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    doc: '`production` hides GraphQL field suggestions and GraphiQL.',
    as: (env) => env === 'production',
  }),
  DATABASE_URL: variable({
    schema: z.string().refine((v) => /^postgres(ql)?:\/\/.+/.test(v) || v === 'memory://', {
      message: 'must be a postgres:// or postgresql:// URL (or memory:// for a throw-away embedded database)',
    }),
    doc: 'Unset: embedded PGlite under `RDEV_DATA_DIR`. A `postgres://` URL selects PostgreSQL. `memory://` keeps an embedded database in memory (tests).',
  }),
  RDEV_DATA_DIR: variable({
    field: 'dataDir',
    schema: z.string().min(1),
    default: './.rdev',
    doc: 'PGlite data and other local state.',
    as: (dir, { path }) => path(dir),
  }),
  RDEV_LOG_LEVEL: variable({
    field: 'logLevel',
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'Log level of the JSON logs on stdout.',
  }),
  RDEV_SHUTDOWN_GRACE_MS: variable({
    field: 'shutdownGraceMs',
    schema: int(0, 600_000),
    default: '25000',
    doc: 'How long SIGTERM waits for in-flight work before closing connections; keep below the pod termination grace period.',
  }),
  RDEV_TRUSTED_PROXIES: variable({
    field: 'trustedProxies',
    schema: csv,
    default: '',
    doc: 'Comma-separated CIDRs of proxies whose `X-Forwarded-For` is believed.',
  }),
  RDEV_CORS_ORIGINS: variable({
    field: 'corsOrigins',
    schema: csv.pipe(
      z.array(
        z.string().refine(isOrigin, {
          message:
            'must be comma-separated origins such as https://app.example.com (scheme, host and optional port, nothing else)',
        }),
      ),
    ),
    default: '',
    doc: "Comma-separated origins (`https://app.example.com`) whose pages may call the API from a browser, with credentials. The server's own origin (the console at `/console`) is always allowed; any other origin gets no CORS headers, so browsers keep its pages from reading answers.",
  }),
  RDEV_MAX_BODY_BYTES: variable({
    field: 'maxBodyBytes',
    schema: int(1024, 64 * 1024 * 1024),
    default: '1048576',
    doc: 'Largest accepted request body.',
  }),
  RDEV_HTTP_HEADERS_TIMEOUT_MS: variable({
    field: 'http.headersTimeoutMs',
    schema: int(1000, 600_000),
    default: '20000',
    doc: 'Longest time a client may take to send the headers of a request; past it rdev answers 408 and closes the connection (slow-header attacks).',
  }),
  RDEV_HTTP_REQUEST_TIMEOUT_MS: variable({
    field: 'http.requestTimeoutMs',
    schema: int(1000, 3_600_000),
    default: '60000',
    doc: 'Longest time a client may take to send a whole request, headers and body; past it rdev answers 408 and closes the connection. Only receiving the request counts: answers, SSE streams and WebSockets last as long as they need. At least `RDEV_HTTP_HEADERS_TIMEOUT_MS`.',
  }),
  RDEV_HTTP_BODY_IDLE_TIMEOUT_MS: variable({
    field: 'http.bodyIdleTimeoutMs',
    schema: int(100, 600_000),
    default: '10000',
    doc: 'Longest pause while a request body arrives; past it rdev answers 408 and closes the connection, so a client that stops sending halfway holds nothing open.',
  }),
  RDEV_STREAM_KEEPALIVE_MS: variable({
    field: 'streams.keepAliveMs',
    schema: int(100, 15_000),
    default: '12000',
    doc: 'Keep-alive interval of live streams: graphql-ws pings (a client that does not answer within another interval is dropped) and the comment line on legacy SSE streams. At most 15 s, below common proxy idle timeouts.',
  }),
  RDEV_WS_MAX_BUFFERED_BYTES: variable({
    field: 'streams.wsMaxBufferedBytes',
    schema: int(64 * 1024, 1024 * 1024 * 1024),
    default: '8388608',
    doc: "graphql-ws: bytes that may wait in a connection's send buffer; a client reading slower than that is disconnected (close code 1008) so it cannot grow server memory. It reconnects and resumes with `after`.",
  }),
};

export type DatabaseSetting = { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | null };

/** The database: PostgreSQL by URL, else the embedded one in the data folder, or in memory. */
export function combinedServerSettings(
  v: Values<typeof SERVER_VARIABLES>,
  { path }: FieldContext,
): { database: DatabaseSetting } {
  const url = v.DATABASE_URL;
  return {
    database:
      url === undefined
        ? { kind: 'pglite', dataDir: resolve(path(v.RDEV_DATA_DIR), 'pglite') }
        : url === 'memory://'
          ? { kind: 'pglite', dataDir: null }
          : { kind: 'postgres', url },
  };
}

/** `scheme://host[:port]` exactly as a browser sends it in `Origin`: no path, query or credentials. */
function isOrigin(text: string): boolean {
  try {
    const url = new URL(text);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.origin === text;
  } catch {
    return false;
  }
}
