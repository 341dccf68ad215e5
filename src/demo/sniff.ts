/**
 * A small content-type sniffer for reflected bodies that arrive without a Content-Type, after the
 * WHATWG MIME Sniffing Standard §7.1 ("identifying a resource with an unknown MIME type"), the
 * algorithm Go's http.DetectContentType follows. The CRS test backend relies on that behaviour:
 * ModSecurity and our WAF only inspect response bodies of listed types, so a reflected HTML page
 * must be labelled text/html for the RESPONSE-95x tests to see it.
 */
export function sniffContentType(body: Buffer): string {
  const head = body.subarray(0, 512);
  let start = 0;
  // §7.1 step: skip leading whitespace bytes (HT, LF, FF, CR, SP) before matching tag patterns.
  while (start < head.length && WHITESPACE.has(head[start]!)) start++;
  const text = head.subarray(start).toString('latin1');
  const upper = text.toUpperCase();
  for (const tag of HTML_TAGS) {
    if (!upper.startsWith(tag)) continue;
    const terminator = upper.charCodeAt(tag.length);
    // The pattern ends with a "tag-terminating byte": SP or '>'.
    if (terminator === 0x20 || terminator === 0x3e) return 'text/html; charset=utf-8';
  }
  if (upper.startsWith('<?XML')) return 'text/xml; charset=utf-8';
  if (text.startsWith('%PDF-')) return 'application/pdf';
  if (head.length >= 2 && ((head[0] === 0xfe && head[1] === 0xff) || (head[0] === 0xff && head[1] === 0xfe))) {
    return 'text/plain; charset=utf-16';
  }
  for (const byte of head) if (BINARY.has(byte)) return 'application/octet-stream';
  return 'text/plain; charset=utf-8';
}

const WHITESPACE = new Set([0x09, 0x0a, 0x0c, 0x0d, 0x20]);

// §7.1 table rows for HTML: each pattern is followed by a tag-terminating byte.
const HTML_TAGS = [
  '<!DOCTYPE HTML',
  '<HTML',
  '<HEAD',
  '<SCRIPT',
  '<IFRAME',
  '<H1',
  '<DIV',
  '<FONT',
  '<TABLE',
  '<A',
  '<STYLE',
  '<TITLE',
  '<B',
  '<BODY',
  '<BR',
  '<P',
  '<!--',
];

// §3 "binary data byte": control bytes other than HT, LF, FF, CR and ESC.
const BINARY = new Set<number>();
for (let byte = 0; byte <= 0x1f; byte++) if (![0x09, 0x0a, 0x0c, 0x0d, 0x1b].includes(byte)) BINARY.add(byte);
