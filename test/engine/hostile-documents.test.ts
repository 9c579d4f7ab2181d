import { DEFAULT_PRICING_TIERS } from '@revmemo/config';
import {
  countTokens,
  countWords,
  createExtractor,
  DEFAULT_EXTRACTION_LIMITS,
  DocumentError,
  type Extractor,
  extractText,
  normalizeText,
  priceForText,
} from '@revmemo/engine';
import { afterAll, describe, expect, it } from 'vitest';
import { contractWords, makeManyPagePdf, makeZipBombDocx } from '../support/hostile-files';
import { makeDocx, makePdf } from './support/files';

/** Documents made to hurt the service: each is refused with its own message, and the pool survives. */

const extractors: Extractor[] = [];
const extractor = (over: Partial<typeof DEFAULT_EXTRACTION_LIMITS> = {}) => {
  const e = createExtractor({ ...DEFAULT_EXTRACTION_LIMITS, ...over });
  extractors.push(e);
  return e;
};
afterAll(async () => {
  await Promise.all(extractors.map((e) => e.close()));
});

async function refusal(p: Promise<unknown>): Promise<DocumentError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DocumentError);
  return err as DocumentError;
}

const MB = 1024 * 1024;
const rssMb = () => process.memoryUsage().rss / MB;

/** Polls until `ok()` (state, not time: the deadline only keeps a broken run from hanging). */
async function until(ok: () => boolean, what: string, deadlineMs = 20_000) {
  const end = Date.now() + deadlineMs;
  while (!ok()) {
    if (Date.now() > end) throw new Error(`never happened: ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe('zip-bomb DOCX', () => {
  it('is refused from the zip directory: a few hundred KB claiming 300 MB of text', async () => {
    const bomb = await makeZipBombDocx(300);
    expect(bomb.byteLength).toBeLessThan(1 * MB); // a few hundred KB on the wire
    const err = await refusal(extractText({ filename: 'bomb.docx', data: bomb }));
    expect(err.code).toBe('part_too_large');
    expect(err.userMessage).toMatch(
      /^This DOCX expands to more than 50 MB of text when opened \("bomb\.docx"\)/,
    );
    expect(err.limit).toBe(50 * MB);
  });

  it('is refused while inflating when its directory lies about the size, never holding more than the cap', async () => {
    const bomb = await makeZipBombDocx(300, true);
    const e = extractor({ maxPartBytes: 8 * MB });
    const err = await refusal(extractText({ filename: 'liar.docx', data: bomb }, e));
    expect(err.code).toBe('part_too_large');
    expect(err.userMessage).toContain('expands to more than 8 MB of text');
    // The pool still reads ordinary documents afterwards.
    const ok = await extractText({ filename: 'ok.docx', data: makeDocx(['1. FEES', 'Customer pays.']) }, e);
    expect(ok.text).toContain('Customer pays.');
  });

  it('reads an ordinary DOCX under the same checks', async () => {
    const { text } = await extractText({
      filename: 'msa.docx',
      data: makeDocx(['1. SERVICES', 'Provider will deliver the Platform.']),
    });
    expect(text).toContain('Provider will deliver the Platform.');
  });
});

describe('PDF page cap', () => {
  it('refuses a PDF past the page cap before reading its pages, naming both numbers', async () => {
    const pdf = makeManyPagePdf(501);
    const err = await refusal(extractText({ filename: 'long.pdf', data: pdf }));
    expect(err.code).toBe('too_many_pages');
    expect(err.userMessage).toBe(
      '"long.pdf" has 501 pages; the limit is 500 pages per file. Upload only the parts of the contract that matter.',
    );
  });

  it('reads a PDF at the cap', async () => {
    const { text } = await extractText(
      { filename: 'ten.pdf', data: makeManyPagePdf(10, 'Fee is due.') },
      extractor({ maxPages: 10 }),
    );
    expect(text.match(/Fee is due\./g)).toHaveLength(10);
  });
});

describe('characters before normalizing', () => {
  it('refuses text past the character cap without normalizing it', async () => {
    const e = extractor({ maxChars: 1_000 });
    const err = await refusal(
      extractText({ filename: 'big.txt', data: new TextEncoder().encode('word '.repeat(300)) }, e),
    );
    expect(err.code).toBe('too_many_chars');
    expect(err.userMessage).toContain('more than 1,000 characters');
    const pdfErr = await refusal(
      extractText({ filename: 'big.pdf', data: makeManyPagePdf(60, 'x'.repeat(40)) }, e),
    );
    expect(pdfErr.code).toBe('too_many_chars');
  });
});

describe('time and memory limits', () => {
  it('cuts off an extraction past the time limit with a clear message; its memory comes back', async () => {
    const e = extractor({ timeoutMs: 5_000, concurrency: 1 });
    // Warm the pool so the baseline includes one idle thread, as a serving process would have.
    await extractText({ filename: 'warm.txt', data: new TextEncoder().encode('warm up') }, e);
    const before = rssMb();
    // The test hook holds ~200 MB of heap and never answers.
    const pending = e.run('txt', new Uint8Array([1]), { hook: 'hog' });
    await until(() => rssMb() - before > 100, 'the hog holding its memory');
    expect(await pending).toEqual({ ok: false, code: 'timeout', max: 5_000 });
    await until(
      () => rssMb() - before < 60,
      `RSS back near ${before.toFixed(0)} MB (now ${rssMb().toFixed(0)})`,
    );
    // …and the pool serves the next upload.
    const ok = await extractText({ filename: 'next.txt', data: new TextEncoder().encode('Fee: $10.') }, e);
    expect(ok.text).toBe('Fee: $10.');
  });

  it('says so in words when a real document runs out of time', async () => {
    const err = await refusal(
      extractText({ filename: 'slow.pdf', data: makeManyPagePdf(400) }, extractor({ timeoutMs: 1 })),
    );
    expect(err.code).toBe('timeout');
    expect(err.userMessage).toBe(
      'Reading "slow.pdf" took longer than 1 ms, so it was stopped. The file may be damaged or unusually complex; save it again as PDF or DOCX and retry.',
    );
  });

  it('a thread past its memory limit dies alone: the caller gets out_of_memory and keeps working', async () => {
    const e = extractor({ memoryMb: 32, timeoutMs: 60_000 });
    const result = await e.run('txt', new Uint8Array([1]), { hook: 'heap' });
    expect(result).toEqual({ ok: false, code: 'out_of_memory', max: 32 });
    const ok = await extractText({ filename: 'after.pdf', data: makePdf(['Term: 12 months.']) }, e);
    expect(ok.text).toContain('Term: 12 months.');
  });

  it('refuses as busy, rather than queueing without end, when every thread and queue slot is taken', async () => {
    const e = extractor({ concurrency: 1, maxQueue: 0, timeoutMs: 5_000 });
    const before = rssMb();
    const hog = e.run('txt', new Uint8Array([1]), { hook: 'hog' });
    await until(() => rssMb() - before > 100, 'the hog running');
    const err = await refusal(
      extractText({ filename: 'queued.txt', data: new TextEncoder().encode('x y') }, e),
    );
    expect(err.code).toBe('busy');
    expect(err.userMessage).toContain('Try again in a minute');
    expect((await hog).ok).toBe(false);
  });
});

describe('price what the model reads', () => {
  const rules = { tiers: DEFAULT_PRICING_TIERS, maxWords: 60_000 };
  const price = (raw: string) => {
    const text = normalizeText(raw);
    return priceForText({ words: countWords(text), tokens: countTokens(text) }, rules);
  };

  it('60,000 words joined by U+2063, by U+200B and by spaces all get the same price', () => {
    const spaced = price(contractWords(60_000, ' '));
    expect(spaced).toEqual({ credits: 100, billableWords: 60_000 });
    expect(price(contractWords(60_000, '\u2063'))).toEqual(spaced);
    expect(price(contractWords(60_000, '\u200B'))).toEqual(spaced);
  });

  it('keeps today’s tiers for ordinary English: 3,000 words cost 10 credits, 3,001 cost 25', () => {
    expect(price(contractWords(3_000, ' '))).toEqual({ credits: 10, billableWords: 3_000 });
    expect(price(contractWords(3_001, ' '))).toEqual({ credits: 25, billableWords: 3_001 });
  });

  it('prices by tokens when the words hide them: joined by symbols, 3,000 words cost more than 10', () => {
    const joined = contractWords(3_000, '\u00B7\u2219'); // middle dots: one "word" for the word count
    expect(countWords(normalizeText(joined))).toBeLessThan(10);
    const p = price(joined);
    expect(p.billableWords).toBeGreaterThan(3_000);
    expect(p.credits).toBeGreaterThan(10);
  });
});
