import type { analyses, creditAccounts, creditHolds, creditTransactions, quotes } from './schema/index';

export type QuoteRow = typeof quotes.$inferSelect;
export type AnalysisRow = typeof analyses.$inferSelect;
/** An analysis without its two large text columns (the contract and the memo), for lists. */
export type AnalysisSummary = Omit<AnalysisRow, 'documentText' | 'memoContent'>;
export type LedgerEntryRow = typeof creditTransactions.$inferSelect;
export type CreditAccountRow = typeof creditAccounts.$inferSelect;
export type CreditHoldRow = typeof creditHolds.$inferSelect;

export interface Page<T> {
  items: T[];
  /** Pass back as `cursor` for the next page; null on the last page. */
  nextCursor: string | null;
}
