import type { LookupAddress, LookupAllOptions, LookupOneOptions } from 'node:dns';
import { isIP, type Socket } from 'node:net';
import { buildConnector } from 'undici';
import type { HostResolver } from '../../ports/webhook-target-guard.js';
import { BlockedAddressError } from './blocked-address-error.js';
import type { WebhookAddressPolicy } from './webhook-address-policy.js';

type LookupCallback = (
  error: NodeJS.ErrnoException | null,
  address: string | LookupAddress[],
  family?: number,
) => void;

/**
 * An undici connector that only dials allowed addresses. Host names go through `lookup`, the
 * resolver the socket itself connects with, which refuses a name if any address it resolves to
 * is internal: a name that pointed somewhere public when the webhook was saved and now points
 * at 127.0.0.1 (DNS rebinding) fails here. Literal addresses skip `lookup` in Node, so they are
 * checked before dialling; and the peer address of the connected socket is checked once more.
 */
export function guardedConnector(options: {
  policy: WebhookAddressPolicy;
  resolve: HostResolver;
  connectTimeoutMs: number;
}): buildConnector.connector {
  const { policy, resolve } = options;

  const lookup = (
    hostname: string,
    lookupOptions: LookupOneOptions | LookupAllOptions,
    callback: LookupCallback,
  ) => {
    resolve(hostname).then(
      (found) => {
        const wanted = lookupOptions.family === 4 || lookupOptions.family === 6 ? lookupOptions.family : 0;
        const addresses = found.filter((a) => wanted === 0 || a.family === wanted);
        if (addresses.length === 0) {
          const error: NodeJS.ErrnoException = new Error(`${hostname} does not resolve`);
          error.code = 'ENOTFOUND';
          callback(error, '');
          return;
        }
        for (const { address } of addresses) {
          const verdict = policy.check(address);
          if (!verdict.allowed) {
            callback(new BlockedAddressError(hostname, address, verdict.reason), '');
            return;
          }
        }
        if ('all' in lookupOptions && lookupOptions.all) callback(null, addresses);
        else callback(null, addresses[0]!.address, addresses[0]!.family);
      },
      (error: NodeJS.ErrnoException) => callback(error, ''),
    );
  };

  const connect = buildConnector({ timeout: options.connectTimeoutMs, lookup: lookup as never });

  return (connectOptions, callback) => {
    const host = connectOptions.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host)) {
      const verdict = policy.check(host);
      if (!verdict.allowed) {
        callback(new BlockedAddressError(host, host, verdict.reason), null);
        return;
      }
    }
    connect(connectOptions, (error, socket) => {
      if (error) {
        callback(error, null);
        return;
      }
      const peer = (socket as Socket).remoteAddress;
      const verdict = peer ? policy.check(peer) : null;
      if (!verdict?.allowed) {
        socket!.destroy();
        callback(
          new BlockedAddressError(host, peer ?? 'an unknown address', verdict?.reason ?? 'not known'),
          null,
        );
        return;
      }
      callback(null, socket!);
    });
  };
}
