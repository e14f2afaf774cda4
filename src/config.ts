import { isAbsolute, resolve } from 'node:path';
import { z } from 'zod';
import type { TracingSettings } from './observability/tracing-settings.js';

/**
 * Every setting rdev reads, validated at start. This is the only module that reads `process.env`;
 * everything else receives the parsed `Config`. `docs/operations/configuration.md` is generated
 * from `CONFIG_VARIABLES` and a test fails when the two drift.
 */

const bool = z
  .enum(['true', 'false', '1', '0', 'yes', 'no'], { message: 'must be true or false' })
  .transform((v) => v === 'true' || v === '1' || v === 'yes');

const int = (min: number, max: number) =>
  z
    .string()
    .regex(/^\d+$/, { message: `must be a whole number between ${min} and ${max}` })
    .transform(Number)
    .pipe(
      z
        .number()
        .int()
        .min(min, { message: `must be at least ${min}` })
        .max(max, { message: `must be at most ${max}` }),
    );

const csv = z.string().transform((v) =>
  v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean),
);

const DURATION_UNITS_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A comma-separated list of durations with units (`5s,5m,2h`), as milliseconds. */
const aes256Key = z
  .string()
  .refine((v) => /^[A-Za-z0-9+/]{43}=$/.test(v.trim()), {
    message: 'must be 32 random bytes in base64 (for example the output of `openssl rand -base64 32`)',
  })
  .transform((v) => Buffer.from(v.trim(), 'base64'));

const durations = z
  .string()
  .refine((v) => v.trim() === '' || v.split(',').every((d) => /^\s*\d+(ms|s|m|h|d)\s*$/.test(d)), {
    message: 'must be comma-separated durations such as 5s,5m,2h (units ms, s, m, h, d)',
  })
  .transform((v) =>
    v.trim() === ''
      ? []
      : v.split(',').map((d) => {
          const [, n, unit] = /^\s*(\d+)(ms|s|m|h|d)\s*$/.exec(d)!;
          return Number(n) * DURATION_UNITS_MS[unit as keyof typeof DURATION_UNITS_MS];
        }),
  );

/** `key=value,key=value` with percent-encoded values (the OpenTelemetry list format). */
const keyValues = z
  .string()
  .refine((v) => v.trim() === '' || v.split(',').every((pair) => /^\s*[^=\s]+\s*=/.test(pair)), {
    message: 'must be comma-separated key=value pairs',
  })
  .transform((v) => {
    const out: Record<string, string> = {};
    for (const pair of v.split(',')) {
      const at = pair.indexOf('=');
      if (at <= 0) continue;
      const value = pair.slice(at + 1).trim();
      let decoded = value;
      try {
        decoded = decodeURIComponent(value);
      } catch {
        // Not percent-encoded after all: keep it as written.
      }
      out[pair.slice(0, at).trim()] = decoded;
    }
    return out;
  });

const httpUrl = z.string().refine((v) => /^https?:\/\/[^\s/]+/.test(v), {
  message: 'must be an http:// or https:// URL',
});

const otlpProtocol = z.enum(['http/protobuf', 'http/json'], {
  message: 'must be "http/protobuf" or "http/json" (rdev exports traces over HTTP, port 4318 by convention)',
});

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
] as const;

interface VariableSpec {
  schema: z.ZodType;
  default?: string;
  doc: string;
  /** A key: a problem with it is reported without its value, which would end up in logs. */
  secret?: true;
}

/** The environment variables, their defaults and what they mean. */
export const CONFIG_VARIABLES = {
  PORT: { schema: int(0, 65535), default: '4000', doc: 'TCP port to listen on (0 picks a free port).' },
  HOST: {
    schema: z.string().min(1),
    default: '127.0.0.1',
    doc: 'Address to listen on; `0.0.0.0` in a container.',
  },
  NODE_ENV: {
    schema: z.enum(['development', 'production', 'test']),
    default: 'development',
    doc: '`production` hides GraphQL field suggestions and GraphiQL.',
  },
  DATABASE_URL: {
    schema: z.string().refine((v) => /^postgres(ql)?:\/\/.+/.test(v) || v === 'memory://', {
      message: 'must be a postgres:// or postgresql:// URL (or memory:// for a throw-away embedded database)',
    }),
    doc: 'Unset: embedded PGlite under `RDEV_DATA_DIR`. A `postgres://` URL selects PostgreSQL. `memory://` keeps an embedded database in memory (tests).',
  },
  RDEV_DATA_DIR: { schema: z.string().min(1), default: './.rdev', doc: 'PGlite data and other local state.' },
  RDEV_RUNTIME: {
    schema: z.enum(['local', 'kubernetes'], { message: 'must be "local" or "kubernetes"' }),
    default: 'local',
    doc: 'Where commands run: folders on this machine, or pods.',
  },
  RDEV_WORKSPACES_DIR: {
    schema: z.string().min(1),
    default: './workspaces',
    doc: 'Local runtime: each sub-folder is a project.',
  },
  RDEV_BOOTSTRAP_ADMIN_KEY: {
    schema: z.string().min(1),
    doc: 'On a database with no keys, store this key text as the first admin key instead of generating and printing one.',
  },
  RDEV_NAMESPACE: {
    schema: z
      .string()
      .regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/, { message: 'must be a Kubernetes namespace name' }),
    doc: "Kubernetes runtime: namespace where project pods are discovered (default: the pod's own namespace).",
  },
  KUBECONFIG: {
    schema: z.string().min(1),
    doc: "Kubernetes runtime: kubeconfig file to use. Unset: the pod's service account in a cluster, else `~/.kube/config`.",
  },
  RDEV_LABEL_PREFIX: {
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/, {
      message: 'must be a DNS subdomain such as rdev.orchard9.ai',
    }),
    default: 'rdev.orchard9.ai',
    doc: 'Kubernetes runtime: prefix of the labels and annotations rdev reads (`<prefix>/project=true`, `<prefix>/name`, `<prefix>/workspace`, `<prefix>/description`).',
  },
  RDEV_PROJECTS_CONFIGMAP: {
    schema: z.string().regex(/^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/, { message: 'must be a ConfigMap name' }),
    default: 'rdev-projects',
    doc: 'Kubernetes runtime: ConfigMap holding one YAML document of settings per project; it overrides labels.',
  },
  RDEV_PROJECTS_FILE: {
    schema: z.string().min(1),
    doc: 'Local runtime: YAML file of project settings (the ConfigMap format, as a map of project names). Default: `rdev-projects.yaml` in `RDEV_WORKSPACES_DIR`.',
  },
  RDEV_PROJECT_CACHE_TTL_MS: {
    schema: int(100, 3_600_000),
    default: '30000',
    doc: 'How long the project list is served from cache before the runtime is asked again (watches update it sooner).',
  },
  RDEV_PROJECT_RESYNC_MS: {
    schema: int(1000, 86_400_000),
    default: '300000',
    doc: 'Kubernetes runtime: full relist of pods and the ConfigMap this often, in case a watch silently stops.',
  },
  RDEV_LOCAL_RESCAN_MS: {
    schema: int(100, 3_600_000),
    default: '10000',
    doc: 'Local runtime: rescan of the workspaces folder this often, in case a file-system event is missed.',
  },
  RDEV_KUBE_API_TIMEOUT_MS: {
    schema: int(100, 300_000),
    default: '5000',
    doc: 'Time limit of one Kubernetes API call (watches and exec: until the stream is established).',
  },
  RDEV_KUBE_BREAKER_FAILURES: {
    schema: int(1, 1000),
    default: '5',
    doc: 'Consecutive Kubernetes API failures (5xx, timeouts, connection errors; never 4xx) that open the circuit breaker.',
  },
  RDEV_KUBE_BREAKER_OPEN_MS: {
    schema: int(100, 3_600_000),
    default: '10000',
    doc: 'How long the circuit breaker stays open before one probe call is let through.',
  },
  RDEV_WEBHOOK_ALLOW_PRIVATE: {
    schema: bool,
    default: 'false',
    doc: 'Allow webhook URLs on loopback and private addresses (development and tests only).',
  },
  RDEV_WEBHOOK_SECRET_KEY: {
    schema: aes256Key,
    secret: true,
    doc: 'Encrypts webhook signing secrets at rest (AES-256-GCM): 32 random bytes in base64, e.g. `openssl rand -base64 32`. Secrets stored in clear before it was set are sealed when a replica starts. Unset: secrets are stored in clear.',
  },
  RDEV_WEBHOOK_SECRET_KEY_PREVIOUS: {
    schema: aes256Key,
    secret: true,
    doc: 'The `RDEV_WEBHOOK_SECRET_KEY` being replaced. Secrets sealed with it keep working, and each replica re-seals them with the new key when it starts; remove it once every replica has started with the new key. Needs `RDEV_WEBHOOK_SECRET_KEY`.',
  },
  RDEV_WEBHOOK_RETRY_SCHEDULE: {
    schema: durations,
    default: '5s,5m,30m,2h,5h,10h,10h',
    doc: 'Delays between webhook delivery attempts after a failure (the first attempt is immediate), comma-separated with a unit (`ms`, `s`, `m`, `h`, `d`); after the last one the delivery fails. Empty: no retries.',
  },
  RDEV_WEBHOOK_RETRY_JITTER_PERCENT: {
    schema: int(0, 100),
    default: '20',
    doc: 'Each retry delay is moved at random by up to this share, so recovering receivers are not hit all at once.',
  },
  RDEV_WEBHOOK_MAX_RETRY_AFTER_SECONDS: {
    schema: int(0, 604_800),
    default: '3600',
    doc: 'Longest `Retry-After` (on 429 and 503) a webhook receiver can ask rdev to wait.',
  },
  RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS: {
    schema: int(100, 300_000),
    default: '15000',
    doc: 'Webhook attempt: longest wait to connect, for the response headers, or for the next piece of the body.',
  },
  RDEV_WEBHOOK_ATTEMPT_DEADLINE_MS: {
    schema: int(100, 600_000),
    default: '30000',
    doc: 'Webhook attempt: longest time in all, however slowly the receiver answers.',
  },
  RDEV_WEBHOOK_DISABLE_AFTER_HOURS: {
    schema: int(1, 8760),
    default: '120',
    doc: 'A webhook whose attempts have all failed for this long is disabled (with an audit row).',
  },
  RDEV_WEBHOOK_CONCURRENCY: {
    schema: int(1, 256),
    default: '8',
    doc: 'Webhook attempts one replica makes at the same time.',
  },
  RDEV_WEBHOOK_POLL_INTERVAL_MS: {
    schema: int(10, 60_000),
    default: '1000',
    doc: 'How often an idle webhook delivery worker looks for due deliveries.',
  },
  RDEV_WEBHOOK_RETENTION_SECONDS: {
    schema: int(0, 315_360_000),
    default: '2592000',
    doc: 'Webhook events older than this whose deliveries have all ended (succeeded or failed) are deleted with their deliveries and attempts; 0 keeps them for ever. Default 30 days.',
  },
  RDEV_WEBHOOK_WORKER: {
    schema: bool,
    default: 'true',
    doc: 'Whether this replica runs the webhook delivery worker.',
  },
  RDEV_TRUSTED_PROXIES: {
    schema: csv,
    default: '',
    doc: 'Comma-separated CIDRs of proxies whose `X-Forwarded-For` is believed.',
  },
  RDEV_LOG_LEVEL: {
    schema: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']),
    default: 'info',
    doc: 'Log level of the JSON logs on stdout.',
  },
  RDEV_SHUTDOWN_GRACE_MS: {
    schema: int(0, 600_000),
    default: '25000',
    doc: 'How long SIGTERM waits for in-flight work before closing connections; keep below the pod termination grace period.',
  },
  RDEV_MAX_BODY_BYTES: {
    schema: int(1024, 64 * 1024 * 1024),
    default: '1048576',
    doc: 'Largest accepted request body.',
  },
  RDEV_GRAPHQL_MAX_DEPTH: {
    schema: int(1, 100),
    default: '12',
    doc: 'graphql-armor: deepest selection allowed.',
  },
  RDEV_GRAPHQL_MAX_ALIASES: {
    schema: int(1, 1000),
    default: '30',
    doc: 'graphql-armor: aliases per operation.',
  },
  RDEV_GRAPHQL_MAX_DIRECTIVES: {
    schema: int(1, 1000),
    default: '50',
    doc: 'graphql-armor: directives per operation.',
  },
  RDEV_GRAPHQL_MAX_TOKENS: {
    schema: int(10, 100_000),
    default: '2000',
    doc: 'graphql-armor: tokens per document.',
  },
  RDEV_GRAPHQL_MAX_COST: {
    schema: int(1, 1_000_000),
    default: '5000',
    doc: 'graphql-armor: estimated cost per operation.',
  },
  RDEV_AUTH_CACHE_TTL_MS: {
    schema: int(0, 30_000),
    default: '10000',
    doc: 'How long a looked-up API key is trusted before the database is asked again: revocation and expiry reach every replica within this time.',
  },
  RDEV_AUTH_CACHE_MAX_KEYS: {
    schema: int(1, 1_000_000),
    default: '10000',
    doc: 'Most API keys kept in the authentication cache.',
  },
  RDEV_AUTH_RECHECK_MS: {
    schema: int(500, 30_000),
    default: '5000',
    doc: "How often every open stream is checked against its key's current state (revocation, expiry, scopes, projects, IP allow-list); changes made through the API reach the streams at once.",
  },
  RDEV_AUTH_FAILURES_PER_WINDOW: {
    schema: int(1, 1_000_000),
    default: '30',
    doc: 'Failed authentications allowed per rate-limit window from one client IP, and with one key prefix; past it, requests carrying a key from that IP (or with that prefix) get 429 RATE_LIMITED without a lookup until the window moves on.',
  },
  RDEV_KEY_TOUCH_INTERVAL_MS: {
    schema: int(1000, 3_600_000),
    default: '60000',
    doc: "Least time between two writes of a key's `lastUsedAt`.",
  },
  RDEV_KEY_ROTATION_GRACE_SECONDS: {
    schema: int(0, 31_536_000),
    default: '86400',
    doc: 'How long the old secret keeps working after `rotateApiKey` when the caller asks for no period; at most `RDEV_KEY_ROTATION_GRACE_MAX_SECONDS`.',
  },
  RDEV_KEY_ROTATION_GRACE_MAX_SECONDS: {
    schema: int(0, 31_536_000),
    default: '604800',
    doc: 'Longest grace period `rotateApiKey` accepts.',
  },
  RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS: {
    schema: int(1, 604_800),
    default: '3600',
    doc: 'Timeout of a command that asks for none; past it the command is stopped and ends TIMED_OUT. At most `RDEV_COMMAND_TIMEOUT_MAX_SECONDS`.',
  },
  RDEV_COMMAND_TIMEOUT_MAX_SECONDS: {
    schema: int(1, 604_800),
    default: '86400',
    doc: 'Longest `timeoutSeconds` a command may ask for.',
  },
  RDEV_PROMPT_MAX_BYTES: {
    schema: int(1, 16 * 1024 * 1024),
    default: '1048576',
    doc: 'Largest Claude prompt.',
  },
  RDEV_QUEUE_AGING_SECONDS: {
    schema: int(1, 86_400),
    default: '30',
    doc: 'A queued command gains one priority point per this many seconds of waiting, so low priority cannot starve.',
  },
  RDEV_OUTPUT_CAP_BYTES: {
    schema: int(1024, 10 * 1024 * 1024 * 1024),
    default: '52428800',
    doc: 'Stored output per command; past it a SYSTEM event says output was truncated and the command runs on.',
  },
  RDEV_OUTPUT_CHUNK_BYTES: {
    schema: int(256, 1024 * 1024),
    default: '16384',
    doc: 'Largest stored output event.',
  },
  RDEV_LEASE_TTL_MS: {
    schema: int(1000, 600_000),
    default: '15000',
    doc: "How long a replica's claim on a running command, or on a webhook delivery it is sending, lasts without renewal; after it another replica adopts the command or sends the delivery.",
  },
  RDEV_CLAUDE_WATCHDOG_SECONDS: {
    schema: int(0, 86_400),
    default: '600',
    doc: 'A Claude run printing nothing for this long is stopped and fails (0: no watchdog).',
  },
  RDEV_CANCEL_GRACE_SECONDS: {
    schema: int(0, 600),
    default: '5',
    doc: 'Between TERM and KILL when a command is cancelled or times out.',
  },
  RDEV_OUTPUT_RETENTION_SECONDS: {
    schema: int(0, 315_360_000),
    default: '2592000',
    doc: 'Ended commands older than this are deleted with their stored output and run folders (audit rows stay); 0 keeps them for ever. Default 30 days.',
  },
  RDEV_DISPATCH_INTERVAL_MS: {
    schema: int(50, 60_000),
    default: '1000',
    doc: 'Safety-net interval of the dispatcher (it also runs on every queue change), and how often a replica looks for expired leases to adopt.',
  },
  RDEV_STREAM_KEEPALIVE_MS: {
    schema: int(100, 15_000),
    default: '12000',
    doc: 'Keep-alive interval of live streams: graphql-ws pings (a client that does not answer within another interval is dropped) and the comment line on legacy SSE streams. At most 15 s, below common proxy idle timeouts.',
  },
  RDEV_WS_MAX_BUFFERED_BYTES: {
    schema: int(64 * 1024, 1024 * 1024 * 1024),
    default: '8388608',
    doc: "graphql-ws: bytes that may wait in a connection's send buffer; a client reading slower than that is disconnected (close code 1008) so it cannot grow server memory. It reconnects and resumes with `after`.",
  },
  RDEV_CLAUDE_CONFIG_MAX_BYTES: {
    schema: int(1, 16 * 1024 * 1024),
    default: '262144',
    doc: 'Largest Claude Code command, skill or agent file (UTF-8 bytes) rdev writes or reads; larger writes fail with PAYLOAD_TOO_LARGE. At most 16 MiB; keep it below `RDEV_MAX_BODY_BYTES`.',
  },
  RDEV_CLAUDE_CONFIG_LIST_MAX_BYTES: {
    schema: int(1, 256 * 1024 * 1024),
    default: '4194304',
    doc: 'Most file content one `claudeConfigItems` listing returns; items past it come without content (ask for them by name).',
  },
  RDEV_RATE_LIMIT_WINDOW_SECONDS: {
    schema: int(1, 86_400),
    default: '60',
    doc: 'Length of the sliding rate-limit window.',
  },
  RDEV_RATE_LIMIT_PER_KEY: {
    schema: int(1, 10_000_000),
    default: '1200',
    doc: 'Cost units per window for a key without its own `rateLimit` (a small query costs 1; ten fields more add 1).',
  },
  RDEV_RATE_LIMIT_ANONYMOUS: {
    schema: int(1, 10_000_000),
    default: '300',
    doc: 'Cost units per window per client IP for requests without a key.',
  },
  RDEV_RATE_LIMIT_TIMEOUT_MS: {
    schema: int(10, 10_000),
    default: '250',
    doc: 'How long a rate-limit check may wait for its store before the failure policy applies.',
  },
  RDEV_RATE_LIMIT_FAILURE_POLICY: {
    schema: z.enum(['open', 'closed']),
    default: 'open',
    doc: '`open`: when the rate-limit store fails, requests pass (the database is down anyway for most of them); `closed`: they are refused with 429.',
  },
  RDEV_MAX_SUBSCRIPTIONS_PER_CONNECTION: {
    schema: int(1, 10_000),
    default: '100',
    doc: 'Open subscriptions one graphql-ws connection may hold.',
  },
  RDEV_MAX_SUBSCRIPTIONS_PER_KEY: {
    schema: int(1, 100_000),
    default: '500',
    doc: 'Open subscriptions one API key may hold on one replica, over all transports.',
  },
  RDEV_MAX_SUBSCRIPTIONS_PER_ANONYMOUS_IP: {
    schema: int(1, 100_000),
    default: '10',
    doc: 'Open subscriptions without an API key (only `heartbeat` needs none) one client IP may hold on one replica, over all transports.',
  },
  RDEV_AUDIT_RETENTION_DAYS: {
    schema: int(0, 36_500),
    default: '365',
    doc: 'Audit rows older than this many days are deleted; 0 keeps them for ever. The database refuses to delete a row younger than a day, and never changes one.',
  },
  OTEL_SDK_DISABLED: {
    schema: bool,
    default: 'false',
    doc: 'OpenTelemetry: `true` turns tracing off entirely (trace ids are still generated for logs and `traceparent` is still passed on).',
  },
  OTEL_SERVICE_NAME: {
    schema: z.string().min(1),
    default: 'rdev',
    doc: 'OpenTelemetry: `service.name` of the spans.',
  },
  OTEL_RESOURCE_ATTRIBUTES: {
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: extra resource attributes, `key=value,key=value` (e.g. `deployment.environment.name=prod`).',
  },
  OTEL_TRACES_EXPORTER: {
    schema: z.enum(['otlp', 'none'], {
      message: 'must be "otlp" or "none" (rdev never prints spans to stdout, which carries its JSON logs)',
    }),
    default: 'otlp',
    doc: 'OpenTelemetry: `otlp` sends spans when an endpoint is set; `none` sends nothing.',
  },
  OTEL_EXPORTER_OTLP_ENDPOINT: {
    schema: httpUrl,
    doc: 'OpenTelemetry: base URL of the OTLP/HTTP receiver (e.g. `http://otel-collector:4318`); traces go to `<url>/v1/traces`. Unset (with no traces endpoint): no spans are exported.',
  },
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: {
    schema: httpUrl,
    doc: 'OpenTelemetry: full URL for traces, used as it is; overrides `OTEL_EXPORTER_OTLP_ENDPOINT`.',
  },
  OTEL_EXPORTER_OTLP_PROTOCOL: {
    schema: otlpProtocol,
    default: 'http/protobuf',
    doc: 'OpenTelemetry: OTLP encoding over HTTP, `http/protobuf` or `http/json` (gRPC is not supported).',
  },
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: {
    schema: otlpProtocol,
    doc: 'OpenTelemetry: OTLP encoding for traces; overrides `OTEL_EXPORTER_OTLP_PROTOCOL`.',
  },
  OTEL_EXPORTER_OTLP_HEADERS: {
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: headers sent with every export, `key=value,key=value` (e.g. an authorization token for the collector).',
  },
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: {
    schema: keyValues,
    default: '',
    doc: 'OpenTelemetry: headers for trace exports, added to (and overriding) `OTEL_EXPORTER_OTLP_HEADERS`.',
  },
  OTEL_EXPORTER_OTLP_TIMEOUT: {
    schema: int(1, 600_000),
    default: '10000',
    doc: 'OpenTelemetry: time limit of one export, in milliseconds.',
  },
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: {
    schema: int(1, 600_000),
    doc: 'OpenTelemetry: time limit of one trace export; overrides `OTEL_EXPORTER_OTLP_TIMEOUT`.',
  },
  OTEL_TRACES_SAMPLER: {
    schema: z.enum(SAMPLERS, { message: `must be one of ${SAMPLERS.join(', ')}` }),
    default: 'parentbased_always_on',
    doc: "OpenTelemetry: which traces are recorded. The `parentbased_` samplers follow the caller's `traceparent` decision.",
  },
  OTEL_TRACES_SAMPLER_ARG: {
    schema: z
      .string()
      .regex(/^(0(\.\d+)?|1(\.0+)?)$/, { message: 'must be a number from 0 to 1' })
      .transform(Number),
    default: '1',
    doc: 'OpenTelemetry: share of traces the `traceidratio` samplers record, from 0 to 1.',
  },
  RDEV_TRACE_GRAPHQL_DOCUMENT_BYTES: {
    schema: int(0, 65_536),
    default: '0',
    doc: 'Record the GraphQL document on operation spans (`graphql.document`), cut to this many bytes; 0 records none. Documents can hold inline argument values, so leave it at 0 unless clients pass values as variables.',
  },
} satisfies Record<string, VariableSpec>;

type Vars = typeof CONFIG_VARIABLES;
type Parsed = {
  [K in keyof Vars]: Vars[K] extends { default: string }
    ? z.output<Vars[K]['schema']>
    : z.output<Vars[K]['schema']> | undefined;
};

export interface Config {
  port: number;
  host: string;
  production: boolean;
  database: { kind: 'postgres'; url: string } | { kind: 'pglite'; dataDir: string | null };
  dataDir: string;
  runtime: 'local' | 'kubernetes';
  workspacesDir: string;
  bootstrapAdminKey: string | null;
  namespace: string | null;
  kubeconfigPath: string | null;
  projects: {
    labelPrefix: string;
    configMapName: string;
    projectsFile: string;
    cacheTtlMs: number;
    resyncMs: number;
    localRescanMs: number;
  };
  kubeApi: { timeoutMs: number; breakerFailures: number; breakerOpenMs: number };
  webhookAllowPrivate: boolean;
  webhooks: {
    retryScheduleMs: number[];
    retryJitter: number;
    maxRetryAfterMs: number;
    attemptTimeoutMs: number;
    attemptDeadlineMs: number;
    disableAfterMs: number;
    concurrency: number;
    pollIntervalMs: number;
    retentionSeconds: number;
    worker: boolean;
    /** AES-256 key that seals signing secrets at rest; null stores them in clear. */
    secretKey: Buffer | null;
    /** The key being replaced: secrets sealed with it still open, and are re-sealed at start. */
    previousSecretKey: Buffer | null;
  };
  trustedProxies: string[];
  logLevel: string;
  shutdownGraceMs: number;
  maxBodyBytes: number;
  graphql: {
    maxDepth: number;
    maxAliases: number;
    maxDirectives: number;
    maxTokens: number;
    maxCost: number;
  };
  commands: {
    timeoutDefaultSeconds: number;
    timeoutMaxSeconds: number;
    promptMaxBytes: number;
    queueAgingSeconds: number;
    outputCapBytes: number;
    outputChunkBytes: number;
    leaseMs: number;
    watchdogSeconds: number;
    cancelGraceSeconds: number;
    dispatchIntervalMs: number;
    retentionSeconds: number;
  };
  streams: { keepAliveMs: number; wsMaxBufferedBytes: number };
  claudeConfig: { maxFileBytes: number; listMaxBytes: number };
  rateLimits: {
    windowSeconds: number;
    perKey: number;
    anonymous: number;
    timeoutMs: number;
    failurePolicy: 'open' | 'closed';
    maxSubscriptionsPerConnection: number;
    maxSubscriptionsPerKey: number;
    maxSubscriptionsPerAnonymousIp: number;
  };
  /** OpenTelemetry tracing, from the standard `OTEL_*` variables. */
  tracing: TracingSettings;
  auth: {
    cacheTtlMs: number;
    cacheMaxKeys: number;
    recheckMs: number;
    touchIntervalMs: number;
    rotationGraceSeconds: number;
    rotationGraceMaxSeconds: number;
    failuresPerWindow: number;
  };
  auditRetentionDays: number;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}

/** Settings whose value is the default of a request field that has its own configured maximum. */
const DEFAULTS_WITH_MAXIMUM = [
  ['RDEV_KEY_ROTATION_GRACE_SECONDS', 'RDEV_KEY_ROTATION_GRACE_MAX_SECONDS'],
  ['RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS', 'RDEV_COMMAND_TIMEOUT_MAX_SECONDS'],
] as const;

/** Parses the environment. Collects every problem before failing, so one run shows them all. */
export function loadConfig(
  env: Record<string, string | undefined> = process.env,
  cwd = process.cwd(),
): Config {
  const problems: string[] = [];
  const values: Record<string, unknown> = {};
  for (const [name, spec] of Object.entries(CONFIG_VARIABLES) as [string, VariableSpec][]) {
    const raw = env[name] === '' && spec.default === undefined ? undefined : (env[name] ?? spec.default);
    if (raw === undefined) continue;
    const result = spec.schema.safeParse(raw);
    if (result.success) values[name] = result.data;
    else
      problems.push(
        `${name}=${spec.secret ? '(hidden)' : JSON.stringify(raw)}: ${result.error.issues.map((i) => i.message).join('; ')}`,
      );
  }
  // A default above its maximum would make every request that relies on the default fail, with
  // an error blaming the caller for a value it never sent.
  for (const [name, maxName] of DEFAULTS_WITH_MAXIMUM) {
    const value = values[name] as number | undefined;
    const max = values[maxName] as number | undefined;
    if (value !== undefined && max !== undefined && value > max) {
      problems.push(`${name}=${JSON.stringify(String(value))}: must be at most ${maxName} (${max})`);
    }
  }
  if (values.RDEV_WEBHOOK_SECRET_KEY_PREVIOUS !== undefined && values.RDEV_WEBHOOK_SECRET_KEY === undefined) {
    problems.push(
      'RDEV_WEBHOOK_SECRET_KEY_PREVIOUS=(hidden): is only used next to RDEV_WEBHOOK_SECRET_KEY, the key that replaces it',
    );
  }
  if (problems.length > 0) throw new ConfigError(problems);
  const v = values as Parsed;
  const abs = (p: string) => (isAbsolute(p) ? p : resolve(cwd, p));
  const dataDir = abs(v.RDEV_DATA_DIR);
  const url = v.DATABASE_URL;
  return {
    port: v.PORT,
    host: v.HOST,
    production: v.NODE_ENV === 'production',
    database:
      url === undefined
        ? { kind: 'pglite', dataDir: resolve(dataDir, 'pglite') }
        : url === 'memory://'
          ? { kind: 'pglite', dataDir: null }
          : { kind: 'postgres', url },
    dataDir,
    runtime: v.RDEV_RUNTIME,
    workspacesDir: abs(v.RDEV_WORKSPACES_DIR),
    bootstrapAdminKey: v.RDEV_BOOTSTRAP_ADMIN_KEY ?? null,
    namespace: v.RDEV_NAMESPACE ?? null,
    kubeconfigPath: v.KUBECONFIG ? abs(v.KUBECONFIG) : null,
    projects: {
      labelPrefix: v.RDEV_LABEL_PREFIX,
      configMapName: v.RDEV_PROJECTS_CONFIGMAP,
      projectsFile: v.RDEV_PROJECTS_FILE
        ? abs(v.RDEV_PROJECTS_FILE)
        : resolve(abs(v.RDEV_WORKSPACES_DIR), 'rdev-projects.yaml'),
      cacheTtlMs: v.RDEV_PROJECT_CACHE_TTL_MS,
      resyncMs: v.RDEV_PROJECT_RESYNC_MS,
      localRescanMs: v.RDEV_LOCAL_RESCAN_MS,
    },
    kubeApi: {
      timeoutMs: v.RDEV_KUBE_API_TIMEOUT_MS,
      breakerFailures: v.RDEV_KUBE_BREAKER_FAILURES,
      breakerOpenMs: v.RDEV_KUBE_BREAKER_OPEN_MS,
    },
    webhookAllowPrivate: v.RDEV_WEBHOOK_ALLOW_PRIVATE,
    webhooks: {
      retryScheduleMs: v.RDEV_WEBHOOK_RETRY_SCHEDULE,
      retryJitter: v.RDEV_WEBHOOK_RETRY_JITTER_PERCENT / 100,
      maxRetryAfterMs: v.RDEV_WEBHOOK_MAX_RETRY_AFTER_SECONDS * 1000,
      attemptTimeoutMs: v.RDEV_WEBHOOK_ATTEMPT_TIMEOUT_MS,
      attemptDeadlineMs: v.RDEV_WEBHOOK_ATTEMPT_DEADLINE_MS,
      disableAfterMs: v.RDEV_WEBHOOK_DISABLE_AFTER_HOURS * 3_600_000,
      concurrency: v.RDEV_WEBHOOK_CONCURRENCY,
      pollIntervalMs: v.RDEV_WEBHOOK_POLL_INTERVAL_MS,
      retentionSeconds: v.RDEV_WEBHOOK_RETENTION_SECONDS,
      worker: v.RDEV_WEBHOOK_WORKER,
      secretKey: v.RDEV_WEBHOOK_SECRET_KEY ?? null,
      previousSecretKey: v.RDEV_WEBHOOK_SECRET_KEY_PREVIOUS ?? null,
    },
    trustedProxies: v.RDEV_TRUSTED_PROXIES,
    logLevel: v.RDEV_LOG_LEVEL,
    shutdownGraceMs: v.RDEV_SHUTDOWN_GRACE_MS,
    maxBodyBytes: v.RDEV_MAX_BODY_BYTES,
    graphql: {
      maxDepth: v.RDEV_GRAPHQL_MAX_DEPTH,
      maxAliases: v.RDEV_GRAPHQL_MAX_ALIASES,
      maxDirectives: v.RDEV_GRAPHQL_MAX_DIRECTIVES,
      maxTokens: v.RDEV_GRAPHQL_MAX_TOKENS,
      maxCost: v.RDEV_GRAPHQL_MAX_COST,
    },
    commands: {
      timeoutDefaultSeconds: v.RDEV_COMMAND_TIMEOUT_DEFAULT_SECONDS,
      timeoutMaxSeconds: v.RDEV_COMMAND_TIMEOUT_MAX_SECONDS,
      promptMaxBytes: v.RDEV_PROMPT_MAX_BYTES,
      queueAgingSeconds: v.RDEV_QUEUE_AGING_SECONDS,
      outputCapBytes: v.RDEV_OUTPUT_CAP_BYTES,
      outputChunkBytes: v.RDEV_OUTPUT_CHUNK_BYTES,
      leaseMs: v.RDEV_LEASE_TTL_MS,
      watchdogSeconds: v.RDEV_CLAUDE_WATCHDOG_SECONDS,
      cancelGraceSeconds: v.RDEV_CANCEL_GRACE_SECONDS,
      dispatchIntervalMs: v.RDEV_DISPATCH_INTERVAL_MS,
      retentionSeconds: v.RDEV_OUTPUT_RETENTION_SECONDS,
    },
    streams: { keepAliveMs: v.RDEV_STREAM_KEEPALIVE_MS, wsMaxBufferedBytes: v.RDEV_WS_MAX_BUFFERED_BYTES },
    claudeConfig: {
      maxFileBytes: v.RDEV_CLAUDE_CONFIG_MAX_BYTES,
      listMaxBytes: v.RDEV_CLAUDE_CONFIG_LIST_MAX_BYTES,
    },
    rateLimits: {
      windowSeconds: v.RDEV_RATE_LIMIT_WINDOW_SECONDS,
      perKey: v.RDEV_RATE_LIMIT_PER_KEY,
      anonymous: v.RDEV_RATE_LIMIT_ANONYMOUS,
      timeoutMs: v.RDEV_RATE_LIMIT_TIMEOUT_MS,
      failurePolicy: v.RDEV_RATE_LIMIT_FAILURE_POLICY,
      maxSubscriptionsPerConnection: v.RDEV_MAX_SUBSCRIPTIONS_PER_CONNECTION,
      maxSubscriptionsPerKey: v.RDEV_MAX_SUBSCRIPTIONS_PER_KEY,
      maxSubscriptionsPerAnonymousIp: v.RDEV_MAX_SUBSCRIPTIONS_PER_ANONYMOUS_IP,
    },
    tracing: {
      disabled: v.OTEL_SDK_DISABLED || v.OTEL_TRACES_EXPORTER === 'none',
      endpoint:
        v.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT ??
        (v.OTEL_EXPORTER_OTLP_ENDPOINT
          ? `${v.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`
          : null),
      protocol: v.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ?? v.OTEL_EXPORTER_OTLP_PROTOCOL,
      headers: { ...v.OTEL_EXPORTER_OTLP_HEADERS, ...v.OTEL_EXPORTER_OTLP_TRACES_HEADERS },
      timeoutMs: v.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? v.OTEL_EXPORTER_OTLP_TIMEOUT,
      serviceName: v.OTEL_SERVICE_NAME,
      resourceAttributes: v.OTEL_RESOURCE_ATTRIBUTES,
      sampler: v.OTEL_TRACES_SAMPLER,
      samplerRatio: v.OTEL_TRACES_SAMPLER_ARG,
      graphqlDocumentMaxBytes: v.RDEV_TRACE_GRAPHQL_DOCUMENT_BYTES,
    },
    auth: {
      cacheTtlMs: v.RDEV_AUTH_CACHE_TTL_MS,
      cacheMaxKeys: v.RDEV_AUTH_CACHE_MAX_KEYS,
      recheckMs: v.RDEV_AUTH_RECHECK_MS,
      touchIntervalMs: v.RDEV_KEY_TOUCH_INTERVAL_MS,
      rotationGraceSeconds: v.RDEV_KEY_ROTATION_GRACE_SECONDS,
      rotationGraceMaxSeconds: v.RDEV_KEY_ROTATION_GRACE_MAX_SECONDS,
      failuresPerWindow: v.RDEV_AUTH_FAILURES_PER_WINDOW,
    },
    auditRetentionDays: v.RDEV_AUDIT_RETENTION_DAYS,
  };
}
