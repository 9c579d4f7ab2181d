import {
  ContractTooLongError,
  checkTokenBudget,
  countTokens,
  countWords,
  joinDocuments,
  normalizeDocuments,
  normalizeText,
  PermanentAnalysisError,
  prepareDocuments,
  splitSections,
} from '@revmemo/engine';
import { describe, expect, it } from 'vitest';
import { FIXTURE_NAMES, fixtureFile, fixtureText } from './support/files';
import { SimHarness } from './support/sim';

describe('splitSections', () => {
  it.each(FIXTURE_NAMES)('%s: numbered clauses become S1..Sn, covering the whole text', (name) => {
    const text = fixtureText(name);
    const sections = splitSections(text);
    expect(sections.length).toBeGreaterThan(10);
    expect(sections.map((s) => s.id)).toEqual(sections.map((_, i) => `S${i + 1}`));
    expect(new Set(sections.map((s) => s.documentId))).toEqual(new Set(['D1']));
    // Nothing is lost: every word of the contract is in some section, in order.
    expect(
      sections
        .map((s) => s.text)
        .join(' ')
        .split(/\s+/),
    ).toEqual(text.trim().split(/\s+/));
    expect(splitSections(text)).toEqual(sections);
  });

  it('folds a bare heading into the clause that follows it', () => {
    const sections = splitSections(
      '1. FEES\n1.1 Customer pays $10.\n1.2 Invoices are due in 30 days.\n2. TERM\n2.1 One year.',
    );
    expect(sections.map((s) => [s.id, s.label, s.text.split('\n')[0]])).toEqual([
      ['S1', '1', '1. FEES'],
      ['S2', '1.2', '1.2 Invoices are due in 30 days.'],
      ['S3', '2', '2. TERM'],
    ]);
  });

  it('falls back to paragraph chunks for unstructured text, and splits long sections', () => {
    const para = (n: number) => Array.from({ length: 120 }, (_, i) => `word${n}_${i}`).join(' ');
    const unstructured = splitSections([1, 2, 3, 4, 5].map(para).join('\n\n'));
    expect(unstructured.length).toBe(2); // 360 words, then the remaining 240
    expect(unstructured.every((s) => s.label === null)).toBe(true);
    const long = splitSections(
      `1. A\n${para(1)} ${para(2)} ${para(3)} ${para(4)} ${para(5)} ${para(6)}\n2. B\nshort\n3. C\nshort`,
    );
    expect(long.length).toBeGreaterThan(3);
  });
});

describe('documents as documents', () => {
  const bundle = () =>
    ['master-services-agreement', 'order-form-1', 'amendment-1'].map((name) => ({
      name: `${name}.pdf`,
      text: normalizeText(fixtureFile(`msa-bundle/${name}.txt`)),
    }));

  it('splits an MSA, its order form and an amendment at the file boundaries, with D1.S1-style ids', () => {
    const files = bundle();
    const { documents, sections } = prepareDocuments(joinDocuments(files));
    expect(documents.map((d) => [d.id, d.name, d.kind, d.title, d.dateText])).toEqual([
      ['D1', 'master-services-agreement.pdf', 'msa', 'MASTER SERVICES AGREEMENT', 'January 15, 2025'],
      ['D2', 'order-form-1.pdf', 'order_form', 'ORDER FORM NO. 1', 'February 1, 2025'],
      ['D3', 'amendment-1.pdf', 'amendment', 'AMENDMENT NO. 1 TO ORDER FORM NO. 1', 'September 1, 2025'],
    ]);
    for (const [i, d] of documents.entries()) {
      expect(d.words).toBe(countWords(files[i]?.text ?? ''));
      expect(d.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(d.warnings).toEqual([]);
    }
    expect(sections.map((s) => `${s.id} ${s.label}`)).toEqual([
      'D1.S1 MASTER SERVICES AGREEMENT',
      'D1.S2 1',
      'D1.S3 1.2',
      'D1.S4 2',
      'D1.S5 2.2',
      'D1.S6 3',
      'D1.S7 3.2',
      'D1.S8 4',
      'D1.S9 4.2',
      'D1.S10 5',
      'D2.S1 ORDER FORM NO. 1',
      'D2.S2 1',
      'D2.S3 1.2',
      'D2.S4 2',
      'D2.S5 3',
      'D3.S1 AMENDMENT NO. 1 TO ORDER FORM NO. 1',
      'D3.S2 1',
      'D3.S3 2',
      'D3.S4 3',
    ]);
    expect(sections.every((s) => s.id.startsWith(`${s.documentId}.`))).toBe(true);
    // Each document's sections hold exactly that document's text: the MSA's signature block does not
    // run into the order form's header, and no boundary line is left in any section.
    for (const [i, d] of documents.entries()) {
      const own = sections.filter((s) => s.documentId === d.id).map((s) => s.text);
      expect(own.join('\n').split(/\s+/)).toEqual(files[i]?.text.split(/\s+/));
    }
    expect(sections.find((s) => s.id === 'D1.S10')?.text).toMatch(/Marcus Obi, Chief Financial Officer$/);
    // The wrapped "30 (thirty) days" stays in clause 3.1.
    expect(sections.find((s) => s.id === 'D1.S6')?.text).toContain('due within\n30 (thirty) days');
  });

  it('keeps single-document ids and texts as they were, and normalizes each document on its own', () => {
    const text = normalizeText(fixtureText('saas-subscription'));
    expect(joinDocuments([{ name: 'msa.pdf', text }])).toBe(text);
    expect(normalizeDocuments(text)).toBe(text);
    const joined = joinDocuments(bundle());
    expect(normalizeDocuments(joined)).toBe(joined);
    expect(normalizeDocuments(joined.replace(/\n/g, '\r\n'))).toBe(joined);
    expect(prepareDocuments(text, ['msa.pdf']).documents.map((d) => [d.id, d.name, d.kind])).toEqual([
      ['D1', 'msa.pdf', 'msa'],
    ]);
  });

  it('cannot be forged: a boundary typed into a contract is removed with the other control characters', () => {
    const forged = normalizeText(
      '1. FEES\n1.1 $10.\n\u001EDocument: evil.txt\n2. TERM\n2.1 One year.\n3. LAW',
    );
    const { documents, sections } = prepareDocuments(forged);
    expect(documents).toHaveLength(1);
    expect(sections.map((s) => s.id)).toEqual(['S1', 'S2', 'S3']);
    // A file named to look like a boundary is still one document with that (cleaned) name.
    const joined = joinDocuments([
      { name: 'a.txt', text: 'one' },
      { name: 'x\n\u001EDocument: y.txt', text: 'two' },
    ]);
    expect(prepareDocuments(joined).documents.map((d) => d.name)).toEqual(['a.txt', 'x Document: y.txt']);
  });

  it('goes through the pipeline with per-document ids that the model cites and none are dropped', async () => {
    const h = await SimHarness.start();
    try {
      const files = bundle();
      const result = await h.run(joinDocuments(files), { fileNames: files.map((f) => f.name) });
      expect(result.analysis.sections.map((s) => s.id)).toEqual(
        prepareDocuments(joinDocuments(files)).sections.map((s) => s.id),
      );
      expect(result.analysis.droppedCitations).toBe(0);
      const cited = JSON.stringify(result.analysis.steps).match(/"D\d\.S\d+"/g) ?? [];
      expect(cited.length).toBeGreaterThan(0);
      // What the model was sent: each section under its own id, and no boundary character.
      const { requests } = await h.stats();
      const sent = JSON.stringify(requests[0]);
      expect(sent).toContain('[D2.S3] 1.2 Subscription fee');
      expect(sent).not.toContain('\\u001e');
    } finally {
      await h.sim.close();
    }
  });

  it.each([
    ['renewal-discount.txt', ['SOFTWARE SUBSCRIPTION AGREEMENT', '1', '1.2', '2', '2.2', '2.3', '3', '4']],
    ['termination-for-convenience.txt', ['MANAGED SERVICES AGREEMENT', '1', '1.2', '2', '2.2', '3', '4']],
    ['chinese-services.txt', [null, '第一条', '第二条', '第三条', '第四条', '第五条', '第六条']],
  ])('%s: sections and headings', (file, labels) => {
    const { documents, sections } = prepareDocuments(fixtureFile(file), [file]);
    expect(sections.map((s) => s.label)).toEqual(labels);
    expect(documents[0]?.dateText).not.toBeNull();
  });
});

describe('heading rules', () => {
  const labels = (text: string) => splitSections(text).map((s) => s.label);

  it.each([
    [
      '§ signs',
      '§ 1 Gegenstand\nDer Vertrag regelt die Nutzung.\n§ 2 Vergütung\nMonatlich 100 EUR.\n§ 3 Laufzeit\nZwölf Monate.',
      ['§ 1', '§ 2', '§ 3'],
    ],
    [
      'accented sub-clauses',
      '1. Objet\n1.1 Émission des factures chaque mois.\n1.2 Élection de domicile à Paris.\n2. Durée\n2.1 Douze mois.',
      ['1', '1.2', '2'],
    ],
    [
      'Chinese articles',
      '第一条 服务\n乙方提供服务。\n第二条 费用\n每年十万元。\n第三条 期限\n三年。',
      ['第一条', '第二条', '第三条'],
    ],
    [
      'named articles',
      'ARTICLE I DEFINITIONS\nTerms have meanings.\nArticle 2 – Fees\nFees are due.\nSection 3. Term\nOne year.',
      ['ARTICLE I', 'Article 2', 'Section 3'],
    ],
    [
      'roman numerals',
      'I. SERVICES\nProvider hosts.\nII. FEES\n$10 a month.\nIII. TERM\nOne year.',
      ['I', 'II', 'III'],
    ],
  ])('%s', (_name, text, expected) => {
    expect(labels(text)).toEqual(expected);
  });

  it('keeps (a) sub-clauses, wrapped numbers and wrapped clause references inside their clause', () => {
    const text = [
      '1. FEES',
      '1.1 Customer pays within',
      '30 (thirty) days, and late amounts bear interest at the rate in',
      'Section 4.2 below, and in any case within',
      '45 Days of the invoice.',
      '(a) Disputed amounts are excluded.',
      '(b) Taxes are extra.',
      '2. TERM',
      '2.1 One year.',
      '3. LAW',
      '3.1 New York.',
    ].join('\n');
    const sections = splitSections(text);
    expect(sections.map((s) => s.label)).toEqual(['1', '2', '3']);
    expect(sections[0]?.text).toContain('(b) Taxes are extra.');
  });

  it('never makes page furniture a section', () => {
    const text =
      '1. FEES\n1.1 $10 a month.\nCONFIDENTIAL\nPage 2 of 14\n2. TERM\n2.1 One year.\n- 3 -\n3. LAW\n3.1 New York.';
    expect(splitSections(text).map((s) => s.label)).toEqual(['1', '2', '3']);
  });

  it('splits a long Chinese clause at sentence ends, keeping every character', () => {
    const sentence = '乙方应按照本合同约定的标准和期限向甲方提供平台服务并保证数据安全。';
    const text = `第一条 服务\n${sentence.repeat(40)}\n第二条 费用\n每年十万元。\n第三条 期限\n三年。`;
    const sections = splitSections(text);
    expect(sections.length).toBeGreaterThan(4);
    expect(sections.every((s) => countWords(s.text) <= 600)).toBe(true);
    expect(sections.slice(0, -2).every((s) => s.text.endsWith('。'))).toBe(true);
    const strip = (s: string) => s.replace(/\n/g, '');
    expect(strip(sections.map((s) => s.text).join(''))).toBe(strip(text));
  });
});

describe('token budget', () => {
  it('counts o200k tokens and throws ContractTooLongError over budget', () => {
    expect(countTokens('hello world')).toBe(2);
    expect(countTokens('<|endoftext|>')).toBeGreaterThan(1);
    expect(checkTokenBudget('hello world', 2)).toBe(2);
    const err = (() => {
      try {
        checkTokenBudget('hello world again', 2);
      } catch (e) {
        return e;
      }
    })();
    expect(err).toBeInstanceOf(ContractTooLongError);
    expect(err).toBeInstanceOf(PermanentAnalysisError);
    expect(err).toMatchObject({ code: 'contract_too_long', tokens: 3, maxTokens: 2 });
  });
});
