/*
 * HTML text building for the review pages: every value goes through `escapeHtml`
 * unless it is HTML this package built itself.
 */
import { createHash } from 'node:crypto';

/** Escapes text for HTML element content and double- or single-quoted attributes. @internal */
export function escapeHtml(value: string | number): string {
  return String(value)
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;')
    .replace(/"/g, '&quot;')
    .replace(/'/g, '&#39;');
}

const STYLE = `
body { font: 14px/1.5 system-ui, sans-serif; margin: 0; color: #1f2328; }
header { background: #fff8c5; border-bottom: 1px solid #d4a72c; padding: 8px 24px; }
main { max-width: 1100px; margin: 0 auto; padding: 16px 24px; }
a { color: #0969da; }
table { border-collapse: collapse; margin: 8px 0; }
th, td { border: 1px solid #d0d7de; padding: 4px 10px; text-align: left; }
.state { display: inline-block; border-radius: 12px; padding: 2px 10px; color: #fff; font-weight: 600; }
.state-open { background: #1f883d; } .state-merged { background: #8250df; } .state-closed { background: #cf222e; }
.body { border: 1px solid #d0d7de; border-radius: 6px; padding: 0 16px; margin: 16px 0; }
.file { border: 1px solid #d0d7de; border-radius: 6px; margin: 12px 0; }
.file h3 { margin: 0; padding: 6px 12px; background: #f6f8fa; font: 600 13px monospace; }
pre.diff { margin: 0; padding: 8px 0; overflow-x: auto; font: 12px/1.45 monospace; }
pre.diff span { display: block; padding: 0 12px; white-space: pre; }
.add { background: #dafbe1; } .del { background: #ffebe9; } .hunk { color: #57606a; background: #ddf4ff; }
.actions form { display: inline; margin-right: 8px; }
button { font: inherit; padding: 5px 16px; border-radius: 6px; border: 1px solid #d0d7de; cursor: pointer; }
button.merge { background: #1f883d; color: #fff; border-color: #1a7f37; }
.notice { padding: 8px 12px; border-radius: 6px; background: #fff1e5; border: 1px solid #fb8f44; }
.muted { color: #57606a; }
`;

/**
 * The pages run no script at all, load nothing from elsewhere, post forms only to
 * this server and cannot be framed (so a Merge button cannot be clickjacked).
 *
 * @internal
 */
export const CONTENT_SECURITY_POLICY = [
  "default-src 'none'",
  // The stylesheet above, and the column alignments Markdown tables carry as style
  // attributes (the quota table right-aligns its numbers); no other style.
  `style-src 'unsafe-hashes' ${[
    STYLE,
    'text-align:left',
    'text-align:right',
    'text-align:center',
  ]
    .map(css => `'sha256-${createHash('sha256').update(css).digest('base64')}'`)
    .join(' ')}`,
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join('; ');

/** A whole page around `content` (HTML), with the demo banner on top. @internal */
export function htmlPage(title: string, content: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
<header><strong>Demo git server: you act as the demo approver; in production, review on GitHub.</strong></header>
<main>
${content}
</main>
</body>
</html>
`;
}
