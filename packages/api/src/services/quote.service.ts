import { FIXED_LIMITS, normalizeFilename, type Quote } from '@revmemo/contracts';
import { createQuote } from '@revmemo/db';
import {
  ContractTooLongError,
  checkTokenBudget,
  countWords,
  DOCUMENT_LIMIT_CODES,
  DocumentError,
  extractText,
  hashText,
  joinDocuments,
  normalizeDocuments,
  normalizeText,
  priceForText,
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
    warnings: string[] = [],
  ): Promise<Quote> {
    // Keeps the boundaries between files (joinDocuments); pasted text reaches here through
    // normalizeText, which removes anything that would look like one.
    const documentText = normalizeDocuments(text);
    const context = additionalContext ? normalizeText(additionalContext) : '';
    if (countWords(documentText) === 0) {
      throw appError('BAD_REQUEST', 'The document has no text to analyze.', {
        code: 'DOCUMENT_UNREADABLE',
        reason: 'empty',
      });
    }
    // The context note goes to the model with the contract, so it is priced with it: by its words, or
    // by the tokens the model reads when those say it is longer (see priceForText).
    const words = countWords(documentText) + countWords(context);
    let credits: number;
    let wordCount: number;
    try {
      // The same count as the model budget check, so the price follows what the model is sent.
      priceForWords(words, config.pricing); // too many words: refused before the (costlier) token count
      const modelText = `${documentText}\n${context}`;
      const tokens = checkTokenBudget(modelText, config.model.maxContextTokens);
      ({ credits, billableWords: wordCount } = priceForText({ words, tokens }, config.pricing));
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
      ...(warnings.length > 0 ? { warnings } : {}),
    };
  }

  return {
    quoteText(userId: string, input: { text: string; filename?: string; additionalContext?: string }) {
      checkContext(input.additionalContext);
      return quote(
        userId,
        normalizeText(input.text),
        [cleanFilename(input.filename ?? 'pasted-text.txt')],
        input.additionalContext,
      );
    },

    /**
     * Several files become one contract text, each file after a boundary line that sectioning splits
     * at and a user cannot type (joinDocuments; docs/extraction-and-sections.md).
     */
    async quoteFiles(userId: string, files: UploadedFile[], additionalContext?: string) {
      if (files.length === 0)
        throw new TRPCError({ code: 'BAD_REQUEST', message: 'Attach at least one file.' });
      if (files.length > FIXED_LIMITS.maxFiles) throw tooManyFiles();
      checkContext(additionalContext);
      const named = files.map((f) => ({ data: f.data, filename: cleanFilename(f.filename) }));
      const parts: { name: string; text: string }[] = [];
      const warnings: string[] = [];
      for (const f of named) {
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
          const read = await extractText({ filename: f.filename, data: f.data }, deps.extractor);
          parts.push({ name: f.filename, text: read.text });
          for (const w of read.warnings) warnings.push(`${f.filename}: ${w}`);
        } catch (err) {
          if (err instanceof DocumentError && DOCUMENT_LIMIT_CODES.includes(err.code)) {
            // Past a limit: nothing was priced or stored. Busy is "try again"; the rest is the file.
            throw appError(
              err.code === 'busy'
                ? 'TOO_MANY_REQUESTS'
                : err.code === 'timeout' || err.code === 'out_of_memory'
                  ? 'UNPROCESSABLE_CONTENT'
                  : 'PAYLOAD_TOO_LARGE',
              err.message,
              { code: 'DOCUMENT_LIMIT', reason: err.code, limit: err.limit ?? null, filename: f.filename },
            );
          }
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
      const combined = joinDocuments(parts);
      // Each file is capped on its own; together they get the same cap as pasted text.
      if (combined.length > FIXED_LIMITS.maxTextChars) {
        const max = FIXED_LIMITS.maxTextChars;
        throw appError(
          'PAYLOAD_TOO_LARGE',
          `Together the files hold more than ${max.toLocaleString('en-US')} characters of text, over the limit. Upload only the parts of the contract that matter.`,
          { code: 'DOCUMENT_LIMIT', reason: 'too_many_chars', limit: max },
        );
      }
      return quote(
        userId,
        combined,
        named.map((f) => f.filename),
        additionalContext,
        warnings,
      );
    },
  };
}

/** A clean file name (see normalizeFilename), or a 400 saying why the name cannot be used. */
export function cleanFilename(raw: string): string {
  const r = normalizeFilename(raw);
  if ('error' in r) throw appError('BAD_REQUEST', r.error, { code: 'INVALID_FILENAME' });
  return r.name;
}

export function tooManyFiles() {
  const n = FIXED_LIMITS.maxFiles;
  return appError('BAD_REQUEST', `At most ${n} files per analysis. Remove some files and try again.`, {
    code: 'TOO_MANY_FILES',
    maxFiles: n,
  });
}

/** The note is refused past its limit rather than cut: a cut note would change what the model reads. */
export function checkContext(context: string | undefined) {
  const max = FIXED_LIMITS.maxContextChars;
  if (context !== undefined && context.length > max) {
    throw appError(
      'BAD_REQUEST',
      `The additional context is ${context.length.toLocaleString('en-US')} characters; the limit is ${max.toLocaleString('en-US')}.`,
      { code: 'CONTEXT_TOO_LONG', maxChars: max },
    );
  }
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
