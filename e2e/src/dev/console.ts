/** How `make dev` talks to the person at the terminal: plain lines, commands shown as typed. */
export const say = (line = ''): void => {
  process.stdout.write(`${line}\n`);
};

/** A command as the reader would type it, then its output indented under it. */
export function showCommand(command: string, output?: string): void {
  say(`  $ ${command}`);
  if (output?.trim()) for (const line of output.trimEnd().split('\n')) say(`    ${line}`.trimEnd());
}

export function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}
