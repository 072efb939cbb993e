/*
 * A pull request's body as HTML. The body is user input (a form's free text ends up in
 * it), so raw HTML in it is shown as text, never passed through, and links may only
 * use http, https or mailto.
 */
import MarkdownIt from 'markdown-it';

const markdown = new MarkdownIt('default', {
  // Raw HTML in the source is escaped, not rendered: this is what keeps script out.
  html: false,
  linkify: false,
  typographer: false,
});

// markdown-it already refuses javascript:, vbscript:, file: and most data: URLs;
// a review page needs fewer: only web and mail links, and relative ones.
markdown.validateLink = url => {
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url.trim());
  return (
    !scheme || ['http', 'https', 'mailto'].includes(scheme[1].toLowerCase())
  );
};

/** Renders GitHub-flavoured Markdown (tables included) to HTML that carries no markup from the source. @internal */
export function renderMarkdown(source: string): string {
  return markdown.render(source);
}
