/** Delays before reconnect attempts 1, 2, 3…: 1 s, 2 s, 4 s, 8 s, 16 s, then 30 s for every further attempt. */
export const reconnectDelaysMs = [1_000, 2_000, 4_000, 8_000, 16_000, 30_000] as const;

/** How far a delay may stray (±10 %), so tabs and browsers that failed together do not return together. */
export const reconnectJitter = 0.1;

/**
 * The wait before reconnect attempt `attempt` (0 for the first attempt after a failure).
 * `random` is `Math.random` unless a test pins it.
 */
export function reconnectDelay(attempt: number, random: () => number = Math.random): number {
  const base = reconnectDelaysMs[Math.min(Math.max(attempt, 0), reconnectDelaysMs.length - 1)] ?? 30_000;
  return Math.round(base * (1 + (random() * 2 - 1) * reconnectJitter));
}
