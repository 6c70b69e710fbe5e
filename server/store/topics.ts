import { type Database, sqlTime } from './db.ts';

/**
 * Who follows which topic. A topic is only its name: it exists while someone follows it.
 * `createNotifications({ topic })` reaches its members.
 */
export interface Topics {
  /** The user's topics, in name order. */
  of(userId: string): Promise<string[]>;
  /** Adds these users (all existing) to the topic; how many were not members yet. */
  add(topic: string, userIds: readonly string[]): Promise<number>;
  /** Removes these users from the topic; how many were members. */
  remove(topic: string, userIds: readonly string[]): Promise<number>;
  /** The topic's members. */
  members(topic: string): Promise<string[]>;
  /** Which of these ids name no user. */
  unknownUsers(userIds: readonly string[]): Promise<string[]>;
}

/** How many ids one statement takes (SQLite allows 32,766 parameters; PostgreSQL 65,535). */
const chunk = 1_000;

function chunks<T>(items: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += chunk) out.push(items.slice(i, i + chunk));
  return out;
}

const marks = (n: number) => Array.from({ length: n }, () => '?').join(', ');

export function createTopics({ prisma, sql }: Database): Topics {
  return {
    async of(userId) {
      const rows = await prisma.topicMember.findMany({
        where: { userId },
        select: { topic: true },
        orderBy: { topic: 'asc' },
      });
      return rows.map((row) => row.topic);
    },
    async add(topic, userIds) {
      let added = 0;
      const at = sqlTime(new Date());
      for (const ids of chunks([...new Set(userIds)])) {
        // Only users that exist; a member already is left as is (and not counted).
        const rows = await sql.all<{ userId: string }>(
          `INSERT INTO topic_member (topic, "userId", "createdAt") SELECT ?, id, ? FROM "user" WHERE id IN (${marks(ids.length)})
            ON CONFLICT (topic, "userId") DO NOTHING RETURNING "userId"`,
          topic,
          at,
          ...ids,
        );
        added += rows.length;
      }
      return added;
    },
    async remove(topic, userIds) {
      let removed = 0;
      for (const ids of chunks([...new Set(userIds)])) {
        removed += (await prisma.topicMember.deleteMany({ where: { topic, userId: { in: ids } } })).count;
      }
      return removed;
    },
    async members(topic) {
      const rows = await prisma.topicMember.findMany({ where: { topic }, select: { userId: true } });
      return rows.map((row) => row.userId);
    },
    async unknownUsers(userIds) {
      const unique = [...new Set(userIds)];
      const known = new Set<string>();
      for (const ids of chunks(unique)) {
        for (const user of await prisma.user.findMany({ where: { id: { in: ids } }, select: { id: true } }))
          known.add(user.id);
      }
      return unique.filter((id) => !known.has(id));
    },
  };
}
