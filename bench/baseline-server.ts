/**
 * The raw Node.js SSE baseline: about the least a Node process can do to fan events out to
 * streams. A map from user id to open responses; each published event is serialized once and
 * `res.write`n to every stream of its user. No auth, no database, no GraphQL.
 *
 *   GET  /events?user=<id>   opens a stream (text/event-stream), first a ready event
 *   POST /publish            {"userId": "...", "title": "..."}: one event to each of that user's streams
 *   POST /broadcast          {"title": "..."}: one event to every user with an open stream, each
 *                            with its own id and sequence, as Tidings' createNotifications does
 *
 * Its events have the shape of a Tidings `NotificationCreated` result, so both sides put about the
 * same bytes on the wire. Prints `{"listening": "<url>"}` once it listens.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

const streams = new Map<string, Set<ServerResponse>>();
const sequences = new Map<string, number>();

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://baseline');
  if (req.method === 'GET' && url.pathname === '/events') {
    const userId = url.searchParams.get('user');
    if (!userId) return void res.writeHead(400).end();
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.write(`event: next\ndata: {"data":{"notificationEvents":{"__typename":"NotificationStreamReady"}}}\n\n`);
    const open = streams.get(userId) ?? new Set();
    streams.set(userId, open);
    open.add(res);
    res.on('close', () => {
      open.delete(res);
      if (open.size === 0) streams.delete(userId);
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/publish') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const { userId, title } = JSON.parse(body) as { userId: string; title: string };
      publish(userId, title);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    return;
  }
  if (req.method === 'POST' && url.pathname === '/broadcast') {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (chunk: string) => {
      body += chunk;
    });
    req.on('end', () => {
      const { title } = JSON.parse(body) as { title: string };
      for (const userId of streams.keys()) publish(userId, title);
      res.writeHead(200, { 'content-type': 'application/json' }).end(`{"count":${streams.size}}`);
    });
    return;
  }
  res.writeHead(404).end();
});

/** One event to each stream of `userId`: serialized once, written to each. */
function publish(userId: string, title: string) {
  const seq = (sequences.get(userId) ?? 0) + 1;
  sequences.set(userId, seq);
  const result = {
    data: {
      notificationEvents: {
        __typename: 'NotificationCreated',
        cursor: String(seq),
        unreadCount: seq,
        notification: { id: randomUUID(), title },
      },
    },
    extensions: { cursor: String(seq) },
  };
  const frame = `id: ${seq}\nevent: next\ndata: ${JSON.stringify(result)}\n\n`;
  for (const stream of streams.get(userId) ?? []) stream.write(frame);
}

server.listen(0, '127.0.0.1', () => {
  const { port } = server.address() as AddressInfo;
  process.stdout.write(`${JSON.stringify({ listening: `http://127.0.0.1:${port}` })}\n`);
});
process.on('SIGTERM', () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
