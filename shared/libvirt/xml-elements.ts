// The small XML subset libvirt's CPU map files and `virsh cpu-baseline` output
// use: elements with quoted attributes, comments, text that is only a name
// (<model>Haswell</model>). No DTDs, CDATA or entities beyond the five basic ones.

import { FormatError } from "../formats/format-error.ts";

export interface XmlElement {
  name: string;
  attrs: Readonly<Record<string, string>>;
  children: XmlElement[];
  /** the element's text content, trimmed (children's text not included) */
  text: string;
  line: number;
}

const ENTITIES: Readonly<Record<string, string>> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };
const decode = (s: string) => s.replace(/&(lt|gt|amp|quot|apos);/g, (_, e: string) => ENTITIES[e]);

const TOKEN = /<!--[\s\S]*?-->|<\?[\s\S]*?\?>|<(\/?)([A-Za-z_][\w.-]*)((?:\s+[\w:.-]+\s*=\s*(?:'[^']*'|"[^"]*"))*)\s*(\/?)>|<|[^<]+/g;
const ATTR = /([\w:.-]+)\s*=\s*(?:'([^']*)'|"([^"]*)")/g;

function attributes(text: string): Record<string, string> {
  const attrs: Record<string, string> = {};
  for (const m of text.matchAll(ATTR)) attrs[m[1]] = decode(m[2] ?? m[3]);
  return attrs;
}

/** The top-level elements of `text` (several where the input concatenates documents). */
export function parseXmlElements(text: string, source: string): XmlElement[] {
  const top: XmlElement[] = [];
  const open: XmlElement[] = [];
  let counted = 0;
  let line = 1;
  const lineAt = (index: number) => {
    for (; counted < index; counted++) if (text.charCodeAt(counted) === 10) line++;
    return line;
  };
  const fail = (index: number, message: string): never => {
    throw new FormatError(source, lineAt(index), index - text.lastIndexOf("\n", index - 1), message);
  };
  for (const m of text.matchAll(TOKEN)) {
    const [token, closing, name, attrText, selfClosing] = m;
    const at = m.index;
    if (name === undefined) {
      if (token === "<") fail(at, "malformed tag");
      if (token.startsWith("<")) continue;
      const content = token.trim();
      if (!content) continue;
      const parent = open.at(-1);
      if (!parent) fail(at, `text outside any element: ${JSON.stringify(content.slice(0, 40))}`);
      else parent.text += decode(content);
      continue;
    }
    if (closing) {
      const el = open.pop();
      if (el?.name !== name) fail(at, el ? `</${name}> closes <${el.name}> (line ${el.line})` : `</${name}> without an open element`);
      continue;
    }
    const el: XmlElement = { name, attrs: attributes(attrText), children: [], text: "", line: lineAt(at) };
    const parent = open.at(-1);
    if (parent) parent.children.push(el);
    else top.push(el);
    if (!selfClosing) open.push(el);
  }
  const unclosed = open.at(0);
  if (unclosed) throw new FormatError(source, unclosed.line, 1, `<${unclosed.name}> is never closed`);
  return top;
}

/** Every descendant of `el` (depth first) named `name`. */
export function descendants(el: XmlElement, name: string): XmlElement[] {
  return el.children.flatMap((c) => [...(c.name === name ? [c] : []), ...descendants(c, name)]);
}
