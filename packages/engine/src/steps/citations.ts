/**
 * Keeps only citations that name a real section (deduplicated, in the model's order) and counts
 * the rest. A made-up id would send the reader to a section that does not exist, but it does not
 * make the finding itself wrong, so it is dropped rather than failing the analysis.
 */
export function keepKnownCitations<T>(value: T, known: ReadonlySet<string>): { value: T; dropped: number } {
  let dropped = 0;
  const walk = (v: unknown): unknown => {
    if (Array.isArray(v)) return v.map(walk);
    if (v === null || typeof v !== 'object') return v;
    const out: Record<string, unknown> = {};
    for (const [k, child] of Object.entries(v)) {
      if (k === 'citations' && Array.isArray(child)) {
        const ids = child.map((c) =>
          String(c)
            .trim()
            .replace(/^\[(.*)\]$/, '$1'),
        );
        const kept = [...new Set(ids.filter((id) => known.has(id)))];
        dropped += ids.filter((id) => !known.has(id)).length;
        out[k] = kept;
      } else {
        out[k] = walk(child);
      }
    }
    return out;
  };
  return { value: walk(value) as T, dropped };
}
