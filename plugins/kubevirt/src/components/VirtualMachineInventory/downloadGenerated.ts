/**
 * Saves what a generator yields as a file the browser downloads. The text is
 * collected first: a file of 100k VMs is some ten megabytes.
 */
export async function downloadGenerated(
  generator: AsyncGenerator<string, void, unknown>,
  filename: string,
  contentType: string,
): Promise<void> {
  const parts: string[] = [];
  for await (const part of generator) {
    parts.push(part);
  }
  const url = URL.createObjectURL(new Blob(parts, { type: contentType }));
  try {
    const link = document.createElement('a');
    link.href = url;
    link.download = filename;
    document.body.appendChild(link);
    link.click();
    link.remove();
  } finally {
    URL.revokeObjectURL(url);
  }
}
