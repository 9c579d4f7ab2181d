import type { Quote } from '@revmemo/contracts';
import { createQuote } from '@revmemo/db';
import {
  ContractTooLongError,
  checkTokenBudget,
  countWords,
  DocumentError,
  extractText,
  hashText,
  normalizeText,
  priceForWords,
  TooManyWordsError,
} from '@revmemo/engine';
import { formatBytes } from '@revmemo/format';
import { TRPCError } from '@trpc/server';
import type { ApiDeps } from '../deps';
import { appError } from '../errors';

export interface UploadedFile {
  filename: string;
  data: Uint8Array;
}

/**
 * Quotes: the price the user confirms is the price charged. The text is extracted and priced here,
 * stored with its hash, and submit copies it from the quote, so a pricing change in between has no effect.
 */
export function createQuoteService(deps: ApiDeps) {
  const { config, db } = deps;

  async function quote(
    userId: string,
    text: string,
    fileNames: string[],
    additionalContext?: string,
  ): Promise<Quote> {
    const documentText = normalizeText(text);
    const context = additionalContext ? normalizeText(additionalContext) : '';
    if (countWords(documentText) === 0) {
      throw appError('BAD_REQUEST', 'The document has no text to analyze.', {
        code: 'DOCUMENT_UNREADABLE',
        reason: 'empty',
      });
    }
    // The context note goes to the model with the contract, so it is priced with it.
    const wordCount = countWords(documentText) + countWords(context);
    let credits: number;
    try {
      credits = priceForWords(wordCount, config.pricing);
      checkTokenBudget(`${documentText}\n${context}`, config.model.maxContextTokens);
    } catch (err) {
      throw toQuoteError(err);
    }
    const row = await createQuote(db, {
      userId,
      textHash: hashText(documentText),
      wordCount,
      credits,
      fileNames,
      documentText,
      additionalContext: context || null,
      expiresAt: new Date(Date.now() + config.pricing.quoteTtlMs),
    });
    return {
      quoteId: row.quoteId,
      wordCount: row.wordCount,
      credits: row.credits,
      expiresAt: row.expiresAt.toISOString(),
      fileNames: row.fileNames,
    };
  }

  return {
    quoteText(userId: string, input: { text: string; filename?: string; additionalContext?: string }) {
      return quote(userId, input.text, [input.filename ?? 'pasted-text.txt'], input.additionalContext);
    },

    /** Several files become one document, each under a heading with its name. */
    async quoteFiles(userId: string, files: UploadedFile[], additionalContext?: string) {
      if (files.length === 0)
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'Attach at least one file.' });
      const parts: string[] = [];
      for (const f of files) {
        if (f.data.byteLength > config.pricing.maxUploadBytes) {
          throw appError(
            'PAYLOAD_TOO_LARGE',
            `${f.filename} is larger than ${formatBytes(config.pricing.maxUploadBytes)}.`,
            {
              code: 'FILE_TOO_LARGE',
              maxBytes: config.pricing.maxUploadBytes,
              filename: f.filename,
            },
          );
        }
        try {
          const { text } = await extractText({ filename: f.filename, data: f.data });
          parts.push(files.length > 1 ? `Document: ${f.filename}\n\n${text}` : text);
        } catch (err) {
          if (err instanceof DocumentError) {
            throw appError(
              err.code === 'unsupported_type' ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST',
              `${f.filename}: ${err.message}`,
              {
                code: 'DOCUMENT_UNREADABLE',
                reason: err.code,
                filename: f.filename,
              },
            );
          }
          throw err;
        }
      }
      return quote(
        userId,
        parts.join('\n\n'),
        files.map((f) => f.filename),
        additionalContext,
      );
    },
  };
}

function toQuoteError(err: unknown): unknown {
  if (err instanceof TooManyWordsError) {
    return appError('BAD_REQUEST', err.message, {
      code: 'TOO_MANY_WORDS',
      words: err.words,
      maxWords: err.maxWords,
    });
  }
  if (err instanceof ContractTooLongError) {
    return appError('BAD_REQUEST', err.message, {
      code: 'CONTRACT_TOO_LONG',
      tokens: err.tokens,
      maxTokens: err.maxTokens,
    });
  }
  return err;
}
