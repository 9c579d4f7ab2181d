import { type ChildProcess, type SpawnOptions, spawn } from 'node:child_process';

/**
 * Spawns a store (PostgreSQL, redis-server) in its own process group, so a Ctrl-C at the terminal
 * reaches the processes that use it, not the store itself: they stop first and the store is stopped
 * after them, by whoever started it. Should that owner exit without stopping it, `exitSignal` is
 * sent on its way out, so no store outlives the process that started it.
 */
export function spawnService(
  file: string,
  args: string[],
  options: SpawnOptions,
  exitSignal: NodeJS.Signals,
): ChildProcess {
  const child = spawn(file, args, { stdio: ['ignore', 'pipe', 'pipe'], ...options, detached: true });
  const onOwnerExit = () => {
    if (child.exitCode === null && child.signalCode === null) child.kill(exitSignal);
  };
  process.once('exit', onOwnerExit);
  child.once('exit', () => process.removeListener('exit', onOwnerExit));
  return child;
}
