/**
 * Runs inside a worker thread of the extraction pool (see pool.ts), never on the web process's event
 * loop. Plain JavaScript so that any host can load it: the server runs under tsx, tests under vitest.
 *
 * The task is `{ kind, data, limits }`; the answer is `{ ok: true, text, pages? }` or
 * `{ ok: false, code, ... }` (plain data: errors lose their fields when they cross threads).
 * The pool enforces the memory limit (resourceLimits) and the wall-clock limit (terminating the thread).
 */
import { inflateRawSync } from 'node:zlib';
import mammoth from 'mammoth';
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
    const texts = [];
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
      texts.push(text);
    }
    const text = texts
      .join('\n')
      .replace(/[^\S\n]+/g, ' ')
      .replace(/ ?\n ?/g, '\n')
      .replace(/\n{3,}/g, '\n\n');
    return { ok: true, text, pages: pdf.numPages };
  } finally {
    await pdf.destroy().catch(() => undefined);
  }
}

/** @param {Uint8Array} data @param {Limits} limits */
async function readDocx(data, limits) {
  const buffer = Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  checkZip(buffer, limits.maxPartBytes);
  const result = await mammoth.extractRawText({ buffer });
  if (result.value.length > limits.maxChars) {
    return { ok: false, code: 'too_many_chars', max: limits.maxChars };
  }
  return { ok: true, text: result.value };
}

/**
 * A DOCX is a zip. Before mammoth inflates anything, every part's size is read from the zip's central
 * directory and refused above `maxPartBytes`; then each part is inflated with a hard output cap, so a
 * directory that lies about the sizes is caught too, without ever holding more than the cap.
 * Throws Limit for a part that is too large; anything malformed is left for mammoth to refuse.
 * @param {Buffer} buf @param {number} maxPartBytes
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
  for (const part of parts) {
    if (part.method !== 8) continue; // stored parts are no bigger than the upload itself
    const h = part.local;
    if (h + 30 > buf.length || buf.readUInt32LE(h) !== 0x04034b50) throw new Error('bad local header');
    const start = h + 30 + buf.readUInt16LE(h + 26) + buf.readUInt16LE(h + 28);
    const raw = buf.subarray(start, start + part.compressed);
    try {
      inflateRawSync(raw, { maxOutputLength: maxPartBytes });
    } catch (err) {
      if (err && /** @type {{ code?: string }} */ (err).code === 'ERR_BUFFER_TOO_LARGE') {
        throw new Limit({ code: 'part_too_large', part: part.name, max: maxPartBytes });
      }
      throw err;
    }
  }
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
