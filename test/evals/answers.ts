import {
  type AnalysisSteps,
  type MemoInput,
  normalizeText,
  PROMPT_VERSION,
  prepareDocuments,
  reviewAnalysis,
  type Section,
  STEPS,
  type StepResults,
  sectionSources,
  splitSections,
} from '@revmemo/engine';
import type { EvalCase } from '@revmemo/evals';

/**
 * Hand-made answers for the scorer tests: the answer a careful analyst would give for a case,
 * written in the pipeline's step schemas from the case's expected answer, citing the clauses the
 * case names. Tests then break one thing in it and check what the scorer takes away.
 */

export function sectionsOf(c: EvalCase): Section[] {
  return splitSections(normalizeText(c.contract));
}

/** The section holding a clause ("2.1"); throws when the contract has no such clause. */
function sectionOf(sections: readonly Section[], clause: string): string {
  const hit = sections.find(
    (s) => s.label === clause || s.text.split('\n').some((line) => line.trim().startsWith(`${clause} `)),
  );
  if (!hit) throw new Error(`no section holds clause ${clause}`);
  return hit.id;
}

export function perfectAnswer(c: EvalCase): StepResults {
  const sections = sectionsOf(c);
  const x = c.expected;
  const cites = (clauses: readonly string[]) => [...new Set(clauses.map((cl) => sectionOf(sections, cl)))];
  const main = cites(x.obligations.flatMap((o) => o.clauses));
  const questions = (step: string) =>
    x.unknowns.flatMap((u) => (u.kind === 'question' && u.step === step ? [u.about] : []));
  const met = { status: 'met' as const, rationale: 'Stated in the contract.', citations: main.slice(0, 1) };
  const collectibilityUnknown = x.unknowns.some((u) => u.kind === 'collectibility');
  const tp = x.price.transactionPrice?.[0] ?? null;

  const draft = {
    contract: {
      parties: [
        { name: `${x.contract.vendor[0]} Inc.`, role: 'vendor', citations: ['S1'] },
        { name: `${x.contract.customer[0]} LLC`, role: 'customer', citations: ['S1'] },
      ],
      term: {
        description: 'As stated in the contract.',
        startDate: null,
        endDate: null,
        durationMonths: null,
        renewalAndTermination: null,
        terminationForConvenience: 'none',
        enforceableTermMonths: null,
        citations: ['S1'],
      },
      criteria: {
        a: met,
        b: met,
        c: met,
        d: met,
        e: collectibilityUnknown
          ? { status: 'unclear', rationale: 'The contract says nothing about credit.', citations: [] }
          : met,
      },
      combination: { analysis: 'No other contracts.', citations: [] },
      modifications: [],
      modificationTerms: { analysis: 'Written amendments only.', citations: [] },
      outcome: 'contract_exists',
      assumptions: [],
      conclusion: 'A contract exists.',
      openQuestions: [
        ...(collectibilityUnknown ? ["Has the customer's credit been assessed?"] : []),
        ...questions('contract'),
      ],
    },
    obligations: {
      promisedGoodsOrServices: x.obligations.map((o, i) => ({
        id: `G${i + 1}`,
        description: o.description,
        citations: cites(o.clauses),
      })),
      performanceObligations: x.obligations.map((o, i) => ({
        id: `PO${i + 1}`,
        description: o.description,
        promisedItemIds: [`G${i + 1}`],
        capableOfBeingDistinct: { status: 'met', rationale: 'Sold separately.', citations: cites(o.clauses) },
        distinctInContext: {
          status: 'met',
          rationale: 'Not integrated with the other promises.',
          citations: [],
        },
        series: {
          substantiallyTheSame: { rationale: 'As the contract provides.', status: 'met' },
          satisfiedOverTime: { rationale: 'As the contract provides.', status: 'met' },
          sameMeasureOfProgress: { rationale: 'As the contract provides.', status: 'met' },
          conclusion: o.series ? 'applies' : 'does_not_apply',
        },
        natureOfPromise: 'other',
        citations: cites(o.clauses),
      })),
      judgements: Object.fromEntries(
        [
          'materialRights',
          'principalVersusAgent',
          'setupFees',
          'warranty',
          'rightOfReturn',
          'breakage',
          'usageBasedRoyalty',
          'contractCosts',
        ].map((k) => [
          k,
          { citations: [], facts: 'Not mentioned.', analysis: 'None.', conclusion: 'does_not_apply' },
        ]),
      ),
      assumptions: [],
      conclusion: `${x.obligations.length} performance obligation(s).`,
      openQuestions: questions('obligations'),
    },
    price: {
      currency: 'USD',
      fixedConsideration:
        tp === null ? [] : [{ description: 'Fixed consideration', amount: tp, citations: main }],
      variableConsideration: x.price.variable.present
        ? [
            {
              description: 'Variable consideration',
              estimationMethod: 'expected_value',
              unconstrainedEstimate: x.price.variable.amounts?.[0] ?? null,
              constraintAnalysis: 'Constrained under ASC 606-10-32-11.',
              constrainedAmount: x.price.variable.amounts?.[0] ?? null,
              treatment: 'estimated_in_price',
              citations: main,
            },
          ]
        : [],
      significantFinancing: { present: x.price.financing ?? 'no', analysis: 'As stated.', citations: main },
      noncashConsideration: { present: 'no', analysis: 'Cash only.', citations: [] },
      considerationPayableToCustomer: {
        present: x.price.payableToCustomer ?? 'no',
        analysis: 'As stated.',
        citations: main,
      },
      transactionPrice: { amount: tp, description: 'The transaction price.', citations: main },
      assumptions: [],
      conclusion: 'The transaction price is determined.',
      openQuestions: questions('price'),
    },
    allocation: {
      allocations: x.obligations.map((o, i) => ({
        performanceObligationId: `PO${i + 1}`,
        standaloneSellingPrice: o.allocated,
        sspBasis: o.allocated === null ? 'not_determinable' : 'observable_price',
        allocatedAmount: o.allocated,
        rationale: 'Relative standalone selling price.',
        citations: cites(o.clauses),
      })),
      discount: { present: 'no', amount: null, analysis: 'None.', citations: [] },
      variableConsiderationAllocation: { analysis: 'None.', citations: [] },
      assumptions: [],
      conclusion: 'Allocated.',
      openQuestions: questions('allocation'),
    },
    recognition: {
      recognition: x.obligations.map((o, i) => {
        const t = o.timing[0];
        if (!t) throw new Error(`${c.id}/${o.key}: no timing`);
        const overTime = t.pattern === 'over_time';
        return {
          performanceObligationId: `PO${i + 1}`,
          pattern: t.pattern,
          overTimeCriterion: overTime ? 'simultaneous_receipt_and_consumption' : 'not_applicable',
          measureOfProgress: t.measures[0] ?? (overTime ? 'time_elapsed' : 'not_applicable'),
          timing: overTime ? 'Over the service period.' : 'On transfer of control.',
          rationale: 'As the contract provides.',
          startMonth: null,
          endMonth: null,
          citations: cites(o.clauses),
        };
      }),
      assumptions: [],
      conclusion: 'Recognized as above.',
      openQuestions: questions('recognition'),
    },
  };
  const answer = withQuotes(draft, sections) as StepResults;
  // Hand-made, but valid for the same schemas the model must answer in.
  for (const step of STEPS) step.schema.parse(answer[step.key]);
  return answer;
}

/** A copy to break one thing in. */
export function copy(answer: StepResults): StepResults {
  return structuredClone(answer);
}

/**
 * Turns the `citations` lists written above into `evidence` items that quote the opening words of
 * each section verbatim, as a careful model would.
 */
function withQuotes(value: unknown, sections: readonly Section[]): unknown {
  if (Array.isArray(value)) return value.map((v) => withQuotes(v, sections));
  if (value === null || typeof value !== 'object') return value;
  return Object.fromEntries(
    Object.entries(value).map(([k, v]) =>
      k === 'citations'
        ? [
            'evidence',
            (v as string[]).map((id) => ({
              sectionId: id,
              quote: (sections.find((s) => s.id === id)?.text ?? '').split(/\s+/).slice(0, 8).join(' '),
            })),
          ]
        : [k, withQuotes(v, sections)],
    ),
  );
}

/** What the pipeline would hand the renderer for these (possibly hand-broken) answers. */
export function memoInput(c: EvalCase, steps: AnalysisSteps): MemoInput {
  const { sections, documents } = prepareDocuments(c.contract, [`${c.id}.txt`]);
  const sources = sectionSources(sections);
  return {
    steps,
    sources,
    documents,
    review: reviewAnalysis(steps, sources),
    additionalContext: null,
    model: 'gpt-4.1',
    promptVersion: PROMPT_VERSION,
    memoDate: '2026-11-29',
    simulated: false,
  };
}
