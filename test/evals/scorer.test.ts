import type { StepResults } from '@revmemo/engine';
import { CASES, type CaseScore, type EvalCase, scoreCase } from '@revmemo/evals';
import { describe, expect, it } from 'vitest';
import { copy, perfectAnswer, sectionsOf } from './answers';

function caseById(id: string): EvalCase {
  const c = CASES.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}

function score(c: EvalCase, answer: StepResults): CaseScore {
  return scoreCase(c, answer, sectionsOf(c));
}

function failed(s: CaseScore): string[] {
  return s.fields.filter((f) => !f.passed).map((f) => f.field);
}

/** Points of the named fields in the perfect answer's score: what breaking them must cost. */
function pointsOf(s: CaseScore, fields: string[]): number {
  return s.fields.filter((f) => fields.includes(f.field)).reduce((a, f) => a + f.points, 0);
}

const licence = caseById('software-licence-installation-pcs');

const notMet = { rationale: 'Not a repeated service.', status: 'not_met' as const };
const NO_SERIES = {
  substantiallyTheSame: notMet,
  satisfiedOverTime: notMet,
  sameMeasureOfProgress: notMet,
  conclusion: 'does_not_apply' as const,
};

describe('the suite', () => {
  it('has at least twelve cases, each with a guidance paragraph, a rationale and unique keys', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(12);
    expect(new Set(CASES.map((c) => c.id)).size).toBe(CASES.length);
    for (const c of CASES) {
      expect(c.guidance, c.id).toMatch(/606-10-\d\d-\d+/);
      expect(c.rationale.length, c.id).toBeGreaterThan(100);
      expect(c.expected.obligations.length, c.id).toBeGreaterThan(0);
      expect(new Set(c.expected.obligations.map((o) => o.key)).size, c.id).toBe(
        c.expected.obligations.length,
      );
      // Clause-structured, so citations point at clauses a reader can find.
      expect(sectionsOf(c).length, c.id).toBeGreaterThanOrEqual(6);
    }
  });
});

describe.each(CASES.map((c) => [c.id, c] as const))('case %s', (_id, c) => {
  it('the expected answer, written by hand in the step schemas, scores 100 %', () => {
    const s = score(c, perfectAnswer(c));
    expect(failed(s)).toEqual([]);
    expect(s.earned).toBe(s.possible);
    expect(s.inventedFacts).toBe(0);
    for (const step of Object.values(s.steps)) expect(step.possible).toBeGreaterThan(0);
  });
});

describe('the scorer takes away exactly the points of what is wrong', () => {
  const perfect = perfectAnswer(licence);
  const full = score(licence, perfect);

  it('one performance obligation missing: that obligation, and its allocation and recognition', () => {
    const answer = copy(perfect);
    // PO2 is the installation: a model that misses it has no allocation or recognition for it either.
    answer.obligations.performanceObligations.splice(1, 1);
    answer.obligations.promisedGoodsOrServices.splice(1, 1);
    answer.allocation.allocations.splice(1, 1);
    answer.recognition.recognition.splice(1, 1);
    const s = score(licence, answer);
    const lost = ['obligations.po:installation', 'allocation.po:installation', 'recognition.po:installation'];
    expect(failed(s)).toEqual(lost);
    expect(s.earned).toBe(full.earned - pointsOf(full, lost));
    expect(s.fields.find((f) => f.field === 'obligations.po:installation')?.why).toMatch(/missing/);
  });

  it('one performance obligation missing from step 2 only: just that field', () => {
    const answer = copy(perfect);
    answer.obligations.performanceObligations.splice(1, 1);
    // Steps 4 and 5 still talk about PO2, but nothing in step 2 says what PO2 is.
    const s = score(licence, answer);
    expect(failed(s)).toContain('obligations.po:installation');
    expect(failed(s).filter((f) => f.startsWith('obligations.'))).toEqual(['obligations.po:installation']);
  });

  it('a wrong timing: only that obligation’s recognition', () => {
    const answer = copy(perfect);
    const rec = answer.recognition.recognition[0];
    if (!rec) throw new Error('no recognition');
    Object.assign(rec, {
      pattern: 'over_time',
      overTimeCriterion: 'simultaneous_receipt_and_consumption',
      measureOfProgress: 'time_elapsed',
    });
    const s = score(licence, answer);
    expect(failed(s)).toEqual(['recognition.po:licence']);
    expect(s.earned).toBe(full.earned - pointsOf(full, ['recognition.po:licence']));
    expect(s.steps.recognition.earned).toBe(full.steps.recognition.earned - 1);
    expect(s.fields.find((f) => f.field === 'recognition.po:licence')?.why).toMatch(/expected point_in_time/);
  });

  it('a wrong measure of progress for an over-time obligation: only that recognition', () => {
    const answer = copy(perfect);
    const pcs = answer.recognition.recognition[2];
    if (!pcs) throw new Error('no recognition');
    pcs.measureOfProgress = 'input_method';
    expect(failed(score(licence, answer))).toEqual(['recognition.po:pcs']);
  });

  it('a wrong amount: only the transaction price', () => {
    const answer = copy(perfect);
    answer.price.transactionPrice.amount = 330_000;
    const s = score(licence, answer);
    expect(failed(s)).toEqual(['price.transaction-price']);
    expect(s.earned).toBe(full.earned - pointsOf(full, ['price.transaction-price']));
    expect(s.fields.find((f) => f.field === 'price.transaction-price')?.why).toBe(
      '330,000 (expected 300,000)',
    );
  });

  it('a wrong allocated amount: only that obligation’s allocation', () => {
    const answer = copy(perfect);
    const row = answer.allocation.allocations[0];
    if (!row) throw new Error('no allocation');
    row.allocatedAmount = 240_000; // the list price, with no share of the discount
    expect(failed(score(licence, answer))).toEqual(['allocation.po:licence']);
  });

  it('a citation to a section that does not exist: only that step’s citations, counted as invented', () => {
    const answer = copy(perfect);
    answer.allocation.allocations[0]?.evidence.push({ sectionId: 'S99', quote: 'anything' });
    const s = score(licence, answer);
    expect(failed(s)).toEqual(['allocation.citations']);
    expect(s.earned).toBe(full.earned - pointsOf(full, ['allocation.citations']));
    const field = s.fields.find((f) => f.field === 'allocation.citations');
    expect(field?.why).toMatch(/S99/);
    expect(field?.invented).toBe(true);
    expect(s.inventedFacts).toBe(1);
  });

  it('a step that cites nothing loses its citations point', () => {
    const answer = copy(perfect);
    for (const r of answer.recognition.recognition) r.evidence = [];
    expect(failed(score(licence, answer))).toEqual(['recognition.citations']);
  });
});

describe('tolerant matching', () => {
  const perfect = perfectAnswer(licence);

  it('amounts within half a percent pass; beyond it they fail', () => {
    const close = copy(perfect);
    close.price.transactionPrice.amount = 301_000;
    expect(failed(score(licence, close))).toEqual([]);
    const far = copy(perfect);
    far.price.transactionPrice.amount = 302_000;
    expect(failed(score(licence, far))).toEqual(['price.transaction-price']);
  });

  it('obligations match by meaning through aliases, whatever the wording and spelling', () => {
    const answer = copy(perfect);
    const [a, b, c] = answer.obligations.performanceObligations;
    if (!a || !b || !c) throw new Error('three obligations expected');
    a.description = 'Right to use the Corvane Route Optimizer (on-premise software license)';
    b.description = 'Installing and configuring the interfaces';
    c.description = 'Maintenance: bug fixes, upgrades and a help line for two years';
    // The promised items keep their own wording; the obligation's description is what changed.
    for (const g of answer.obligations.promisedGoodsOrServices) g.description = 'See the obligation.';
    expect(failed(score(licence, answer))).toEqual([]);
  });

  it('an obligation that merges two expected ones earns only one of them', () => {
    const answer = copy(perfect);
    const [a, b] = answer.obligations.performanceObligations;
    if (!a || !b) throw new Error('obligations expected');
    a.description = 'Software licence combined with its installation';
    a.promisedItemIds = ['G1', 'G2'];
    answer.obligations.performanceObligations.splice(1, 1);
    const s = score(licence, answer);
    expect(failed(s)).toContain('obligations.po:installation');
    expect(failed(s)).not.toContain('obligations.po:licence');
  });

  it('an obligation the case does not expect (an assurance warranty) fails only "no-extra"', () => {
    const warranty = caseById('assurance-and-service-warranty');
    const answer = perfectAnswer(warranty);
    answer.obligations.performanceObligations.push({
      id: 'PO3',
      description: 'Standard twelve-month warranty against defects',
      promisedItemIds: [],
      capableOfBeingDistinct: { evidence: [], status: 'met', rationale: '' },
      distinctInContext: { evidence: [], status: 'met', rationale: '' },
      series: NO_SERIES,
      natureOfPromise: 'other',
      evidence: [{ sectionId: 'S3', quote: sectionsOf(warranty)[2]?.text.slice(0, 30) ?? '' }],
    });
    const s = score(warranty, answer);
    expect(failed(s)).toEqual(['obligations.no-extra']);
    expect(s.fields.find((f) => f.field === 'obligations.no-extra')?.why).toMatch(
      /PO3 "Standard twelve-month warranty/,
    );
  });

  it('an alternative split the case allows (PCS as updates plus support) is not an extra', () => {
    const answer = copy(perfect);
    answer.obligations.performanceObligations.push({
      id: 'PO4',
      description: 'When-and-if-available updates',
      promisedItemIds: [],
      capableOfBeingDistinct: { evidence: [], status: 'met', rationale: '' },
      distinctInContext: { evidence: [], status: 'met', rationale: '' },
      series: NO_SERIES,
      natureOfPromise: 'other',
      evidence: [],
    });
    expect(failed(score(licence, answer))).toEqual([]);
  });

  it('the series flag counts where the case depends on it', () => {
    const payroll = caseById('series-of-distinct-services');
    const answer = perfectAnswer(payroll);
    const po = answer.obligations.performanceObligations[0];
    if (!po) throw new Error('no obligation');
    po.series = NO_SERIES;
    expect(failed(score(payroll, answer))).toEqual(['obligations.po:payroll']);
  });
});

describe('unknowns: asked, not invented', () => {
  it('collectibility marked met with nothing in the contract is an invented fact', () => {
    const answer = perfectAnswer(licence);
    answer.contract.criteria.e = { status: 'met', rationale: 'The customer is creditworthy.', evidence: [] };
    const s = score(licence, answer);
    expect(failed(s)).toEqual(['contract.unknown:collectibility']);
    expect(s.inventedFacts).toBe(1);
  });

  it('a standalone selling price the contract does not determine, stated anyway, is invented', () => {
    const option = caseById('customer-option-material-right');
    const answer = perfectAnswer(option);
    const row = answer.allocation.allocations[1];
    if (!row) throw new Error('no allocation');
    Object.assign(row, {
      standaloneSellingPrice: 30_000,
      sspBasis: 'adjusted_market_assessment',
      allocatedAmount: 28_302,
    });
    const s = score(option, answer);
    expect(failed(s)).toEqual(['allocation.po:option']);
    expect(s.fields.find((f) => f.field === 'allocation.po:option')).toMatchObject({ invented: true });
  });

  it('a transaction price stated where the contract has none is invented', () => {
    const agent = caseById('principal-versus-agent');
    const answer = perfectAnswer(agent);
    answer.price.transactionPrice.amount = 120_000;
    const s = score(agent, answer);
    expect(failed(s)).toEqual(['price.transaction-price']);
    expect(s.inventedFacts).toBe(1);
  });

  it('a question the contract leaves open, not asked, loses that point', () => {
    const volume = caseById('volume-discount-constraint');
    const answer = perfectAnswer(volume);
    answer.price.openQuestions = [];
    expect(failed(score(volume, answer))).toEqual(['price.unknown:additional-orders']);
    // Asked in other words, in another step, it counts.
    answer.recognition.openQuestions = ['What is the customer’s forecast of orders beyond the 10,000 kits?'];
    expect(failed(score(volume, answer))).toEqual([]);
  });

  it('the principal answer (gross sales of the merchant’s goods) fails the agent case', () => {
    const agent = caseById('principal-versus-agent');
    const answer = perfectAnswer(agent);
    const po = answer.obligations.performanceObligations[0];
    const item = answer.obligations.promisedGoodsOrServices[0];
    if (!po || !item) throw new Error('no obligation');
    po.description = 'Sale of home goods to shoppers';
    item.description = 'Home goods';
    const s = score(agent, answer);
    expect(failed(s)).toEqual(expect.arrayContaining(['obligations.po:arranging', 'obligations.no-extra']));
  });
});
