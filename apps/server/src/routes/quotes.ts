import {
  type ApiDeps,
  AppError,
  createContext,
  createQuoteService,
  limitSubjectOf,
  limitsOf,
  retryAfterOfError,
  toFetchHeaders,
  tooManyFiles,
  type UploadedFile,
} from '@revmemo/api';
import { TRPCError } from '@trpc/server';
import { getHTTPStatusCodeFromError } from '@trpc/server/http';
import type { FastifyPluginAsync, FastifyReply } from 'fastify';

/**
 * File uploads for quotes (multipart): PDF, DOCX or TXT files plus optional additional context.
 * Errors use the same JSON shape as tRPC errors' data so the client handles both alike.
 */
export const quoteRoutes: FastifyPluginAsync<{ deps: ApiDeps }> = async (app, { deps }) => {
  const limits = limitsOf(deps.config);
  const maxBytes = limits.maxUploadBytes;
  const send = (reply: FastifyReply, err: TRPCError) => {
    const wait = retryAfterOfError(err);
    if (wait) reply.header('retry-after', String(wait));
    return reply.code(getHTTPStatusCodeFromError(err)).send({
      error: {
        code: err.code,
        message: err.message,
        appError: err.cause instanceof AppError ? err.cause.data : null,
      },
    });
  };
  app.post('/api/quotes', async (request, reply) => {
    const ctx = await createContext(deps, toFetchHeaders(request.headers), request.ip);
    if (!ctx.user)
      return reply.code(401).send({ error: { code: 'UNAUTHORIZED', message: 'Sign in first.' } });
    // The same `quote` budget as analysis.quote, counted before any file is read.
    try {
      await deps.rateLimits.consume('quote', limitSubjectOf(ctx));
    } catch (err) {
      if (err instanceof TRPCError) return send(reply, err);
      throw err;
    }
    if (!request.isMultipart()) {
      return reply.code(415).send({
        error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the files as multipart/form-data.' },
      });
    }
    const files: UploadedFile[] = [];
    let additionalContext: string | undefined;
    try {
      for await (const part of request.parts()) {
        if (part.type === 'file') {
          const data = await part.toBuffer();
          files.push({ filename: part.filename || 'document', data: new Uint8Array(data) });
        } else if (part.fieldname === 'additionalContext') {
          // Over the limit is refused by the service (a cut note would change what the model reads).
          additionalContext = String(part.value ?? '');
          if (part.valueTruncated) additionalContext += ' '.repeat(limits.maxContextChars);
        }
      }
    } catch (err) {
      if ((err as { code?: string }).code === 'FST_FILES_LIMIT') return send(reply, tooManyFiles());
      if ((err as { code?: string }).code === 'FST_REQ_FILE_TOO_LARGE') {
        const mb = Math.round((maxBytes / 1024 / 1024) * 10) / 10;
        return reply.code(413).send({
          error: {
            code: 'PAYLOAD_TOO_LARGE',
            message: `The file is larger than the ${mb} MB limit.`,
            appError: { code: 'FILE_TOO_LARGE', maxBytes },
          },
        });
      }
      throw err;
    }
    try {
      return await createQuoteService(deps).quoteFiles(ctx.user.id, files, additionalContext);
    } catch (err) {
      if (err instanceof TRPCError && err.code !== 'SERVICE_UNAVAILABLE') return send(reply, err);
      throw err;
    }
  });
};
