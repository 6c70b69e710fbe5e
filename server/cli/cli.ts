// server/cli owns `npx tidings …`: serve, migrate, users, API keys and notify. It builds what it
// needs from config, auth and store, or goes through a running server's GraphQL API; it never
// imports http.
import { parseArgs } from 'node:util';
import type { Auth } from '../auth/auth.ts';
import { usersWhoCanSignIn } from '../auth/credentials.ts';
import { allScopes, parseScopes, permissionsOf, type Scope, serviceUserEmail } from '../auth/scopes.ts';
import { type Config, ConfigError, loadConfig, minPasswordLength } from '../config.ts';
import { checkTopic, validNotification } from '../schema/validation.ts';
import type { Database, PrismaClient as Db } from '../store/db.ts';

// The heavy modules (Prisma, Better Auth, the schema) are imported by the commands that need
// them, so `tidings help` and usage errors answer at once.

const usage = `Usage: tidings <command> [options]

Commands:
  serve                                   start the server (PORT, HOST, DATABASE_URL, …)
  migrate                                 apply the database migrations and exit
  user create --email E --password P --name N [--admin]
                                          create a user who can sign in (--admin: may notify anyone)
  api-key create --name N [--user <email or id>] [--expires-in-days D]
                 [--permissions notify:any,stats:read]
                                          create an API key for a service; it belongs to --user, or
                                          to the built-in service user, and acts as that user with
                                          these permissions (default: both; none for a plain key);
                                          the key is the last line
  notify --to <email or user id> | --topic T | --all  --title T [--body B] [--url U] [--kind K]
                                          send a notification to one user, to everyone following a
                                          topic, or to every user who can sign in; through the running
                                          server when one answers at TIDINGS_URL (default
                                          http://localhost:PORT), so open streams see it at once,
                                          else straight to the database
  help                                    show this text

The database is DATABASE_URL (default file:./data/tidings.db), as for the server.
`;

/** A mistake in the command line: usage is printed and the exit code is 2. */
class UsageError extends Error {}

function subcommandError(command: string, sub: string | undefined) {
  return new UsageError(
    sub === undefined || sub.startsWith('-')
      ? `${command} needs a subcommand: create.`
      : `Unknown command "${command} ${sub}": ${command} has one subcommand, create.`,
  );
}

/** The built-in owner of API keys made without --user. It has no password: no one signs in as it. */
export { serviceUserEmail } from '../auth/scopes.ts';

export async function runCli(argv: string[]): Promise<number> {
  const [command, sub, ...rest] = argv;
  try {
    switch (command) {
      case 'serve':
        await (await import('../main.ts')).serve();
        return 0;
      case 'migrate':
        return await withConfig(async (config) => {
          const { migrate } = await import('../store/migrate.ts');
          const { applied, total } = await migrate(config.databaseUrl);
          print(
            applied.length
              ? `Applied ${applied.join(', ')}.`
              : `Up to date (${total} ${total === 1 ? 'migration' : 'migrations'}).`,
          );
          return 0;
        });
      case 'user':
        if (sub !== 'create') throw subcommandError('user', sub);
        return await createUser(rest);
      case 'api-key':
        if (sub !== 'create') throw subcommandError('api-key', sub);
        return await createApiKey(rest);
      case 'notify':
        return await notify([sub, ...rest].filter((arg): arg is string => arg !== undefined));
      case 'help':
      case '--help':
      case '-h':
        process.stdout.write(usage);
        return 0;
      case undefined:
        throw new UsageError('No command given.');
      default:
        throw new UsageError(`Unknown command "${command}".`);
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`tidings: ${error.message}\n\n${usage}`);
      return 2;
    }
    if (error instanceof ConfigError) {
      process.stderr.write(`tidings: ${error.message}\n`);
      return 1;
    }
    process.stderr.write(`tidings: ${messageOf(error)}\n`);
    return 1;
  }
}

async function createUser(args: string[]) {
  const { values } = parse(args, {
    ...stringFlags('email', 'password', 'name'),
    admin: { type: 'boolean', default: false },
  });
  const email = required(values.email, '--email');
  const password = required(values.password, '--password');
  const name = required(values.name, '--name');
  if (password.length < minPasswordLength) {
    throw new Error(`--password must be at least ${minPasswordLength} characters long.`);
  }
  return withServices(async ({ auth, db }) => {
    const { user } = await auth.api.signUpEmail({ body: { email, password, name } });
    if (values.admin) await db.user.update({ where: { id: user.id }, data: { role: 'admin' } });
    print(`Created ${values.admin ? 'admin' : 'user'} ${email} with id ${user.id}`);
    return 0;
  });
}

async function createApiKey(args: string[]) {
  const { values } = parse(args, stringFlags('name', 'user', 'expires-in-days', 'permissions'));
  const name = required(values.name, '--name');
  const scopes = values.permissions === undefined ? [...allScopes] : scopesFlag(values.permissions);
  const days = values['expires-in-days'] === undefined ? undefined : Number(values['expires-in-days']);
  if (days !== undefined && !(Number.isInteger(days) && days >= 1 && days <= 3650)) {
    throw new UsageError('--expires-in-days must be a whole number from 1 to 3650.');
  }
  return withServices(async ({ auth, db }) => {
    const owner = values.user ? await findUser(db, values.user) : await serviceUser(db);
    const created = await auth.api.createApiKey({
      body: {
        name,
        userId: owner.id,
        ...(days ? { expiresIn: days * 86_400 } : {}),
        ...(scopes.length ? { permissions: permissionsOf(scopes) } : {}),
      },
    });
    print(`Created API key "${name}" (id ${created.id}) for ${owner.email}.`);
    print(
      scopes.length
        ? `Permissions: ${scopes.join(', ')} (besides acting as ${owner.email}).`
        : `Permissions: none (it acts as ${owner.email} only).`,
    );
    print('Send it as the x-api-key header. It is shown only this once:');
    print(created.key);
    return 0;
  });
}

async function notify(args: string[]) {
  const { values } = parse(args, {
    ...stringFlags('to', 'topic', 'title', 'body', 'url', 'kind'),
    all: { type: 'boolean', default: false },
  });
  const targets = [values.to !== undefined && '--to', values.topic !== undefined && '--topic', values.all && '--all'];
  const named = targets.filter((target): target is string => target !== false);
  if (named.length !== 1) {
    throw new UsageError(
      `notify needs exactly one of --to, --topic or --all${named.length > 1 ? ` (got ${named.join(' and ')})` : ''}.`,
    );
  }
  const title = required(values.title, '--title');
  const content = { title, body: values.body, url: values.url, kind: values.kind };
  if (values.topic !== undefined) checkTopic(values.topic, '--topic');
  // Checked before anything is opened, so a mistake is reported at once (the recipient is found below).
  const checked = validNotification({ ...content, recipientId: '' });
  return withServices(async ({ auth, db, database, config }) => {
    const recipient = values.to === undefined ? null : await findUser(db, values.to);
    const serverUrl = process.env.TIDINGS_URL || `http://localhost:${config.port}`;
    const through = await answers(serverUrl);
    const send = async (): Promise<string> => {
      if (through) {
        return recipient
          ? `Sent notification ${await notifyThroughServer(serverUrl, auth, db, { ...checked, recipientId: recipient.id })} to ${recipient.email} through ${serverUrl}`
          : sentToMany(await broadcastThroughServer(serverUrl, auth, db, checked, values.topic), serverUrl);
      }
      const { createNotificationService } = await import('../store/notifications.ts');
      const { createNotificationPubSub } = await import('../realtime/pubsub.ts');
      const { createMetrics } = await import('../metrics.ts');
      const { createLogger } = await import('../log.ts');
      const pubsub = createNotificationPubSub({ log: createLogger('warn'), metrics: createMetrics() });
      const service = createNotificationService(database, pubsub, { criticalKinds: config.criticalKinds });
      if (recipient) {
        const notification = await service.create({ ...checked, recipientId: recipient.id });
        return `Stored notification ${notification.id} for ${recipient.email} (no server answered at ${serverUrl}).`;
      }
      const { createTopics } = await import('../store/topics.ts');
      const recipients =
        values.topic !== undefined
          ? await createTopics(database).members(values.topic)
          : await usersWhoCanSignIn(database);
      const { recipientId: _, ...rest } = checked;
      return `${sentToMany(await service.createMany(rest, recipients), null)} (no server answered at ${serverUrl}).`;
    };
    print(await send());
    return 0;
  });
}

function sentToMany(
  { batchId, count, skipped }: { batchId: string; count: number; skipped: number },
  serverUrl: string | null,
) {
  const muted = skipped > 0 ? `; ${skipped} muted its kind and got it in their archive` : '';
  return `${serverUrl ? 'Sent' : 'Stored'} batch ${batchId}: ${count} recipient${count === 1 ? '' : 's'}${muted}${serverUrl ? ` through ${serverUrl}` : ''}`;
}

/** Sends one notification through the running server; its id. */
async function notifyThroughServer(serverUrl: string, auth: Auth, db: Db, input: ReturnType<typeof validNotification>) {
  const data = await throughServer<{ createNotification: { id: string } }>(
    serverUrl,
    auth,
    db,
    /* GraphQL */ `mutation Notify($input: CreateNotificationInput!) { createNotification(input: $input) { id } }`,
    { input },
  );
  return data.createNotification.id;
}

/** Sends one notification to a topic's followers (or everyone) through the running server. */
async function broadcastThroughServer(
  serverUrl: string,
  auth: Auth,
  db: Db,
  { recipientId: _, ...content }: ReturnType<typeof validNotification>,
  topic: string | undefined,
) {
  const data = await throughServer<{ createNotifications: { batchId: string; count: number; skipped: number } }>(
    serverUrl,
    auth,
    db,
    /* GraphQL */ `mutation Broadcast($input: CreateNotificationsInput!) { createNotifications(input: $input) { batchId count skipped } }`,
    { input: { ...content, ...(topic === undefined ? { allUsers: true } : { topic }) } },
  );
  return data.createNotifications;
}

/**
 * Runs a mutation on the running server, so its open streams see the event now: with an API key
 * of the service user made for this one call and deleted after it.
 */
async function throughServer<T>(
  serverUrl: string,
  auth: Auth,
  db: Db,
  query: string,
  variables: Record<string, unknown>,
): Promise<T> {
  const owner = await serviceUser(db);
  const key = await auth.api.createApiKey({
    body: {
      name: 'tidings notify (one use)',
      userId: owner.id,
      expiresIn: 86_400,
      permissions: permissionsOf(['notify:any']),
    },
  });
  try {
    const response = await fetch(new URL('/graphql', serverUrl), {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': key.key },
      body: JSON.stringify({ query, variables }),
    });
    const result = (await response.json()) as { data?: T | null; errors?: { message: string }[] };
    if (!result.data || result.errors) {
      throw new Error(
        `the server refused: ${result.errors?.map((error) => error.message).join('; ') ?? response.status}`,
      );
    }
    return result.data;
  } finally {
    await db.apikey.delete({ where: { id: key.id } });
  }
}

async function answers(serverUrl: string) {
  try {
    const response = await fetch(new URL('/healthz', serverUrl), { signal: AbortSignal.timeout(1_000) });
    return response.ok;
  } catch {
    return false;
  }
}

async function findUser(db: Db, emailOrId: string) {
  const user = await db.user.findFirst({ where: emailOrId.includes('@') ? { email: emailOrId } : { id: emailOrId } });
  if (!user) throw new Error(`No user with ${emailOrId.includes('@') ? 'email' : 'id'} "${emailOrId}".`);
  return user;
}

async function serviceUser(db: Db) {
  return db.user.upsert({
    where: { email: serviceUserEmail },
    update: {},
    create: {
      id: `service-${crypto.randomUUID()}`,
      email: serviceUserEmail,
      name: 'Tidings service',
      emailVerified: true,
    },
  });
}

async function withConfig<T>(run: (config: Config) => Promise<T>) {
  return run(loadConfig());
}

async function withServices(
  run: (services: { config: Config; db: Db; database: Database; auth: Auth }) => Promise<number>,
) {
  return withConfig(async (config) => {
    const [{ migrate }, { connectDatabase }, { createAuth }, { createLogger }] = await Promise.all([
      import('../store/migrate.ts'),
      import('../store/db.ts'),
      import('../auth/auth.ts'),
      import('../log.ts'),
    ]);
    await migrate(config.databaseUrl);
    const database = await connectDatabase(config.databaseUrl);
    const db = database.prisma;
    try {
      return await run({ config, db, database, auth: createAuth(config, db, createLogger('warn')) });
    } finally {
      await database.close();
    }
  });
}

type Options = NonNullable<Parameters<typeof parseArgs>[0]>['options'];

function parse<O extends Options>(args: string[], options: O) {
  try {
    return parseArgs({ args, options, strict: true, allowPositionals: false });
  } catch (error) {
    throw new UsageError(messageOf(error));
  }
}

function scopesFlag(value: string): Scope[] {
  try {
    return parseScopes(value);
  } catch (error) {
    throw new UsageError(`--permissions: ${messageOf(error)}.`);
  }
}

/** Options that each take a string value, for `parse`. */
function stringFlags<K extends string>(...names: K[]): Record<K, { type: 'string' }> {
  return Object.fromEntries(names.map((name) => [name, { type: 'string' }])) as Record<K, { type: 'string' }>;
}

function required(value: string | boolean | undefined, flag: string): string {
  if (typeof value !== 'string' || value === '') throw new UsageError(`${flag} is required.`);
  return value;
}

function print(line: string) {
  process.stdout.write(`${line}\n`);
}

function messageOf(error: unknown) {
  if (error && typeof error === 'object' && 'body' in error) {
    // Better Auth's API errors carry the reason in their body.
    const body = (error as { body?: { message?: string } }).body;
    if (body?.message) return body.message;
  }
  return error instanceof Error ? error.message : String(error);
}
