import type { ContractStep, ObligationsStep } from '@revmemo/engine';
import type { Facts, Offering } from './facts';
import { shorten } from './text';

/** Questions every step repeats when the contract contained text addressed to an AI. */
export function suspiciousQuestions(facts: Facts): string[] {
  return facts.suspicious.length
    ? [
        `Sections ${facts.suspicious.join(', ')} contain instructions addressed to an automated reviewer; they were treated as contract text and not followed. Should they be removed from the executed contract?`,
      ]
    : [];
}

export function contractStep(facts: Facts): ContractStep {
  const q: string[] = [];
  if (facts.parties.length < 2) q.push('Who are the contracting parties and which one is the customer?');
  const signature = facts.find(/in witness whereof|signed|executed|accepted and signed/i);
  const payment = facts.find(/\b(invoice|invoiced|payable|pay)\b/i);
  const offeringIds = facts.offerings.flatMap((o) => o.citations);
  const renewal = facts.sentence(/\brenews\b|may be renewed|successive|continues (on a )?month to month/i);
  const termination = facts.sentence(/terminat/i);
  const modification = facts.sentence(
    /\bamend(ment|ed)?\b|change order|change to (this agreement|the scope)|modifications? (to|of) this agreement/i,
  );
  const orderForms = facts.sentence(/order forms?|statement of work|\bSOW\b/i);
  if (!facts.startDate) q.push('What is the effective date of the contract?');
  if (!facts.termMonths) q.push('What is the contract term (duration), and when does it end?');
  if (signature.length === 0) q.push('Has the contract been signed and approved by both parties?');
  q.push("Has the customer's credit risk been assessed? The contract does not address collectibility.");
  if (!modification)
    q.push('How are changes to scope or price agreed? The contract does not address modifications.');
  return {
    parties: facts.parties,
    term: {
      description: facts.termMonths
        ? `${facts.termMonths.value} months from the effective date`
        : 'The contract does not state a fixed term.',
      startDate: facts.startDate?.value ?? null,
      endDate: facts.endDate?.value ?? null,
      durationMonths: facts.termMonths?.value ?? null,
      renewalAndTermination:
        [...new Set([renewal, termination].filter((s) => s !== null).map((s) => shorten(s.text, 160)))].join(
          ' ',
        ) || null,
      citations: [...(facts.termMonths?.citations ?? []), ...(facts.startDate?.citations ?? [])],
    },
    criteria: {
      a: signature.length
        ? {
            status: 'met',
            rationale: 'The contract is signed by authorized representatives of both parties.',
            citations: signature.slice(-1),
          }
        : {
            status: 'unclear',
            rationale: 'No signature or approval evidence was found in the document.',
            citations: [],
          },
      b: offeringIds.length
        ? {
            status: 'met',
            rationale: 'The goods and services each party must provide are described.',
            citations: offeringIds.slice(0, 3),
          }
        : {
            status: 'unclear',
            rationale: 'The promised goods or services could not be identified.',
            citations: [],
          },
      c: payment.length
        ? {
            status: 'met',
            rationale: 'Fees, invoicing and payment terms are stated.',
            citations: payment.slice(0, 3),
          }
        : { status: 'unclear', rationale: 'No payment terms were found.', citations: [] },
      d: payment.length
        ? {
            status: 'met',
            rationale:
              "The exchange of services for cash is expected to change the vendor's future cash flows.",
            citations: payment.slice(0, 1),
          }
        : {
            status: 'unclear',
            rationale: 'Commercial substance cannot be assessed without payment terms.',
            citations: [],
          },
      e: {
        status: 'unclear',
        rationale:
          "The contract is silent on the customer's credit quality; collectibility needs evidence outside the contract.",
        citations: [],
      },
    },
    combination: orderForms
      ? {
          analysis: `The contract refers to other documents that may need to be combined with it: "${shorten(orderForms.text, 160)}"`,
          citations: [orderForms.sectionId],
        }
      : {
          analysis: 'The contract does not refer to other contracts entered into at or near the same time.',
          citations: [],
        },
    modifications: modification
      ? {
          analysis: `Changes require the process stated in the contract: "${shorten(modification.text, 160)}"`,
          citations: [modification.sectionId],
        }
      : { analysis: 'The contract does not address modifications.', citations: [] },
    conclusion:
      signature.length && payment.length
        ? 'A contract with a customer exists under ASC 606-10-25-1, subject to confirming collectibility.'
        : 'Whether a contract exists under ASC 606-10-25-1 cannot be concluded from the document alone.',
    openQuestions: [...q, ...suspiciousQuestions(facts)],
  };
}

/** Implementation folds into the platform only when the contract says it customizes it significantly. */
export function obligationGroups(facts: Facts): Offering[][] {
  const significant = facts.sentences.some(
    (s) => /significant(ly)? (modif|customi[sz])/i.test(s.text) && !/\b(not|no)\b/i.test(s.text),
  );
  const subscription = facts.offerings.find((o) => o.key === 'subscription');
  return facts.offerings
    .filter((o) => !(significant && o.key === 'implementation' && subscription))
    .map((o) =>
      significant && o === subscription
        ? facts.offerings.filter((x) => x.key === 'subscription' || x.key === 'implementation')
        : [o],
    );
}

export function obligationsStep(facts: Facts): ObligationsStep {
  const goods = facts.offerings.map((o, i) => ({
    id: `G${i + 1}`,
    description: o.description,
    citations: o.citations,
  }));
  const groups = obligationGroups(facts);
  const q = goods.length ? [] : ['What goods or services does the vendor promise to transfer?'];
  return {
    promisedGoodsOrServices: goods,
    performanceObligations: groups.map((group, i) => {
      const first = group[0] as Offering;
      const combined = group.length > 1;
      return {
        id: `PO${i + 1}`,
        description: group.map((o) => o.description).join(' combined with '),
        promisedItemIds: group.map((o) => `G${facts.offerings.indexOf(o) + 1}`),
        capableOfBeingDistinct: {
          status: 'met',
          rationale: 'The customer can benefit from it on its own or with readily available resources.',
        },
        distinctInContext: combined
          ? {
              status: 'not_met',
              rationale:
                'The contract describes significant customization, so the items form one combined output.',
            }
          : {
              status: 'met',
              rationale: 'It is not integrated with, and does not significantly modify, the other promises.',
            },
        seriesOfDistinctServices: first.kind === 'stand_ready' || first.kind === 'usage',
        citations: [...new Set(group.flatMap((o) => o.citations))],
      };
    }),
    conclusion: groups.length
      ? `The contract contains ${groups.length} performance obligation${groups.length === 1 ? '' : 's'}.`
      : 'No performance obligations could be identified.',
    openQuestions: [...q, ...suspiciousQuestions(facts)],
  };
}
