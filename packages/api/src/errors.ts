import type { AppErrorData } from '@revmemo/contracts';
import { TRPCError } from '@trpc/server';

type Code = ConstructorParameters<typeof TRPCError>[0]['code'];

/** Carries machine-readable data to the client through TRPCError.cause (see trpc.ts errorFormatter). */
export class AppError extends Error {
  constructor(
    readonly data: AppErrorData,
    message: string,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function appError(code: Code, message: string, data: AppErrorData): TRPCError {
  return new TRPCError({ code, message, cause: new AppError(data, message) });
}
