import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { expect } from 'vitest';
import { trpcClient } from '../support/client';
import { SMALL_CONTRACT } from '../support/contracts';
import { repoRoot } from '../support/processes';
import { followUntil } from '../support/progress';

export interface OpsResult {
  code: number | null;
  output: string;
  lines: string[];
}

/** `pnpm ops …` as an operator runs it: its own process, only the environment given. */
export function runOps(args: string[], env: Record<string, string>): Promise<OpsResult> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'packages/ops/src/cli.ts', ...args], {
      cwd: repoRoot,
      env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '/tmp', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout.on('data', (d) => {
      output += String(d);
    });
    child.stderr.on('data', (d) => {
      output += String(d);
    });
    child.on('error', fail);
    child.on('exit', (code) => done({ code, output, lines: output.trim().split('\n') }));
  });
}

/** The Procfile's process types and their commands, read from the file the platform reads. */
export function procfile(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of readFileSync(resolve(repoRoot, 'Procfile'), 'utf8').split('\n')) {
    const m = /^([a-z]+):\s*(.+)$/.exec(line.trim());
    if (m?.[1] && m[2]) out[m[1]] = m[2];
  }
  return out;
}

/** Quote, submit and follow one analysis to its end through the public API; returns it as stored. */
export async function analyseOnce(baseUrl: string, cookie: string) {
  const client = trpcClient(baseUrl, cookie);
  const quote = await client.analysis.quote.mutate({ text: SMALL_CONTRACT, filename: 'msa.txt' });
  const submitted = await client.analysis.submit.mutate({
    quoteId: quote.quoteId,
    idempotencyKey: crypto.randomUUID(),
  });
  const { ended, events } = await followUntil(client, { analysisId: submitted.analysisId });
  expect(ended).toBe('complete');
  expect(events.at(-1)?.event.kind).toBe('completed');
  const analysis = await client.analysis.get.query({ analysisId: submitted.analysisId });
  return { quote, submitted, analysis, events };
}
