import { z } from 'zod';
import { isWellFormedKeyText } from '../domain/api-key-text.js';
import { int } from './parsers.js';
import { variable } from './variable.js';

/** API keys, GraphQL limits, rate limits and audit retention. */
export const ACCESS_VARIABLES = {
  RDEV_BOOTSTRAP_ADMIN_KEY: variable({
    field: 'bootstrapAdminKey',
    // Checked here, before anything starts, since the key is stored only once the server listens.
    schema: z
      .string()
      .refine(isWellFormedKeyText, 'is not a well-formed rdev key (generate one with `rdev keys generate`)'),
    doc: 'On a database with no keys, store this key text as the first admin key instead of generating and printing one.',
  }),
  RDEV_BOOTSTRAP_KEY_FILE: variable({
    field: 'bootstrapKeyFile',
    schema: z.string().min(1),
    doc: 'Where the generated first admin key is written (mode 0600) on the first start of an empty database. Unset: the key is printed only when stdout is a terminal; otherwise (containers, pod logs) it is not printed at all and the start-up message says how to get one.',
    as: (file, { path }) => path(file),
  }),
  RDEV_AUTH_CACHE_TTL_MS: variable({
    field: 'auth.cacheTtlMs',
    schema: int(0, 30_000),
    default: '10000',
    doc: 'How long a looked-up API key is trusted before the database is asked again: revocation and expiry reach every replica within this time.',
  }),
  RDEV_AUTH_CACHE_MAX_KEYS: variable({
    field: 'auth.cacheMaxKeys',
    schema: int(1, 1_000_000),
    default: '10000',
    doc: 'Most API keys kept in the authentication cache.',
  }),
  RDEV_AUTH_RECHECK_MS: variable({
    field: 'auth.recheckMs',
    schema: int(500, 30_000),
    default: '5000',
    doc: "How often every open stream is checked against its key's current state (revocation, expiry, scopes, projects, IP allow-list); changes made through the API reach the streams at once.",
  }),
  RDEV_AUTH_FAILURES_PER_WINDOW: variable({
    field: 'auth.failuresPerWindow',
    schema: int(1, 1_000_000),
    default: '30',
    doc: 'Failed authentications allowed per rate-limit window from one client IP, and with one key prefix; past it, requests carrying a key from that IP (or with that prefix) get 429 RATE_LIMITED without a lookup until the window moves on.',
  }),
  RDEV_KEY_TOUCH_INTERVAL_MS: variable({
    field: 'auth.touchIntervalMs',
    schema: int(1000, 3_600_000),
    default: '60000',
    doc: "Least time between two writes of a key's `lastUsedAt`.",
  }),
  RDEV_KEY_ROTATION_GRACE_SECONDS: variable({
    field: 'auth.rotationGraceSeconds',
    schema: int(0, 31_536_000),
    default: '86400',
    doc: 'How long the old secret keeps working after `rotateApiKey` when the caller asks for no period; at most `RDEV_KEY_ROTATION_GRACE_MAX_SECONDS`.',
  }),
  RDEV_KEY_ROTATION_GRACE_MAX_SECONDS: variable({
    field: 'auth.rotationGraceMaxSeconds',
    schema: int(0, 31_536_000),
    default: '604800',
    doc: 'Longest grace period `rotateApiKey` accepts.',
  }),
  RDEV_GRAPHQL_MAX_DEPTH: variable({
    field: 'graphql.maxDepth',
    schema: int(1, 100),
    default: '12',
    doc: 'graphql-armor: deepest selection allowed.',
  }),
  RDEV_GRAPHQL_MAX_ALIASES: variable({
    field: 'graphql.maxAliases',
    schema: int(1, 1000),
    default: '30',
    doc: 'graphql-armor: aliases per operation.',
  }),
  RDEV_GRAPHQL_MAX_DIRECTIVES: variable({
    field: 'graphql.maxDirectives',
    schema: int(1, 1000),
    default: '50',
    doc: 'graphql-armor: directives per operation.',
  }),
  RDEV_GRAPHQL_MAX_TOKENS: variable({
    field: 'graphql.maxTokens',
    schema: int(10, 100_000),
    default: '2000',
    doc: 'graphql-armor: tokens per document.',
  }),
  RDEV_GRAPHQL_MAX_COST: variable({
    field: 'graphql.maxCost',
    schema: int(1, 1_000_000),
    default: '5000',
    doc: 'Estimated cost per operation: a leaf 1, an object 2 plus its children, a list times the items it returns. Checked on the document, and again when it runs with its variables, where a connection without `first` counts its default page size (20), `Command.output` 100 and `nodes` one per id. The default admits a full page of 100 of any list with its fields, and a page of 40 webhook deliveries with their attempts, and refuses the output of every listed command at once.',
  }),
  RDEV_GRAPHQL_MAX_OUTPUT_BYTES: variable({
    field: 'graphql.maxOutputBytes',
    schema: int(65_536, 1_073_741_824),
    default: '4194304',
    doc: 'Most bytes of command output (`Command.output` event data) one GraphQL response may carry, over all its fields and aliases; past it the field fails with `RESPONSE_TOO_LARGE`, and the client pages with `first` and `after`.',
  }),
  RDEV_RATE_LIMIT_WINDOW_SECONDS: variable({
    field: 'rateLimits.windowSeconds',
    schema: int(1, 86_400),
    default: '60',
    doc: 'Length of the sliding rate-limit window.',
  }),
  RDEV_RATE_LIMIT_PER_KEY: variable({
    field: 'rateLimits.perKey',
    schema: int(1, 10_000_000),
    default: '1200',
    doc: 'Cost units per window for a key without its own `rateLimit` (a small query costs 1; ten fields more add 1).',
  }),
  RDEV_RATE_LIMIT_ANONYMOUS: variable({
    field: 'rateLimits.anonymous',
    schema: int(1, 10_000_000),
    default: '300',
    doc: 'Cost units per window per client IP for requests without a key.',
  }),
  RDEV_RATE_LIMIT_TIMEOUT_MS: variable({
    field: 'rateLimits.timeoutMs',
    schema: int(10, 10_000),
    default: '250',
    doc: 'How long a rate-limit check may wait for its store before the failure policy applies.',
  }),
  RDEV_RATE_LIMIT_FAILURE_POLICY: variable({
    field: 'rateLimits.failurePolicy',
    schema: z.enum(['open', 'closed']),
    default: 'open',
    doc: '`open`: when the rate-limit store fails, requests pass (the database is down anyway for most of them); `closed`: they are refused with 429.',
  }),
  RDEV_MAX_SUBSCRIPTIONS_PER_CONNECTION: variable({
    field: 'rateLimits.maxSubscriptionsPerConnection',
    schema: int(1, 10_000),
    default: '100',
    doc: 'Open subscriptions one graphql-ws connection may hold.',
  }),
  RDEV_MAX_SUBSCRIPTIONS_PER_KEY: variable({
    field: 'rateLimits.maxSubscriptionsPerKey',
    schema: int(1, 100_000),
    default: '500',
    doc: 'Open subscriptions one API key may hold on one replica, over all transports.',
  }),
  RDEV_MAX_SUBSCRIPTIONS_PER_ANONYMOUS_IP: variable({
    field: 'rateLimits.maxSubscriptionsPerAnonymousIp',
    schema: int(1, 100_000),
    default: '10',
    doc: 'Open subscriptions without an API key (only `heartbeat` needs none) one client IP may hold on one replica, over all transports.',
  }),
  RDEV_AUDIT_RETENTION_DAYS: variable({
    field: 'auditRetentionDays',
    schema: int(0, 36_500),
    default: '365',
    doc: 'Audit rows older than this many days are deleted; 0 keeps them for ever. The database refuses to delete a row younger than a day, and never changes one.',
  }),
};
