/**
 * The one builder of webview pages (report, timeline, fleet): a nonce, a strict CSP and HTML
 * escaping. Pure (no `vscode`, no `node:`): it runs wherever the panels' HTML is made.
 */

/** HTML-escapes text for an element or a quoted attribute. */
export const escapeHtml = (s: string): string => s.replace(/[&<>"']/g, (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!);

/** A fresh nonce for one page's scripts and styles (Web Crypto: the extension host and the web alike). */
export function newNonce(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(18));
  return btoa(String.fromCharCode(...bytes));
}

export interface WebviewPage {
  nonce: string;
  /** Shown in the tab; escaped here. */
  title: string;
  /** The page's language (`vscode.env.language`, e.g. `zh-cn`); `en` when not given. */
  lang?: string;
  /** The webview's `cspSource`: when given, styles, images and (with `fonts`) fonts may load from the extension. */
  cspSource?: string;
  fonts?: boolean;
  /** Extra `<head>` content (a stylesheet link or an inline style carrying the nonce). */
  head: string;
  /** The `<body>` content, scripts (carrying the nonce) included. */
  body: string;
}

/** A page whose CSP allows nothing but scripts and styles with its nonce (and the extension's own files, when asked). */
export function webviewHtml(p: WebviewPage): string {
  const src = p.cspSource;
  const csp = [
    "default-src 'none'",
    `style-src ${src ? `${src} ` : ''}'nonce-${p.nonce}'`,
    ...(src ? [`img-src ${src} data:`] : []),
    ...(src && p.fonts ? [`font-src ${src}`] : []),
    `script-src 'nonce-${p.nonce}'`,
  ]
    .map((d) => `${d};`)
    .join(' ');
  return `<!DOCTYPE html>
<html lang="${escapeHtml(p.lang ?? 'en')}">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${p.head}
<title>${escapeHtml(p.title)}</title>
</head>
<body>
${p.body}
</body>
</html>`;
}
