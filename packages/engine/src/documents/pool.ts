import { Piscina } from 'piscina';

/** What one extraction may use; see EXTRACTION_* and MAX_* in packages/config. */
export interface ExtractionLimits {
  /** Pages of one PDF (read from its page tree before any page is parsed). */
  maxPages: number;
  /** Inflated bytes of any one part of a DOCX (from the zip directory, then enforced while inflating). */
  maxPartBytes: number;
  /** Characters extracted from one file, before normalizing. */
  maxChars: number;
  /** Wall-clock limit of one extraction, waiting for a free thread included. */
  timeoutMs: number;
  /** Heap of one extraction thread (V8 old generation); past it the thread dies, the process does not. */
  memoryMb: number;
  /** Threads extracting at once. */
  concurrency: number;
  /** Extractions allowed to wait for a thread; past it the upload is refused as busy. */
  maxQueue: number;
}

export type ExtractionKind = 'pdf' | 'docx' | 'txt';

/** The worker's answer (extract-worker.mjs), plus what the pool itself can say. */
export type ExtractionResult =
  | { ok: true; text: string; pages?: number; emptyPages?: number[] }
  | { ok: false; code: 'too_many_pages'; pages: number; max: number }
  | { ok: false; code: 'part_too_large'; part: string; max: number }
  | { ok: false; code: 'too_many_chars'; max: number }
  | { ok: false; code: 'timeout'; max: number }
  | { ok: false; code: 'out_of_memory'; max: number }
  | { ok: false; code: 'busy' }
  | { ok: false; code: 'unreadable' | 'encrypted' | 'not_plain_text' };

export interface Extractor {
  readonly limits: ExtractionLimits;
  run(kind: ExtractionKind, data: Uint8Array, opts?: { hook?: 'hog' | 'heap' }): Promise<ExtractionResult>;
  /** Threads currently alive (idle ones included); for tests and metrics. */
  threads(): number;
  close(): Promise<void>;
}

const WORKER = new URL('./extract-worker.mjs', import.meta.url).href;

/**
 * A pool of worker threads for parsing uploads (piscina): the web process's event loop only copies
 * bytes in and text out, so a hostile document can slow its own upload but not the other requests.
 * A thread that runs out of time is terminated, one that runs out of memory dies on its own; either
 * way its heap goes with it and the pool starts a fresh one.
 */
export function createExtractor(limits: ExtractionLimits): Extractor {
  const pool = new Piscina({
    filename: WORKER,
    minThreads: 0,
    maxThreads: limits.concurrency,
    maxQueue: limits.maxQueue,
    // Idle threads go after a while, so an idle web process holds no parser heaps.
    idleTimeout: 30_000,
    resourceLimits: {
      maxOldGenerationSizeMb: limits.memoryMb,
      maxYoungGenerationSizeMb: Math.min(64, Math.max(8, Math.floor(limits.memoryMb / 8))),
      stackSizeMb: 4,
    },
    // The worker is plain JavaScript; the host's loader flags (tsx, vitest) are not needed there.
    execArgv: [],
  });
  const taskLimits = {
    maxPages: limits.maxPages,
    maxPartBytes: limits.maxPartBytes,
    maxChars: limits.maxChars,
  };
  return {
    limits,
    async run(kind, data, opts = {}) {
      try {
        return (await pool.run(
          { kind, data, limits: taskLimits, hook: opts.hook },
          { signal: AbortSignal.timeout(limits.timeoutMs) },
        )) as ExtractionResult;
      } catch (err) {
        const e = err as { name?: string; code?: string; message?: string };
        if (e.name === 'AbortError') return { ok: false, code: 'timeout', max: limits.timeoutMs };
        if (e.code === 'ERR_WORKER_OUT_OF_MEMORY')
          return { ok: false, code: 'out_of_memory', max: limits.memoryMb };
        // piscina: the queue is full (maxQueue > 0), or there is no queue and every thread is busy.
        if (e.message === 'Task queue is at limit' || e.message?.startsWith('No task queue available'))
          return { ok: false, code: 'busy' };
        throw err;
      }
    },
    threads: () => pool.threads.length,
    close: () => pool.destroy(),
  };
}
