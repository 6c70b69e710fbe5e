/**
 * The load generator: its own process (the orchestrator in run.ts talks to it over IPC), so the
 * server under test and the clients do not share a CPU core. It opens the streams, sends the
 * mutations (or the baseline's publishes), and timestamps everything on one clock: a latency is
 * the time from just before a request is written to the arrival of its event at every stream of
 * the recipient.
 */
import { readFileSync } from 'node:fs';
import { Agent, type ClientRequest, type IncomingMessage, request } from 'node:http';
import { performance } from 'node:perf_hooks';
import { type LatencySummary, summarize } from './stats.ts';

export type TargetKind = 'tidings' | 'baseline';

export interface BenchUser {
  id: string;
  /** Tidings: the session cookie both of the user's tabs send. */
  cookie?: string;
}

export type Command =
  | { type: 'setup'; target: TargetKind; url: string; apiKey?: string; serverPid: number; users: BenchUser[] }
  | { type: 'open'; streamsPerUser: number; concurrency: number }
  | { type: 'steady'; rate: number; seconds: number }
  | { type: 'saturate'; callers: number; seconds: number }
  | { type: 'broadcast'; rate: number; seconds: number; everySeconds: number }
  | { type: 'close' };

export interface OpenResult {
  type: 'opened';
  ms: number;
  /** Server CPU spent opening, per stream, ms. */
  serverCpuMsPerStream: number;
  open: number;
  errors: number;
}

export interface PhaseResult {
  type: 'phase';
  /** Requests that answered 200 without errors: each should reach every stream of its user. */
  sent: number;
  requestErrors: number;
  /** Seconds the sending lasted. */
  seconds: number;
  /** Events that reached every stream of their user within the window, per second. */
  userEventsPerSecond: number;
  /** Single-stream deliveries within the window, per second. */
  deliveriesPerSecond: number;
  /** Request start to arrival at the last of the user's streams, ms. */
  latency: LatencySummary;
  /** Events a stream should have received and did not (after waiting for stragglers). */
  lost: number;
  /** Events that arrived with a cursor other than the previous one + 1. */
  outOfOrder: number;
  /** Streams that ended or failed during the phase. */
  streamsDropped: number;
  /** Server CPU over the window, as a fraction of one core; and per fully delivered user event, µs. */
  serverCpu: number;
  serverCpuMicrosPerUserEvent: number;
  /** This process' CPU over the window, as a fraction of one core. */
  generatorCpu: number;
}

/** The broadcast phase: one event to every user every few seconds while user events flow at a steady rate. */
export interface BroadcastResult {
  type: 'broadcast';
  /** Broadcasts answered without errors, and those that failed. */
  broadcasts: number;
  broadcastErrors: number;
  /** Users the server said each broadcast reached (Tidings: createNotifications' count). */
  recipients: number;
  /** Per broadcast: request start to its arrival at the last open stream, ms. */
  delivery: LatencySummary;
  /** Per broadcast: request start to the server's answer, ms. */
  answered: LatencySummary;
  /** Broadcast events a stream should have received and did not. */
  lost: number;
  /** The user events sent meanwhile. */
  userEvents: PhaseResult;
}

export type Reply =
  | OpenResult
  | PhaseResult
  | BroadcastResult
  | { type: 'closed' }
  | { type: 'error'; message: string };

export interface Progress {
  type: 'progress';
  open: number;
  delivered: number;
  sent: number;
}

interface UserState {
  id: string;
  cookie: string | undefined;
  streams: StreamState[];
  /** Events sent to this user (successful requests, plus those in flight) in this phase. */
  expected: number;
}

interface StreamState {
  user: UserState;
  request: ClientRequest | undefined;
  response: IncomingMessage | undefined;
  ready: boolean;
  ended: boolean;
  lastSeq: number;
  received: number;
  /** Broadcast events received in this phase. */
  broadcasts: number;
  buffer: string;
}

interface Pending {
  start: number;
  remaining: number;
}

const subscription = /* GraphQL */ `subscription { notificationEvents { __typename cursor unreadCount ... on NotificationCreated { notification { id title } } } }`;
const mutation = /* GraphQL */ `mutation ($r: ID!, $t: String!) { createNotification(input: { recipientId: $r, title: $t }) { id } }`;
const broadcastMutation = /* GraphQL */ `mutation ($t: String!) { createNotifications(input: { allUsers: true, title: $t }) { count } }`;
const clockTicks = 100; // USER_HZ on Linux

let target: TargetKind = 'tidings';
let baseUrl = new URL('http://127.0.0.1');
let apiKey = '';
let serverPid = 0;
let users: UserState[] = [];
let streams: StreamState[] = [];
let ready = 0;
let openErrors = 0;
let dropped = 0;
let delivered = 0;
let nextMarker = 0;
let sentTotal = 0;
let onReady: (() => void) | undefined;
const pending = new Map<number, Pending>();
let latencies: number[] = [];
let recording = false;
const agent = new Agent({ keepAlive: true, maxSockets: 256 });

function send(message: Reply | Progress) {
  process.send?.(message);
}

process.on('message', (command: Command) => {
  handle(command).then(
    (reply) => send(reply),
    (error: unknown) =>
      send({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));

const progressTimer = setInterval(() => send({ type: 'progress', open: ready, delivered, sent: sentTotal }), 500);
progressTimer.unref();

async function handle(command: Command): Promise<Reply> {
  switch (command.type) {
    case 'setup':
      target = command.target;
      baseUrl = new URL(command.url);
      apiKey = command.apiKey ?? '';
      serverPid = command.serverPid;
      users = command.users.map((user) => ({ id: user.id, cookie: user.cookie, streams: [], expected: 0 }));
      streams = [];
      ready = 0;
      openErrors = 0;
      dropped = 0;
      delivered = 0;
      return { type: 'closed' };
    case 'open':
      return openAll(command.streamsPerUser, command.concurrency);
    case 'steady':
      return steady(command.rate, command.seconds);
    case 'saturate':
      return saturate(command.callers, command.seconds);
    case 'broadcast':
      return broadcastPhase(command.rate, command.seconds, command.everySeconds);
    case 'close':
      for (const stream of streams) {
        stream.ended = true;
        stream.request?.destroy();
      }
      streams = [];
      users = [];
      ready = 0;
      return { type: 'closed' };
  }
}

/** Opens `perUser` streams for every user, at most `concurrency` opening at once; resolves when all are ready. */
async function openAll(perUser: number, concurrency: number): Promise<OpenResult> {
  const start = performance.now();
  const serverTicks = serverCpuTicks();
  const queue: StreamState[] = [];
  for (let tab = 0; tab < perUser; tab++) {
    for (const user of users) {
      const stream: StreamState = {
        user,
        request: undefined,
        response: undefined,
        ready: false,
        ended: false,
        lastSeq: 0,
        received: 0,
        broadcasts: 0,
        buffer: '',
      };
      user.streams.push(stream);
      streams.push(stream);
      queue.push(stream);
    }
  }
  let opening = 0;
  await new Promise<void>((resolve) => {
    const settle = () => {
      while (opening < concurrency && queue.length > 0) {
        opening++;
        openStream(queue.shift() as StreamState);
      }
      if (opening === 0 && queue.length === 0) resolve();
    };
    onReady = () => {
      opening--;
      settle();
    };
    settle();
  });
  onReady = undefined;
  const serverMs = ((serverCpuTicks() - serverTicks) / clockTicks) * 1000;
  return {
    type: 'opened',
    ms: Math.round(performance.now() - start),
    serverCpuMsPerStream: round(serverMs / Math.max(1, streams.length)),
    open: ready,
    errors: openErrors,
  };
}

function openStream(stream: StreamState) {
  const headers: Record<string, string> = { accept: 'text/event-stream' };
  let body: string | undefined;
  let path: string;
  if (target === 'tidings') {
    path = '/graphql';
    body = JSON.stringify({ query: subscription });
    headers['content-type'] = 'application/json';
    headers.cookie = stream.user.cookie ?? '';
  } else {
    path = `/events?user=${encodeURIComponent(stream.user.id)}`;
  }
  // One connection per stream, as browser tabs on different origins or HTTP/1.1 EventSources have.
  const req = request({
    host: baseUrl.hostname,
    port: baseUrl.port,
    path,
    method: body ? 'POST' : 'GET',
    headers,
    agent: false,
  });
  stream.request = req;
  let settled = false;
  const fail = () => {
    if (!stream.ready && !settled) {
      settled = true;
      openErrors++;
      onReady?.();
    } else if (!stream.ended) {
      dropped++;
    }
    stream.ended = true;
  };
  req.on('error', fail);
  req.on('response', (response) => {
    stream.response = response;
    if (response.statusCode !== 200) {
      response.resume();
      fail();
      return;
    }
    response.setEncoding('utf8');
    response.on('data', (chunk: string) => {
      const now = performance.now();
      stream.buffer += chunk;
      let end = stream.buffer.indexOf('\n\n');
      while (end !== -1) {
        const block = stream.buffer.slice(0, end);
        stream.buffer = stream.buffer.slice(end + 2);
        onBlock(stream, block, now);
        if (stream.ready && !settled) {
          settled = true;
          ready++;
          onReady?.();
        }
        end = stream.buffer.indexOf('\n\n');
      }
    });
    response.on('end', fail);
    response.on('error', fail);
  });
  req.end(body);
}

/** Checks a benchmark event's cursor against the stream's last: each user's events come in order, without gaps. */
function inOrder(stream: StreamState, block: string) {
  if (!block.startsWith('id: ')) return;
  const seq = Number.parseInt(block.slice(4), 10);
  if (seq !== stream.lastSeq + 1) outOfOrder++;
  stream.lastSeq = seq;
}

/** One SSE event: the stream's Ready, a marked benchmark event (b: one user's, c: a broadcast), a heartbeat or a comment. */
function onBlock(stream: StreamState, block: string, now: number) {
  if (block.startsWith(':')) return;
  const broadcast = block.indexOf('"title":"c');
  if (broadcast !== -1) {
    inOrder(stream, block);
    stream.broadcasts++;
    delivered++;
    const k = Number.parseInt(block.slice(broadcast + 10), 10);
    const entry = broadcastsPending.get(k);
    if (entry && --entry.remaining === 0) {
      broadcastsPending.delete(k);
      broadcastDeliveries.push(now - entry.start);
    }
    return;
  }
  const marker = block.indexOf('"title":"b');
  if (marker !== -1) {
    const k = Number.parseInt(block.slice(marker + 10), 10);
    inOrder(stream, block);
    stream.received++;
    delivered++;
    if (recording) windowDeliveries++;
    const entry = pending.get(k);
    if (entry && --entry.remaining === 0) {
      pending.delete(k);
      latencies.push(now - entry.start);
      if (recording) windowFullyDelivered++;
    }
    return;
  }
  if (!stream.ready && block.includes('NotificationStreamReady')) {
    const cursor = /"cursor":"(\d*)"/.exec(block)?.[1];
    stream.lastSeq = cursor ? Number(cursor) : 0;
    stream.ready = true;
  } else if (block.includes('event: complete')) {
    if (!stream.ended) dropped++;
    stream.ended = true;
  }
}

let outOfOrder = 0;
let windowDeliveries = 0;
let windowFullyDelivered = 0;
let requestErrors = 0;
let inFlight = 0;
let userCursor = 0;

/** Sends one event to the next user, round robin; resolves when the request has answered. */
function publishNext(): Promise<void> {
  const user = users[userCursor++ % users.length] as UserState;
  const k = nextMarker++;
  const title = `b${k}`;
  const body =
    target === 'tidings'
      ? JSON.stringify({ query: mutation, variables: { r: user.id, t: title } })
      : JSON.stringify({ userId: user.id, title });
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target === 'tidings') headers['x-api-key'] = apiKey;
  user.expected++;
  inFlight++;
  sentTotal++;
  pending.set(k, { start: performance.now(), remaining: user.streams.length });
  return new Promise((resolve) => {
    const failed = () => {
      requestErrors++;
      user.expected--;
      pending.delete(k);
    };
    const req = request(
      {
        host: baseUrl.hostname,
        port: baseUrl.port,
        path: target === 'tidings' ? '/graphql' : '/publish',
        method: 'POST',
        headers,
        agent,
      },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => {
          if (response.statusCode !== 200 || text.includes('"errors"')) {
            if (requestErrors < 3)
              process.stderr.write(`request failed: ${response.statusCode} ${text.slice(0, 300)}\n`);
            failed();
          }
          inFlight--;
          resolve();
        });
      },
    );
    req.on('error', (error) => {
      if (requestErrors < 3) process.stderr.write(`request failed: ${error.message}\n`);
      failed();
      inFlight--;
      resolve();
    });
    req.end(body);
  });
}

interface Window {
  start: number;
  serverTicks: number;
  cpu: NodeJS.CpuUsage;
}

function beginPhase(): Window {
  for (const user of users) user.expected = 0;
  for (const stream of streams) stream.received = 0;
  latencies = [];
  pending.clear();
  outOfOrder = 0;
  requestErrors = 0;
  windowDeliveries = 0;
  windowFullyDelivered = 0;
  dropped = 0;
  recording = true;
  return { start: performance.now(), serverTicks: serverCpuTicks(), cpu: process.cpuUsage() };
}

async function endPhase(window: Window, sent: number): Promise<PhaseResult> {
  recording = false;
  const seconds = (performance.now() - window.start) / 1000;
  const serverSeconds = (serverCpuTicks() - window.serverTicks) / clockTicks;
  const cpu = process.cpuUsage(window.cpu);
  const deliveriesInWindow = windowDeliveries;
  const fullyInWindow = windowFullyDelivered;
  // Wait for requests in flight and for stragglers, up to 15 s.
  const deadline = performance.now() + 15_000;
  while ((inFlight > 0 || pending.size > 0) && performance.now() < deadline) await sleep(20);
  let lost = 0;
  for (const stream of streams) lost += Math.max(0, stream.user.expected - stream.received);
  return {
    type: 'phase',
    sent: sent - requestErrors,
    requestErrors,
    seconds: round(seconds),
    userEventsPerSecond: Math.round(fullyInWindow / seconds),
    deliveriesPerSecond: Math.round(deliveriesInWindow / seconds),
    latency: summarize(latencies),
    lost,
    outOfOrder,
    streamsDropped: dropped,
    serverCpu: round(serverSeconds / seconds),
    serverCpuMicrosPerUserEvent: fullyInWindow ? Math.round((serverSeconds * 1e6) / fullyInWindow) : 0,
    generatorCpu: round((cpu.user + cpu.system) / 1e6 / seconds),
  };
}

/**
 * Open loop: `rate` events a second, whatever the server's answers, for `seconds`. `onTick` is
 * called with the time since the window began at each tick of the sending loop (the broadcast phase).
 */
async function steady(
  rate: number,
  seconds: number,
  onTick?: (elapsedMs: number) => void,
  window = beginPhase(),
): Promise<PhaseResult> {
  let sent = 0;
  const total = Math.round(rate * seconds);
  await new Promise<void>((resolve) => {
    const timer = setInterval(() => {
      onTick?.(performance.now() - window.start);
      const due = Math.min(total, Math.floor(((performance.now() - window.start) / 1000) * rate));
      while (sent < due) {
        sent++;
        void publishNext();
      }
      if (sent >= total) {
        clearInterval(timer);
        resolve();
      }
    }, 1);
  });
  // The window ends when the last request has been sent and the events are in.
  while (inFlight > 0 || pending.size > 0) {
    if (performance.now() - window.start > seconds * 1000 + 10_000) break;
    await sleep(5);
  }
  return endPhase(window, sent);
}

const broadcastsPending = new Map<number, Pending>();
let broadcastDeliveries: number[] = [];
let nextBroadcast = 0;

/**
 * The broadcast phase: user events at `rate` a second for `seconds`, and one broadcast to every
 * user at the start and every `everySeconds` (Tidings: `createNotifications(allUsers: true)` with
 * the API key; the baseline: POST /broadcast). Each broadcast is timed from just before its request
 * to its arrival at the last open stream.
 */
async function broadcastPhase(rate: number, seconds: number, everySeconds: number): Promise<BroadcastResult> {
  const window = beginPhase();
  broadcastsPending.clear();
  broadcastDeliveries = [];
  for (const stream of streams) stream.broadcasts = 0;
  const answers: number[] = [];
  const requests: Promise<void>[] = [];
  let started = 0;
  let answered = 0;
  let failed = 0;
  let recipients = 0;
  const total = Math.max(1, Math.ceil(seconds / everySeconds));
  const broadcastNext = async () => {
    const k = nextBroadcast++;
    const start = performance.now();
    broadcastsPending.set(k, { start, remaining: streams.filter((s) => s.ready && !s.ended).length });
    const tidings = target === 'tidings';
    const { status, text } = await post(
      tidings ? '/graphql' : '/broadcast',
      JSON.stringify(tidings ? { query: broadcastMutation, variables: { t: `c${k}` } } : { title: `c${k}` }),
    );
    const count = Number(/"count":(\d+)/.exec(text)?.[1] ?? Number.NaN);
    if (status !== 200 || text.includes('"errors"') || !Number.isFinite(count)) {
      process.stderr.write(`broadcast failed: ${status} ${text.slice(0, 300)}\n`);
      broadcastsPending.delete(k);
      failed++;
      return;
    }
    answers.push(performance.now() - start);
    recipients = count;
    answered++;
  };
  const userEvents = await steady(
    rate,
    seconds,
    (elapsed) => {
      while (started < total && elapsed >= started * everySeconds * 1000) {
        started++;
        requests.push(broadcastNext());
      }
    },
    window,
  );
  await Promise.all(requests);
  const deadline = performance.now() + 15_000;
  while (broadcastsPending.size > 0 && performance.now() < deadline) await sleep(20);
  let lost = 0;
  for (const stream of streams) if (!stream.ended) lost += Math.max(0, answered - stream.broadcasts);
  return {
    type: 'broadcast',
    broadcasts: answered,
    broadcastErrors: failed,
    recipients,
    delivery: summarize(broadcastDeliveries),
    answered: summarize(answers),
    lost,
    userEvents,
  };
}

/** POSTs `body` to the target (with the API key for Tidings) and reads the whole answer. */
function post(path: string, body: string): Promise<{ status: number; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json' };
  if (target === 'tidings') headers['x-api-key'] = apiKey;
  return new Promise((resolve) => {
    const req = request(
      { host: baseUrl.hostname, port: baseUrl.port, path, method: 'POST', headers, agent },
      (response) => {
        let text = '';
        response.setEncoding('utf8');
        response.on('data', (chunk: string) => {
          text += chunk;
        });
        response.on('end', () => resolve({ status: response.statusCode ?? 0, text }));
      },
    );
    req.on('error', (error) => resolve({ status: 0, text: error.message }));
    req.end(body);
  });
}

/** Closed loop: `callers` concurrent senders, each sending its next event as soon as the last is answered. */
async function saturate(callers: number, seconds: number): Promise<PhaseResult> {
  const window = beginPhase();
  const until = window.start + seconds * 1000;
  let sent = 0;
  await Promise.all(
    Array.from({ length: callers }, async () => {
      while (performance.now() < until) {
        sent++;
        await publishNext();
      }
    }),
  );
  return endPhase(window, sent);
}

function serverCpuTicks(): number {
  try {
    // Fields after the command name (which is in parentheses and may hold spaces): utime is the 14th field.
    const stat = readFileSync(`/proc/${serverPid}/stat`, 'utf8');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return Number(fields[11]) + Number(fields[12]);
  } catch {
    return 0;
  }
}

function sleep(ms: number) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function round(value: number) {
  return Math.round(value * 100) / 100;
}
