import {
  Document,
  HeadingLevel,
  Packer,
  Paragraph,
  Table,
  TableCell,
  TableRow,
  TextRun,
  WidthType,
} from 'docx';
import { lexer, type Token, type Tokens } from 'marked';

type Block = Paragraph | Table;
interface RunStyle {
  bold?: boolean;
  italics?: boolean;
  strike?: boolean;
  code?: boolean;
}

const HEADINGS = [
  HeadingLevel.HEADING_1,
  HeadingLevel.HEADING_2,
  HeadingLevel.HEADING_3,
  HeadingLevel.HEADING_4,
  HeadingLevel.HEADING_5,
  HeadingLevel.HEADING_6,
] as const;

/** The memo's markdown as a Word document: headings, paragraphs, nested lists, tables, emphasis. */
export async function markdownToDocx(markdown: string, title: string): Promise<Blob> {
  const doc = new Document({
    title,
    creator: 'Revmemo',
    styles: { default: { document: { run: { font: 'Calibri', size: 22 } } } },
    sections: [{ children: toBlocks(lexer(markdown), 0) }],
  });
  return Packer.toBlob(doc);
}

function toBlocks(tokens: Token[], listLevel: number): Block[] {
  const out: Block[] = [];
  for (const tok of tokens) {
    const t = tok as Tokens.Generic;
    switch (t.type) {
      case 'heading': {
        const h = t as Tokens.Heading;
        out.push(new Paragraph({ heading: HEADINGS[Math.min(h.depth, 6) - 1], children: runs(h.tokens) }));
        break;
      }
      case 'paragraph':
        out.push(new Paragraph({ children: runs((t as Tokens.Paragraph).tokens), spacing: { after: 120 } }));
        break;
      case 'text':
        out.push(new Paragraph({ children: t.tokens ? runs(t.tokens) : [new TextRun(t.text)] }));
        break;
      case 'list': {
        const l = t as Tokens.List;
        l.items.forEach((item, i) => {
          const [first, ...rest] = item.tokens;
          const lead =
            first && (first.type === 'text' || first.type === 'paragraph') ? (first as Tokens.Text) : null;
          const children = lead ? (lead.tokens ? runs(lead.tokens) : [new TextRun(lead.text)]) : [];
          const start = typeof l.start === 'number' ? l.start : 1;
          out.push(
            l.ordered
              ? new Paragraph({
                  children: [new TextRun(`${start + i}. `), ...children],
                  indent: { left: 360 * (listLevel + 1), hanging: 360 },
                })
              : new Paragraph({ children, bullet: { level: Math.min(listLevel, 8) } }),
          );
          out.push(...toBlocks(lead ? rest : item.tokens, listLevel + 1));
        });
        break;
      }
      case 'blockquote':
        out.push(...toBlocks((t as Tokens.Blockquote).tokens, listLevel));
        break;
      case 'code':
        for (const line of (t as Tokens.Code).text.split('\n')) {
          out.push(new Paragraph({ children: [new TextRun({ text: line, font: 'Consolas' })] }));
        }
        break;
      case 'table': {
        const tb = t as Tokens.Table;
        const row = (cells: Tokens.TableCell[], header: boolean) =>
          new TableRow({
            tableHeader: header,
            children: cells.map(
              (c) =>
                new TableCell({
                  children: [new Paragraph({ children: runs(c.tokens, header ? { bold: true } : {}) })],
                }),
            ),
          });
        out.push(
          new Table({
            width: { size: 100, type: WidthType.PERCENTAGE },
            rows: [row(tb.header, true), ...tb.rows.map((r) => row(r, false))],
          }),
        );
        out.push(new Paragraph({ children: [] }));
        break;
      }
      case 'hr':
        out.push(new Paragraph({ children: [], thematicBreak: true }));
        break;
      default:
        break;
    }
  }
  return out;
}

function runs(tokens: Token[] | undefined, style: RunStyle = {}): TextRun[] {
  if (!tokens) return [];
  const out: TextRun[] = [];
  for (const tok of tokens) {
    const t = tok as Tokens.Generic;
    switch (t.type) {
      case 'strong':
        out.push(...runs(t.tokens, { ...style, bold: true }));
        break;
      case 'em':
        out.push(...runs(t.tokens, { ...style, italics: true }));
        break;
      case 'del':
        out.push(...runs(t.tokens, { ...style, strike: true }));
        break;
      case 'codespan':
        out.push(run(t.text, { ...style, code: true }));
        break;
      case 'br':
        out.push(new TextRun({ text: '', break: 1 }));
        break;
      case 'link':
      case 'text':
        if (t.tokens) out.push(...runs(t.tokens, style));
        else out.push(run(t.text, style));
        break;
      default:
        out.push(run(String(t.text ?? t.raw ?? ''), style));
    }
  }
  return out;
}

function run(text: string, s: RunStyle): TextRun {
  return new TextRun({
    text,
    bold: s.bold,
    italics: s.italics,
    strike: s.strike,
    font: s.code ? 'Consolas' : undefined,
  });
}
