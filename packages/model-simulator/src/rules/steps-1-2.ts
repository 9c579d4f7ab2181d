import type { ContractStep, ObligationsStep } from '@revmemo/engine';
import type { Draft } from './draft';
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

export function contractStep(facts: Facts): Draft<ContractStep> {
  const q: string[] = [];
  if (facts.parties.length < 2) q.push('Who are the contracting parties and which one is the customer?');
  // An unsigned draft that says it binds no one: no contract yet (ASC 606-10-25-1(a), 25-6).
  const draft = facts.sentence(/not binding|non-binding|no agreement exists until|subject to contract/i);
  const signature = draft ? [] : facts.find(/in witness whereof|signed|executed|accepted and signed/i);
  const payment = facts.find(/\b(invoice|invoiced|payable|pay)\b/i);
  const offeringIds = facts.offerings.flatMap((o) => o.citations);
  const renewal = facts.sentence(/\brenews\b|may be renewed|successive|continues (on a )?month to month/i);
  const termination = facts.sentence(/terminat/i);
  const modification = facts.sentence(
    /\bamend(ment|ed)?\b|change order|change to (this agreement|the scope)|modifications? (to|of) this agreement/i,
  );
  const orderForms = facts.sentence(/order forms?|statement of work|\bSOW\b/i);
  const amendment = facts.sentence(/\bthis amendment\b|\bamendment no\.?|hereby amend/i);
  const convenience = facts.sentence(/terminat\w*[^.]*(for convenience|without cause|for any reason)/i);
  const penalty =
    convenience && /penalt|termination fee|early termination charge|remaining fees/i.test(convenience.text);
  const terminationForConvenience = !convenience
    ? 'none'
    : penalty
      ? 'customer_with_substantive_penalty'
      : 'customer_without_penalty';
  if (terminationForConvenience === 'customer_without_penalty')
    q.push(
      'The customer may terminate for convenience: what notice period applies, and is any fee payable on termination? The enforceable term may be only the notice period (ASC 606-10-25-3).',
    );
  if (!facts.startDate) q.push('What is the effective date of the contract?');
  if (!facts.termMonths) q.push('What is the contract term (duration), and when does it end?');
  if (signature.length === 0) q.push('Has the contract been signed and approved by both parties?');
  q.push("Has the customer's credit risk been assessed? The contract does not address collectibility.");
  if (!modification)
    q.push('How are changes to scope or price agreed? The contract does not address modifications.');
  return {
    parties: facts.parties.map((p) => ({ citations: p.citations, name: p.name, role: p.role })),
    term: {
      description: facts.termMonths
        ? `${facts.termMonths.value} months from the effective date`
        : 'The contract does not state a fixed term.',
      startDate: facts.startDate?.value ?? null,
      endDate: facts.endDate?.value ?? null,
      durationMonths: facts.termMonths?.value ?? null,
      terminationForConvenience,
      enforceableTermMonths:
        terminationForConvenience === 'customer_without_penalty' ? null : (facts.termMonths?.value ?? null),
      renewalAndTermination:
        [...new Set([renewal, termination].filter((s) => s !== null).map((s) => shorten(s.text, 160)))].join(
          ' ',
        ) || null,
      citations: [
        ...(facts.termMonths?.citations ?? []),
        ...(facts.startDate?.citations ?? []),
        ...(convenience ? [convenience.sectionId] : []),
      ],
    },
    criteria: {
      a: draft
        ? {
            citations: [draft.sectionId],
            status: 'not_met',
            rationale: `The document is an unsigned draft that binds neither party: "${shorten(draft.text, 140)}"`,
          }
        : signature.length
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
    modifications: amendment
      ? [
          {
            citations: [amendment.sectionId],
            document: `The amendment in ${amendment.sectionId}`,
            analysis: `"${shorten(amendment.text, 160)}" changes the contract after inception; whether it adds distinct goods at their standalone selling prices decides between 25-12 and 25-13.`,
            treatment: 'needs_information',
          },
        ]
      : [],
    modificationTerms: modification
      ? {
          analysis: `Changes require the process stated in the contract: "${shorten(modification.text, 160)}"`,
          citations: [modification.sectionId],
        }
      : { analysis: 'The contract does not address modifications.', citations: [] },
    assumptions: [],
    openQuestions: [...q, ...suspiciousQuestions(facts)],
    outcome: draft
      ? 'no_contract_yet'
      : signature.length && payment.length
        ? 'contract_exists'
        : 'needs_information',
    conclusion: draft
      ? 'No contract with a customer exists yet: the document is an unsigned draft that binds neither party (ASC 606-10-25-1(a)); reassess when it is signed.'
      : signature.length && payment.length
        ? 'A contract with a customer exists under ASC 606-10-25-1, subject to confirming collectibility.'
        : 'Whether a contract exists under ASC 606-10-25-1 cannot be concluded from the document alone.',
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

type Judgement = Draft<ObligationsStep['judgements']['setupFees']>;

/** A judgement the rules can only spot: found text makes it apply (or need information). */
function judgement(facts: Facts, re: RegExp, found: Judgement['conclusion'], what: string): Judgement {
  const s = facts.sentence(re);
  return s
    ? {
        citations: [s.sectionId],
        facts: `"${shorten(s.text, 140)}"`,
        analysis: `The contract addresses ${what}; the accounting depends on it.`,
        conclusion: found,
      }
    : {
        citations: [],
        facts: `The contract does not mention ${what}.`,
        analysis: 'Nothing to assess.',
        conclusion: 'does_not_apply',
      };
}

const NATURE: Record<Offering['kind'], ObligationsStep['performanceObligations'][number]['natureOfPromise']> =
  {
    stand_ready: 'stand_ready',
    service: 'professional_services',
    goods: 'goods',
    usage: 'hosted_service',
  };

export function obligationsStep(facts: Facts): Draft<ObligationsStep> {
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
        citations: [...new Set(group.flatMap((o) => o.citations))],
        promisedItemIds: group.map((o) => `G${facts.offerings.indexOf(o) + 1}`),
        capableOfBeingDistinct: {
          citations: first.citations.slice(0, 1),
          status: 'met',
          rationale: 'The customer can benefit from it on its own or with readily available resources.',
        },
        distinctInContext: combined
          ? {
              citations: [...new Set(group.flatMap((o) => o.citations))],
              status: 'not_met',
              rationale:
                'The contract describes significant customization, so the items form one combined output.',
            }
          : {
              citations: [],
              status: 'met',
              rationale: 'It is not integrated with, and does not significantly modify, the other promises.',
            },
        series: seriesOf(first.kind === 'stand_ready' || first.kind === 'usage'),
        natureOfPromise: first.key === 'subscription' ? 'hosted_service' : NATURE[first.kind],
      };
    }),
    judgements: {
      materialRights: judgement(
        facts,
        /renew\w*[^.]*discount|discount[^.]*renew|option to (purchase|acquire|buy)/i,
        'applies',
        'customer options at a discount',
      ),
      principalVersusAgent: judgement(
        facts,
        /pass[- ]through|at cost|re-?bill|third[- ]party (fees|charges|services)|on behalf of/i,
        'needs_information',
        'goods or services provided by another party',
      ),
      setupFees: judgement(
        facts,
        /\b(set-?up|activation|onboarding) fees?\b/i,
        'applies',
        'an upfront setup fee',
      ),
      warranty: judgement(
        facts,
        /extended warrant|service plan|warrant\w* for \d+ (years|months) beyond/i,
        'applies',
        'an extended warranty',
      ),
      rightOfReturn: judgement(
        facts,
        /\breturn\b[^.]*\b(refund|credit)|right of return|may return/i,
        'applies',
        'a right of return',
      ),
      breakage: judgement(
        facts,
        /unused[^.]*(expire|forfeit)|(prepaid|credits?)[^.]*expire/i,
        'needs_information',
        'prepaid rights that may go unused',
      ),
      usageBasedRoyalty: judgement(facts, /royalt/i, 'applies', 'a sales- or usage-based royalty'),
      contractCosts: judgement(
        facts,
        /commission/i,
        'needs_information',
        'commissions or other costs to obtain the contract',
      ),
    },
    assumptions: [],
    openQuestions: [...q, ...suspiciousQuestions(facts)],
    conclusion: groups.length
      ? `The contract contains ${groups.length} performance obligation${groups.length === 1 ? '' : 's'}.`
      : 'No performance obligations could be identified.',
  };
}

function seriesOf(applies: boolean): Draft<ObligationsStep['performanceObligations'][number]['series']> {
  const status = applies ? 'met' : 'not_met';
  return {
    substantiallyTheSame: {
      rationale: applies ? 'Each period of service is substantially the same.' : 'Not a repeated service.',
      status,
    },
    satisfiedOverTime: {
      rationale: applies ? 'Each period is satisfied over time.' : 'Not applicable.',
      status,
    },
    sameMeasureOfProgress: {
      rationale: applies ? 'Time elapsed applies to each period.' : 'Not applicable.',
      status,
    },
    conclusion: applies ? 'applies' : 'does_not_apply',
  };
}
