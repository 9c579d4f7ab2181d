/**
 * Runs inside a worker thread of the extraction pool (see pool.ts), never on the web process's event
 * loop. Plain JavaScript so that any host can load it: the server runs under tsx, tests under vitest.
 *
 * The task is `{ kind, data, limits }`; the answer is `{ ok: true, text, pages?, emptyPages? }` or
 * `{ ok: false, code, ... }` (plain data: errors lose their fields when they cross threads).
 * The pool enforces the memory limit (resourceLimits) and the wall-clock limit (terminating the thread).
 */
import { inflateRawSync } from 'node:zlib';
import { getDocumentProxy } from 'unpdf';

/**
 * @typedef {{ maxPages: number, maxPartBytes: number, maxChars: number }} Limits
 * @typedef {{ kind: 'pdf' | 'docx' | 'txt', data: Uint8Array, limits: Limits, hook?: string }} Task
 */

/** @param {Task} task */
export default async function extract(task) {
  if (task.hook === 'hog') return hog();
  if (task.hook === 'heap') return heap();
  try {
    if (task.kind === 'pdf') return await readPdf(task.data, task.limits);
    if (task.kind === 'docx') return await readDocx(task.data, task.limits);
    return readPlain(task.data, task.limits);
  } catch (err) {
    if (err instanceof Limit) return err.result;
    return { ok: false, code: 'unreadable' };
  }
}

class Limit extends Error {
  /** @param {object} result */
  constructor(result) {
    super('limit');
    this.result = { ok: false, ...result };
  }
}

/**
 * Test hook (reachable only through the engine's API, never from a request): holds about 200 MB and
 * never answers, so a test can watch the wall-clock limit cut it off and the memory come back.
 */
function hog() {
  // Plain arrays live on the thread's own V8 heap, which goes away with the thread.
  const held = [];
  for (let i = 0; i < 25; i++) held.push(new Array(1024 * 1024).fill(i + 0.5));
  let sink = 0;
  for (let i = 0; ; i++) sink ^= held[i % held.length].length + sink;
}

/** Test hook: fills the JS heap until the thread's memory limit ends it. */
function heap() {
  const held = [];
  for (;;) held.push({ a: held.length, b: [held.length, held.length + 1], c: `s${held.length}` });
}

/** @param {Uint8Array} data @param {Limits} limits */
async function readPdf(data, limits) {
  let pdf;
  try {
    // pdf.js transfers (detaches) the buffer it is given; the task's copy is ours to give.
    // verbosity 0 keeps pdf.js from printing recovery warnings for every damaged file.
    pdf = await getDocumentProxy(data, { verbosity: 0 });
  } catch (err) {
    const encrypted = err instanceof Error && err.name === 'PasswordException';
    return { ok: false, code: encrypted ? 'encrypted' : 'unreadable' };
  }
  try {
    // The page count comes from the document's page tree: refuse before reading a single page.
    if (pdf.numPages > limits.maxPages) {
      return { ok: false, code: 'too_many_pages', pages: pdf.numPages, max: limits.maxPages };
    }
    // Page by page (as unpdf's extractText, merged the same way), stopping once the text is too long.
    /** @type {string[][]} */
    const pages = [];
    let chars = 0;
    for (let i = 1; i <= pdf.numPages; i++) {
      const page = await pdf.getPage(i);
      const content = await page.getTextContent();
      const text = content.items
        .filter((item) => 'str' in item && item.str != null)
        .map((item) => item.str + (item.hasEOL ? '\n' : ''))
        .join('');
      page.cleanup();
      chars += text.length + 1;
      if (chars > limits.maxChars) return { ok: false, code: 'too_many_chars', max: limits.maxChars };
      pages.push(
        text
          .replace(/[^\S\n]+/g, ' ')
          .split('\n')
          .map((l) => l.trim()),
      );
    }
    const emptyPages = [];
    pages.forEach((lines, i) => {
      if (lines.every((l) => l === '')) emptyPages.push(i + 1);
    });
    const kept = removeFurniture(pages);
    // A page without text inside a document with text (a scanned page) leaves a visible gap line, so
    // the reader and the model know something is missing there; an all-image PDF stays empty and is
    // refused as such. The line's shape is matched in inventory.ts.
    const partly = emptyPages.length > 0 && emptyPages.length < pages.length;
    const text = kept
      .map((lines, i) =>
        partly && emptyPages.includes(i + 1)
          ? `[Page ${i + 1} of ${pages.length}: no text layer (a scanned image or a blank page); not read]`
          : lines.join('\n'),
      )
      .join('\n')
      .replace(/\n{3,}/g, '\n\n');
    return { ok: true, text, pages: pdf.numPages, emptyPages: partly ? emptyPages : [] };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

/** Lines at the top and bottom of a page where running headers and footers live. */
const FURNITURE_ZONE = 3;
/** A page number on its own: "3", "- 3 -", "Page 3", "Page 3 of 14", "3/14", "Seite 3 von 14", "第3页". */
const PAGE_NUMBER =
  /^(?:-\s*\d{1,4}\s*-|(?:page|p\.|pg\.?|seite|página|pagina)?\s*\d{1,4}(?:\s*(?:of|\/|de|sur|von|di)\s*\d{1,4})?|第\s*\d{1,4}\s*页(?:\s*[,，]?\s*共\s*\d{1,4}\s*页)?)$/i;

/**
 * Page furniture: page numbers in a page's top or bottom lines, and lines repeated in those zones on
 * at least half the pages (two at least) — running headers and footers, "CONFIDENTIAL", a title
 * repeated on every page. Numbers inside a repeated line are ignored when comparing ("Page 2 of 14"
 * and "Page 3 of 14" repeat). A repeated line without a number (nor "confidential", "draft") is kept
 * where it is the first line of page 1: that is the document's real title. Removal never empties a page.
 * See docs/extraction-and-sections.md.
 * @param {string[][]} pages
 * @returns {string[][]}
 */
function removeFurniture(pages) {
  const key = (/** @type {string} */ l) => l.toLowerCase().replace(/\d+/g, '#').replace(/\s+/g, ' ');
  /** @param {string[]} lines */
  const zone = (lines) => {
    const idx = lines.flatMap((l, i) => (l === '' ? [] : [i]));
    return new Set([...idx.slice(0, FURNITURE_ZONE), ...idx.slice(-FURNITURE_ZONE)]);
  };
  const zones = pages.map(zone);
  /** @type {Map<string, number>} */
  const seen = new Map();
  pages.forEach((lines, p) => {
    const keys = new Set([...(zones[p] ?? [])].map((i) => key(lines[i] ?? '')));
    for (const k of keys) seen.set(k, (seen.get(k) ?? 0) + 1);
  });
  const threshold = Math.max(2, Math.ceil(pages.length / 2));
  return pages.map((lines, p) => {
    const kept = lines.filter((line, i) => {
      if (!zones[p]?.has(i)) return true;
      if (PAGE_NUMBER.test(line)) return false;
      if ((seen.get(key(line)) ?? 0) < threshold) return true;
      const firstTitle =
        p === 0 && !/\d|confidential|draft|privileged/i.test(line) && i === lines.findIndex((l) => l !== '');
      return firstTitle;
    });
    // A page made only of lines found on other pages is content, not furniture: it stays as it is.
    return kept.some((l) => l !== '') || lines.every((l) => l === '') ? kept : lines;
  });
}

/** @param {Uint8Array} data @param {Limits} limits */
async function readDocx(data, limits) {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  const parts = checkZip(buffer, limits.maxPartBytes);
  const text = docxText(parts);
  if (text.length > limits.maxChars) {
    return { ok: false, code: 'too_many_chars', max: limits.maxChars };
  }
  return { ok: true, text };
}

// ---- DOCX text ------------------------------------------------------------------------------
// Read from the WordprocessingML itself rather than through a converter, so that what a reader sees
// survives: automatic numbering ("1.1", "(a)") written into the text, and each table row on one line
// with its cells joined by " | ". See docs/extraction-and-sections.md.

/** @typedef {{ name: string, read: () => string }} ZipPart */

/** @param {Map<string, ZipPart>} parts */
function docxText(parts) {
  const main = mainDocumentPath(parts);
  const document = parts.get(main)?.read();
  if (document === undefined) throw new Error('no main document part');
  const numbering = readNumbering(parts.get('word/numbering.xml')?.read() ?? '');
  const styles = readStyleNumbering(parts.get('word/styles.xml')?.read() ?? '');
  return renderBody(document, numbering, styles);
}

/** @param {Map<string, ZipPart>} parts */
function mainDocumentPath(parts) {
  const rels = parts.get('_rels/.rels')?.read() ?? '';
  for (const tag of rels.match(/<Relationship\b[^>]*>/g) ?? []) {
    if (/Type="[^"]*\/officeDocument"/.test(tag)) {
      const target = attr(tag, 'Target');
      if (target) return target.replace(/^\//, '');
    }
  }
  return 'word/document.xml';
}

/** @param {string} tag @param {string} name */
function attr(tag, name) {
  const m = new RegExp(`\\s${name.replace(':', '\\:')}="([^"]*)"`).exec(tag);
  return m ? decodeXml(m[1] ?? '') : null;
}

/** @param {string} s */
function decodeXml(s) {
  return s.replace(/&(?:#(\d+)|#x([0-9a-fA-F]+)|(amp|lt|gt|quot|apos));/g, (_, dec, hex, name) => {
    if (dec) return String.fromCodePoint(Math.min(Number(dec), 0x10ffff));
    if (hex) return String.fromCodePoint(Math.min(Number.parseInt(hex, 16), 0x10ffff));
    return { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'" }[/** @type {'amp'} */ (name)];
  });
}

/** Tags and text runs of an XML document, in order (no DTDs in OOXML; comments and PIs skipped). */
const XML_TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<!\[CDATA\[([\s\S]*?)\]\]>|<(\/?)([\w.:-]+)([^>]*?)(\/?)>|([^<]+)/g;

/**
 * @typedef {{ format: string, text: string, start: number, legal: boolean }} Level
 * @typedef {{ abstracts: Map<string, Map<number, Level>>, nums: Map<string, { abstract: string, starts: Map<number, number> }> }} Numbering
 */

/** @param {string} xml @returns {Numbering} */
function readNumbering(xml) {
  /** @type {Numbering} */
  const numbering = { abstracts: new Map(), nums: new Map() };
  for (const m of xml.matchAll(/<w:abstractNum\b([^>]*)>([\s\S]*?)<\/w:abstractNum>/g)) {
    const id = attr(m[1] ?? '', 'w:abstractNumId') ?? '';
    numbering.abstracts.set(id, readLevels(m[2] ?? ''));
  }
  for (const m of xml.matchAll(/<w:num\b([^>]*)>([\s\S]*?)<\/w:num>/g)) {
    const id = attr(m[1] ?? '', 'w:numId') ?? '';
    const abstract = attr(/<w:abstractNumId\b[^>]*>/.exec(m[2] ?? '')?.[0] ?? '', 'w:val') ?? '';
    /** @type {Map<number, number>} */
    const starts = new Map();
    for (const o of (m[2] ?? '').matchAll(/<w:lvlOverride\b([^>]*)>([\s\S]*?)<\/w:lvlOverride>/g)) {
      const start = /<w:startOverride\b[^>]*>/.exec(o[2] ?? '')?.[0];
      if (start) starts.set(Number(attr(o[1] ?? '', 'w:ilvl') ?? 0), Number(attr(start, 'w:val') ?? 1));
    }
    numbering.nums.set(id, { abstract, starts });
  }
  return numbering;
}

/** @param {string} xml */
function readLevels(xml) {
  /** @type {Map<number, Level>} */
  const levels = new Map();
  for (const m of xml.matchAll(/<w:lvl\b([^>]*)>([\s\S]*?)<\/w:lvl>/g)) {
    const body = m[2] ?? '';
    const val = (/** @type {string} */ tag) => attr(new RegExp(`<w:${tag}\\b[^>]*>`).exec(body)?.[0] ?? '', 'w:val');
    levels.set(Number(attr(m[1] ?? '', 'w:ilvl') ?? 0), {
      format: val('numFmt') ?? 'decimal',
      text: val('lvlText') ?? '',
      start: Number(val('start') ?? 1),
      legal: /<w:isLgl\b(?![^>]*w:val="(?:0|false)")/.test(body),
    });
  }
  return levels;
}

/**
 * Paragraph styles that carry numbering (Word's numbered "Heading 1" style, for instance).
 * @param {string} xml @returns {Map<string, { numId: string, ilvl: number }>}
 */
function readStyleNumbering(xml) {
  const out = new Map();
  for (const m of xml.matchAll(/<w:style\b([^>]*)>([\s\S]*?)<\/w:style>/g)) {
    const numPr = /<w:numPr>([\s\S]*?)<\/w:numPr>/.exec(m[2] ?? '')?.[1];
    if (!numPr) continue;
    const numId = attr(/<w:numId\b[^>]*>/.exec(numPr)?.[0] ?? '', 'w:val');
    const ilvl = Number(attr(/<w:ilvl\b[^>]*>/.exec(numPr)?.[0] ?? '', 'w:val') ?? 0);
    const styleId = attr(m[1] ?? '', 'w:styleId');
    if (numId && styleId) out.set(styleId, { numId, ilvl });
  }
  return out;
}

const ROMAN = /** @type {const} */ ([
  [1000, 'm'], [900, 'cm'], [500, 'd'], [400, 'cd'], [100, 'c'], [90, 'xc'],
  [50, 'l'], [40, 'xl'], [10, 'x'], [9, 'ix'], [5, 'v'], [4, 'iv'], [1, 'i'],
]);
const CHINESE_DIGITS = '〇一二三四五六七八九';

/** @param {number} n @param {string} format */
function formatNumber(n, format) {
  switch (format) {
    case 'lowerLetter':
    case 'upperLetter': {
      // Word repeats the letter past z: a..z, aa..zz.
      const letter = String.fromCharCode(97 + ((n - 1) % 26)).repeat(Math.floor((n - 1) / 26) + 1);
      return format === 'upperLetter' ? letter.toUpperCase() : letter;
    }
    case 'lowerRoman':
    case 'upperRoman': {
      let rest = n;
      let out = '';
      for (const [value, digits] of ROMAN) {
        while (rest >= value) {
          out += digits;
          rest -= value;
        }
      }
      return format === 'upperRoman' ? out.toUpperCase() : out;
    }
    case 'decimalZero':
      return String(n).padStart(2, '0');
    case 'chineseCounting':
    case 'chineseCountingThousand':
    case 'ideographTraditional':
    case 'japaneseCounting':
    case 'taiwaneseCounting':
      return chineseNumber(n);
    case 'bullet':
    case 'none':
      return '';
    default:
      return String(n);
  }
}

/** @param {number} n 1..999 as written in Chinese ("十二", "一百零五"); larger numbers as digits. */
function chineseNumber(n) {
  if (n <= 0 || n >= 1000) return String(n);
  const h = Math.floor(n / 100);
  const t = Math.floor((n % 100) / 10);
  const u = n % 10;
  let out = h ? `${CHINESE_DIGITS[h]}百` : '';
  if (t) out += `${t === 1 && !h ? '' : CHINESE_DIGITS[t]}十`;
  else if (h && u) out += '零';
  if (u) out += CHINESE_DIGITS[u];
  return out;
}

/**
 * Word's list counters: one set per abstract list (lists sharing one continue each other), a level
 * restarting whenever a higher level advances.
 * @param {Numbering} numbering
 */
function numberingCounter(numbering) {
  /** @type {Map<string, number[]>} */
  const counters = new Map();
  /** @type {Set<string>} */
  const started = new Set();
  /** @param {string} numId @param {number} ilvl @returns {string | null} */
  return (numId, ilvl) => {
    const num = numbering.nums.get(numId);
    const levels = num && numbering.abstracts.get(num.abstract);
    const level = levels?.get(ilvl);
    if (!num || !levels || !level) return null;
    let counts = counters.get(num.abstract);
    if (!counts || (!started.has(numId) && num.starts.size > 0)) {
      counts = [];
      counters.set(num.abstract, counts);
      for (const [lvl, start] of num.starts) counts[lvl] = start - 1;
    }
    started.add(numId);
    counts[ilvl] = (counts[ilvl] ?? (levels.get(ilvl)?.start ?? 1) - 1) + 1;
    counts.length = ilvl + 1;
    if (level.format === 'bullet') return '•';
    return level.text.replace(/%(\d)/g, (_, d) => {
      const lvl = Number(d) - 1;
      const n = counts[lvl] ?? levels.get(lvl)?.start ?? 1;
      return formatNumber(n, level.legal ? 'decimal' : (levels.get(lvl)?.format ?? 'decimal'));
    });
  };
}

/**
 * @param {string} xml @param {Numbering} numbering
 * @param {Map<string, { numId: string, ilvl: number }>} styles
 */
function renderBody(xml, numbering, styles) {
  const label = numberingCounter(numbering);
  /** Finished blocks: paragraphs, and table rows (consecutive rows of a table stay together). */
  /** @type {{ text: string, row: boolean }[]} */
  const blocks = [];
  /** @typedef {{ text: string, numId: string | null, ilvl: number, style: string | null }} Para */
  /** @type {Para[]} */
  const paras = [];
  /** @type {{ rows: string[], cell: string[] | null, cells: string[] | null }[]} */
  const tables = [];
  let skip = 0; // inside deleted text, field instructions or a compatibility fallback
  let inText = false;
  const emit = (/** @type {string} */ text, /** @type {boolean} */ row) => {
    const table = tables.at(-1);
    if (table?.cell) table.cell.push(text);
    else blocks.push({ text, row });
  };
  for (const m of xml.matchAll(XML_TOKEN)) {
    const [, cdata, close, name, attrs = '', selfClose, chars] = m;
    if (chars !== undefined || cdata !== undefined) {
      if (inText && skip === 0 && paras.length > 0) {
        const p = /** @type {Para} */ (paras.at(-1));
        p.text += cdata ?? decodeXml(chars ?? '');
      }
      continue;
    }
    if (!name) continue;
    if (name === 'w:delText' || name === 'w:instrText' || name === 'mc:Fallback' || name === 'w:del') {
      if (!selfClose) skip += close ? -1 : 1;
      continue;
    }
    if (skip > 0) continue;
    const p = paras.at(-1);
    switch (name) {
      case 'w:p':
        if (selfClose) emit('', false);
        else if (!close) paras.push({ text: '', numId: null, ilvl: 0, style: null });
        else {
          const done = paras.pop();
          if (!done) break;
          const byStyle = done.style ? styles.get(done.style) : undefined;
          const numId = done.numId ?? byStyle?.numId ?? null;
          const ilvl = done.numId ? done.ilvl : (byStyle?.ilvl ?? done.ilvl);
          const prefix = numId && numId !== '0' ? label(numId, ilvl) : null;
          const text = done.text.trim();
          emit(prefix ? `${prefix} ${text}`.trim() : text, false);
        }
        break;
      case 'w:t':
        inText = !close && !selfClose;
        break;
      case 'w:tab':
        if (p && !close) p.text += '\t';
        break;
      case 'w:br':
      case 'w:cr':
        if (p) p.text += '\n';
        break;
      case 'w:noBreakHyphen':
        if (p) p.text += '-';
        break;
      case 'w:numId':
        if (p) p.numId = attr(attrs, 'w:val');
        break;
      case 'w:ilvl':
        if (p) p.ilvl = Number(attr(attrs, 'w:val') ?? 0);
        break;
      case 'w:pStyle':
        if (p) p.style = attr(attrs, 'w:val');
        break;
      case 'w:tbl':
        if (!close) tables.push({ rows: [], cell: null, cells: null });
        else {
          const table = tables.pop();
          if (table) emit(table.rows.join('\n'), true);
        }
        break;
      case 'w:tr': {
        const table = tables.at(-1);
        if (!table) break;
        if (!close) table.cells = [];
        else if (table.cells) {
          const cells = table.cells.map((c) => c.replace(/\s+/g, ' ').trim());
          if (cells.some(Boolean)) table.rows.push(cells.join(' | '));
          table.cells = null;
        }
        break;
      }
      case 'w:tc': {
        const table = tables.at(-1);
        if (!table) break;
        if (!close) table.cell = [];
        else {
          table.cells?.push((table.cell ?? []).filter(Boolean).join(' '));
          table.cell = null;
        }
        break;
      }
    }
  }
  // Paragraphs apart by a blank line, as Word shows them; rows of one table on consecutive lines.
  return blocks.map((b) => b.text).join('\n\n');
}

/**
 * A DOCX is a zip. Before any part is read, every part's size is read from the zip's central
 * directory and refused above `maxPartBytes`; then each part is inflated with a hard output cap, so a
 * directory that lies about the sizes is caught too, without ever holding more than the cap.
 * Throws Limit for a part that is too large, and a plain Error for a malformed zip.
 * Returns the parts by name, each read (inflated again, under the same cap) on demand.
 * @param {Buffer} buf @param {number} maxPartBytes
 * @returns {Map<string, ZipPart>}
 */
function checkZip(buf, maxPartBytes) {
  const eocd = findEndOfCentralDirectory(buf);
  if (eocd < 0) throw new Error('not a zip');
  const entries = buf.readUInt16LE(eocd + 10);
  let p = buf.readUInt32LE(eocd + 16);
  /** @type {{ name: string, method: number, compressed: number, size: number, local: number }[]} */
  const parts = [];
  for (let i = 0; i < entries; i++) {
    if (p + 46 > buf.length || buf.readUInt32LE(p) !== 0x02014b50) throw new Error('bad central directory');
    const method = buf.readUInt16LE(p + 10);
    const compressed = buf.readUInt32LE(p + 20);
    const size = buf.readUInt32LE(p + 24);
    const nameLen = buf.readUInt16LE(p + 28);
    const extraLen = buf.readUInt16LE(p + 30);
    const commentLen = buf.readUInt16LE(p + 32);
    const local = buf.readUInt32LE(p + 42);
    const name = buf.toString('utf8', p + 46, p + 46 + nameLen);
    // 0xFFFFFFFF means "see the zip64 extra field": sizes past 4 GB, far past any cap.
    if (size === 0xffffffff || size > maxPartBytes) {
      throw new Limit({ code: 'part_too_large', part: name, max: maxPartBytes });
    }
    parts.push({ name, method, compressed, size, local });
    p += 46 + nameLen + extraLen + commentLen;
  }
  /** @type {Map<string, ZipPart>} */
  const byName = new Map();
  for (const part of parts) {
    const h = part.local;
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== 0x04034b50) throw new Error('bad local header');
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const raw = buf.subarray(start, start + part.compressed);
    const inflate = () => {
      if (part.method === 0) return raw; // stored parts are no bigger than the upload itself
      if (part.method !== 8) throw new Error('unsupported compression');
      try {
        return inflateRawSync(raw, { maxOutputLength: maxPartBytes });
      } catch (err) {
        if (err && /** @type {{ code?: string }} */ (err).code === 'ERR_BUFFER_TOO_LARGE') {
          throw new Limit({ code: 'part_too_large', part: part.name, max: maxPartBytes });
        }
        throw err;
      }
    };
    if (part.method === 8) inflate();
    byName.set(part.name, { name: part.name, read: () => inflate().toString('utf8') });
  }
  return byName;
}

/** @param {Buffer} buf */
function findEndOfCentralDirectory(buf) {
  // The record is 22 bytes plus a comment of at most 65,535 bytes, at the very end.
  const stop = Math.max(0, buf.length - 22 - 0xffff);
  for (let i = buf.length - 22; i >= stop; i--) if (buf.readUInt32LE(i) === 0x06054b50) return i;
  return -1;
}

/** @param {Uint8Array} data @param {Limits} limits */
function readPlain(data, limits) {
  // A NUL byte in the first KiB means a binary file renamed to .txt; decoding it would produce
  // garbage that still gets priced.
  if (data.subarray(0, 1024).includes(0)) return { ok: false, code: 'not_plain_text' };
  // UTF-8 never has fewer bytes than characters: more than 4 bytes a character cannot be.
  if (data.byteLength > limits.maxChars * 4) return { ok: false, code: 'too_many_chars', max: limits.maxChars };
  const text = new TextDecoder('utf-8').decode(data);
  if (text.length > limits.maxChars) return { ok: false, code: 'too_many_chars', max: limits.maxChars };
  return { ok: true, text };
}
