/**
 * What a server holds per open stream: compares two V8 heap snapshots (before and after opening
 * N streams; `--heap-snapshots <dir>` makes them) by constructor, and prints the growth per stream.
 *
 *   tsx bench/heap-summary.ts <before.heapsnapshot> <after.heapsnapshot> <streams> [top=40]
 */
import { readFileSync } from 'node:fs';

interface Snapshot {
  snapshot: { meta: { node_fields: string[]; node_types: [string[], ...unknown[]] } };
  nodes: number[];
  strings: string[];
}

/** Count and self size of every (type, name) in a snapshot. */
function tally(file: string): Map<string, { count: number; bytes: number }> {
  const snapshot = JSON.parse(readFileSync(file, 'utf8')) as Snapshot;
  const fields = snapshot.snapshot.meta.node_fields;
  const types = snapshot.snapshot.meta.node_types[0];
  const width = fields.length;
  const typeAt = fields.indexOf('type');
  const nameAt = fields.indexOf('name');
  const sizeAt = fields.indexOf('self_size');
  const totals = new Map<string, { count: number; bytes: number }>();
  for (let i = 0; i < snapshot.nodes.length; i += width) {
    const type = types[snapshot.nodes[i + typeAt] as number] ?? '?';
    const rawName = snapshot.strings[snapshot.nodes[i + nameAt] as number] ?? '';
    const name =
      type === 'string' || type === 'concatenated string' || type === 'sliced string' ? '' : rawName.slice(0, 60);
    const key = `${type} ${name}`;
    const entry = totals.get(key) ?? { count: 0, bytes: 0 };
    entry.count++;
    entry.bytes += snapshot.nodes[i + sizeAt] as number;
    totals.set(key, entry);
  }
  return totals;
}

const [beforeFile, afterFile, streamsArg, topArg] = process.argv.slice(2);
if (!beforeFile || !afterFile || !streamsArg) {
  process.stderr.write('usage: tsx bench/heap-summary.ts <before> <after> <streams> [top]\n');
  process.exit(2);
}
const streams = Number(streamsArg);
const before = tally(beforeFile);
const after = tally(afterFile);
const rows = [...after].map(([key, { count, bytes }]) => {
  const was = before.get(key) ?? { count: 0, bytes: 0 };
  return { key, count: (count - was.count) / streams, bytes: (bytes - was.bytes) / streams };
});
const total = rows.reduce((sum, row) => sum + row.bytes, 0);
process.stdout.write(`heap growth per stream: ${(total / 1024).toFixed(1)} KB\n\n  bytes  objects  type name\n`);
for (const row of rows.sort((a, b) => b.bytes - a.bytes).slice(0, Number(topArg ?? 40))) {
  process.stdout.write(`${row.bytes.toFixed(0).padStart(7)} ${row.count.toFixed(2).padStart(8)}  ${row.key}\n`);
}
