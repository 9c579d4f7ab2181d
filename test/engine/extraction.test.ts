import { DEFAULT_PRICING_TIERS } from '@revmemo/config';
import {
  countWords,
  DocumentError,
  extractText,
  hashText,
  normalizeText,
  priceForWords,
  TooManyWordsError,
} from '@revmemo/engine';
import { describe, expect, it } from 'vitest';
import { makeDocx, makePdf } from './support/files';

const utf8 = (s: string) => new TextEncoder().encode(s);

async function documentError(p: Promise<unknown>): Promise<DocumentError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(DocumentError);
  return err as DocumentError;
}

describe('extractText', () => {
  it('reads utf-8 text and markdown, normalizing it', async () => {
    const { text } = await extractText({
      filename: 'c.TXT',
      data: utf8('\uFEFF1. FEES\r\n“Customer”  pays\u00A0$10.\r\n\r\n\r\n2. TERM'),
    });
    expect(text).toBe('1. FEES\n"Customer" pays $10.\n\n2. TERM');
    expect((await extractText({ filename: 'c.md', data: utf8('# Title\nbody') })).text).toBe('# Title\nbody');
  });

  it('reads a DOCX', async () => {
    const data = makeDocx(['1. SERVICES', 'Provider will deliver the Platform & support.', '2. FEES']);
    const { text } = await extractText({ filename: 'contract.docx', data });
    expect(text).toContain('1. SERVICES');
    expect(text).toContain('Provider will deliver the Platform & support.');
  });

  it('reads a text PDF without detaching the caller’s buffer', async () => {
    const data = makePdf([
      '1. SERVICES',
      'Provider will deliver the Platform (hosted).',
      '2. FEES $120,000 per year',
    ]);
    const { text } = await extractText({ filename: 'contract.pdf', data });
    expect(text).toContain('Provider will deliver the Platform (hosted).');
    expect(text).toContain('$120,000');
    expect(data.byteLength).toBeGreaterThan(0);
  });

  it.each([
    ['corrupt PDF', 'broken.pdf', utf8('%PDF-1.4\nthis is not really a pdf'), 'unreadable'],
    ['image-only PDF', 'scan.pdf', makePdf(null), 'no_text'],
    ['corrupt DOCX', 'broken.docx', utf8('not a zip'), 'unreadable'],
    ['empty file', 'empty.txt', new Uint8Array(), 'empty'],
    ['whitespace only', 'blank.txt', utf8(' \n\t\n '), 'empty'],
    ['binary renamed to .txt', 'x.txt', new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 1]), 'unreadable'],
    ['unsupported type', 'contract.xlsx', utf8('x'), 'unsupported_type'],
    ['no extension', 'contract', utf8('x'), 'unsupported_type'],
  ] as const)('%s -> %s', async (_label, filename, data, code) => {
    const err = await documentError(extractText({ filename, data }));
    expect(err.code).toBe(code);
    expect(err.userMessage).toContain(filename);
  });
});

describe('text utilities', () => {
  it('joins line-break hyphenation but keeps real hyphens', () => {
    expect(normalizeText('revenue recog-\nnition and three-year term\nSection 4-\nB')).toBe(
      'revenue recognition and three-year term\nSection 4-\nB',
    );
  });

  it('counts words and hashes deterministically', () => {
    expect(countWords('The fee is $1,200 — payable in 30 days.')).toBe(8);
    expect(countWords('')).toBe(0);
    expect(hashText('abc')).toBe('ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad');
  });
});

describe('priceForWords', () => {
  const pricing = { tiers: DEFAULT_PRICING_TIERS, maxWords: 60_000 };

  it.each([
    [0, 10],
    [3_000, 10],
    [3_001, 25],
    [25_000, 50],
    [60_000, 100],
  ])('%i words -> %i credits', (words, credits) => {
    expect(priceForWords(words, pricing)).toBe(credits);
  });

  it('rejects documents over the limit, whichever of maxWords and the largest tier is smaller', () => {
    expect(() => priceForWords(60_001, pricing)).toThrow(TooManyWordsError);
    expect(() => priceForWords(20_001, { ...pricing, maxWords: 20_000 })).toThrow(TooManyWordsError);
    expect(() => priceForWords(60_001, { ...pricing, maxWords: 100_000 })).toThrow(TooManyWordsError);
    expect(() => priceForWords(-1, pricing)).toThrow(RangeError);
  });

  it('sorts unsorted tiers', () => {
    expect(
      priceForWords(500, {
        tiers: [
          { maxWords: 10_000, credits: 7 },
          { maxWords: 1_000, credits: 2 },
        ],
        maxWords: 10_000,
      }),
    ).toBe(2);
  });
});
