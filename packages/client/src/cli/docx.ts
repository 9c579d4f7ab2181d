/** Word export for `revmemo get --docx`: the optional `docx` package, loaded only when asked for. */
export async function memoToDocx(markdown: string, title: string): Promise<Uint8Array> {
  throw new Error(`not yet ${markdown.length} ${title}`);
}
