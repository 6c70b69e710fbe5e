import { createHmac, randomBytes, timingSafeEqual } from 'node:crypto';

/**
 * Tokens for graphql-sse's single-connection mode, bound to the user who reserved the stream:
 * `<random>.<HMAC(random, userId)>`. Stateless, so nothing is kept per reservation.
 */
export function createStreamTokens(secret: string) {
  const sign = (nonce: string, userId: string) =>
    createHmac('sha256', secret).update(`stream-token:${nonce}:${userId}`).digest('base64url');
  return {
    issue(userId: string): string {
      const nonce = randomBytes(18).toString('base64url');
      return `${nonce}.${sign(nonce, userId)}`;
    },
    belongsTo(token: string, userId: string): boolean {
      const [nonce, mac, extra] = token.split('.');
      if (!nonce || !mac || extra !== undefined) return false;
      const expected = Buffer.from(sign(nonce, userId));
      const given = Buffer.from(mac);
      return given.length === expected.length && timingSafeEqual(given, expected);
    },
  };
}
