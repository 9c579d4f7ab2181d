import type { AllocationStep, PriceStep, RecognitionStep } from '@revmemo/engine';
import type { Draft } from './draft';
import type { Facts, Offering } from './facts';
import { fixedConsideration, statedSsp, transactionPrice, variableConsideration } from './price';
import { obligationGroups, suspiciousQuestions } from './steps-1-2';
import { amountsIn, shorten } from './text';

export function priceStep(facts: Facts): Draft<PriceStep> {
  const fixed = fixedConsideration(facts);
  const variable = variableConsideration(facts);
  const total = transactionPrice(facts);
  const usesDollars = facts.sentences.some((s) => /\$|united states dollars|USD/.test(s.text));
  const q: string[] = [];
  const financing = facts.sentence(
    /installment|deferred payment|extended payment|in advance|within \w+ \(?\d*\)? ?days/i,
  );
  const noncash = facts.sentence(/\b(shares of|equity interest|warrants to purchase|in kind|non-?cash)\b/i);
  const payable = facts.sentence(
    /signing incentive|pay (the )?(merchant|customer|client|buyer)|marketing (fund|allowance)|slotting/i,
  );
  if (fixed.length === 0) q.push('What fixed fees does the customer pay?');
  if (variable.length)
    q.push('What usage, performance or credit history supports the estimates of variable consideration?');
  return {
    currency: usesDollars ? 'USD' : null,
    fixedConsideration: fixed,
    variableConsideration: variable.map((v) => ({
      citations: v.citations,
      description: v.description,
      estimationMethod: v.method === 'undetermined' ? 'not_estimated' : v.method,
      unconstrainedEstimate: null,
      constraintAnalysis:
        v.method === 'most_likely_amount'
          ? "Depends on outcomes outside the vendor's control; constrained to zero until a significant reversal is no longer probable."
          : 'Estimated from expected volumes and included only to the extent a significant revenue reversal is not probable.',
      constrainedAmount: null,
      treatment: 'needs_information',
    })),
    significantFinancing: financing
      ? {
          present: 'no',
          analysis: `Payment timing ("${shorten(financing.text, 120)}") is within one year of performance, so the practical expedient of ASC 606-10-32-18 applies.`,
          citations: [financing.sectionId],
        }
      : {
          present: 'unclear',
          analysis: 'The contract does not state when payment is due relative to performance.',
          citations: [],
        },
    noncashConsideration: noncash
      ? {
          present: 'yes',
          analysis: `The contract mentions noncash consideration: "${shorten(noncash.text, 120)}"`,
          citations: [noncash.sectionId],
        }
      : { present: 'no', analysis: 'All consideration is payable in cash.', citations: [] },
    considerationPayableToCustomer: payable
      ? {
          present: 'yes',
          analysis: `"${shorten(payable.text, 140)}" reduces the transaction price unless it pays for a distinct good or service from the customer.`,
          citations: [payable.sectionId],
        }
      : {
          present: 'no',
          analysis: 'No payments from the vendor to the customer were identified.',
          citations: [],
        },
    transactionPrice: {
      amount: total.amount,
      description: variable.length
        ? 'Fixed consideration; variable amounts are constrained and added as uncertainty resolves.'
        : 'Fixed consideration.',
      citations: total.citations,
    },
    assumptions: [],
    conclusion:
      total.amount === null
        ? 'The transaction price cannot be determined from the contract.'
        : `The transaction price is ${total.amount.toLocaleString('en-US')}${variable.length ? ' plus constrained variable consideration' : ''}.`,
    openQuestions: [...q, ...suspiciousQuestions(facts)],
  };
}

export function allocationStep(facts: Facts): Draft<AllocationStep> {
  const groups = obligationGroups(facts);
  const total = transactionPrice(facts).amount;
  const ssps = groups.map((g) => {
    const found = g.map((o) => statedSsp(facts, o.priceMatch));
    return found.every((f) => f !== null)
      ? {
          amount: found.reduce((a, f) => a + (f?.amount ?? 0), 0),
          citations: found.flatMap((f) => f?.citations ?? []),
        }
      : null;
  });
  const allKnown = ssps.every((s) => s !== null) && total !== null;
  const sum = ssps.reduce((a, s) => a + (s?.amount ?? 0), 0);
  const discount = facts.sentence(/discount/i);
  const variable = variableConsideration(facts);
  const q = ssps.some((s) => s === null)
    ? ['What are the standalone selling prices of the obligations the contract does not price separately?']
    : [];
  // One obligation takes the whole price: no standalone selling price is needed (32-28).
  if (groups.length === 1 && total !== null) {
    const ssp = ssps[0] ?? null;
    return {
      allocations: [
        {
          citations: [...(ssp?.citations ?? []), ...transactionPrice(facts).citations],
          performanceObligationId: 'PO1',
          standaloneSellingPrice: ssp?.amount ?? null,
          sspBasis: ssp ? 'observable_price' : 'residual',
          allocatedAmount: total,
          rationale:
            'The only performance obligation receives the whole transaction price (ASC 606-10-32-28).',
        },
      ],
      discount: {
        present: 'no',
        amount: null,
        analysis: 'With one performance obligation there is no discount to allocate.',
        citations: [],
      },
      variableConsiderationAllocation: variable.length
        ? {
            analysis: 'Variable amounts relate to the only performance obligation.',
            citations: variable.flatMap((v) => v.citations).slice(0, 3),
          }
        : { analysis: 'There is no variable consideration to allocate.', citations: [] },
      assumptions: [],
      conclusion: 'The whole transaction price is allocated to the single performance obligation.',
      openQuestions: suspiciousQuestions(facts),
    };
  }
  return {
    allocations: groups.map((g, i) => {
      const ssp = ssps[i] ?? null;
      return {
        performanceObligationId: `PO${i + 1}`,
        standaloneSellingPrice: ssp?.amount ?? null,
        sspBasis: ssp ? 'observable_price' : g[0]?.kind === 'usage' ? 'residual' : 'not_determinable',
        allocatedAmount:
          allKnown && ssp && sum > 0 ? Math.round(((total as number) * ssp.amount) / sum) : null,
        rationale: ssp
          ? 'Stated list price used as the observable standalone selling price.'
          : 'The contract does not state a standalone selling price.',
        citations: ssp?.citations ?? (g[0] as Offering).citations.slice(0, 1),
      };
    }),
    discount: discount
      ? {
          present: 'yes',
          amount: discountAmount(discount.text),
          analysis: `"${shorten(discount.text, 140)}" No evidence ties the discount to particular obligations, so it is allocated proportionally (ASC 606-10-32-36).`,
          citations: [discount.sectionId],
        }
      : { present: 'no', amount: null, analysis: 'The contract grants no discount.', citations: [] },
    variableConsiderationAllocation: variable.length
      ? {
          analysis:
            'Variable amounts relate to the obligation whose usage or performance triggers them and are allocated entirely to it (ASC 606-10-32-40).',
          citations: variable.flatMap((v) => v.citations).slice(0, 3),
        }
      : { analysis: 'There is no variable consideration to allocate.', citations: [] },
    assumptions: [],
    conclusion: allKnown
      ? 'The transaction price is allocated by relative standalone selling price.'
      : 'The allocation is incomplete until the missing standalone selling prices are established.',
    openQuestions: [...q, ...suspiciousQuestions(facts)],
  };
}

const PATTERNS: Record<
  Offering['kind'],
  Omit<
    RecognitionStep['recognition'][number],
    'performanceObligationId' | 'evidence' | 'startMonth' | 'endMonth'
  >
> = {
  stand_ready: {
    pattern: 'over_time',
    overTimeCriterion: 'simultaneous_receipt_and_consumption',
    measureOfProgress: 'time_elapsed',
    timing: 'Ratably over the service period.',
    rationale:
      'A stand-ready obligation whose benefits the customer receives and consumes as the vendor performs.',
  },
  service: {
    pattern: 'over_time',
    overTimeCriterion: 'simultaneous_receipt_and_consumption',
    measureOfProgress: 'input_method',
    timing: 'As the work is performed, measured by hours incurred against the estimate.',
    rationale: 'The customer benefits from the services as they are performed.',
  },
  goods: {
    pattern: 'point_in_time',
    overTimeCriterion: 'not_applicable',
    measureOfProgress: 'not_applicable',
    timing: 'On delivery, when title and risk of loss pass to the customer.',
    rationale: 'Control of standard goods transfers at delivery (ASC 606-10-25-30).',
  },
  usage: {
    pattern: 'over_time',
    overTimeCriterion: 'simultaneous_receipt_and_consumption',
    measureOfProgress: 'right_to_invoice',
    timing: 'As transactions are processed, in the amount the vendor has a right to invoice.',
    rationale: 'Fees correspond directly to the value of the service delivered to date.',
  },
};

export function recognitionStep(facts: Facts): Draft<RecognitionStep> {
  const groups = obligationGroups(facts);
  return {
    recognition: groups.map((g, i) => {
      const kind = (g[0] as Offering).kind;
      const months = facts.termMonths?.value ?? null;
      return {
        citations: [...new Set(g.flatMap((o) => o.citations))],
        performanceObligationId: `PO${i + 1}`,
        ...PATTERNS[kind],
        startMonth: kind === 'goods' || months !== null ? 1 : null,
        endMonth: kind === 'goods' ? 1 : months,
      };
    }),
    assumptions: [],
    conclusion: groups.length
      ? 'Revenue is recognized as each performance obligation is satisfied, as set out above.'
      : 'No recognition pattern can be set without performance obligations.',
    openQuestions: suspiciousQuestions(facts),
  };
}

/** "discount of $15,000" -> 15000; "discount of 12% on ... $688,000" -> 82560. */
function discountAmount(text: string): number | null {
  const direct = /discount of \$\s?([\d,]+(?:\.\d+)?)/i.exec(text);
  if (direct?.[1]) return Number(direct[1].replace(/,/g, ''));
  const percent = /discount of (\d+(?:\.\d+)?)\s?%/i.exec(text);
  const base = amountsIn(text).at(-1);
  return percent?.[1] && base ? Math.round((Number(percent[1]) / 100) * base.value) : null;
}
