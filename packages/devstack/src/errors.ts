/** A devstack problem a person can fix; `hint` is printed as the one-line remedy. */
export class DevstackError extends Error {
  constructor(
    message: string,
    readonly hint?: string,
  ) {
    super(hint ? `${message} (${hint})` : message);
    this.name = 'DevstackError';
  }
}
