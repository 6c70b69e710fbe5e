import { execFileSync } from 'node:child_process';
import { createDecipheriv, createECDH, createPublicKey, type ECDH, hkdfSync, randomBytes, verify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/**
 * A push service of the test's own: an HTTPS server on 127.0.0.1 with a self-signed certificate
 * made for it (openssl), that records every push it is sent and answers each with the status the
 * test asks for (201 by default). Tests give the server `pushCa: service.certificate` and
 * `pushAllowPrivateEndpoints: true`, so its push agent trusts this and only this extra
 * certificate and may reach loopback.
 */
export interface PushService {
  /** Base URL, e.g. https://localhost:41234 (the certificate names localhost and 127.0.0.1). */
  url: string;
  /** The certificate's PEM, for the server's `pushCa`. */
  certificate: string;
  received: ReceivedPush[];
  /** The statuses the next pushes to `path` are answered with, in order (then 201). */
  answer(path: string, ...responses: PushAnswer[]): void;
  /** Waits for `count` pushes in all; fails after `timeoutMs`. */
  waitFor(count: number, timeoutMs?: number): Promise<ReceivedPush[]>;
  close(): Promise<void>;
}

export type PushAnswer = number | { status: number; headers: Record<string, string> };

export interface ReceivedPush {
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  status: number;
}

export async function startPushService(host: 'localhost' | '127.0.0.1' = 'localhost'): Promise<PushService> {
  const dir = mkdtempSync(path.join(tmpdir(), 'tidings-push-'));
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      path.join(dir, 'key.pem'),
      '-out',
      path.join(dir, 'cert.pem'),
      '-days',
      '1',
      '-subj',
      '/CN=localhost',
      '-addext',
      'subjectAltName=DNS:localhost,IP:127.0.0.1',
    ],
    { stdio: 'ignore' },
  );
  const certificate = readFileSync(path.join(dir, 'cert.pem'), 'utf8');
  const key = readFileSync(path.join(dir, 'key.pem'), 'utf8');
  rmSync(dir, { recursive: true, force: true });

  const received: ReceivedPush[] = [];
  const answers = new Map<string, PushAnswer[]>();
  const waiters = new Set<() => void>();
  const server: Server = createServer({ cert: certificate, key }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const url = req.url ?? '/';
      const next = answers.get(url)?.shift() ?? 201;
      const { status, headers } = typeof next === 'number' ? { status: next, headers: {} } : next;
      received.push({ path: url, headers: req.headers, body: Buffer.concat(chunks), status });
      res.writeHead(status, headers).end();
      for (const wake of waiters) wake();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `https://${host}:${port}`,
    certificate,
    received,
    answer(path, ...responses) {
      answers.set(path, [...(answers.get(path) ?? []), ...responses]);
    },
    waitFor(count, timeoutMs = 10_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          if (received.length < count) return;
          clearTimeout(timer);
          waiters.delete(check);
          resolve(received.slice(0, count));
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`expected ${count} pushes, got ${received.length} within ${timeoutMs} ms`));
        }, timeoutMs);
        waiters.add(check);
        check();
      });
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a browser keeps of its push subscription: a P-256 key pair and a 16-byte auth secret. */
export interface BrowserSubscription {
  endpoint: string;
  /** As PushSubscription.toJSON() gives them: base64url. */
  p256dh: string;
  auth: string;
  ecdh: ECDH;
  authSecret: Buffer;
}

/** Subscribes as a browser would: a fresh key pair and auth secret for `endpoint`. */
export function browserSubscription(endpoint: string): BrowserSubscription {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  const authSecret = randomBytes(16);
  return {
    endpoint,
    p256dh: ecdh.getPublicKey().toString('base64url'),
    auth: authSecret.toString('base64url'),
    ecdh,
    authSecret,
  };
}

/** The registerPushSubscription input of a browser subscription. */
export function inputOf(subscription: BrowserSubscription) {
  return { endpoint: subscription.endpoint, p256dh: subscription.p256dh, auth: subscription.auth };
}

/**
 * Decrypts an `aes128gcm` push body as the browser does (RFC 8291 over RFC 8188): the header
 * carries the salt, the record size and the server's one-time public key; ECDH with the browser's
 * key and HKDF with its auth secret give the content key and nonce.
 */
export function decryptPush(subscription: BrowserSubscription, body: Buffer): string {
  const salt = body.subarray(0, 16);
  const recordSize = body.readUInt32BE(16);
  const keyIdLength = body[20] as number;
  const serverPublicKey = body.subarray(21, 21 + keyIdLength);
  const ciphertext = body.subarray(21 + keyIdLength);
  if (ciphertext.length > recordSize) throw new Error('more than one record: a push is one');
  const ecdhSecret = subscription.ecdh.computeSecret(serverPublicKey);
  const keyInfo = Buffer.concat([Buffer.from('WebPush: info\0'), subscription.ecdh.getPublicKey(), serverPublicKey]);
  const ikm = Buffer.from(hkdfSync('sha256', ecdhSecret, subscription.authSecret, keyInfo, 32));
  const contentKey = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: aes128gcm\0'), 16));
  const nonce = Buffer.from(hkdfSync('sha256', ikm, salt, Buffer.from('Content-Encoding: nonce\0'), 12));
  const decipher = createDecipheriv('aes-128-gcm', contentKey, nonce);
  decipher.setAuthTag(ciphertext.subarray(ciphertext.length - 16));
  const padded = Buffer.concat([decipher.update(ciphertext.subarray(0, ciphertext.length - 16)), decipher.final()]);
  // The last record ends with the delimiter 2, then any padding of zeros.
  let end = padded.length - 1;
  while (end >= 0 && padded[end] === 0) end--;
  if (padded[end] !== 2) throw new Error('no last-record delimiter');
  return padded.subarray(0, end).toString('utf8');
}

/**
 * Checks a push's VAPID Authorization header (RFC 8292: `vapid t=<JWT>, k=<public key>`): the key
 * is `publicKey`, the JWT is signed ES256 by it, its audience is `audience`, and it has not
 * expired. Returns the JWT's claims.
 */
export function verifyVapid(
  authorization: string | undefined,
  publicKey: string,
  audience: string,
): { aud: string; exp: number; sub: string } {
  const match = /^vapid t=([^,\s]+), k=([A-Za-z0-9_-]+)$/.exec(authorization ?? '');
  if (!match) throw new Error(`not a VAPID Authorization header: ${authorization}`);
  const [, token = '', key = ''] = match;
  if (key !== publicKey) throw new Error('the header carries another public key');
  const [header = '', claims = '', signature = ''] = token.split('.');
  const point = Buffer.from(publicKey, 'base64url');
  const jwk = {
    kty: 'EC',
    crv: 'P-256',
    x: point.subarray(1, 33).toString('base64url'),
    y: point.subarray(33, 65).toString('base64url'),
  };
  const valid = verify(
    'sha256',
    Buffer.from(`${header}.${claims}`),
    { key: createPublicKey({ key: jwk, format: 'jwk' }), dsaEncoding: 'ieee-p1363' },
    Buffer.from(signature, 'base64url'),
  );
  if (!valid) throw new Error('the JWT signature does not verify');
  const alg = (JSON.parse(Buffer.from(header, 'base64url').toString()) as { alg: string }).alg;
  if (alg !== 'ES256') throw new Error(`JWT alg ${alg}`);
  const parsed = JSON.parse(Buffer.from(claims, 'base64url').toString()) as { aud: string; exp: number; sub: string };
  if (parsed.aud !== audience) throw new Error(`JWT aud ${parsed.aud}, expected ${audience}`);
  if (parsed.exp * 1000 <= Date.now()) throw new Error('JWT expired');
  return parsed;
}
