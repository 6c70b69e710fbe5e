/**
 * Summarizes a V8 CPU profile (.cpuprofile, as `--profile` or `node --cpu-prof` writes it): self
 * time by function and by package, the heaviest first.
 *
 *   tsx bench/profile-summary.ts <file.cpuprofile> [top=30]
 */
import { readFileSync } from 'node:fs';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

const [file, topArg] = process.argv.slice(2);
if (!file) {
  process.stderr.write('usage: tsx bench/profile-summary.ts <file.cpuprofile> [top]\n');
  process.exit(2);
}
const top = Number(topArg ?? 30);
const profile = JSON.parse(readFileSync(file, 'utf8')) as Profile;
const byId = new Map(profile.nodes.map((node) => [node.id, node]));
const selfMicros = new Map<number, number>();
profile.samples.forEach((id, i) => {
  selfMicros.set(id, (selfMicros.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0));
});
const total = profile.endTime - profile.startTime;

const byFunction = new Map<string, number>();
const byPackage = new Map<string, number>();
for (const [id, micros] of selfMicros) {
  const { functionName, url, lineNumber } = (byId.get(id) as ProfileNode).callFrame;
  const where = url.replace(/^file:\/\//, '').replace(/.*\/node_modules\//, '~/');
  byFunction.set(
    `${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`,
    (byFunction.get(`${functionName || '(anonymous)'}  ${where}:${lineNumber + 1}`) ?? 0) + micros,
  );
  byPackage.set(packageOf(url, functionName), (byPackage.get(packageOf(url, functionName)) ?? 0) + micros);
}

function packageOf(url: string, name: string) {
  if (!url) return name.startsWith('(') ? name : '(native)';
  const match = /node_modules\/((@[^/]+\/)?[^/]+)/.exec(url);
  if (match?.[1]) return match[1];
  if (url.startsWith('node:')) return 'node:*';
  const own = /\/(server|bench)\/(.*)$/.exec(url);
  return own ? `${own[1]}/${own[2]}` : url;
}

function print(title: string, rows: Map<string, number>, limit: number) {
  process.stdout.write(`\n${title}\n`);
  for (const [name, micros] of [...rows].sort((a, b) => b[1] - a[1]).slice(0, limit)) {
    process.stdout.write(
      `${((micros / total) * 100).toFixed(1).padStart(5)} %  ${(micros / 1000).toFixed(0).padStart(6)} ms  ${name}\n`,
    );
  }
}

process.stdout.write(`${file}: ${(total / 1e6).toFixed(1)} s profiled\n`);
print('self time by package', byPackage, 20);
print('self time by function', byFunction, top);
