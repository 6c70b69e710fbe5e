/** Open streams: one instance's (StreamRegistry.stats), or every instance's added up (the pub/sub's clusterStats). */
export interface StreamStats {
  totalConnections: number;
  activeUsers: number;
  connectionsPerUser: { userId: string; connectionCount: number }[];
}

/** Adds up the statistics of several instances. */
export function sumStats(all: StreamStats[]): StreamStats {
  const perUser = new Map<string, number>();
  let total = 0;
  for (const stats of all) {
    total += stats.totalConnections;
    for (const { userId, connectionCount } of stats.connectionsPerUser) {
      perUser.set(userId, (perUser.get(userId) ?? 0) + connectionCount);
    }
  }
  return {
    totalConnections: total,
    activeUsers: perUser.size,
    connectionsPerUser: [...perUser].map(([userId, connectionCount]) => ({ userId, connectionCount })),
  };
}
