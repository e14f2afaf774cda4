/**
 * The shape rules of a webhook URL, checked before any name is resolved. The WHATWG URL parser
 * does the decoding: `http://2130706433/`, `http://0x7f000001/`, `http://0177.0.0.1/` and
 * `http://127.1/` all come out as host `127.0.0.1`, and IPv6 literals in their compressed form,
 * so the address rules see one spelling of each address. The address rules themselves (which
 * ranges are internal) live with the resolver in `adapters/http/`, and run again at connect time.
 */
export const MAX_WEBHOOK_URL_LENGTH = 2048;

/**
 * Names that lead inside: the machine itself, the cluster's service DNS, cloud-internal and
 * link-local (mDNS) zones. A single-label name (`redis`) is refused too: inside a pod the
 * resolver's search path turns it into a cluster service.
 */
const INTERNAL_NAME_SUFFIXES = [
  '.localhost',
  '.svc',
  '.cluster.local',
  '.internal',
  '.local',
  '.localdomain',
  '.home.arpa',
];

export interface WebhookTarget {
  url: URL;
  /** The host to resolve or connect to, without IPv6 brackets or a trailing dot. */
  host: string;
  /** The address, when the URL names one instead of a host name. */
  ipLiteral: string | null;
}

export type WebhookUrlCheck = { ok: true; target: WebhookTarget } | { ok: false; message: string };

const IPV4_LITERAL = /^\d{1,3}(\.\d{1,3}){3}$/;

/**
 * Checks the parts of a URL that need no network: scheme, credentials, and host names that are
 * internal by name. `allowPrivate` (development, tests) lets internal names through; the address
 * rules decide about what they resolve to.
 */
export function checkWebhookUrl(raw: string, options: { allowPrivate: boolean }): WebhookUrlCheck {
  if (raw.length > MAX_WEBHOOK_URL_LENGTH) {
    return { ok: false, message: `must be at most ${MAX_WEBHOOK_URL_LENGTH} characters` };
  }
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return { ok: false, message: 'is not a valid absolute URL' };
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    return { ok: false, message: `must use http or https, not ${url.protocol.replace(/:$/, '')}` };
  }
  if (url.username !== '' || url.password !== '') {
    return {
      ok: false,
      message:
        'must not contain credentials: rdev signs every delivery, so the receiver can verify it instead',
    };
  }
  const bracketed = url.hostname.startsWith('[');
  const host = (bracketed ? url.hostname.slice(1, -1) : url.hostname).replace(/\.$/, '').toLowerCase();
  if (host === '') return { ok: false, message: 'must name a host' };
  const ipLiteral = bracketed || IPV4_LITERAL.test(host) ? host : null;
  if (ipLiteral === null && !options.allowPrivate) {
    if (host === 'localhost' || INTERNAL_NAME_SUFFIXES.some((suffix) => host.endsWith(suffix))) {
      return { ok: false, message: `must not point at an internal host name (${host})` };
    }
    if (!host.includes('.')) {
      return { ok: false, message: `must use a fully qualified host name, not "${host}"` };
    }
  }
  return { ok: true, target: { url, host, ipLiteral } };
}
