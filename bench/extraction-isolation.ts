/**
 * How much reading a hostile or heavy upload stalls the process that receives it: the longest gap
 * between ticks of a 1 ms interval (the event loop blocked) while one document is read
 *   pool    through the extraction pool (worker threads, as the server does now)
 *   inline  the same extraction code called on the main thread (as the server did before)
 * Every document is read `--runs` times per path, paths alternating. No servers: only this process.
 *
 *   node --import tsx bench/extraction-isolation.ts [--runs=5]
 */
import { performance } from 'node:perf_hooks';
import { createExtractor, DEFAULT_EXTRACTION_LIMITS } from '@revmemo/engine';
// The worker module itself, run inline: the code path the server used before the pool.
// @ts-expect-error plain JavaScript module without types
import inlineExtract from '../packages/engine/src/documents/extract-worker.mjs';
import { makeManyPagePdf, makeZipBombDocx } from '../test/support/hostile-files';
import { printTable, saveResult } from './support/report';

const arg = (name: string, fallback: string) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const RUNS = Number(arg('runs', '5'));

const limits = DEFAULT_EXTRACTION_LIMITS;
const taskLimits = {
  maxPages: limits.maxPages,
  maxPartBytes: limits.maxPartBytes,
  maxChars: limits.maxChars,
};

async function main() {
  const docs: { name: string; kind: 'pdf' | 'docx'; data: Uint8Array }[] = [
    { name: 'zip bomb, honest directory (300 MB)', kind: 'docx', data: await makeZipBombDocx(300) },
    { name: 'zip bomb, lying directory (300 MB)', kind: 'docx', data: await makeZipBombDocx(300, true) },
    { name: 'PDF past the page cap (501 pages)', kind: 'pdf', data: makeManyPagePdf(501) },
    { name: 'PDF at the page cap (500 pages)', kind: 'pdf', data: makeManyPagePdf(500) },
  ];
  const pool = createExtractor(limits);
  await pool.run('txt', new TextEncoder().encode('warm up'));
  const rows: Record<string, string | number>[] = [];
  const results: Record<string, unknown>[] = [];
  for (const doc of docs) {
    const delay = { pool: [] as number[], inline: [] as number[] };
    const wall = { pool: [] as number[], inline: [] as number[] };
    let outcome = '';
    for (let i = 0; i < RUNS; i++) {
      for (const path of ['pool', 'inline'] as const) {
        // A 1 ms interval: the longest gap between its ticks is the longest the loop was blocked.
        let last = performance.now();
        let maxGap = 0;
        const probe = setInterval(() => {
          const now = performance.now();
          maxGap = Math.max(maxGap, now - last);
          last = now;
        }, 1);
        await new Promise((r2) => setTimeout(r2, 20));
        maxGap = 0;
        last = performance.now();
        const t0 = performance.now();
        const r =
          path === 'pool'
            ? await pool.run(doc.kind, doc.data)
            : await inlineExtract({ kind: doc.kind, data: new Uint8Array(doc.data), limits: taskLimits });
        wall[path].push(performance.now() - t0);
        // One more turn of the loop so a stall at the very end is recorded too.
        await new Promise((r2) => setTimeout(r2, 5));
        clearInterval(probe);
        delay[path].push(maxGap);
        outcome = r.ok ? 'read' : r.code;
      }
    }
    const med = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0;
    const row = {
      document: doc.name,
      KB: Math.round(doc.data.byteLength / 1024),
      outcome,
      'pool max loop delay ms': Math.round(med(delay.pool)),
      'inline max loop delay ms': Math.round(med(delay.inline)),
      'pool wall ms': Math.round(med(wall.pool)),
      'inline wall ms': Math.round(med(wall.inline)),
    };
    rows.push(row);
    results.push(row);
  }
  await pool.close();
  printTable(`extraction isolation (median of ${RUNS} runs each)`, rows);
  const saved = await saveResult('extraction-isolation', {
    config: { runs: RUNS },
    at: new Date().toISOString(),
    node: process.version,
    results,
  });
  console.log(`saved ${saved.file}`);
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
