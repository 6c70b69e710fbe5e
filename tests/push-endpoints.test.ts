import type { LookupAddress } from 'node:dns';
import { describe, expect, it } from 'vitest';
import {
  checkPushEndpoint,
  isPublicAddress,
  literalHostAllowed,
  PrivateAddressError,
  publicOnlyLookup,
} from '../server/realtime/push-endpoints.ts';

// Where web push may send (server/realtime/push-endpoints.ts): every address form a push
// endpoint could smuggle an internal address in, and the lookup connections use.

describe('isPublicAddress', () => {
  const notPublic = [
    // IPv4: unspecified, private, shared (CGNAT), loopback, link-local, reserved, test nets, multicast, broadcast
    '0.0.0.0',
    '0.1.2.3',
    '10.0.0.1',
    '10.255.255.255',
    '100.64.0.1',
    '100.127.255.254',
    '127.0.0.1',
    '127.255.255.254',
    '169.254.169.254',
    '172.16.0.1',
    '172.31.255.255',
    '192.0.0.8',
    '192.0.2.1',
    '192.88.99.1',
    '192.168.1.1',
    '198.18.0.1',
    '198.19.255.255',
    '198.51.100.7',
    '203.0.113.9',
    '224.0.0.1',
    '239.255.255.250',
    '240.0.0.1',
    '255.255.255.255',
    // IPv6: unspecified, loopback, IPv4-compatible, discard, link-local (with a zone), site-local, unique-local, multicast
    '::',
    '::1',
    '[::1]',
    '0:0:0:0:0:0:0:1',
    '::127.0.0.1',
    '::8.8.8.8',
    '100::1',
    'fe80::1',
    'fe80::1%eth0',
    'febf::1',
    'fec0::1',
    'fc00::1',
    'fd12:3456:789a::1',
    'ff02::1',
    'ff05::2',
    // IPv4 inside IPv6: mapped (both spellings), NAT64, 6to4
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::FFFF:10.0.0.1',
    '::ffff:169.254.169.254',
    '0:0:0:0:0:ffff:192.168.0.1',
    '64:ff9b::127.0.0.1',
    '64:ff9b::a00:1',
    '64:ff9b:1::1',
    '2002:7f00:1::1',
    '2002:c0a8:101::1',
    // Special blocks inside 2000::/3: Teredo and other IETF assignments, documentation
    '2001::1',
    '2001:2::1',
    '2001:db8::1',
    '3fff::1',
    // Not addresses at all
    'localhost',
    '',
    '1.2.3',
    '1.2.3.4.5',
    '::ffff:1.2.3.4.5',
  ];
  const isPublic = [
    '8.8.8.8',
    '1.1.1.1',
    '100.63.255.255',
    '100.128.0.1',
    '172.15.255.255',
    '172.32.0.1',
    '192.0.1.1',
    '192.169.0.1',
    '198.20.0.1',
    '223.255.255.255',
    '2606:4700:4700::1111',
    '2a00:1450:4001:80e::200a',
    '[2606:4700:4700::1111]',
    '::ffff:8.8.8.8',
    '::ffff:808:808',
    '64:ff9b::8.8.8.8',
    '2002:808:808::1',
    '2001:4860:4860::8888',
  ];
  it.each(notPublic)('%s is not public', (address) => expect(isPublicAddress(address)).toBe(false));
  it.each(isPublic)('%s is public', (address) => expect(isPublicAddress(address)).toBe(true));
});

describe('checkPushEndpoint', () => {
  const strict = { allowPrivate: false };
  it('takes an https URL at a public address', async () => {
    expect(await checkPushEndpoint('https://8.8.8.8/push/abc', strict)).toBeNull();
    expect(await checkPushEndpoint('https://[2606:4700:4700::1111]/push', strict)).toBeNull();
  });

  it('refuses what is not https, carries credentials, or is too long, with or without the test flag', async () => {
    for (const allowPrivate of [false, true]) {
      expect(await checkPushEndpoint('http://8.8.8.8/push', { allowPrivate })).toMatch(/https/);
      expect(await checkPushEndpoint('wss://8.8.8.8/push', { allowPrivate })).toMatch(/https/);
      expect(await checkPushEndpoint('/push', { allowPrivate })).toMatch(/absolute/);
      expect(await checkPushEndpoint('https://user:pw@8.8.8.8/push', { allowPrivate })).toMatch(/password/);
      expect(await checkPushEndpoint(`https://8.8.8.8/${'x'.repeat(2_048)}`, { allowPrivate })).toMatch(/2048/);
    }
  });

  it('refuses private hosts, written as addresses in any form or as names that resolve to them', async () => {
    for (const host of [
      '127.0.0.1',
      '[::1]',
      '[::ffff:127.0.0.1]',
      '[::ffff:7f00:1]',
      '0x7f000001',
      '2130706433',
      '0177.0.0.1',
      '127.1',
      '10.0.0.1',
      '169.254.169.254',
      '[fe80::1]',
      '[fd00::1]',
      'localhost',
    ]) {
      expect(await checkPushEndpoint(`https://${host}/push`, strict), host).toMatch(/private|resolved/);
    }
    expect(await checkPushEndpoint('https://no-such-host.invalid/push', strict)).toMatch(/could not be resolved/);
  });

  it('lets the test flag reach loopback, still over https only', async () => {
    expect(await checkPushEndpoint('https://localhost:8443/push', { allowPrivate: true })).toBeNull();
    expect(await checkPushEndpoint('https://127.0.0.1/push', { allowPrivate: true })).toBeNull();
    expect(await checkPushEndpoint('http://127.0.0.1/push', { allowPrivate: true })).toMatch(/https/);
  });
});

describe('the lookup push connections use', () => {
  const lookup = (host: string, all: boolean) =>
    new Promise<{ error: NodeJS.ErrnoException | null; address: string | LookupAddress[] }>((resolve) =>
      publicOnlyLookup(host, { all }, (error, address) => resolve({ error, address })),
    );

  it('fails a host that resolves to a private address, whichever form of answer is asked for', async () => {
    for (const all of [false, true]) {
      const { error } = await lookup('localhost', all);
      expect(error).toBeInstanceOf(PrivateAddressError);
    }
  });

  it('passes a lookup failure on', async () => {
    const { error } = await lookup('no-such-host.invalid', false);
    expect(error?.code).toMatch(/ENOTFOUND|EAI_AGAIN/);
  });

  it('checks literal addresses, which Node connects to without a lookup', () => {
    expect(literalHostAllowed('https://127.0.0.1:8443/push', false)).toBe(false);
    expect(literalHostAllowed('https://[::ffff:10.0.0.1]/push', false)).toBe(false);
    expect(literalHostAllowed('https://8.8.8.8/push', false)).toBe(true);
    expect(literalHostAllowed('https://push.example.com/push', false)).toBe(true);
    expect(literalHostAllowed('https://127.0.0.1/push', true)).toBe(true);
  });
});
