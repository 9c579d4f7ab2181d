/**
 * Reads the contract out of a chat request the way a model would see it: the block between
 * <contract-TOKEN> tags, each section starting with its id in brackets ("[S3] ...", or "[D2.S3] ..." for a contract of several documents).
 */
export interface SimSection {
  id: string;
  text: string;
  /** First line, where clause headings live. */
  heading: string;
}

export interface ChatMessage {
  role: string;
  content?: unknown;
}

export function messageText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (Array.isArray(content)) {
    return content
      .map((part) =>
        part && typeof part === 'object' && 'text' in part && typeof part.text === 'string' ? part.text : '',
      )
      .join('\n');
  }
  return '';
}

export function contractSections(messages: ChatMessage[]): SimSection[] {
  // The first user message holds the contract; later ones are repair requests.
  const user = messages.find((m) => m.role === 'user');
  const text = messageText(user?.content);
  const block = /<contract-([0-9a-f]+)>\n([\s\S]*?)\n<\/contract-\1>/.exec(text);
  const body = block?.[2] ?? '';
  const starts = [...body.matchAll(/^\[((?:D\d+\.)?S\d+)\] /gm)];
  return starts.map((m, i) => {
    const from = (m.index ?? 0) + m[0].length;
    const to = starts[i + 1]?.index ?? body.length;
    const sectionText = body.slice(from, to).trim();
    return { id: m[1] as string, text: sectionText, heading: sectionText.split('\n')[0] ?? '' };
  });
}
