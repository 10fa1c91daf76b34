/**
 * `node e2e/dist/bench/profile-summary.js <file.cpuprofile> [n]`: the functions with the most
 * self time in a V8 CPU profile (from `node --cpu-prof`, e.g. STARGATE_BENCH_PROFILE=dir make
 * bench), as a share of the busy (non-idle) samples.
 */
import { readFile } from 'node:fs/promises';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

async function main(): Promise<void> {
  const [file, count] = process.argv.slice(2);
  if (!file) throw new Error('usage: profile-summary <file.cpuprofile> [n]');
  const profile = JSON.parse(await readFile(file, 'utf8')) as { nodes: ProfileNode[]; samples: number[] };
  const hits = new Map<number, number>();
  for (const id of profile.samples) hits.set(id, (hits.get(id) ?? 0) + 1);
  const byFunction = new Map<string, number>();
  let busy = 0;
  for (const node of profile.nodes) {
    const n = hits.get(node.id) ?? 0;
    const { functionName, url, lineNumber } = node.callFrame;
    if (functionName === '(idle)' || functionName === '(program)' || n === 0) continue;
    busy += n;
    const where = url
      ? `${url.replace(/^.*node_modules\//, '').replace(/^file:\/\/.*?\/(gateway|contracts)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName || '(anonymous)'} ${where}`.trim();
    byFunction.set(key, (byFunction.get(key) ?? 0) + n);
  }
  const top = [...byFunction.entries()].sort((a, b) => b[1] - a[1]).slice(0, Number(count ?? 25));
  process.stdout.write(`busy samples: ${busy}\n`);
  for (const [name, n] of top)
    process.stdout.write(`${((100 * n) / busy).toFixed(1).padStart(5)}%  ${name}\n`);
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).message}\n`);
  process.exit(1);
});
