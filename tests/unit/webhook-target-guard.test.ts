import { describe, expect, it } from 'vitest';
import { DnsWebhookTargetGuard } from '../../src/adapters/http/dns-webhook-target-guard.js';
import { WebhookAddressPolicy } from '../../src/adapters/http/webhook-address-policy.js';
import type { HostResolver } from '../../src/ports/webhook-target-guard.js';

const dns: Record<string, string[]> = {
  'hooks.example.com': ['93.184.216.34'],
  'v6.example.com': ['2606:4700::1111'],
  'sneaky.example.com': ['93.184.216.34', '10.0.0.7'],
  'metadata.example.com': ['169.254.169.254'],
  'mapped.example.com': ['::ffff:127.0.0.1'],
  localhost: ['127.0.0.1', '::1'],
};
const resolve: HostResolver = async (host) => {
  const found = dns[host];
  if (!found) throw Object.assign(new Error(`getaddrinfo ENOTFOUND ${host}`), { code: 'ENOTFOUND' });
  return found.map((address) => ({ address, family: address.includes(':') ? 6 : 4 }));
};
const guard = (allowPrivate = false) =>
  new DnsWebhookTargetGuard({ policy: new WebhookAddressPolicy(allowPrivate), resolve, allowPrivate });

describe('webhook target guard', () => {
  it('accepts public http and https targets', async () => {
    for (const url of [
      'https://hooks.example.com/rdev',
      'http://hooks.example.com:8080/x?y=1',
      'https://v6.example.com/',
      'https://93.184.216.34/',
      'https://[2606:4700::1111]/hook',
    ]) {
      expect(await guard().check(url), url).toBeNull();
    }
  });

  const internal = [
    // loopback in every spelling the URL parser and inet_aton accept
    'http://127.0.0.1/',
    'http://127.1/',
    'http://2130706433/',
    'http://0x7f000001/',
    'http://0x7f.1/',
    'http://0177.0.0.1/',
    'http://0177.0000.0000.0001/',
    'http://%31%32%37.0.0.1/',
    'http://127.0.0.1.:8080/',
    'http://[::1]/',
    'http://[0:0:0:0:0:0:0:1]/',
    'http://[::ffff:127.0.0.1]/',
    'http://[::ffff:7f00:1]/',
    'http://[::127.0.0.1]/',
    'http://[64:ff9b::127.0.0.1]/',
    // unspecified, private, link-local (metadata), CGNAT, multicast, broadcast, reserved
    'http://0/',
    'http://0.0.0.0/',
    'http://[::]/',
    'http://10.0.0.1/',
    'http://172.16.5.4/',
    'http://192.168.1.1/',
    'http://169.254.169.254/latest/meta-data/',
    'http://0xa9fea9fe/',
    'http://2852039166/',
    'http://[fe80::1]/',
    'http://[fd00::1]/',
    'http://100.64.0.1/',
    'http://224.0.0.1/',
    'http://255.255.255.255/',
    'http://240.0.0.1/',
    'http://192.0.2.1/',
    'http://[2001:db8::1]/',
    'http://[ff02::1]/',
    // names that lead inside, or resolve there
    'http://localhost/',
    'http://LOCALHOST./',
    'http://api.localhost/',
    'http://kubernetes.default.svc/',
    'http://kubernetes.default.svc.cluster.local/',
    'http://metadata.google.internal/',
    'http://printer.local/',
    'http://redis:6379/',
    'http://sneaky.example.com/',
    'http://metadata.example.com/',
    'http://mapped.example.com/',
  ];

  it.each(internal)('refuses %s', async (url) => {
    expect(await guard().check(url)).toMatch(/must (not point at|use a fully qualified)/);
  });

  it('refuses other schemes, credentials, unparsable and unresolvable URLs', async () => {
    expect(await guard().check('ftp://hooks.example.com/')).toMatch(/http or https/);
    expect(await guard().check('file:///etc/passwd')).toMatch(/http or https/);
    expect(await guard().check('gopher://hooks.example.com/')).toMatch(/http or https/);
    expect(await guard().check('https://user:pw@hooks.example.com/')).toMatch(/credentials/);
    expect(await guard().check('https://user@hooks.example.com/')).toMatch(/credentials/);
    expect(await guard().check('not a url')).toMatch(/valid absolute URL/);
    expect(await guard().check('https://nowhere.example.com/')).toMatch(/does not resolve/);
    expect(await guard().check(`https://hooks.example.com/${'a'.repeat(3000)}`)).toMatch(/at most/);
  });

  it('says why, naming the address a name resolves to', async () => {
    expect(await guard().check('http://sneaky.example.com/')).toBe(
      'must not point at a private network address: sneaky.example.com resolves to 10.0.0.7',
    );
    expect(await guard().check('http://0xa9fea9fe/')).toBe(
      'must not point at a link-local address (where cloud metadata services live) (169.254.169.254)',
    );
  });

  it('lets loopback and private receivers through when development allows them, never link-local', async () => {
    const dev = guard(true);
    for (const url of [
      'http://127.0.0.1:4000/',
      'http://localhost/',
      'http://[::1]/',
      'http://10.1.2.3/',
      'http://[::ffff:127.0.0.1]/',
    ]) {
      expect(await dev.check(url), url).toBeNull();
    }
    expect(await dev.check('http://169.254.169.254/')).toMatch(/link-local/);
    expect(await dev.check('http://0.0.0.0/')).toMatch(/unspecified/);
    expect(await dev.check('http://100.64.0.1/')).toMatch(/carrier-grade/);
  });
});

describe('webhook address policy', () => {
  it('classifies literals in any inet_aton spelling', () => {
    const policy = new WebhookAddressPolicy(false);
    for (const address of ['2130706433', '0x7f000001', '0177.0.0.1', '127.1', '::ffff:127.0.0.1', '[::1]']) {
      expect(policy.check(address), address).toMatchObject({ allowed: false });
    }
    expect(policy.check('not an address')).toMatchObject({ allowed: false, range: 'invalid' });
    expect(policy.check('8.8.8.8')).toEqual({ allowed: true, range: 'unicast', reason: '' });
  });
});
