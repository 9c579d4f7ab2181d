/**
 * Word export for `revmemo get --docx`: a small Markdown renderer for the memo's shapes (headings,
 * paragraphs, nested bullets, quotes, tables, bold) over the optional `docx` package, loaded only
 * when asked for so installing the client does not pull it in.
 */
import { UsageError } from './exit';

type Docx = typeof import('docx');

async function loadDocx(): Promise<Docx> {
  try {
    return await import('docx');
  } catch (err) {
    if ((err as { code?: string }).code === 'ERR_MODULE_NOT_FOUND')
      throw new UsageError(
        'Word export needs the optional docx package: npm install docx (or pnpm add docx).',
      );
    throw err;
  }
}

/** `**bold**` runs; backslash escapes undone. */
function runs(d: Docx, text: string, base: { italics?: boolean } = {}) {
  const out: InstanceType<Docx['TextRun']>[] = [];
  const parts = text.split(/(?<!\\)\*\*/);
  parts.forEach((part, i) => {
    if (part === '') return;
    out.push(new d.TextRun({ text: part.replace(/\\(.)/g, '$1'), bold: i % 2 === 1, ...base }));
  });
  return out;
}

const cells = (line: string) =>
  line
    .trim()
    .replace(/^\||\|$/g, '')
    .split(/(?<!\\)\|/)
    .map((c) => c.trim());

export async function memoToDocx(markdown: string, title: string): Promise<Uint8Array> {
  const d = await loadDocx();
  const headings = [
    d.HeadingLevel.HEADING_1,
    d.HeadingLevel.HEADING_2,
    d.HeadingLevel.HEADING_3,
    d.HeadingLevel.HEADING_4,
    d.HeadingLevel.HEADING_5,
    d.HeadingLevel.HEADING_6,
  ];
  const blocks: (InstanceType<Docx['Paragraph']> | InstanceType<Docx['Table']>)[] = [];
  const lines = markdown.split('\n');
  let paragraph: string[] = [];
  const flush = () => {
    if (paragraph.length) blocks.push(new d.Paragraph({ children: runs(d, paragraph.join(' ')) }));
    paragraph = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] ?? '';
    const heading = /^(#{1,6})\s+(.*)$/.exec(line);
    const bullet = /^(\s*)(?:[-*+]|\d+[.)])\s+(.*)$/.exec(line);
    if (heading) {
      flush();
      const level = (heading[1]?.length ?? 1) - 1;
      blocks.push(new d.Paragraph({ heading: headings[level], children: runs(d, heading[2] ?? '') }));
    } else if (line.trimStart().startsWith('|')) {
      flush();
      const rows: string[][] = [];
      for (; i < lines.length && (lines[i] ?? '').trimStart().startsWith('|'); i++) {
        const row = cells(lines[i] ?? '');
        if (!row.every((c) => /^:?-{3,}:?$/.test(c))) rows.push(row);
      }
      i -= 1;
      blocks.push(
        new d.Table({
          width: { size: 100, type: d.WidthType.PERCENTAGE },
          rows: rows.map(
            (row, r) =>
              new d.TableRow({
                tableHeader: r === 0,
                children: row.map(
                  (c) =>
                    new d.TableCell({
                      children: [new d.Paragraph({ children: runs(d, r === 0 ? `**${c}**` : c) })],
                    }),
                ),
              }),
          ),
        }),
      );
    } else if (bullet) {
      flush();
      const level = Math.min(8, Math.floor((bullet[1]?.length ?? 0) / 2));
      blocks.push(new d.Paragraph({ bullet: { level }, children: runs(d, bullet[2] ?? '') }));
    } else if (line.startsWith('>')) {
      flush();
      blocks.push(
        new d.Paragraph({
          indent: { left: 360 },
          children: runs(d, line.replace(/^>\s?/, ''), { italics: true }),
        }),
      );
    } else if (line.trim() === '' || /^(-{3,}|\*{3,})$/.test(line.trim())) {
      flush();
    } else {
      paragraph.push(line.trim());
    }
  }
  flush();
  const doc = new d.Document({
    title,
    creator: 'Revmemo',
    styles: { default: { document: { run: { font: 'Calibri', size: 22 } } } },
    sections: [{ children: blocks }],
  });
  return new Uint8Array(await d.Packer.toBuffer(doc));
}
