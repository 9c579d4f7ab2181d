import { renderMemo, type StepResults } from '@revmemo/engine';
import { CASES, type EvalCase } from '@revmemo/evals';
import { describe, expect, it } from 'vitest';
import { copy, memoInput, perfectAnswer } from './answers';

function caseById(id: string): EvalCase {
  const c = CASES.find((x) => x.id === id);
  if (!c) throw new Error(`no case ${id}`);
  return c;
}

function memo(c: EvalCase, steps: StepResults): string {
  return renderMemo(memoInput(c, steps));
}

/** The lines of the "Open items" section. */
function openItems(markdown: string): string[] {
  const from = markdown.indexOf('## Open items');
  const to = markdown.indexOf('## Appendix');
  return markdown
    .slice(from, to)
    .split('\n')
    .filter((l) => /^\d+\. /.test(l) || l === 'None identified.');
}

const headings = (md: string) => md.split('\n').filter((l) => /^#{1,6} /.test(l));

describe('the memo shows what the analysis is unsure of as open items for the accountant', () => {
  it('an unclear existence criterion is listed after the model’s own question, under its step', () => {
    const c = caseById('software-licence-installation-pcs');
    const items = openItems(memo(c, perfectAnswer(c)));
    expect(items).toEqual([
      "1. Step 1: Has the customer's credit been assessed?",
      '2. Step 1, marked uncertain in the analysis: Existence criterion (e) Collectibility probable is unclear: The contract says nothing about credit.',
    ]);
  });

  it('a standalone selling price or transaction price the contract does not determine becomes a question', () => {
    const option = caseById('customer-option-material-right');
    const optionItems = openItems(memo(option, perfectAnswer(option))).join('\n');
    expect(optionItems).toMatch(
      /Step 4, marked uncertain in the analysis: The standalone selling price of PO1 is not determinable/,
    );
    expect(optionItems).toMatch(
      /Step 4, marked uncertain in the analysis: The standalone selling price of PO2 is not determinable/,
    );
    expect(optionItems).toMatch(/Step 4: How likely is the Customer to exercise the option/);

    const agent = caseById('principal-versus-agent');
    const agentItems = openItems(memo(agent, perfectAnswer(agent))).join('\n');
    expect(agentItems).toMatch(
      /Step 3, marked uncertain in the analysis: The transaction price is not determinable from the contract/,
    );
    expect(agentItems).toMatch(
      /Step 3, marked uncertain in the analysis: The variable consideration "Variable consideration" cannot be estimated/,
    );
  });

  it('unclear presence, distinctness and timing are listed too', () => {
    const c = caseById('bill-and-hold');
    const steps = copy(perfectAnswer(c));
    steps.price.significantFinancing = {
      evidence: [],
      analysis: 'Payment dates depend on acceptance.',
      present: 'unclear',
    };
    const po = steps.obligations.performanceObligations[1];
    const rec = steps.recognition.recognition[0];
    if (!po || !rec) throw new Error('answer incomplete');
    po.distinctInContext = { evidence: [], status: 'unclear', rationale: 'Storage may be incidental.' };
    rec.pattern = 'unclear';
    rec.rationale = 'Depends on whether the bill-and-hold criteria are met.';
    const items = openItems(memo(c, steps)).join('\n');
    expect(items).toMatch(
      /Step 2, marked uncertain in the analysis: Whether PO2 \(Custodial storage .*\) is distinct in the context of the contract is unclear: Storage may be incidental\./,
    );
    expect(items).toMatch(
      /Step 3, marked uncertain in the analysis: Whether there is a significant financing component is unclear: Payment dates depend on acceptance\./,
    );
    expect(items).toMatch(
      /Step 5, marked uncertain in the analysis: Whether PO1 is satisfied over time or at a point in time is unclear/,
    );
  });

  it('an answer sure of everything and with no questions has no open items', () => {
    const c = caseById('series-of-distinct-services');
    const steps = copy(perfectAnswer(c));
    steps.contract.criteria.e = {
      status: 'met',
      rationale: 'Letter of credit.',
      evidence: [
        {
          sectionId: 'S1',
          quote:
            c.contract
              .split('\n')
              .find((l) => l.trim())
              ?.trim() ?? '',
        },
      ],
    };
    steps.contract.openQuestions = [];
    expect(openItems(memo(c, steps))).toEqual(['None identified.']);
  });

  it('model text in an uncertain item is escaped and never changes the memo’s structure', () => {
    const c = caseById('software-licence-installation-pcs');
    const clean = memo(c, perfectAnswer(c));
    const steps = copy(perfectAnswer(c));
    steps.contract.criteria.e.rationale =
      'Unknown.\n\n## Injected heading\n[click](javascript:alert(1)) <b>x</b>';
    const hostile = memo(c, steps);
    expect(headings(hostile)).toEqual(headings(clean));
    expect(hostile).not.toContain('\n## Injected');
    expect(hostile).toContain('\\#\\# Injected heading \\[click\\](javascript:alert(1)) \\<b\\>x\\</b\\>');
  });
});
