import { createECDH } from 'node:crypto';
import { builder } from './builder.ts';
import { type Context, requireViewer, type Viewer } from './context.ts';
import { badUserInput, forbidden } from './errors.ts';
import { checkText } from './validation.ts';

/**
 * Web push subscriptions: a signed-in browser registers the subscription its push service gave it
 * (PushSubscription.toJSON(): endpoint, keys.p256dh, keys.auth), and new notifications reach it
 * while none of its user's tabs is open (server/realtime/web-push.ts). Subscriptions belong to a
 * browser, so only a session registers or removes them, for its own user: API keys (a service's,
 * or a user's own) are refused with FORBIDDEN.
 */

/** The most subscriptions one user keeps: registering one more replaces the one registered longest ago. */
export const maxPushSubscriptionsPerUser = 20;

const PushSubscriptionInput = builder.inputType('PushSubscriptionInput', {
  description: "A browser's push subscription, as PushSubscription.toJSON() gives it.",
  fields: (t) => ({
    endpoint: t.string({
      required: true,
      description: 'The push service URL: https://, at most 2,048 characters, at a public address.',
    }),
    p256dh: t.string({
      required: true,
      description: "keys.p256dh: the browser's P-256 public key, base64url (65 bytes, uncompressed).",
    }),
    auth: t.string({ required: true, description: "keys.auth: the browser's auth secret, base64url (16 bytes)." }),
  }),
});

builder.queryField('webPushPublicKey', (t) =>
  t.string({
    description:
      "The server's VAPID public key, base64url: pass it as applicationServerKey to pushManager.subscribe().",
    resolve: (_root, _args, ctx) => {
      requireViewer(ctx);
      return ctx.push.publicKey;
    },
  }),
);

builder.mutationFields((t) => ({
  registerPushSubscription: t.boolean({
    description: `Registers this browser's push subscription for the signed-in user (sessions only). Registering an endpoint again updates its keys and moves it to this user; a user keeps at most ${maxPushSubscriptionsPerUser}, the one registered longest ago making way.`,
    args: { input: t.arg({ type: PushSubscriptionInput, required: true }) },
    resolve: async (_root, { input }, ctx) => {
      const viewer = sessionViewer(ctx);
      for (const field of ['endpoint', 'p256dh', 'auth'] as const) checkText(field, input[field]);
      checkKey('p256dh', input.p256dh, 65);
      checkKey('auth', input.auth, 16);
      const refused = await ctx.push.checkEndpoint(input.endpoint);
      if (refused) throw badUserInput('endpoint', refused);
      await ctx.push.subscriptions.register(viewer.userId, input, maxPushSubscriptionsPerUser);
      return true;
    },
  }),
  unregisterPushSubscription: t.boolean({
    description:
      "Removes the signed-in user's push subscription with this endpoint (sessions only); false when they have none.",
    args: { endpoint: t.arg.string({ required: true }) },
    resolve: (_root, { endpoint }, ctx) => {
      const viewer = sessionViewer(ctx);
      checkText('endpoint', endpoint);
      if (endpoint.length > 2_048) throw badUserInput('endpoint', 'must be at most 2,048 characters.');
      return ctx.push.subscriptions.unregister(viewer.userId, endpoint);
    },
  }),
}));

/** The viewer, when signed in with a session: push subscriptions belong to browsers, not to API keys. */
function sessionViewer(ctx: Context): Viewer {
  const viewer = requireViewer(ctx);
  if (viewer.credential.kind !== 'session') {
    throw forbidden(
      'Push subscriptions belong to a browser: register and remove them from a signed-in session, not with an API key.',
    );
  }
  return viewer;
}

/** A base64url key of exactly `size` bytes; p256dh must also be a point on P-256. */
function checkKey(field: 'p256dh' | 'auth', value: string, size: number) {
  const bytes =
    value.length <= 128 && /^[A-Za-z0-9_-]+={0,2}$/.test(value)
      ? Buffer.from(value.replace(/=+$/, ''), 'base64url')
      : null;
  if (!bytes || bytes.length !== size) {
    throw badUserInput(
      field,
      field === 'p256dh'
        ? 'must be an uncompressed P-256 public key in base64url (65 bytes).'
        : 'must be a 16-byte secret in base64url.',
    );
  }
  if (field === 'p256dh' && !onCurve(bytes)) {
    throw badUserInput(field, 'must be a point on the P-256 curve (an uncompressed public key, 65 bytes).');
  }
}

function onCurve(point: Buffer): boolean {
  if (point[0] !== 4) return false;
  try {
    const ecdh = createECDH('prime256v1');
    ecdh.generateKeys();
    ecdh.computeSecret(point);
    return true;
  } catch {
    return false;
  }
}
