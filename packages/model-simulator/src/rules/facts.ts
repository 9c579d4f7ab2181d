import type { SimSection } from '../contract-text';
import { amountsIn, DATE_RE, durationMonths, type Sentence, sentencesOf, shorten, unique } from './text';

/**
 * What the simulated model "reads" in a contract, by plain text rules. Sections that look like
 * instructions to an AI are set aside (reported as open questions), never obeyed or used as facts.
 */
type OfferingKind = 'stand_ready' | 'service' | 'goods' | 'usage';

export interface Offering {
  key: string;
  description: string;
  kind: OfferingKind;
  match: RegExp;
  /** Looser pattern for price sentences ("implementation projects", "the subscription"). */
  priceMatch: RegExp;
  citations: string[];
}

interface Party {
  name: string;
  role: 'vendor' | 'customer' | 'other';
  citations: string[];
}

export interface Facts {
  sections: SimSection[];
  sentences: Sentence[];
  suspicious: string[];
  parties: Party[];
  offerings: Offering[];
  termMonths: { value: number; citations: string[] } | null;
  startDate: { value: string; citations: string[] } | null;
  endDate: { value: string; citations: string[] } | null;
  /** Ids of sections whose text matches. */
  find(re: RegExp): string[];
  /** First sentence that matches. */
  sentence(re: RegExp): Sentence | null;
}

const INJECTION =
  /ignore (all )?(previous|prior|above) instructions|system prompt|developer mode|disregard the|you are now|^\s*(assistant|system)\s*:/im;

const CATALOG: Omit<Offering, 'citations'>[] = [
  {
    key: 'subscription',
    description: 'Access to the hosted software platform (subscription)',
    kind: 'stand_ready',
    match: /\b(subscription|hosted|software as a service|saas)\b/i,
    priceMatch: /subscription|platform/i,
  },
  {
    key: 'implementation',
    description: 'Implementation services (integration and configuration)',
    kind: 'service',
    match: /\bimplementation services?\b|\bonboarding\b/i,
    priceMatch: /implementation/i,
  },
  {
    key: 'equipment',
    description: 'Equipment (hardware units)',
    kind: 'goods',
    match: /\b(equipment|appliances?|hardware)\b/i,
    priceMatch: /equipment|appliance|hardware/i,
  },
  {
    key: 'support',
    description: 'Support and maintenance services',
    kind: 'stand_ready',
    match: /\b(premier support|technical support|support services|maintenance services|help desk)\b/i,
    priceMatch: /support|maintenance/i,
  },
  {
    key: 'processing',
    description: 'Payment processing services',
    kind: 'usage',
    match: /\b(payment processing|processing services)\b/i,
    priceMatch: /processing/i,
  },
  {
    key: 'assessment',
    description: 'Assessment and written report',
    kind: 'service',
    match: /\b(assessment|consulting services)\b/i,
    priceMatch: /assessment|report/i,
  },
  {
    key: 'advisory',
    description: 'Follow-up advisory services',
    kind: 'service',
    match: /\badvisory services\b/i,
    priceMatch: /advisory/i,
  },
  {
    key: 'training',
    description: 'Training or installation workshop',
    kind: 'service',
    match: /\b(training|workshop)\b/i,
    priceMatch: /training|workshop/i,
  },
];

export function readFacts(allSections: SimSection[]): Facts {
  const suspicious = allSections.filter((s) => INJECTION.test(s.text)).map((s) => s.id);
  const sections = allSections.filter((s) => !suspicious.includes(s.id));
  const sentences = sentencesOf(sections);
  const find = (re: RegExp) => sections.filter((s) => re.test(s.text)).map((s) => s.id);
  const sentence = (re: RegExp) => sentences.find((s) => re.test(s.text)) ?? null;

  const termSections = sections.filter(
    (s) =>
      /\bterm\b/i.test(s.heading) ||
      /\b(initial term|subscription term|continues for|begins on)\b/i.test(s.text),
  );
  const termSection = termSections.find((s) => durationMonths(s.text) !== null);
  const start = sentence(new RegExp(`(effective|as of|made on|begins).*${DATE_RE.source}`, 'i'));
  const end = sentence(new RegExp(`(ending|ends|expires|until).*${DATE_RE.source}`, 'i'));

  return {
    sections,
    sentences,
    suspicious,
    parties: readParties(sentences),
    offerings: readOfferings(sections),
    termMonths: termSection
      ? { value: durationMonths(termSection.text) as number, citations: [termSection.id] }
      : null,
    startDate: start ? { value: DATE_RE.exec(start.text)?.[0] ?? '', citations: [start.sectionId] } : null,
    endDate: end ? { value: DATE_RE.exec(end.text)?.[0] ?? '', citations: [end.sectionId] } : null,
    find,
    sentence,
  };
}

const CUSTOMER_ALIAS = /customer|client|buyer|purchaser|merchant|licensee|subscriber/i;
const VENDOR_ALIAS = /provider|vendor|supplier|seller|licensor|processor|consultant|contractor|company/i;

function readParties(sentences: Sentence[]): Party[] {
  const s = sentences.find((x) => /\bbetween\b/i.test(x.text) && /\band\b/i.test(x.text));
  if (!s) return [];
  const after = s.text.slice(s.text.search(/\bbetween\b/i) + 'between'.length).trim();
  const parts = after.split(/\)\s*,?\s+and\s+/);
  const pair = parts.length >= 2 ? parts.slice(0, 2) : after.split(/\s+and\s+/).slice(0, 2);
  return pair.map((part, i) => {
    const name = (part.split(/,\s+an?\s+|\s*\(/)[0] ?? '').replace(/[,;]+$/, '').trim();
    const alias = /\(\s*(?:the\s+)?"([^"]+)"/.exec(part)?.[1] ?? '';
    const role = CUSTOMER_ALIAS.test(alias)
      ? 'customer'
      : VENDOR_ALIAS.test(alias)
        ? 'vendor'
        : i === 0
          ? 'vendor'
          : 'customer';
    return { name: shorten(name, 100), role, citations: [s.sectionId] };
  });
}

function readOfferings(sections: SimSection[]): Offering[] {
  const out: Offering[] = [];
  const claimed = new Set<string>();
  for (const item of CATALOG) {
    const inHeading = sections.filter((s) => item.match.test(s.heading));
    const anywhere = sections.filter((s) => item.match.test(s.text));
    const citations = unique([...inHeading, ...anywhere].map((s) => s.id)).slice(0, 3);
    // A word that only appears inside another offering's clauses ("training" within the
    // implementation scope) is part of that offering, not a promise of its own.
    if (citations.length === 0 || citations.every((id) => claimed.has(id))) continue;
    for (const id of citations) claimed.add(id);
    out.push({ ...item, citations });
  }
  return out;
}

/** Amount-bearing sentences, each with its first amount. */
export function amountSentences(facts: Facts): { text: string; sectionId: string; amount: number }[] {
  return facts.sentences.flatMap((s) => {
    const first = amountsIn(s.text)[0];
    return first ? [{ text: s.text, sectionId: s.sectionId, amount: first.value }] : [];
  });
}
