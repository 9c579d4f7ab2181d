import { lexer, type Token, type Tokens } from 'marked';
import type { ReactNode } from 'react';

/**
 * Markdown to React elements through marked's lexer: no HTML string is ever injected, so a memo
 * (model output) cannot carry script or markup into the page. Raw HTML shows as text; only
 * http(s) and mailto links become links.
 */
export function Markdown({ source }: { source: string }) {
  return <>{blocks(lexer(source))}</>;
}

function blocks(tokens: Token[]): ReactNode[] {
  return tokens.map((t, i) => block(t as Tokens.Generic, i));
}

function block(t: Tokens.Generic, key: number): ReactNode {
  switch (t.type) {
    case 'space':
    case 'def':
      return null;
    case 'heading': {
      const h = t as Tokens.Heading;
      const Tag = `h${Math.min(Math.max(h.depth, 1), 6)}` as 'h1';
      return <Tag key={key}>{inline(h.tokens)}</Tag>;
    }
    case 'paragraph':
      return <p key={key}>{inline((t as Tokens.Paragraph).tokens)}</p>;
    case 'text':
      // Block-level text inside tight list items.
      return <span key={key}>{t.tokens ? inline(t.tokens) : t.text}</span>;
    case 'blockquote':
      return <blockquote key={key}>{blocks((t as Tokens.Blockquote).tokens)}</blockquote>;
    case 'code':
      return (
        <pre key={key}>
          <code>{(t as Tokens.Code).text}</code>
        </pre>
      );
    case 'hr':
      return <hr key={key} />;
    case 'list': {
      const l = t as Tokens.List;
      const items = l.items.map((item, j) => <li key={j}>{blocks(item.tokens)}</li>);
      return l.ordered ? (
        <ol key={key} start={typeof l.start === 'number' ? l.start : undefined}>
          {items}
        </ol>
      ) : (
        <ul key={key}>{items}</ul>
      );
    }
    case 'table': {
      const tb = t as Tokens.Table;
      return (
        <div className="table-scroll" key={key}>
          <table>
            <thead>
              <tr>
                {tb.header.map((c, j) => (
                  <th key={j} style={c.align ? { textAlign: c.align } : undefined}>
                    {inline(c.tokens)}
                  </th>
                ))}
              </tr>
            </thead>
            <tbody>
              {tb.rows.map((row, r) => (
                <tr key={r}>
                  {row.map((c, j) => (
                    <td key={j} style={c.align ? { textAlign: c.align } : undefined}>
                      {inline(c.tokens)}
                    </td>
                  ))}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      );
    }
    case 'html':
      return <p key={key}>{t.text}</p>;
    default:
      return t.tokens ? <span key={key}>{inline(t.tokens)}</span> : <span key={key}>{t.raw}</span>;
  }
}

function inline(tokens: Token[] | undefined): ReactNode[] {
  if (!tokens) return [];
  return tokens.map((tok, i) => {
    const t = tok as Tokens.Generic;
    switch (t.type) {
      case 'text':
        return t.tokens ? <span key={i}>{inline(t.tokens)}</span> : t.text;
      case 'escape':
      case 'html':
        return t.text;
      case 'strong':
        return <strong key={i}>{inline(t.tokens)}</strong>;
      case 'em':
        return <em key={i}>{inline(t.tokens)}</em>;
      case 'del':
        return <del key={i}>{inline(t.tokens)}</del>;
      case 'codespan':
        return <code key={i}>{t.text}</code>;
      case 'br':
        return <br key={i} />;
      case 'link': {
        const href = String(t.href ?? '');
        if (!/^(https?:|mailto:)/i.test(href)) return <span key={i}>{inline(t.tokens)}</span>;
        return (
          <a key={i} href={href} target="_blank" rel="noopener noreferrer">
            {inline(t.tokens)}
          </a>
        );
      }
      case 'image':
        return t.text;
      default:
        return t.tokens ? <span key={i}>{inline(t.tokens)}</span> : t.raw;
    }
  });
}
