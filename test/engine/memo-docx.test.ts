import { extractText, MEMO_SECTIONS, renderMemo } from '@revmemo/engine';
import { CASES } from '@revmemo/evals';
import { describe, expect, it } from 'vitest';
import { markdownToDocx } from '../../apps/web/src/lib/docx-export';
import { copy, memoInput, perfectAnswer } from '../evals/answers';

/** The web app's Word export of a memo, read back with the product's own DOCX reader. */
describe('the DOCX export carries the memo’s sections', () => {
  it('summary, table with totals, schedule, disclosures, appendix, sign-off and the flags', async () => {
    const c = CASES.find((x) => x.id === 'software-licence-installation-pcs');
    if (!c) throw new Error('case missing');
    const steps = copy(perfectAnswer(c));
    const row = steps.allocation.allocations[0];
    if (!row || row.allocatedAmount === null) throw new Error('no allocation');
    row.allocatedAmount += 10_000;
    const markdown = renderMemo(memoInput(c, steps));
    const blob = await markdownToDocx(markdown, 'ASC 606 memo');
    const { text } = await extractText({
      filename: 'memo.docx',
      data: new Uint8Array(await blob.arrayBuffer()),
    });
    for (const title of Object.values(MEMO_SECTIONS)) expect(text).toContain(title);
    expect(text).toContain('Transaction price');
    expect(text).toContain('Total');
    expect(text).toContain('Remaining performance obligations (ASC 606-10-50-13)');
    expect(text).toContain('Checked by code: The allocated amounts add up to');
    expect(text).toContain('Reviewer');
    expect(text).toMatch(/[0-9a-f]{64}/);
  });
});

describe('citations name the document and the clause', () => {
  it('"MSA §2.1 (S3)" and "Order Form §…" when the contract is several documents', () => {
    const c = CASES.find((x) => x.id === 'software-licence-installation-pcs');
    if (!c) throw new Error('case missing');
    const input = memoInput(c, perfectAnswer(c));
    const base = input.documents[0];
    if (!base) throw new Error('no document');
    // The first three sections as an MSA, the rest as its order form.
    const sources = input.sources.map((s, i) => ({ ...s, documentId: i < 3 ? 'D1' : 'D2' }));
    const documents = [
      { ...base, id: 'D1', name: 'msa.pdf', kind: 'msa' as const },
      { ...base, id: 'D2', name: 'order.pdf', kind: 'order_form' as const },
    ];
    const md = renderMemo({ ...input, sources, documents });
    const labelled = sources.filter((s) => s.label && /^\d/.test(s.label));
    const msa = labelled.find((s) => s.documentId === 'D1');
    const order = labelled.find((s) => s.documentId === 'D2');
    if (!msa || !order) throw new Error('fixture has no numbered clauses in both parts');
    expect(md).toContain(`MSA §${msa.label} (${msa.id})`);
    expect(md).toContain(`Order Form §${order.label} (${order.id})`);
    expect(md).toContain('| D2 | order.pdf | order\\_form |');
  });
});
