import { DEFAULT_PRICING_TIERS } from '@revmemo/config';
import {
  countWords,
  DocumentError,
  extractText,
  hashText,
  normalizeText,
  prepareDocuments,
  priceForWords,
  TooManyWordsError,
} from '@revmemo/engine';
import { describe, expect, it } from 'vitest';
import { fixtureFile, makeDocx, makeDocxParts, makePdf, makePdfPages, xmlText } from './support/files';

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
    // Chinese and Japanese are written without spaces: one word per character, as word processors count.
    expect(countWords('价格为100元。')).toBe(5);
    expect(countWords('第一条 服务内容')).toBe(7);
    expect(countWords('料金は月額です')).toBe(7);
    expect(countWords('Fee 费用 $10')).toBe(4);
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

/** A line cut at spaces into lines of at most 80 characters. */
function wrap(line: string): string[] {
  const out: string[] = [];
  let current = '';
  for (const word of line.split(' ')) {
    if (current && `${current} ${word}`.length > 80) {
      out.push(current);
      current = word;
    } else current = current ? `${current} ${word}` : word;
  }
  return [...out, current];
}

describe('extraction keeps what a reader sees and drops page furniture', () => {
  const page = (n: number, body: string[]) => [
    'CONFIDENTIAL',
    'Larkspur / Harbor Freight - Master Services Agreement',
    ...body,
    `Page ${n} of 3`,
  ];

  it('removes running headers, footers and page numbers, keeping the title and a wrapped number in its clause', async () => {
    const data = makePdfPages([
      page(1, ['MASTER SERVICES AGREEMENT', '1. SERVICES', '1.1 Provider will provide the hosted Services.']),
      page(2, [
        '2. FEES',
        '2.1 Customer will pay the fees in each Order Form. Invoices are due within',
        '30 (thirty) days of the invoice date.',
      ]),
      page(3, ['3. TERM', '3.1 This Agreement lasts 36 months.', '4. GENERAL', '4.1 New York law governs.']),
    ]);
    const read = await extractText({ filename: 'msa.pdf', data });
    expect(read.pages).toBe(3);
    expect(read.warnings).toEqual([]);
    expect(read.text).not.toMatch(/CONFIDENTIAL|Page \d of 3|Larkspur \/ Harbor/);
    expect(read.text.split('\n')[0]).toBe('MASTER SERVICES AGREEMENT');
    const { sections } = prepareDocuments(read.text, ['msa.pdf']);
    // The bare title folds into the first clause (nothing to cite on its own).
    expect(sections.map((s) => s.label)).toEqual(['MASTER SERVICES AGREEMENT', '1.1', '2', '3', '4']);
    expect(sections[2]?.text).toBe(
      '2. FEES\n2.1 Customer will pay the fees in each Order Form. Invoices are due within\n30 (thirty) days of the invoice date.',
    );
  });

  it('reads a partly scanned PDF with a warning and a visible gap where the page was', async () => {
    const data = makePdfPages([
      ['1. SERVICES', '1.1 Provider hosts the Platform.', '2. FEES', '2.1 $10,000 per month.'],
      null,
      ['3. TERM', '3.1 Twelve months.'],
    ]);
    const read = await extractText({ filename: 'signed.pdf', data });
    expect(read.warnings).toEqual([
      'Page 2 of 3 has no selectable text (scanned image or blank page) and was not read. Run OCR and upload again if it holds contract terms.',
    ]);
    expect(read.text).toContain(
      '[Page 2 of 3: no text layer (a scanned image or a blank page); not read]\n3. TERM',
    );
    const { documents, sections } = prepareDocuments(read.text, ['signed.pdf']);
    expect(documents[0]?.warnings).toEqual([
      '1 page had no text layer (scanned or blank); anything on it was not read.',
    ]);
    expect(sections.map((s) => s.label)).toEqual(['1', '2', '3']);
  });

  it('reads a French contract from PDF with its accents, articles and numbered sub-clauses', async () => {
    // Laid out as a PDF lays it out: lines wrapped at the page width, no blank lines.
    const lines = normalizeText(fixtureFile('french-services.txt')).split('\n').filter(Boolean).flatMap(wrap);
    const read = await extractText({ filename: 'contrat.pdf', data: makePdfPages([lines]) });
    expect(read.text).toBe(lines.join('\n'));
    const { documents, sections } = prepareDocuments(read.text, ['contrat.pdf']);
    expect(documents[0]).toMatchObject({
      title: 'CONTRAT DE PRESTATION DE SERVICES',
      dateText: '3 mars 2025',
    });
    expect(sections.map((s) => s.label)).toEqual([
      'CONTRAT DE PRESTATION DE SERVICES',
      'Article 1',
      'Article 2',
      '2.2',
      'Article 3',
      'Article 4',
    ]);
    expect(sections[2]?.text).toContain('2.1 Émission des factures');
    expect(sections[3]?.text).toContain('\n30 (trente) jours');
  });

  it('reads DOCX automatic numbering into the text and tables as one line per row', async () => {
    const numbering =
      '<w:abstractNum w:abstractNumId="7">' +
      '<w:lvl w:ilvl="0"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1."/></w:lvl>' +
      '<w:lvl w:ilvl="1"><w:start w:val="1"/><w:numFmt w:val="decimal"/><w:lvlText w:val="%1.%2"/></w:lvl>' +
      '<w:lvl w:ilvl="2"><w:start w:val="1"/><w:numFmt w:val="lowerLetter"/><w:lvlText w:val="(%3)"/></w:lvl>' +
      '</w:abstractNum><w:num w:numId="3"><w:abstractNumId w:val="7"/></w:num>';
    // Word's numbered heading style: the numbering comes from the style, not the paragraph.
    const styles =
      '<w:style w:type="paragraph" w:styleId="Heading1"><w:pPr><w:numPr><w:numId w:val="3"/></w:numPr></w:pPr></w:style>';
    const p = (text: string, level?: number, style?: string) =>
      `<w:p><w:pPr>${style ? `<w:pStyle w:val="${style}"/>` : ''}${
        level === undefined ? '' : `<w:numPr><w:ilvl w:val="${level}"/><w:numId w:val="3"/></w:numPr>`
      }</w:pPr><w:r><w:t xml:space="preserve">${xmlText(text)}</w:t></w:r></w:p>`;
    const cell = (text: string) => `<w:tc><w:p><w:r><w:t>${xmlText(text)}</w:t></w:r></w:p></w:tc>`;
    const row = (...cells: string[]) => `<w:tr>${cells.map(cell).join('')}</w:tr>`;
    const body = [
      p('SERVICES', undefined, 'Heading1'),
      p('Provider will host the Platform.', 1),
      p('Provider will provide support:', 1),
      p('by email; and', 2),
      p('by telephone.', 2),
      p('FEES', undefined, 'Heading1'),
      `<w:tbl>${row('Item', 'Quantity', 'Fee')}${row('Platform', '250 users', '$180,000 / year')}${row('Setup', '1', '$45,000 & travel')}</w:tbl>`,
      p('Fees are due within 30 days.', 1),
      p('TERM', undefined, 'Heading1'),
      p('Thirty-six months.', 1),
      '<w:p><w:r><w:delText>deleted words</w:delText></w:r></w:p>',
    ].join('');
    const read = await extractText({ filename: 'msa.docx', data: makeDocxParts(body, numbering, styles) });
    expect(read.text).toBe(
      [
        '1. SERVICES',
        '1.1 Provider will host the Platform.',
        '1.2 Provider will provide support:',
        '(a) by email; and',
        '(b) by telephone.',
        '2. FEES',
        'Item | Quantity | Fee\nPlatform | 250 users | $180,000 / year\nSetup | 1 | $45,000 & travel',
        '2.1 Fees are due within 30 days.',
        '3. TERM',
        '3.1 Thirty-six months.',
      ].join('\n\n'),
    );
    const { sections } = prepareDocuments(read.text, ['msa.docx']);
    // "(a)" and "(b)" stay inside 1.2: sub-clauses are not sections.
    expect(sections.map((s) => s.label)).toEqual(['1', '1.2', '2', '2.1', '3']);
  });

  it('reads a Chinese contract from DOCX into several sections with a word count that does not depend on spaces', async () => {
    const chinese = normalizeText(fixtureFile('chinese-services.txt'));
    const paragraphs = chinese.split('\n').filter(Boolean);
    const read = await extractText({ filename: '合同.docx', data: makeDocx(paragraphs) });
    expect(read.text).toBe(paragraphs.join('\n\n'));
    expect(countWords(read.text)).toBe(countWords(chinese));
    // 330 characters of Chinese text and a few numbers; counted by spaces it was 22 "words".
    expect(countWords(chinese)).toBe(358);
    const { documents, sections } = prepareDocuments(read.text, ['合同.docx']);
    expect(documents[0]).toMatchObject({ title: '软件服务合同', dateText: '2025年3月1日', words: 358 });
    expect(sections.map((s) => s.label)).toEqual([
      null,
      '第一条',
      '第二条',
      '第三条',
      '第四条',
      '第五条',
      '第六条',
    ]);
    expect(sections[2]?.text).toContain('人民币120万元');
  });
});
