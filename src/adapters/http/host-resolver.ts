import { lookup } from 'node:dns/promises';
import type { HostResolver } from '../../ports/webhook-target-guard.js';

/** The system resolver (what `getaddrinfo` answers), every address of the name. */
export const systemHostResolver: HostResolver = async (host) => {
  const addresses = await lookup(host, { all: true, verbatim: true });
  return addresses.map((a) => ({ address: a.address, family: a.family === 6 ? 6 : 4 }));
};
