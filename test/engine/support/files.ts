import { readFileSync } from 'node:fs';
import { crc32 } from 'node:zlib';

/** Test documents built at test time, so no binary files are committed. */

export const FIXTURE_NAMES = ['saas-subscription', 'hardware-support', 'usage-based'] as const;
export type FixtureName = (typeof FIXTURE_NAMES)[number] | 'prompt-injection';

export function fixtureText(name: FixtureName): string {
  return readFileSync(new URL(`../../fixtures/contracts/${name}.txt`, import.meta.url), 'utf8');
}

/** Any fixture by its path under test/fixtures/contracts ("msa-bundle/order-form-1.txt"). */
export function fixtureFile(path: string): string {
  return readFileSync(new URL(`../../fixtures/contracts/${path}`, import.meta.url), 'utf8');
}

/**
 * A valid one-page PDF with Helvetica text, written by hand with a correct xref table.
 * `lines: null` draws only a filled rectangle: a page with no text, like a scanned image.
 */
export function makePdf(lines: string[] | null): Uint8Array {
  return makePdfPages([lines]);
}

/**
 * A PDF of several such pages (null: an image-only page). Text is written in WinAnsi (Latin-1), so
 * French accents come through; each line is its own text line of the page.
 */
export function makePdfPages(pages: (string[] | null)[]): Uint8Array {
  const pdfString = (s: string) => s.replace(/[\\()]/g, '\\$&');
  const font = 3 + pages.length * 2;
  const objects = [
    '<< /Type /Catalog /Pages 2 0 R >>',
    `<< /Type /Pages /Kids [${pages.map((_, i) => `${3 + i * 2} 0 R`).join(' ')}] /Count ${pages.length} >>`,
  ];
  for (const [i, lines] of pages.entries()) {
    const content = lines
      ? `BT /F1 11 Tf 14 TL 72 740 Td ${lines.map((l) => `(${pdfString(l)}) Tj T*`).join(' ')} ET`
      : '0.2 0.2 0.2 rg 72 400 300 300 re f';
    objects.push(
      `<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents ${4 + i * 2} 0 R /Resources << /Font << /F1 ${font} 0 R >> >> >>`,
      `<< /Length ${Buffer.byteLength(content, 'latin1')} >>\nstream\n${content}\nendstream`,
    );
  }
  objects.push('<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>');
  let pdf = '%PDF-1.4\n';
  const offsets: number[] = [];
  objects.forEach((body, i) => {
    offsets.push(Buffer.byteLength(pdf, 'latin1'));
    pdf += `${i + 1} 0 obj\n${body}\nendobj\n`;
  });
  const xref = Buffer.byteLength(pdf, 'latin1');
  pdf += `xref\n0 ${objects.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) pdf += `${String(o).padStart(10, '0')} 00000 n \n`;
  pdf += `trailer\n<< /Size ${objects.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return new Uint8Array(Buffer.from(winAnsi(pdf), 'latin1'));
}

/** The few WinAnsi characters outside Latin-1 that French text uses, at their WinAnsi codes. */
const WIN_ANSI: Record<string, string> = { '€': '\x80', '–': '\x96', '—': '\x97', œ: '\x9c', Œ: '\x8c' };
const winAnsi = (s: string) => s.replace(/[€–—œŒ]/g, (c) => WIN_ANSI[c] ?? c);

export const xmlText = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A minimal DOCX: the three parts Word needs, in an uncompressed ZIP. */
export function makeDocx(paragraphs: string[]): Uint8Array {
  const body = paragraphs
    .map((p) => `<w:p><w:r><w:t xml:space="preserve">${xmlText(p)}</w:t></w:r></w:p>`)
    .join('');
  return makeDocxParts(body);
}

/**
 * A DOCX from raw WordprocessingML: `body` goes inside <w:body>; `numbering` and `styles` become
 * word/numbering.xml and word/styles.xml (their inner elements) when given.
 */
export function makeDocxParts(body: string, numbering?: string, styles?: string): Uint8Array {
  const ns = 'xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"';
  const extra: Record<string, string> = {};
  if (numbering)
    extra['word/numbering.xml'] =
      `<?xml version="1.0" encoding="UTF-8"?><w:numbering ${ns}>${numbering}</w:numbering>`;
  if (styles)
    extra['word/styles.xml'] = `<?xml version="1.0" encoding="UTF-8"?><w:styles ${ns}>${styles}</w:styles>`;
  return zip({
    '[Content_Types].xml':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType="application/xml"/><Override PartName="/word/document.xml" ContentType="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml"/></Types>',
    '_rels/.rels':
      '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument" Target="word/document.xml"/></Relationships>',
    'word/document.xml': `<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document ${ns}><w:body>${body}</w:body></w:document>`,
    ...extra,
  });
}

function zip(files: Record<string, string>): Uint8Array {
  const locals: Buffer[] = [];
  const centrals: Buffer[] = [];
  let offset = 0;
  for (const [name, text] of Object.entries(files)) {
    const data = Buffer.from(text, 'utf8');
    const nameBuf = Buffer.from(name, 'utf8');
    const crc = crc32(data);
    const local = Buffer.alloc(30);
    local.writeUInt32LE(0x04034b50, 0);
    local.writeUInt16LE(20, 4);
    local.writeUInt16LE(0x21, 12); // 1980-01-01: a valid DOS date
    local.writeUInt32LE(crc, 14);
    local.writeUInt32LE(data.length, 18);
    local.writeUInt32LE(data.length, 22);
    local.writeUInt16LE(nameBuf.length, 26);
    const central = Buffer.alloc(46);
    central.writeUInt32LE(0x02014b50, 0);
    central.writeUInt16LE(20, 4);
    central.writeUInt16LE(20, 6);
    central.writeUInt16LE(0x21, 14);
    central.writeUInt32LE(crc, 16);
    central.writeUInt32LE(data.length, 20);
    central.writeUInt32LE(data.length, 24);
    central.writeUInt16LE(nameBuf.length, 28);
    central.writeUInt32LE(offset, 42);
    locals.push(local, nameBuf, data);
    centrals.push(central, nameBuf);
    offset += local.length + nameBuf.length + data.length;
  }
  const cd = Buffer.concat(centrals);
  const end = Buffer.alloc(22);
  end.writeUInt32LE(0x06054b50, 0);
  end.writeUInt16LE(Object.keys(files).length, 8);
  end.writeUInt16LE(Object.keys(files).length, 10);
  end.writeUInt32LE(cd.length, 12);
  end.writeUInt32LE(offset, 16);
  return new Uint8Array(Buffer.concat([...locals, cd, end]));
}
