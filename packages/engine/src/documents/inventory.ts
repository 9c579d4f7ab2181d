import { countWords, hashText } from './normalize';

/**
 * One file of the contract as the analysis sees it. Kind, title and date are read heuristically from
 * the file name and the first lines; the model confirms them. See docs/extraction-and-sections.md.
 */
export interface SourceDocument {
  /** 'D1', 'D2', ... in upload order. */
  id: string;
  name: string;
  kind: DocumentKind;
  title: string;
  /** The document's date as written ("March 1, 2025"), or null when none was found near the top. */
  dateText: string | null;
  /** sha256 of this document's normalized text. */
  sha256: string;
  words: number;
  pages?: number;
  /** Things a reader should know about how this document was read (pages without text, no headings). */
  warnings: string[];
}

export type DocumentKind = 'msa' | 'order_form' | 'sow' | 'amendment' | 'addendum' | 'terms' | 'other';

/**
 * In order of precedence when one text matches several: an amendment to an MSA names the MSA, an
 * order form under an MSA names it too, so the more specific kinds are tried first.
 */
const KIND_PATTERNS: readonly [DocumentKind, RegExp][] = [
  ['amendment', /\bamend(?:ment|ing)\b|\bavenant\b|\bänderung|\benmienda|修订|修正|变更协议/i],
  [
    'order_form',
    /\border(?:ing)?[\s_-]*(?:form|document)\b|\bpurchase[\s_-]*order\b|\bbon de commande\b|订单/i,
  ],
  ['sow', /\bstatement[\s_-]*of[\s_-]*work\b|\bSOW\b|\bcahier des charges\b|工作说明/i],
  ['addendum', /\baddend(?:um|a)\b|\brider\b|\bsupplement(?:al)?\b|\bschedule\b|\bannexe?\b|补充协议|附件/i],
  [
    'msa',
    /\bmaster\b.{0,30}\bagreement\b|\bMSA\b|\bcontrat[\s-]cadre\b|\bframework agreement\b|框架协议|主协议|服务协议/i,
  ],
  [
    'terms',
    /\bterms\b.{0,20}\b(?:conditions|service|use)\b|\bgeneral terms\b|\bconditions générales\b|条款与条件/i,
  ],
];

const MONTHS =
  'january|february|march|april|may|june|july|august|september|october|november|december|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec|janvier|février|mars|avril|mai|juin|juillet|août|septembre|octobre|novembre|décembre';
const DATE = new RegExp(
  [
    `\\b(?:${MONTHS})\\.? \\d{1,2}(?:st|nd|rd|th)?,? \\d{4}\\b`,
    `\\b\\d{1,2}(?:st|nd|rd|th|er)? (?:day of )?(?:${MONTHS}),? \\d{4}\\b`,
    '\\b\\d{4}-\\d{2}-\\d{2}\\b',
    '\\b\\d{1,2}/\\d{1,2}/\\d{4}\\b',
    '\\d{4}\\s?年\\s?\\d{1,2}\\s?月\\s?\\d{1,2}\\s?日',
  ].join('|'),
  'i',
);

/** Lines read for the title, kind and date: the top of the document, where they are written. */
const HEAD_LINES = 40;

export function describeDocument(input: {
  id: string;
  name: string;
  text: string;
  pages?: number | undefined;
  warnings?: readonly string[];
}): SourceDocument {
  const lines = input.text
    .split('\n')
    .map((l) => l.trim())
    .filter(Boolean)
    .slice(0, HEAD_LINES);
  const title = titleOf(lines) ?? input.name;
  const kind = kindOf([title, input.name.replace(/\.[a-z0-9]+$/i, ''), lines.slice(0, 3).join('\n')]);
  const warnings = [...(input.warnings ?? [])];
  const unread = input.text.match(UNREAD_PAGE_LINE_G)?.length ?? 0;
  if (unread > 0) {
    warnings.push(
      `${unread} page${unread === 1 ? '' : 's'} had no text layer (scanned or blank); anything on ${unread === 1 ? 'it' : 'them'} was not read.`,
    );
  }
  const doc: SourceDocument = {
    id: input.id,
    name: input.name,
    kind,
    title,
    dateText: lines.join('\n').match(DATE)?.[0] ?? null,
    sha256: hashText(input.text),
    words: countWords(input.text),
    warnings,
  };
  if (input.pages !== undefined) doc.pages = input.pages;
  return doc;
}

function kindOf(sources: string[]): DocumentKind {
  for (const source of sources) {
    for (const [kind, pattern] of KIND_PATTERNS) if (pattern.test(source)) return kind;
  }
  return 'other';
}

/** The first short line near the top, preferring one in capitals ("MASTER SUBSCRIPTION AGREEMENT"). */
function titleOf(lines: string[]): string | null {
  const top = lines.slice(0, 6).filter((l) => l.length <= 120 && !UNREAD_PAGE_LINE.test(l));
  const caps = top.find((l) => /\p{Lu}{3}/u.test(l) && l === l.toUpperCase() && /\p{L}{3}/u.test(l));
  return caps ?? top[0] ?? null;
}

/** The line the PDF extraction writes where a page had no text (see extract-worker.mjs). */
const UNREAD_PAGE_LINE = /^\[Page \d+ of \d+: no text layer/;
const UNREAD_PAGE_LINE_G = /^\[Page \d+ of \d+: no text layer/gm;
