import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { signUp } from './helpers/auth.ts';
import { startServer, type TestServer } from './helpers/server.ts';
import { type SseMode, subscribe } from './helpers/sse.ts';

let server: TestServer;
beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => server?.dispose());

const query = /* GraphQL */ `
  subscription($after: String) {
    notificationEvents(after: $after) {
      __typename
      cursor
      ... on NotificationStreamReady { replayed }
      ... on NotificationDeleted { notificationId }
    }
  }
`;

describe('a replay of large events', () => {
  it.each<SseMode>(['distinct', 'single'])(
    'reaches a client that reads (%s mode), however much one page of the log holds',
    async (mode) => {
      const dana = await signUp(server);
      const total = 600;
      // About 8 KB each: one page of the log (500 events) is about 4 MB, four times the default
      // TIDINGS_STREAM_MAX_BUFFER_BYTES.
      const padding = 'x'.repeat(8 * 1024);
      await server.app.db.prisma.userEvent.createMany({
        data: Array.from({ length: total }, (_, i) => ({
          userId: dana.id,
          seq: i + 1,
          type: 'NotificationDeleted',
          payload: {
            type: 'NotificationDeleted',
            cursor: String(i + 1),
            unreadCount: 0,
            notificationId: `${i + 1}-${padding}`,
          },
        })),
      });
      await server.app.db.prisma.user.update({ where: { id: dana.id }, data: { lastEventSeq: total } });

      const stream = subscribe(server, dana.headers, mode, query, { after: '' });
      const ready = await stream.waitFor((event) => event.__typename === 'NotificationStreamReady', 30_000);
      expect(ready).toMatchObject({ replayed: total, cursor: String(total) });
      expect(server.logs.filter((line) => line.msg === 'slow consumer disconnected')).toEqual([]);
      stream.dispose();
    },
  );
});
