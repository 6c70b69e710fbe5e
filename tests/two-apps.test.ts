import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp, type TestUser } from './helpers/auth.ts';
import { notify } from './helpers/graphql.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { openRawStream, subscribe, type TestSubscription } from './helpers/sse.ts';

// Everything an app runs (streams, their pings and heartbeats, the timers behind them) hangs off
// that app: two apps in one process share nothing, and stopping one leaves the other untouched.

const query = /* GraphQL */ `subscription { notificationEvents { __typename cursor } }`;

/**
 * A stream written by Yoga's own pipeline (sse.ts' writer, pinged by the app's pinger): a body of
 * type application/graphql is one that only Yoga reads.
 */
function openThroughYoga(server: TestServer, user: TestUser) {
  return openRawStream(`${server.url}/graphql`, {
    method: 'POST',
    headers: { ...user.headers, accept: 'text/event-stream', 'content-type': 'application/graphql' },
    body: query,
  });
}

describe('two apps in one process', () => {
  let a: TestServer;
  let b: TestServer;
  const open: TestSubscription[] = [];
  beforeAll(async () => {
    [a, b] = await Promise.all([startServer({ heartbeatMs: 200 }), startServer({ heartbeatMs: 200 })]);
  });
  afterAll(async () => {
    for (const subscription of open) subscription.dispose();
    await Promise.all([a?.dispose(), b?.dispose()]);
  });

  it("keep their own streams, pings and heartbeats: stopping one leaves the other's running, and neither leaves a timer", async () => {
    const [alice, bob] = await Promise.all([signUp(a), signUp(b)]);
    const onA = subscribe(a, alice.headers);
    const onB = subscribe(b, bob.headers);
    open.push(onA, onB);
    await Promise.all([onA.next(), onB.next()]);
    const yogaOnA = await openThroughYoga(a, alice);
    const yogaOnB = await openThroughYoga(b, bob);
    await expect.poll(() => [yogaOnA.events().length, yogaOnB.events().length]).toEqual([1, 1]);

    // Each app pings and beats only its own streams.
    expect([a.app.pings.size, b.app.pings.size]).toEqual([1, 1]);
    expect([a.app.streams.stats().totalConnections, b.app.streams.stats().totalConnections]).toEqual([2, 2]);
    expect([a.app.streams.hasTimer, b.app.streams.hasTimer]).toEqual([true, true]);
    expect([a.app.pings.ticking, b.app.pings.ticking]).toEqual([true, true]);

    await a.stop();
    const stoppedAt = new Date().toISOString();
    await expect(onA.completed).resolves.toBeUndefined();
    expect(a.app.pings.size).toBe(0);
    expect(a.app.pings.ticking).toBe(false);
    expect(a.app.streams.hasTimer).toBe(false);

    // B's streams are alive: they hear heartbeats after A stopped, and B's events.
    expect(b.app.streams.hasTimer).toBe(true);
    expect(b.app.pings.size).toBe(1);
    expect(b.app.pings.ticking).toBe(true);
    await onB.waitFor(
      (event) => event.__typename === 'NotificationStreamHeartbeat' && String(event.at) > stoppedAt,
      3_000,
    );
    await notify(b, bob.headers, { title: 'still here' });
    expect(await onB.waitFor((event) => event.__typename === 'NotificationCreated')).toMatchObject({ cursor: '1' });
    await expect.poll(() => yogaOnB.events().some((block) => block.includes('"NotificationCreated"'))).toBe(true);

    await b.stop();
    expect(b.app.streams.stats().totalConnections).toBe(0);
    expect(b.app.streams.hasTimer).toBe(false);
    expect(b.app.pings.size).toBe(0);
    expect(b.app.pings.ticking).toBe(false);
    yogaOnA.close();
    yogaOnB.close();
  });
});
