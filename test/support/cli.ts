// The CLI as operators run it: `node src/bin/fingate.js <args>` in a child process.

import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const CLI = fileURLToPath(new URL('../../src/bin/fingate.js', import.meta.url));
const ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** Runs `fingate <args>` to completion (or until `until` sees its output), with a clean environment. */
export function fingate(args: string[], env: Record<string, string>, until?: (output: string) => boolean) {
  const child = spawn(process.execPath, [CLI, ...args], {
    cwd: ROOT,
    env: { PATH: process.env.PATH!, HOME: process.env.HOME!, FINGATE_DEMO_CUSTOMERS: '20', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stdout = '';
  let stderr = '';
  const seen = new Promise<void>((resolve) => {
    const check = () => until?.(stdout + stderr) && resolve();
    child.stdout.on('data', (c) => ((stdout += c), check()));
    child.stderr.on('data', (c) => ((stderr += c), check()));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  return { child, seen, exited, output: () => ({ stdout, stderr }) };
}

/** Runs `fingate <args>` and resolves with its exit code and output. */
export async function run(args: string[], env: Record<string, string>): Promise<{ code: number | null; stdout: string; stderr: string }> {
  const cli = fingate(args, env);
  const code = await cli.exited;
  return { code, ...cli.output() };
}
